"""app.<zone domain>: the web app for students, teachers and parents, with the sign-in pages."""

from django.urls import include, path

from apps.learning import site_views

from .common import handler400, handler403, handler404, handler429, handler500, tenant_urlpatterns  # noqa: F401

urlpatterns = [
    *tenant_urlpatterns("zone", __name__, parts=frozenset({"accounts"})),
    path("robots.txt", site_views.robots, name="zone-robots"),
    path("problems/", include("apps.problems.urls")),
    path("kzone/", include("apps.kzone.urls")),
    path("", include("apps.learning.urls")),
]
