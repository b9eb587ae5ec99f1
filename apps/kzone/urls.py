from django.urls import path

from . import views

app_name = "kzone"
urlpatterns = [
    path("", views.hub, name="hub"),
    path("voice/<int:pk>/", views.voice_page, name="voice"),
    path("drama/<int:pk>/", views.drama_page, name="drama"),
    path("dance/<int:pk>/", views.dance_page, name="dance"),
    path("takes/<int:pk>/", views.take_page, name="take"),
    path("takes/<int:pk>/overlay/<int:n>.png", views.overlay, name="overlay"),
]
