"""admin.<zone domain>: the zone's Django admin and its sign-in pages; the whole host is
behind ADMIN_IP_ALLOWLIST (apps.core.security.AdminAllowListMiddleware)."""

from django.urls import path
from django.views.generic import RedirectView

from apps.learning import site_views

from .common import handler400, handler403, handler404, handler429, handler500, tenant_urlpatterns  # noqa: F401

urlpatterns = [
    *tenant_urlpatterns("zone", __name__, parts=frozenset({"admin", "accounts"})),
    path("robots.txt", site_views.robots, name="zone-robots"),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
