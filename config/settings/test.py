"""Tests: the real PostgreSQL and Redis from DATABASE_URL / REDIS_URL (`python dev.py test`
starts embedded ones when those are unset)."""

import os
import shutil

from .base import *  # noqa: F403
from .base import CHANNEL_LAYERS, DATABASES, REDIS_KEY_PREFIX, env, web_threads

DEBUG = False
SECRET_KEY = "test-only-key-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PLATFORM_HOSTS = ["localhost", "testserver"]

# Several checkouts may test against one PostgreSQL and one Redis at the same time (and
# a running dev platform may share them): keep the test database, queues, cache keys
# and channel groups apart by the database name.
_TEST_NAME = f"test_{DATABASES['default']['NAME']}"
DATABASES["default"]["TEST"] = {"NAME": _TEST_NAME}
# The test process itself connects without a pool (pytest-django swaps databases under it);
# the servers and workers a test starts (tests/processes.py) connect as deployed: pooled.
if not env.bool("TEST_DB_AS_DEPLOYED", default=False):
    DATABASES["default"].get("OPTIONS", {}).pop("pool", None)
# A server process started by a test connects to the test database directly; it is
# given the test run's prefix so both sides share queues and channel groups.
REDIS_KEY_PREFIX = env("TEST_REDIS_KEY_PREFIX", default=f"{REDIS_KEY_PREFIX}-{_TEST_NAME}")
CACHES["default"]["KEY_PREFIX"] = REDIS_KEY_PREFIX  # noqa: F405
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{REDIS_KEY_PREFIX}-asgi"
CHANNEL_LAYERS["club"]["CONFIG"]["prefix"] = f"{REDIS_KEY_PREFIX}-club"
CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = f"{REDIS_KEY_PREFIX}-celery:"  # noqa: F405
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_KEY_PREFIX}-celery:"}

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "test-media"))  # noqa: F405
WHITENOISE_USE_FINDERS = True
# Nothing is collected outside production; WhiteNoise serves from the finders.
STATIC_ROOT = None
SANDBOX_ENABLED = True
# Tests drive the club's clocks and deals themselves (apps.club.live.tick, start_hand with
# scripted decks); a server process a test starts turns the driver on in its environment.
CLUB_DRIVER_IN_PROCESS = env.bool("CLUB_DRIVER_IN_PROCESS", default=False)
NOTIFICATIONS_CONSOLE_FALLBACK = True
NOTIFICATIONS_RETRY_BASE_SECONDS = 0.2

# Metrics in multi-process mode, as in production: the test process, the Celery worker
# and the uvicorn it starts (which inherit this environment) share one directory. The
# process that sets the variable first (the test run) empties the directory.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _metrics_dir = BASE_DIR / "var" / "test-metrics" / _TEST_NAME  # noqa: F405
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_dir)
PROMETHEUS_MULTIPROC_DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"]
METRICS_TOKEN = "test-metrics-token"

# Backups go to a folder of the test run (shared with the worker it starts).
if not os.environ.get("BACKUP_DIR"):
    os.environ["BACKUP_DIR"] = str(BASE_DIR / "var" / "test-backups" / _TEST_NAME)  # noqa: F405
BACKUP_DIR = os.environ["BACKUP_DIR"]
STORAGES["backups"]["OPTIONS"]["location"] = BACKUP_DIR  # noqa: F405

# The inference fleet against the sandbox fleet: quick retries, a breaker that opens after 3
# failures, short timeouts so a hanging server costs the tests seconds, not minutes.
INFERENCE.update(  # noqa: F405
    {
        "BACKOFF": 0.05,
        "BACKOFF_MAX": 0.2,
        "BREAKER_THRESHOLD": 3,
        "BREAKER_COOLDOWN": 60.0,
        "REQUEUE_SECONDS": 0.3,
        "SLOT_WAIT": 5.0,
        "PROBE_TIMEOUT": 2.0,
        # pose: the real MediaPipe server (no sandbox), 30 frames a batch: on a loaded 2-core
        # machine a batch took over 5 s and the dance test's take failed on timeouts.
        "TIMEOUTS": {"llm": (1.0, 2.0), "stt": (1.0, 5.0), "pose": (1.0, 60.0), "embedding": (1.0, 2.0)},
    }
)

# A test worker that must take back a killed worker's task sooner than Redis' usual sweep
# (about 100 s) is started with these set (tests/inference, redelivery).
if env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=0):
    CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_interval"] = env.int("CELERY_UNACKED_RESTORE_INTERVAL")  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_throttle"] = 1  # noqa: F405

# The loopback sandboxes (payment gateways, the crypto gateway and its exchange rates) are
# served by this same web process: a deposit through one is three requests in flight at once
# (the caller's, the sandbox's webhook, the app's rate look-up), which two threads deadlock.
WEB_THREADS = web_threads(8)
