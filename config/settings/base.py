"""Settings shared by every environment. Everything that differs between machines comes
from the environment (django-environ); `.env.example` documents each variable."""

from pathlib import Path
from urllib.parse import unquote

import environ
from celery.schedules import crontab
from csp.constants import NONCE
from kombu import Exchange, Queue

from apps.ops.logs import configure as configure_logging

BASE_DIR = Path(__file__).resolve().parent.parent.parent
APPS_DIR = BASE_DIR / "apps"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

# ---------------------------------------------------------------------------- general
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")  # required in production.py
# Signs each schema's ledger head anchor (apps.ledger.anchor); SECRET_KEY when unset. Keep it
# out of the database: whoever can rewrite the anchor row should not also be able to sign it.
LEDGER_ANCHOR_KEY = env("LEDGER_ANCHOR_KEY", default="")
# Tenants bring their own domains (zone sites especially), so the Host header is
# checked against Domain rows by the tenant middleware, not by a static list.
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])

TIME_ZONE = "Asia/Seoul"
USE_TZ = True
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
USE_I18N = True
LOCALE_PATHS = [str(BASE_DIR / "locale")]

# Hosts that reach the platform operators' (public) schema. seed_demo and the
# migrate_schemas bootstrap give the public tenant one Domain row per entry.
PLATFORM_HOSTS = env.list("PLATFORM_HOSTS", default=["localhost"])

# ---------------------------------------------------------------------------- database
DATABASES = {"default": env.db("DATABASE_URL")}
# A unix-socket directory may be given percent-encoded as the host (postgres://u@%2Ftmp%2Fpg/db).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"]["HOST"] or "")
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
# Connections: one pool per process (psycopg_pool through Django's "pool" option), never a
# persistent connection per thread. Under ASGI each request runs its sync code in a thread
# of its own, and CONN_MAX_AGE kept one idle connection per such thread: ~100 idle
# connections after ordinary browsing, "too many clients" for everything else. A pooled
# process holds at most DB_POOL_MAX_SIZE connections; a request waiting longer than
# DB_POOL_TIMEOUT seconds for one fails. Budget against the server's max_connections
# (README, "Database connections"): web processes × DB_POOL_MAX_SIZE + Celery prefork
# children × 1 (Celery closes a prefork child's pool after each task) + thread-pool
# workers × their concurrency + beat × 1. DB_POOL_MAX_SIZE=0: no pool and a connection
# per request (behind PgBouncer in session mode, say).
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=8)
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DB_POOL_MAX_SIZE > 0:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env.int("DB_POOL_MIN_SIZE", default=1), DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
        # Idle connections above min_size go after 5 minutes; every one is renewed hourly.
        "max_idle": 300,
        "max_lifetime": 3600,
    }
# Threads per web process that run requests' Django code (apps/core/asgi.py): the most
# requests one process serves at once; the rest wait in its event loop. Never more than the
# pool, or a request would hold a thread while it waits for a connection. 0: Django's own
# ASGI handler (a new thread per request, no bound), kept for comparison.
# A view that waits on an outside service (a payment confirmation, the crypto gateway) holds
# its thread meanwhile: raise it where such waits are common.


def web_threads(default: int) -> int:
    threads = env.int("WEB_THREADS", default=default)
    return min(threads, DB_POOL_MAX_SIZE) if DB_POOL_MAX_SIZE > 0 and threads else threads


WEB_THREADS = web_threads(2)
# Each request's phases (arrived, body read, lane taken, view, done) kept in memory for a
# benchmark to read (apps/core/asgi.py request_phases; bench/club). Off in production.
REQUEST_PHASE_PROBE = env.bool("REQUEST_PHASE_PROBE", default=False)
# With the probe on: a directory where each server process writes those phases, its collector's
# passes and its event loop's lateness once a second (apps/ops/phaselog.py; bench/cat-http --phases).
REQUEST_PHASE_LOG = env.str("REQUEST_PHASE_LOG", default="")
# A server process freezes what it loaded at start-up out of the garbage collector's reach
# (apps/ops/heap.py; config/asgi.py): full collections then stop it for milliseconds, not 0.5 s.
GC_FREEZE = env.bool("GC_FREEZE", default=True)
# Work a commit leaves that the response need not wait for (a CAT answer's ledger seal and
# item counters) runs on one background thread per process, merged (apps/core/afterwork.py).
AFTERWORK_THREAD = env.bool("AFTERWORK_THREAD", default=True)
# The collector's thresholds in a server process (gc.set_threshold: young, middle, old;
# apps/ops/heap.py): a young pass every 10,000 allocations, so that a request's objects mostly
# die before a young pass promotes them (bench/load: with 700 they reached the old generation
# and a full pass freed 0.3–1 million of them in 0.2–3.5 s). Empty: Python's own (700, 10, 10).
GC_THRESHOLD = [int(n) for n in env.list("GC_THRESHOLD", default=["10000", "10", "10"]) if n]
# The GIL's switch interval in a server process (sys.setswitchinterval, seconds; apps/ops/gil.py):
# a thread back from a Redis or database round trip waits up to this long for the GIL while
# another thread runs Python. Empty (the default): Python's 0.005 — 0.001 measured better in
# one bench/club pair and worse in another on a loaded machine (README "Club tables").
GIL_SWITCH_INTERVAL = float(env.str("GIL_SWITCH_INTERVAL", default="") or 0) or None
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------- tenancy
TENANT_MODEL = "tenancy.Tenant"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
HAS_MULTI_TYPE_TENANTS = True
MULTI_TYPE_DATABASE_FIELD = "type"
# New tenants are cloned from a per-type template schema, then their migrations are
# faked (django-tenants #533). The templates are Tenant rows themselves (is_template),
# so every migrate_schemas keeps them current; see apps/tenancy/provisioning.py.
TENANT_CREATION_FAKES_MIGRATIONS = True
# `SET search_path` once per connection and schema switch, not before every query (the
# backend forgets it on close, rollback, savepoint rollback and set_tenant, so a pooled
# connection always gets its own on first use).
TENANT_LIMIT_SET_CALLS = True

