from django.urls import include, path

from .common import handler400, handler403, handler404, handler429, handler500, tenant_urlpatterns  # noqa: F401

urlpatterns = [
    *tenant_urlpatterns("zone", __name__, api=[path("", include("apps.problems.api.urls"))]),
    path("problems/", include("apps.problems.urls")),
]
