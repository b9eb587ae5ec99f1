from django.urls import path

from apps.academy.consumers import AttendanceBoardConsumer, InvoiceRunConsumer
from apps.roster.consumers import ImportProgressConsumer

from .common import websocket_urlpatterns as common

websocket_urlpatterns = [
    *common,
    path("ws/academy/attendance/", AttendanceBoardConsumer.as_asgi()),
    path("ws/academy/attendance/<int:class_id>/", AttendanceBoardConsumer.as_asgi()),
    path("ws/academy/imports/<int:job_id>/", ImportProgressConsumer.as_asgi()),
    path("ws/academy/invoicing/<int:run_id>/", InvoiceRunConsumer.as_asgi()),
]
