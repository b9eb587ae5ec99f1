"""The zone's web app (app. host; /learn/ on a single development host)."""

from django.urls import path

from . import views

app_name = "learning"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("exams/<int:pk>/start/", views.start_exam, name="start"),
    path("attempts/<int:pk>/", views.attempt_page, name="attempt"),
    path("attempts/<int:pk>/answer/", views.answer, name="answer"),
    path("attempts/<int:pk>/submit/", views.submit, name="submit"),
    path("attempts/<int:pk>/report/", views.report, name="report"),
    path("teach/items/", views.items_page, name="items"),
    path("teach/items/new/", views.item_new, name="item-new"),
    path("teach/items/<int:pk>/", views.item_edit, name="item"),
    path("teach/exams/", views.exams_page, name="exams"),
    path("teach/exams/new/", views.exam_new, name="exam-new"),
    path("teach/exams/<int:pk>/", views.exam_results, name="exam-results"),
    path("teach/exams/<int:pk>/edit/", views.exam_edit, name="exam-edit"),
    path("teach/exams/<int:pk>/publish/", views.exam_status, {"action": "publish"}, name="exam-publish"),
    path("teach/exams/<int:pk>/close/", views.exam_status, {"action": "close"}, name="exam-close"),
    path("teach/classes/", views.classes_page, name="classes"),
    path("teach/classes/<int:pk>/", views.class_page, name="class"),
    path("teach/rooms/", views.rooms_page, name="rooms"),
    path("teach/rooms/<int:pk>/", views.room_page, name="room"),
    path("rooms/<int:pk>/join/", views.join_room, name="join-room"),
]
