from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.inbox, name="sandbox-inbox"),
    path("notifications/<str:name>/_control", views.control, name="sandbox-control"),
    path("sens/alimtalk/v2/services/<str:service_id>/messages", views.sens_messages, name="sandbox-sens"),
    path("telegram/bot<str:token>/sendMessage", views.telegram_send, name="sandbox-telegram"),
]