# Apps every schema has: each tenant keeps its own users, sessions, admin log and
# allauth state, so a login on one tenant means nothing on another.
PER_SCHEMA_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "django.contrib.messages",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.kakao",
    "allauth.socialaccount.providers.naver",
    "allauth.socialaccount.providers.google",
    "allauth.mfa",
    "allauth.headless",
    "apps.accounts",
    "apps.audit",
    "apps.ledger",
    "apps.notifications",
    # AI jobs of each tenant (the fleet's registry is public: apps.inference).
    "apps.inference.jobs",
    # Media objects of each tenant (apps/media: bytes under the schema's prefix).
    "apps.media",
]
# Code-only apps (no tables of their own); listed once so every schema can use them.
LIBRARY_APPS = [
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "pgtrigger",
    "corsheaders",
    "apps.core",
    "apps.ops",
]

TENANT_TYPES = {
    "public": {
        "APPS": [
            # apps.tenancy first: its create_tenant and migrate_schemas commands take
            # precedence over django-tenants' own (Django prefers the earlier app).
            "apps.tenancy",
            "django_tenants",
            "django_celery_beat",
            "apps.identity",
            # The inference fleet's registry of model servers.
            "apps.inference",
            # The payment gateway sandboxes keep their state on the platform host.
            "apps.payments",
            # Every schema's ledger head, signed, outside the tenant's own tables.
            "apps.ledger.anchor",
            *PER_SCHEMA_APPS,
            *LIBRARY_APPS,
        ],
        "URLCONF": "config.urls.public",
    },
    "academy": {
        "APPS": [
            *PER_SCHEMA_APPS,
            *LIBRARY_APPS,
            "django.contrib.postgres",
            "apps.payments",
            "apps.academy",
            "apps.roster",
            "apps.portal",
        ],
        "URLCONF": "config.urls.academy",
        "BASE_SCHEMA": "template_academy",
    },
    "zone": {
        # apps.learning before apps.problems: seed_demo seeds the people first.
        "APPS": [*PER_SCHEMA_APPS, *LIBRARY_APPS, "apps.learning", "apps.problems", "apps.kzone"],
        "URLCONF": "config.urls.zone",
        "BASE_SCHEMA": "template_zone",
        # Seed 003's hosts per zone domain (apps.tenancy.host_roles); the bare domain keeps
        # URLCONF, which serves all of them on one host.
        "HOSTS": {
            "www": "config.urls.zone_www",
            "app": "config.urls.zone_app",
            "api": "config.urls.zone_api",
            "admin": "config.urls.zone_admin",
        },
    },
    "store": {
        "APPS": [*PER_SCHEMA_APPS, *LIBRARY_APPS, "apps.payments", "apps.stores"],
        "URLCONF": "config.urls.store",
        "BASE_SCHEMA": "template_store",
    },
    "club": {
        "APPS": [*PER_SCHEMA_APPS, *LIBRARY_APPS, "apps.wallet", "apps.club"],
        "URLCONF": "config.urls.club",
        "BASE_SCHEMA": "template_club",
    },
}

INSTALLED_APPS = list(dict.fromkeys(app for config in TENANT_TYPES.values() for app in config["APPS"]))
ROOT_URLCONF = "config.urls.public"

# ---------------------------------------------------------------------------- http
MIDDLEWARE = [
    # First, so that every response (health checks and tenant-less 404s included) has an
    # id and request.request_id exists for everything after it.
    "apps.core.request_id.RequestIdMiddleware",
    # /api/ answers errors in the JSON error body even when DEBUG shows Django's debug pages.
    "apps.core.api.errors.ApiErrorBodyMiddleware",
    # Next: times every request and writes its log line and HTTP metrics.
    "apps.ops.middleware.RequestObservabilityMiddleware",
    # Liveness/readiness and /metrics answer on any host, before a tenant is looked up.
    "apps.core.health.HealthCheckMiddleware",
    "apps.ops.middleware.MetricsEndpointMiddleware",
    # Headers every response gets, tenant or not.
    "django.middleware.security.SecurityMiddleware",
    "apps.core.security.SecurityHeadersMiddleware",
    "apps.core.security.CSPMiddleware",  # django-csp's, its usual policy built once
    # Static files are the same on every host: served before the tenant is looked up, so
    # they never touch the database.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.tenancy.middleware.TenantMiddleware",
    # After the tenant (an api. host allows its own tenant's app./www. origins:
    # apps.tenancy.host_roles.cors_allowed); answers preflights before sessions are read.
    "corsheaders.middleware.CorsMiddleware",
    "apps.ops.middleware.TenantLogContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the body (CSRF reads form posts, DRF parses JSON).
    "apps.core.security.BodySizeLimitMiddleware",
    # JSON nested deeper than JSON_MAX_DEPTH is refused before any parser recurses into it.
    "apps.core.security.JsonDepthMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication (the refusal is audited with the user) and locale (the 403 page
    # in the user's language); before any admin view.
    "apps.core.security.AdminAllowListMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Sign-up limits (sign-in limits are in the account adapter).
    "apps.core.ratelimit.RateLimitMiddleware",
    # After authentication: records the origin of the request for the audit log, and
    # every PermissionDenied a view raises.
    "apps.audit.request_context.AuditContextMiddleware",
    "apps.core.sentry.SentryTenantMiddleware",
]

