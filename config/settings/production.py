"""Production: every secret and host from the environment; nothing falls back to a
development default."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# The health middleware answers before SSL redirect for load-balancer probes.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

# Personal data keys must be this deployment's own (apps/core/pii.py).
PII_ENCRYPTION_KEYS = env.list("PII_ENCRYPTION_KEYS")
PII_BLIND_INDEX_KEY = env("PII_BLIND_INDEX_KEY")
SANDBOX_ENABLED = False
