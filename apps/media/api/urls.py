from rest_framework.routers import SimpleRouter

from .views import MediaObjectViewSet, UploadViewSet

router = SimpleRouter()
router.register("media/uploads", UploadViewSet, basename="media-upload")
router.register("media/objects", MediaObjectViewSet, basename="media-object")
urlpatterns = router.urls
