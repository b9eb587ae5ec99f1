from django.urls import include, path

from .common import handler400, handler403, handler404, handler429, handler500, tenant_urlpatterns  # noqa: F401

urlpatterns = [
    *tenant_urlpatterns("public", __name__),
    # Loopback sandboxes of external providers; each view answers 404 unless SANDBOX_ENABLED.
    path("_sandbox/", include("apps.notifications.sandbox.urls")),
    path("_sandbox/payments/", include("apps.payments.sandbox.urls")),
    path("_sandbox/wallet/", include("apps.wallet.sandbox.urls")),
]