# ---------------------------------------------------------------------------- security headers
# Every environment sends these; production adds HSTS and secure cookies (production.py).
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Pages keep no handle to other sites' windows, except popups they open themselves (a
# payment or social sign-in window may report back to its opener).
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin-allow-popups"
# Features no page uses are switched off for the page and every frame in it. Zone pages
# that record voice or video (K-Zone AI) will need camera/microphone=(self).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "usb": [],
}
# Content-Security-Policy (django-csp 4). Scripts only from this host, or inline with the
# request's nonce (`<script nonce="{{ request.csp_nonce }}">`); no inline event handlers.
# Inline styles stay allowed: the admin and Swagger UI set style attributes. Toss
# Payments' script, payment window and API are the only third parties.
_TOSS = "https://*.tosspayments.com"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE, _TOSS],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", _TOSS],
        "frame-src": ["'self'", _TOSS],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    },
}
# Request bodies: 2.5 MB for forms and JSON (Django's default, now enforced for the API too),
# 20 MB for multipart uploads (roster spreadsheets). apps.core.security.BodySizeLimitMiddleware.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
REQUEST_MAX_UPLOAD_SIZE = env.int("REQUEST_MAX_UPLOAD_SIZE", default=20 * 1024 * 1024)
# JSON nested deeper than this is refused (400) before parsing: HTTP bodies, websocket frames,
# webhooks (apps.core.jsondepth). Python's json parser recurses; 100,000 `[` is a RecursionError.
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=64)
# Optional allow-list for the admin (apps.core.security): CIDRs; empty = no restriction.
ADMIN_IP_ALLOWLIST = env.list("ADMIN_IP_ALLOWLIST", default=[])
ADMIN_PATHS = ["/admin/"]
# Hosts that serve nothing but the admin (e.g. admin.example.com): every path is checked.
ADMIN_HOSTS = env.list("ADMIN_HOSTS", default=[])
# CORS (django-cors-headers): no origin is allowed by these lists; a tenant's api. host
# allows its own app./www. hosts (apps.tenancy.host_roles.cors_allowed), for the API and
# the app-token sign-in only.
CORS_ALLOWED_ORIGINS: list[str] = []
CORS_URLS_REGEX = r"^/(api|_allauth)/"
CORS_ALLOW_HEADERS = (
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "x-csrftoken",
    "x-requested-with",
    "x-session-token",
)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(BASE_DIR / "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.tenancy.context_processors.tenant",
            ],
        },
    }
]

