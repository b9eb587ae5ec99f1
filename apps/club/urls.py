from django.urls import path

from . import views

urlpatterns = [
    path("", views.lobby, name="club-lobby"),
    path("table/<int:table_id>/", views.table, name="club-table"),
    path("hands/", views.hands, name="club-hands"),
    path("hands/<int:hand_id>/phh/", views.hand_phh, name="club-hand-phh"),
]
