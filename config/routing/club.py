from django.urls import path

from apps.club.consumers import LobbySocket, TableSocket

from .common import websocket_urlpatterns as common

websocket_urlpatterns = [
    *common,
    path("ws/club/lobby/", LobbySocket.as_asgi()),
    path("ws/club/table/<int:table_id>/", TableSocket.as_asgi()),
]
