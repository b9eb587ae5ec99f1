"""Development: `python dev.py up`. DATABASE_URL / REDIS_URL are set by dev.py (embedded
servers) when the environment does not provide them."""

from .base import *  # noqa: F403
from .base import LOG_LEVEL, env, web_threads

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdefghij")
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Serve static files straight from the apps and static/ (no collectstatic in development).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Nothing is collected outside production; WhiteNoise serves from the finders.
STATIC_ROOT = None

# Development talks to the loopback sandboxes instead of Kakao, Telegram and the gateways.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=True)
NOTIFICATIONS_CONSOLE_FALLBACK = True
TENANT_URL_TEMPLATE = env("TENANT_URL_TEMPLATE", default="http://{domain}:" + env("PORT", default="8000"))

# Readable log lines in a terminal (JSON with LOG_FORMAT=json).
LOG_FORMAT = env("LOG_FORMAT", default="console")
LOGGING = configure_logging(json=LOG_FORMAT != "console", level=LOG_LEVEL)  # noqa: F405

# The loopback sandboxes (payment gateways, the crypto gateway and its exchange rates) are
# served by this same web process: a deposit through one is three requests in flight at once
# (the caller's, the sandbox's webhook, the app's rate look-up), which two threads deadlock.
WEB_THREADS = web_threads(8)
