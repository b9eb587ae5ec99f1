from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("problems", views.ProblemViewSet, basename="problems-problem")
router.register("submissions", views.SubmissionViewSet, basename="problems-submission")
router.register("progress", views.ProgressViewSet, basename="problems-progress")

urlpatterns = router.urls
