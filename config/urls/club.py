from django.urls import include, path

from apps.wallet.api.views import nowpayments_webhook

from .common import handler400, handler403, handler404, handler429, handler500, tenant_urlpatterns  # noqa: F401

urlpatterns = [
    *tenant_urlpatterns(
        "club", __name__, api=[path("", include("apps.wallet.api.urls")), path("", include("apps.club.api.urls"))]
    ),
    path("api/v1/wallet/webhooks/nowpayments/", nowpayments_webhook, name="wallet-webhook"),
    path("wallet/", include("apps.wallet.urls")),
    path("club/", include("apps.club.urls")),
]
