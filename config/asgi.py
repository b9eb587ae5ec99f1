"""The ASGI application: Django for HTTP, Channels for websockets, both per tenant."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup(set_prefix=False)  # what django.core.asgi.get_asgi_application() does first

from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

from apps.core.asgi import LaneASGIHandler  # noqa: E402

# Django's ASGI handler with the chain in sync mode and WEB_THREADS threads per process
# (apps/core/asgi.py; chosen by bench/load). WEB_THREADS=0: Django's own handler, a new
# thread per request, kept to compare against.
django_asgi_app = (
    LaneASGIHandler(
        threads=settings.WEB_THREADS, probe=settings.REQUEST_PHASE_PROBE, phase_log=settings.REQUEST_PHASE_LOG
    )
    if settings.WEB_THREADS
    else ASGIHandler()
)

from channels.routing import ProtocolTypeRouter  # noqa: E402

from apps.core.websocket import TenantURLRouter, TenantWebsocketMiddleware  # noqa: E402
from apps.ops import shutdown  # noqa: E402

# On SIGTERM, websockets are closed with 1001 (going away) before uvicorn's own shutdown.
shutdown.install()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": TenantWebsocketMiddleware(TenantURLRouter()),
    }
)

from apps.ops.gil import apply_switch_interval  # noqa: E402
from apps.ops.heap import apply_gc_threshold, freeze_after_startup  # noqa: E402

# Everything loaded so far lives as long as the process: out of the collector's full passes,
# which otherwise stopped the event loop for half a second; and a full pass after 100 middle
# ones rather than 10, for what the sockets and hands make later (apps/ops/heap.py).
freeze_after_startup()
apply_gc_threshold()
# GIL_SWITCH_INTERVAL, when set: how soon threads back from Redis or the database get the
# GIL back (apps/ops/gil.py).
apply_switch_interval()
