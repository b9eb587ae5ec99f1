"""A zone on one host (development, tests, a bare domain): everything the role hosts of
config/urls/zone_{www,app,api,admin}.py serve, the app under /learn/ and the landing page
under /about/."""

from django.urls import include, path

from apps.kzone.api.urls import urlpatterns as kzone_api
from apps.learning import site_views
from apps.learning.api.urls import urlpatterns as learning_api
from apps.learning.site_urls import urlpatterns as site_urls
from apps.problems.api.urls import urlpatterns as problems_api

from .common import handler400, handler403, handler404, handler429, handler500, tenant_urlpatterns  # noqa: F401

urlpatterns = [
    *tenant_urlpatterns("zone", __name__, api=[*learning_api, *problems_api, *kzone_api]),
    path("about/", site_views.landing, name="zone-landing"),
    *site_urls,
    path("learn/", include("apps.learning.urls")),
    path("problems/", include("apps.problems.urls")),
    path("kzone/", include("apps.kzone.urls")),
]