STATIC_URL = "/static/"
STATIC_ROOT = str(BASE_DIR / "var" / "staticfiles")
STATICFILES_DIRS = [str(BASE_DIR / "static")]
# Files browsers ask for at the root of every host (/favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = str(BASE_DIR / "static" / "root")
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
STORAGES = {
    # Each tenant's uploads live under a folder named after its schema.
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"

# ---------------------------------------------------------------------------- media storage
# apps/media: "local" keeps each tenant's media in MEDIA_ROOT/<schema>/ and serves presigned
# URLs itself (HMAC-signed, expiring: MEDIA_SIGNED_PATH); "s3" keeps them in an S3-compatible
# bucket (Cloudflare R2, Backblaze B2, MinIO, AWS) under MEDIA_S3_PREFIX/<schema>/, through
# django-storages and boto3, with S3's own presigned URLs. The default storage is the same one
# (FileFields, the frames an AI job reads): with S3, every process and machine sees one bucket.
MEDIA_STORAGE = env("MEDIA_STORAGE", default="local")
MEDIA_SIGNED_PATH = "/media/signed/"
MEDIA_SIGNING_KEY = env("MEDIA_SIGNING_KEY", default="")
# The ffprobe binary to probe uploads with; PyAV (the same libavformat) when it is missing.
MEDIA_FFPROBE = env("MEDIA_FFPROBE", default="")
# One S3 connection for media and for `backup --to s3://…` (each names its own bucket).
S3_CONNECTION = {
    "endpoint_url": env("S3_ENDPOINT_URL", default=None),
    "region_name": env("S3_REGION", default=None),
    "access_key": env("S3_ACCESS_KEY", default=None),
    "secret_key": env("S3_SECRET_KEY", default=None),
    "signature_version": "s3v4",
    "addressing_style": env("S3_ADDRESSING_STYLE", default="path"),
}
if MEDIA_STORAGE == "s3":
    STORAGES["media"] = {
        "BACKEND": "apps.media.storage.TenantS3Storage",
        "OPTIONS": {
            **S3_CONNECTION,
            "bucket_name": env("MEDIA_S3_BUCKET"),
            "location": env("MEDIA_S3_PREFIX", default="media"),
            "default_acl": None,
            "file_overwrite": True,
            "querystring_expire": 300,
        },
    }
else:
    STORAGES["media"] = {"BACKEND": "apps.media.storage.LocalMediaStorage"}
STORAGES["default"] = STORAGES["media"]
# Pages play media from this site (signed URLs, blob: for a take just recorded) and, with S3,
# PUT to and play from the bucket's endpoint: the browser must be allowed to reach it. The
# bucket itself must allow the PUT from the tenants' origins (its CORS rules; README).
MEDIA_S3_BROWSER_ORIGIN = env("MEDIA_S3_BROWSER_ORIGIN", default="")
if MEDIA_STORAGE == "s3" and not MEDIA_S3_BROWSER_ORIGIN and S3_CONNECTION["endpoint_url"]:
    from urllib.parse import urlsplit as _urlsplit

    _endpoint = _urlsplit(S3_CONNECTION["endpoint_url"])
    MEDIA_S3_BROWSER_ORIGIN = f"{_endpoint.scheme}://{_endpoint.netloc}"
CONTENT_SECURITY_POLICY["DIRECTIVES"]["media-src"] = ["'self'", "blob:"]
if MEDIA_S3_BROWSER_ORIGIN:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["media-src"].append(MEDIA_S3_BROWSER_ORIGIN)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"].append(MEDIA_S3_BROWSER_ORIGIN)
# Request bodies under these paths are streamed by their view (which enforces its own limit),
# not held to the body-size and JSON-depth checks meant for forms and JSON.
RAW_BODY_PATHS = [MEDIA_SIGNED_PATH]

ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

# ---------------------------------------------------------------------------- users
AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends with the permission side replaced by roles
# (apps.accounts.roles): one permission mechanism, no groups or per-user permissions.
AUTHENTICATION_BACKENDS = [
    "apps.accounts.backends.RoleModelBackend",
    "apps.accounts.backends.LoginBackend",
    # sign-in methods a vertical adds for its tenant type (apps.accounts.hooks)
    "apps.accounts.backends.TenantTypeBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
# Seed 003's rule: at least 8 characters with an upper-case and a lower-case letter, a
# digit and one of !@#$%^&*(),.?":{}|<> — plus Django's common-password list. Applied by
# sign-up, password change and reset (allauth, browser and app) and the admin's forms.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "apps.accounts.password_validation.CharacterClassesValidator"},
]
SESSION_COOKIE_NAME = "mc_session"
# Sessions (browser cookies and app tokens) are read from the cache, written through to the
# database. Cache keys carry the schema (KEY_FUNCTION), so a session stays in its tenant.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_NAME = "mc_csrftoken"

ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "apps.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "apps.accounts.adapters.SocialAccountAdapter"
HEADLESS_CLIENTS = ("app", "browser")
# One cache read per app request instead of two (apps/accounts/tokens.py).
HEADLESS_TOKEN_STRATEGY = "apps.accounts.tokens.OneReadSessionTokenStrategy"
HEADLESS_SERVE_SPECIFICATION = False
# Sign-in and sign-up limits are ours (RATE_LIMITS below: a lock after repeated failures,
# shared by every process, per schema); allauth's own login and signup limits are switched
# off so there is one rule, not two. allauth still applies `login_failed` to TOTP codes only
# (our adapter replaces its password check): 5 wrong codes a minute per user, and each wrong
# code also counts towards our account lock. Its other limits (password-reset and
# confirmation e-mails, reauthentication) stay at allauth's defaults.
ACCOUNT_RATE_LIMITS = {"login": None, "signup": None, "login_failed": "5/m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "apps.accounts.adapters.MFAAdapter"
# Accept the code of the previous and the next 30-second step too: phones drift.
MFA_TOTP_TOLERANCE = 1

# Proxies (CIDRs) whose X-Forwarded-For is believed when recording a client's address in
# the audit log; from anyone else the header is ignored.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])


def _social_providers() -> dict:
    """Kakao, Naver and Google are offered only when their client id is set."""
    providers = {}
    for name, scope in (
        ("kakao", ["profile_nickname", "account_email"]),
        ("naver", []),
        ("google", ["profile", "email"]),
    ):
        client_id = env(f"{name.upper()}_CLIENT_ID", default="")
        if client_id:
            providers[name] = {
                "APPS": [{"client_id": client_id, "secret": env(f"{name.upper()}_SECRET", default="")}],
                "SCOPE": scope,
            }
    return providers


SOCIALACCOUNT_PROVIDERS = _social_providers()
SOCIALACCOUNT_ONLY = False

# ---------------------------------------------------------------------------- rate limits
# apps/core/ratelimit.py: sliding windows in Redis shared by every process, keyed by schema.
# Rates are "<count>/<period>" with period s, min, hour or day (optionally "30s").
RATE_LIMITS = {
    "ENABLED": env.bool("RATE_LIMITS_ENABLED", default=True),
    # Failed sign-ins per account and per client address; reaching it locks for `lock` s.
    "login": {"rate": env("RATE_LIMIT_LOGIN", default="5/min"), "lock": env.int("RATE_LIMIT_LOGIN_LOCK", default=900)},
    "signup": env("RATE_LIMIT_SIGNUP", default="3/min"),  # per client address
    "api": env("RATE_LIMIT_API", default="100/min"),  # per user; anonymous per address
    "ai": env("RATE_LIMIT_AI", default="10/min"),  # AI endpoints (AI_THROTTLES)
    "ai_ip": env("RATE_LIMIT_AI_IP", default="50/min"),  # AI endpoints per address on zone sites
    "withdrawal": env("RATE_LIMIT_WITHDRAWAL", default="10/hour"),  # WITHDRAWAL_THROTTLES
}

# ---------------------------------------------------------------------------- personal data
# Fernet keys, newest first (apps/core/pii.py explains rotation), and the HMAC key of the
# blind indexes. The defaults are public development keys; production refuses them.
PII_ENCRYPTION_KEYS = env.list("PII_ENCRYPTION_KEYS", default=["bWVnYWNpdHktZGV2ZWxvcG1lbnQtb25seS1rZXktMzI="])
PII_BLIND_INDEX_KEY = env("PII_BLIND_INDEX_KEY", default="megacity-development-only-blind-index-key")
PII_BLIND_INDEX_PREVIOUS_KEY = env("PII_BLIND_INDEX_PREVIOUS_KEY", default="")

# ---------------------------------------------------------------------------- redis
REDIS_URL = env("REDIS_URL")
# One Redis; the cache, channel layer and broker keep to their own key prefixes.
REDIS_KEY_PREFIX = env("REDIS_KEY_PREFIX", default="mc")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_KEY_PREFIX,
        # Prefixes every key with the current schema, so tenants never share an entry.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            # Blocking: at the limit a request waits (up to 5 s) for a connection instead of
            # failing with MaxConnectionsError — every request reads the cache (its tenant's
            # host, its session), so 100 concurrent requests met redis-py's raising pool.
            "CONNECTION_POOL_CLASS": "redis.BlockingConnectionPool",
            "CONNECTION_POOL_KWARGS": {
                "max_connections": env.int("REDIS_CACHE_MAX_CONNECTIONS", default=50),
                "timeout": 5,
            },
            "SOCKET_CONNECT_TIMEOUT": 2,
            "SOCKET_TIMEOUT": 2,
        },
    }
}

# Channels. Capacity is per channel (one websocket); 100 (the default) drops messages
# for a slow client during a burst such as a whole class checking in, so allow 1000
# queued messages and expire undelivered ones after 30 s: live boards want fresh state,
# not a backlog. The pool is bounded explicitly: redis-py raises instead of waiting when
# a pool runs dry, and every ASGI process opens one pool per event loop.
# The read timeout must stay above channels-redis's 5 s BZPOPMIN wait: redis-py 8 times
# reads out after 5 s by default, which closed every websocket idle for a few seconds.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": REDIS_URL,
                    "max_connections": env.int("CHANNELS_REDIS_MAX_CONNECTIONS", default=200),
                    "socket_timeout": 30,
                    "socket_connect_timeout": 5,
                    "socket_keepalive": True,
                    "health_check_interval": 30,
                }
            ],
            "prefix": f"{REDIS_KEY_PREFIX}-asgi",
            "capacity": env.int("CHANNELS_CAPACITY", default=1000),
            "expiry": 30,
            "group_expiry": 86400,
        },
    }
}

