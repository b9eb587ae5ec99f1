"""www.<zone domain>: the public landing page, sitemap.xml and robots.txt (seed 003)."""

from django.urls import path

from apps.learning import site_views
from apps.learning.site_urls import urlpatterns as site_urls

from .common import handler400, handler403, handler404, handler429, handler500, tenant_urlpatterns  # noqa: F401

urlpatterns = [
    path("", site_views.landing, name="zone-landing"),
    *site_urls,
    *tenant_urlpatterns("zone", __name__, parts=frozenset()),
]
