from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("club/tables", views.TableViewSet, basename="club-table")
router.register("club/hands", views.HandViewSet, basename="club-hand")

urlpatterns = router.urls
