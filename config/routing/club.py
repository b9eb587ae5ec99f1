from .common import websocket_urlpatterns as common

websocket_urlpatterns = [*common]
