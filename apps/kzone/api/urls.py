from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("kzone/takes", views.TakeViewSet, basename="kzone-take")
router.register("kzone/voice/lines", views.VoiceLineViewSet, basename="kzone-voice-line")
router.register("kzone/drama/scenes", views.DramaSceneViewSet, basename="kzone-drama-scene")
router.register("kzone/dance/choreographies", views.ChoreographyViewSet, basename="kzone-choreography")

# Seed 003's paths, as written there (no trailing slash).
urlpatterns = [
    path("kzone/voice/analyze", views.VoiceAnalyze.as_view(), name="kzone-voice-analyze"),
    path("kzone/dance/pose-detection", views.DanceAnalyze.as_view(), name="kzone-dance-analyze"),
    path("kzone/drama/scene-analysis", views.DramaAnalyze.as_view(), name="kzone-drama-analyze"),
    path("kzone/uploads/", views.Uploads.as_view(), name="kzone-uploads"),
    *router.urls,
]
