from django.urls import path
from rest_framework.routers import SimpleRouter

from . import analytics, exams, people, rooms

router = SimpleRouter()
router.register("organisations", people.OrganisationViewSet, basename="learning-organisation")
router.register("classes", people.ClassViewSet, basename="learning-class")
router.register("students", people.StudentViewSet, basename="learning-student")
router.register("links", people.LinkViewSet, basename="learning-link")
router.register("items", exams.ItemViewSet, basename="learning-item")
router.register("exams", exams.ExamViewSet, basename="learning-exam")
router.register("attempts", exams.AttemptViewSet, basename="learning-attempt")
router.register("rooms", rooms.RoomViewSet, basename="learning-room")

urlpatterns = [
    *router.urls,
    path("analytics/dashboard/", analytics.dashboard, name="learning-dashboard"),
    path("leaderboards/", analytics.leaderboard, name="learning-leaderboard"),
]
