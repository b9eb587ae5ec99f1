"""api.<zone domain>: DRF only (seed 003), with the app-token sign-in, the OpenAPI schema
and its docs. Cross-origin requests only from the zone's own app./www. hosts
(apps.tenancy.host_roles.cors_allowed)."""

from django.urls import path
from django.views.generic import RedirectView

from apps.kzone.api.urls import urlpatterns as kzone_api
from apps.learning import site_views
from apps.learning.api.urls import urlpatterns as learning_api
from apps.problems.api.urls import urlpatterns as problems_api

from .common import handler400, handler403, handler404, handler429, handler500, tenant_urlpatterns  # noqa: F401

urlpatterns = [
    *tenant_urlpatterns("zone", __name__, api=[*learning_api, *problems_api, *kzone_api], parts=frozenset({"api"})),
    path("robots.txt", site_views.robots, name="zone-robots"),
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
]
