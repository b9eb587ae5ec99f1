"""The zone's web app (app. host; /learn/ on a single development host)."""

from django.urls import path

from . import views

app_name = "learning"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
