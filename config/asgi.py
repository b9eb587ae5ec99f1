"""The ASGI application: Django for HTTP, Channels for websockets, both per tenant."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django_asgi_app = get_asgi_application()

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
