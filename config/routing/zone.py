from django.urls import path

from apps.kzone.consumers import TakesConsumer
from apps.learning.consumers import RoomConsumer
from apps.problems.consumers import SubmissionsConsumer

from .common import websocket_urlpatterns as common

websocket_urlpatterns = [
    *common,
    path("ws/learning/rooms/<int:room_id>/", RoomConsumer.as_asgi()),
    path("ws/problems/", SubmissionsConsumer.as_asgi()),
    path("ws/kzone/", TakesConsumer.as_asgi()),
]
