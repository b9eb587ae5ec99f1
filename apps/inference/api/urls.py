from rest_framework.routers import SimpleRouter

from .views import InferenceJobViewSet

router = SimpleRouter()
router.register("inference/jobs", InferenceJobViewSet, basename="inference-job")
urlpatterns = router.urls
