from django.urls import path

from apps.problems.consumers import SubmissionsConsumer

from .common import websocket_urlpatterns as common

websocket_urlpatterns = [*common, path("ws/problems/", SubmissionsConsumer.as_asgi())]