# A server process's entry in the socket registry (apps.core.websocket) lives this many
# seconds past its last heartbeat (sent every third of it): a dead process's sockets stop
# counting against the limits within this time.
WEBSOCKET_PROCESS_TTL = env.float("WEBSOCKET_PROCESS_TTL", default=30.0)

# The club's live tables on their own layer, chosen by measurement (bench/club_layers, README
# "Club tables"): the pub/sub layer — one PUBLISH per group_send, Redis fanning it out to
# the subscribed processes — cost a third of the core layer's sender CPU per table message
# and a tenth per lobby digest, with table → last seat p95 in milliseconds where the core
# layer's backlog reached seconds. It has no backpressure and may lose messages while it
# reconnects: the club's sequence numbers and snapshots cover that (no other socket does, so
# the rest of the platform stays on the core layer). Its pool, on purpose: each process and
# event loop publishes on one connection (under the layer's lock) and listens on one, so
# 2 are in use and a pool of 8 never runs dry (redis-py raises when one does).
CHANNEL_LAYERS["club"] = {
    "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "CONFIG": {
        "hosts": [
            {
                "address": REDIS_URL,
                "max_connections": env.int("CLUB_CHANNELS_MAX_CONNECTIONS", default=8),
                "socket_connect_timeout": 5,
                "socket_keepalive": True,
                "health_check_interval": 30,
            }
        ],
        "prefix": f"{REDIS_KEY_PREFIX}-club",
    },
}

# Threads per server process for the sockets' handshakes (tenant, user, permission:
# apps.core.websocket.handshake_sync_to_async), apart from Channels' one database thread. Each
# holds a pooled database connection while it looks something up. bench/club, 300 sockets
# opening at once (under load): socket → first snapshot p50/p95 4.0/5.9 s with 2, 2.4/3.4 s
# with 4, 3.0/3.6 s with 8.
WEBSOCKET_HANDSHAKE_THREADS = env.int("WEBSOCKET_HANDSHAKE_THREADS", default=4)

# What one websocket may do (apps.core.websocket, README "Security"): messages per second
# per socket (a burst of `burst` is allowed, then the socket is closed 4429), sockets per
# user and tenant (seed 004: 3; a fourth closes the oldest with 4409), frame size (1009)
# and JSON nesting of a frame (an error reply, like HTTP's 400).
WEBSOCKET_LIMITS = {
    "messages_per_second": env.float("WEBSOCKET_MESSAGES_PER_SECOND", default=10.0),
    "burst": env.int("WEBSOCKET_MESSAGE_BURST", default=20),
    "connections_per_user": env.int("WEBSOCKET_CONNECTIONS_PER_USER", default=3),
    # seed 004: 600 per server process (apps.core.websocket's registry in Redis)
    "connections_per_process": env.int("WEBSOCKET_CONNECTIONS_PER_PROCESS", default=600),
    "max_frame_bytes": env.int("WEBSOCKET_MAX_FRAME_BYTES", default=65536),
    "max_json_depth": env.int("WEBSOCKET_MAX_JSON_DEPTH", default=32),
}

# The club's live tables (apps.club; README "Club tables"). The driver (clocks, next
# hand, lobby digest) runs inside every ASGI process; a Redis lease per table makes exactly
# one of them drive each table, and another takes over CLUB_LEASE_SECONDS after it dies.
CLUB_DRIVER_IN_PROCESS = env.bool("CLUB_DRIVER_IN_PROCESS", default=True)
CLUB_DRIVER_INTERVAL = env.float("CLUB_DRIVER_INTERVAL", default=0.25)
CLUB_LEASE_SECONDS = env.float("CLUB_LEASE_SECONDS", default=5.0)
# Threads per process booking finished hands (apps.club.live's write-behind): bookings of one
# club queue for its books lock anyway; each holds a pooled database connection while it runs.
CLUB_BOOKING_THREADS = env.int("CLUB_BOOKING_THREADS", default=2)
# Threads per process for the players' table actions (apps.club.consumers): apart from the
# shared pool that the sockets' handshakes use. An action is Redis work, no database.
CLUB_ACTION_THREADS = env.int("CLUB_ACTION_THREADS", default=4)
# The event loop's lag sampled into Redis (apps.club.driver.probe_lag; bench/club sets it).
CLUB_LOOP_LAG_PROBE = env.bool("CLUB_LOOP_LAG_PROBE", default=False)
CLUB_AUTO_DEAL = env.bool("CLUB_AUTO_DEAL", default=True)
CLUB_NEXT_HAND_DELAY = env.float("CLUB_NEXT_HAND_DELAY", default=3.0)
CLUB_MISSED_HANDS_LIMIT = env.int("CLUB_MISSED_HANDS_LIMIT", default=3)
CLUB_HEARTBEAT_SECONDS = env.float("CLUB_HEARTBEAT_SECONDS", default=60.0)  # seed 004
CLUB_ARCHIVE_AFTER_DAYS = env.float("CLUB_ARCHIVE_AFTER_DAYS", default=7.0)
CLUB_ARCHIVE_BATCH = env.int("CLUB_ARCHIVE_BATCH", default=1000)  # hands per compressed batch
# The time bank beside each turn's action clock (README "Club tables"): a player sits down
# with CLUB_TIME_BANK_SECONDS; it is spent only once a turn's clock has run out, and
# refills by CLUB_TIME_BANK_REFILL_SECONDS every CLUB_TIME_BANK_REFILL_HANDS hands the
# player is dealt into, up to CLUB_TIME_BANK_MAX_SECONDS.
CLUB_TIME_BANK_SECONDS = env.float("CLUB_TIME_BANK_SECONDS", default=30.0)
CLUB_TIME_BANK_REFILL_SECONDS = env.float("CLUB_TIME_BANK_REFILL_SECONDS", default=10.0)
CLUB_TIME_BANK_REFILL_HANDS = env.int("CLUB_TIME_BANK_REFILL_HANDS", default=10)
CLUB_TIME_BANK_MAX_SECONDS = env.float("CLUB_TIME_BANK_MAX_SECONDS", default=60.0)

