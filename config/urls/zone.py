from apps.learning.api.urls import urlpatterns as learning_api

from .common import handler400, handler403, handler404, handler429, handler500, tenant_urlpatterns  # noqa: F401

urlpatterns = tenant_urlpatterns("zone", __name__, api=learning_api)
