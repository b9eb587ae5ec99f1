from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("stores", views.StoreViewSet, basename="stores-store")
router.register("reviews", views.ReviewViewSet, basename="stores-review")
router.register("drafts", views.DraftViewSet, basename="stores-draft")
router.register("reports", views.ReportViewSet, basename="stores-report")

urlpatterns = [
    path("stores/google/push/", views.google_push, name="stores-google-push"),
    *router.urls,
    path("analytics/dashboard/", views.dashboard, name="stores-dashboard"),
    path("analytics/trends/rating/", views.rating_trend, name="stores-rating-trend"),
    path("analytics/keywords/", views.keywords, name="stores-keywords"),
    path("analytics/recommendations/", views.recommendations, name="stores-recommendations"),
    path("payments/plans/", views.plan_list, name="stores-plans"),
    path("payments/subscription/", views.subscription, name="stores-subscription"),
]