# ---------------------------------------------------------------------------- celery
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# A task is acknowledged only after it ran, and goes back to the queue if its worker
# dies: every task must therefore be idempotent (it may run twice).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Shutdown. SIGTERM alone is Celery's warm shutdown: it waits for running tasks however
# long they take, and a container killed meanwhile leaves its messages unacked until
# Redis's visibility timeout (2 h). With REMAP_SIGTERM=SIGQUIT (set for the containers),
# SIGTERM is a soft shutdown instead: running tasks get this many seconds to finish, the
# rest are cancelled and go straight back to the queue (acks_late; tasks are idempotent).
# Keep it below the orchestrator's grace period (compose: stop_grace_period 30 s).
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env.float("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", default=20.0)
# The soft limit raises inside the task so it can clean up; the hard one kills it.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in (
        "default",
        "notifications",
        "imports",
        "reports",
        "crawl",
        "settlement",
        "gpu.llm",
        "gpu.stt",
        "gpu.pose",
        "gpu.embed",
    )
]
# Each task declares its queue where it is defined (`@shared_task(queue_name="imports")`);
# this router reads it (apps.core.tasks). Consumed by dev.py up and docker/ (tested).
CELERY_TASK_ROUTES = ["apps.core.tasks.route_to_declared_queue"]
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Broker priorities (0 first): urgent notifications overtake marketing batches.
    "priority_steps": list(range(10)),
    "sep": ":",
    "queue_order_strategy": "priority",
    # Must exceed the longest task (hard limit), or Redis re-delivers a task that is
    # still running to a second worker.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 3600),
    "global_keyprefix": env("CELERY_KEY_PREFIX", default=""),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BEAT_SCHEDULER = "apps.tenancy.beat:TenantTypeAwareScheduler"
CELERY_BEAT_SCHEDULE: dict = {
    # Every tenant records that its scheduled jobs reach it (see apps.core.tasks).
    "tenant-heartbeat": {
        "task": "apps.core.tasks.tenant_heartbeat",
        "schedule": 300.0,
        "options": {"headers": {"_tenant_types": ["academy", "zone", "store", "club"]}},
    },
    # Ledger events appended deferred (a CAT answer) are sealed into the chain on commit;
    # this seals those whose process stopped in between (apps.ledger.services.seal).
    "ledger-seal-pending": {
        "task": "apps.ledger.tasks.seal_pending",
        "schedule": 60.0,
        "options": {"headers": {"_tenant_types": ["academy", "zone", "store", "club"]}},
    },
    # Presigned uploads never confirmed: their rows and incoming bytes (apps/media).
    "media-expire-pending": {
        "task": "apps.media.tasks.expire_pending_uploads",
        "schedule": 3600.0,
        "options": {"headers": {"_tenant_types": ["academy", "zone", "store", "club"]}},
    },
    "academy-daily": {
        "task": "apps.academy.tasks.daily",
        "schedule": crontab(hour=6, minute=0),
        "options": {"headers": {"_tenant_types": ["academy"]}},
    },
    "payments-reconcile": {
        "task": "apps.payments.tasks.reconcile_pending",
        "schedule": 600.0,
        "options": {"headers": {"_tenant_types": ["academy", "store"]}},
    },
    # Every schema dumped at 03:15 Seoul time (CELERY_TIMEZONE), then backups older than
    # BACKUP_RETENTION_DAYS pruned. Runs once, in the public schema, on the reports queue.
    "backups-daily": {
        "task": "apps.ops.tasks.report_backups",
        "schedule": crontab(hour=3, minute=15),
    },
    # Store review helper (seed 002): reports at 09:00 Seoul, the weekly analysis on
    # Mondays, Google reviews hourly, alerts held by quiet hours every five minutes.
    # Audit entries older than AUDIT_RETENTION_DAYS exported, then removed (apps.audit.retention):
    # once, from the public schema, for every schema, after the backups.
    "audit-retention": {
        "task": "apps.audit.tasks.prune_audit_log",
        "schedule": crontab(hour=4, minute=30),
    },
    "stores-daily-report": {
        "task": "apps.stores.tasks.report_daily",
        "schedule": crontab(hour=9, minute=0),
        "options": {"headers": {"_tenant_types": ["store"]}},
    },
    "stores-weekly-analysis": {
        "task": "apps.stores.tasks.report_weekly",
        "schedule": crontab(hour=9, minute=0, day_of_week=1),
        "options": {"headers": {"_tenant_types": ["store"]}},
    },
    "stores-crawl-hourly": {
        "task": "apps.stores.tasks.crawl_all",
        "schedule": crontab(minute=7),
        "options": {"headers": {"_tenant_types": ["store"]}},
    },
    "stores-due-alerts": {
        "task": "apps.stores.tasks.send_due_alerts",
        "schedule": 300.0,
        "options": {"headers": {"_tenant_types": ["store"]}},
    },
    # Seed 004's beat schedule (Asia/Seoul): club statistics at 03:00, rakeback Mondays 04:00.
    "wallet-daily-stats": {
        "task": "apps.wallet.tasks.daily_stats",
        "schedule": crontab(hour=3, minute=0),
        "options": {"headers": {"_tenant_types": ["club"]}},
    },
    "wallet-weekly-rakeback": {
        "task": "apps.wallet.tasks.weekly_rakeback",
        "schedule": crontab(hour=4, minute=0, day_of_week=1),
        "options": {"headers": {"_tenant_types": ["club"]}},
    },
    "wallet-withdrawals": {
        "task": "apps.wallet.tasks.send_due_withdrawals",
        "schedule": 300.0,
        "options": {"headers": {"_tenant_types": ["club"]}},
    },
    # Hands finished more than CLUB_ARCHIVE_AFTER_DAYS ago into msgpack + gzip batches
    # (seed 004: recent days in PostgreSQL, older compressed), nightly in every club.
    "club-archive-hands": {
        "task": "apps.club.tasks.archive_hands",
        "schedule": crontab(hour=5, minute=0),
        "options": {"headers": {"_tenant_types": ["club"]}},
    },
    "wallet-verify": {
        "task": "apps.wallet.tasks.verify",
        "schedule": 3600.0,
        "options": {"headers": {"_tenant_types": ["club"]}},
    },
    # Probes every model server of the fleet (public schema) and records its health.
    "inference-probe": {
        "task": "apps.inference.tasks.probe_servers",
        "schedule": 30.0,
    },
    "academy-vindex-nightly": {
        "task": "apps.academy.tasks.recompute_all_vindex",
        "schedule": crontab(hour=2, minute=30),
        "options": {"headers": {"_tenant_types": ["academy"]}},
    },
}

