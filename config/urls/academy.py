from django.urls import include, path

from apps.academy import views as academy_views
from apps.academy.api.urls import urlpatterns as academy_api

from .common import handler400, handler403, handler404, handler429, handler500, tenant_urlpatterns  # noqa: F401

urlpatterns = [
    *tenant_urlpatterns("academy", __name__, api=academy_api),
    path("", include("apps.payments.urls")),
    path("dashboard/", academy_views.dashboard_page, name="academy-dashboard-page"),
    path("portal/", include("apps.portal.urls")),
]
