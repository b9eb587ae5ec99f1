from django.urls import path

from apps.core.consumers import PingConsumer
from apps.inference.consumers import InferenceJobsConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
    path("ws/inference/", InferenceJobsConsumer.as_asgi()),
]