# ---------------------------------------------------------------------------- stores
# Google Business Profile API (the loopback sandbox in tests: apps/stores/sandbox/google.py).
STORES_GOOGLE_API_BASE = env("STORES_GOOGLE_API_BASE", default="https://mybusiness.googleapis.com")
# Requests per minute to each platform, for all tenants together.
STORES_RATE_PER_MINUTE = {"google": env.int("STORES_GOOGLE_RATE_PER_MINUTE", default=60)}
# Kill switch from the environment (also at run time: manage.py stores_platform off google).
STORES_DISABLED_PLATFORMS = env.list("STORES_DISABLED_PLATFORMS", default=[])
# ---------------------------------------------------------------------------- inference fleet
# apps/inference (README "Inference fleet"). Servers are registered in the operator admin
# or declared here as a JSON list (apps/inference/fleet.py shows the format).
INFERENCE = {
    "SERVERS": env("INFERENCE_SERVERS", default=""),
    # (connect, read) seconds per kind; the read timeout is per chunk when streaming.
    "TIMEOUTS": {
        "llm": (env.float("INFERENCE_CONNECT_TIMEOUT", default=3.0), env.float("INFERENCE_LLM_TIMEOUT", default=60.0)),
        "stt": (env.float("INFERENCE_CONNECT_TIMEOUT", default=3.0), env.float("INFERENCE_STT_TIMEOUT", default=120.0)),
        "pose": (
            env.float("INFERENCE_CONNECT_TIMEOUT", default=3.0),
            env.float("INFERENCE_POSE_TIMEOUT", default=120.0),
        ),
        "embedding": (
            env.float("INFERENCE_CONNECT_TIMEOUT", default=3.0),
            env.float("INFERENCE_EMBEDDING_TIMEOUT", default=15.0),
        ),
    },
    "PROBE_TIMEOUT": env.float("INFERENCE_PROBE_TIMEOUT", default=5.0),
    # Tries per server (tenacity: exponential backoff from BACKOFF s, with jitter, at most BACKOFF_MAX).
    "ATTEMPTS": env.int("INFERENCE_ATTEMPTS", default=3),
    "BACKOFF": env.float("INFERENCE_BACKOFF", default=0.5),
    "BACKOFF_MAX": env.float("INFERENCE_BACKOFF_MAX", default=8.0),
    # Consecutive failures that open a server's breaker, and how long it stays open.
    "BREAKER_THRESHOLD": env.int("INFERENCE_BREAKER_THRESHOLD", default=5),
    "BREAKER_COOLDOWN": env.float("INFERENCE_BREAKER_COOLDOWN", default=30.0),
    # Jobs a tenant runs at once unless its plan says otherwise (Plan.limits["ai_jobs"]).
    "TENANT_CONCURRENCY": env.int("INFERENCE_TENANT_CONCURRENCY", default=4),
    # A slot lease outlives the longest job (the hard time limit); a dead worker's expires.
    "LEASE_SECONDS": env.int("INFERENCE_LEASE_SECONDS", default=900),
    # How long a job waits in its worker for a free server slot before going back to the queue.
    "SLOT_WAIT": env.float("INFERENCE_SLOT_WAIT", default=20.0),
    "REQUEUE_SECONDS": env.float("INFERENCE_REQUEUE_SECONDS", default=2.0),
    # The local pose server (.venv-pose, started by dev.py up): the pose kind's CPU default.
    "POSE_CPU_URL": env("INFERENCE_POSE_CPU_URL", default=""),
}

# ---------------------------------------------------------------------------- backups
# `manage.py backup` / `restore` and the daily schedule (apps/ops/backups.py). "local"
# keeps the files in BACKUP_DIR; "s3" in an S3-compatible bucket through django-storages
# (boto3 is in requirements/production.txt).
BACKUP_STORAGE = env("BACKUP_STORAGE", default="local")
BACKUP_DIR = env("BACKUP_DIR", default=str(BASE_DIR / "var" / "backups"))
BACKUP_RETENTION_DAYS = env.int("BACKUP_RETENTION_DAYS", default=30)
# Audit entries older than this are exported (gzip CSV in the backups storage) and removed by
# `manage.py prune_audit_log --all` (apps.audit.retention). Two years: Korea's rule for access
# records of personal data systems (at least one year, two for large ones).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=730)
# Where pg_dump / pg_restore live, if not on PATH (or older than the server there).
PG_BIN_DIR = env("PG_BIN_DIR", default="")
if BACKUP_STORAGE == "s3":
    STORAGES["backups"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("BACKUP_S3_BUCKET"),
            "location": env("BACKUP_S3_PREFIX", default="megacity-backups"),
            "endpoint_url": env("BACKUP_S3_ENDPOINT_URL", default=S3_CONNECTION["endpoint_url"]),
            "region_name": env("BACKUP_S3_REGION", default=S3_CONNECTION["region_name"]),
            "access_key": env("BACKUP_S3_ACCESS_KEY", default=S3_CONNECTION["access_key"]),
            "secret_key": env("BACKUP_S3_SECRET_KEY", default=S3_CONNECTION["secret_key"]),
            "default_acl": "private",
            "file_overwrite": False,
        },
    }
