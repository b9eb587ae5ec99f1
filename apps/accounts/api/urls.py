from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import MeView, RoleAssignmentViewSet, RoleListView

router = SimpleRouter()
router.register("role-assignments", RoleAssignmentViewSet, basename="role-assignment")

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("roles/", RoleListView.as_view(), name="api-roles"),
    *router.urls,
]
