from django.urls import include, path

from apps.stores.api.urls import urlpatterns as stores_api

from .common import handler400, handler403, handler404, handler429, handler500, tenant_urlpatterns  # noqa: F401

urlpatterns = [
    *tenant_urlpatterns("store", __name__, api=stores_api),
    path("", include("apps.payments.urls")),
    path("reviews/", include("apps.stores.urls")),
]