else:
    STORAGES["backups"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": BACKUP_DIR, "base_url": None, "file_permissions_mode": 0o600},
    }

# ---------------------------------------------------------------------------- api
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.SessionTokenAuthentication",
        "apps.accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.Pagination",
    # Filtering, search and ordering where a list view declares them (apps.core.api.filters).
    "DEFAULT_FILTER_BACKENDS": [
        "apps.core.api.filters.FilterBackend",
        "apps.core.api.filters.DeclaredSearchFilter",
        "apps.core.api.filters.DeclaredOrderingFilter",
    ],
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "apps.core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["apps.core.ratelimit.ApiRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MegaCity API",
    "DESCRIPTION": "Per-tenant API. Each tenant host serves the endpoints of its own type.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name (status, kind, language) get these names instead of
    # drf-spectacular's hashed ones (StatusB4eEnum…), which move whenever a choice set changes.
    "ENUM_NAME_OVERRIDES": {
        "ConsultationStatusEnum": "apps.academy.models.Consultation.Status",
        "StudentStatusEnum": "apps.academy.models.Student.Status",
        "PaymentMethodEnum": "apps.academy.models.Payment.Method",
        "ProblemKindEnum": "apps.problems.models.Problem.Kind",
        "ProblemStatusEnum": "apps.problems.models.Problem.Status",
        "JobStatusEnum": "apps.inference.models.JobStatus",
        "ContentLanguageEnum": "apps.kzone.models.Language",
        "TableStatusEnum": "apps.club.models.Table.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.postprocess",
    ],
}

# ---------------------------------------------------------------------------- sandboxes and notifications
# Loopback sandboxes of external providers (Kakao via SENS, Telegram, payment gateways),
# served on the platform host under /_sandbox/. Never in production.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=False)
SANDBOX_SENS_SECRET = env("SANDBOX_SENS_SECRET", default="sandbox-sens-secret")
SANDBOX_TELEGRAM_TOKEN = env("SANDBOX_TELEGRAM_TOKEN", default="123456:sandbox-telegram-token")
SANDBOX_TOSS_SECRET_KEY = env("SANDBOX_TOSS_SECRET_KEY", default="test_sk_sandbox")
SANDBOX_PAYSSAM_API_KEY = env("SANDBOX_PAYSSAM_API_KEY", default="sandbox-payssam-key")
SANDBOX_GATEWAY_KEY = env("SANDBOX_GATEWAY_KEY", default="sandbox-gateway-key")
SANDBOX_GATEWAY_SECRET = env("SANDBOX_GATEWAY_SECRET", default="sandbox-gateway-secret")
# Club wallet cashier (apps/wallet): the crypto gateway (NOWPayments' API and IPN) and the
# KRW exchange rates (Upbit's ticker, Bithumb's as fallback); sandboxes in development.
WALLET_GATEWAY_URL = env("WALLET_GATEWAY_URL", default="http://localhost:8000/_sandbox/wallet/nowpayments")
WALLET_GATEWAY_API_KEY = env("WALLET_GATEWAY_API_KEY", default="sandbox-nowpayments-key")
WALLET_GATEWAY_IPN_SECRET = env("WALLET_GATEWAY_IPN_SECRET", default="sandbox-nowpayments-ipn-secret")
WALLET_RATE_URLS = env.list(
    "WALLET_RATE_URLS",
    default=["http://localhost:8000/_sandbox/wallet/upbit", "http://localhost:8000/_sandbox/wallet/bithumb"],
)
WALLET_RATE_CACHE_SECONDS = env.int("WALLET_RATE_CACHE_SECONDS", default=60)
WALLET_RATE_MAX_AGE_SECONDS = env.int("WALLET_RATE_MAX_AGE_SECONDS", default=300)
WALLET_CONFIRMATIONS = {"BTC": 3, "ETH": 12, "USDT": 12, "USDC": 12}
WALLET_WITHDRAWAL_MIN = env.int("WALLET_WITHDRAWAL_MIN", default=10_000)
WALLET_WITHDRAWAL_HOLD_HOURS = env.int("WALLET_WITHDRAWAL_HOLD_HOURS", default=24)
WALLET_WITHDRAWAL_AUTO_MAX = env.int("WALLET_WITHDRAWAL_AUTO_MAX", default=1_000_000)
WALLET_WITHDRAWAL_TWO_CASHIERS_ABOVE = env.int("WALLET_WITHDRAWAL_TWO_CASHIERS_ABOVE", default=10_000_000)
WALLET_WITHDRAWALS_PER_HOUR = env.int("WALLET_WITHDRAWALS_PER_HOUR", default=10)
# How a tenant's own address is written in links and gateway callbacks.
TENANT_URL_TEMPLATE = env("TENANT_URL_TEMPLATE", default="https://{domain}")
# With no provider configured for a recipient, log the message (development) or skip it.
NOTIFICATIONS_CONSOLE_FALLBACK = env.bool("NOTIFICATIONS_CONSOLE_FALLBACK", default=False)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.float("NOTIFICATIONS_RETRY_BASE_SECONDS", default=5.0)

# ---------------------------------------------------------------------------- observability
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="development")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)

# Structured logs (apps/ops/logs.py): JSON lines on stderr, or a readable console format
# for development (LOG_FORMAT=console). Django, Celery and uvicorn log through it too.
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = configure_logging(json=LOG_FORMAT != "console", level=LOG_LEVEL)
# Celery keeps its hands off the root logger, so workers log through the same config.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Prometheus (apps/ops/metrics.py): `/metrics` on every host with
# `Authorization: Bearer $METRICS_TOKEN`; no token, no endpoint.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# Shared by the processes of one machine (web workers, Celery workers); emptied by
# whatever starts them. Unset: each process keeps its metrics in memory.
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR", default="")
# A worker that does not share that directory with a web process serves its own metrics.
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)

if SENTRY_DSN:
    from apps.core.sentry import init_sentry

    init_sentry(SENTRY_DSN, SENTRY_ENVIRONMENT, SENTRY_TRACES_SAMPLE_RATE)
