from django.urls import path

from . import views

urlpatterns = [
    path("toss/checkout", views.toss_checkout, name="sandbox-toss-checkout"),
    path("toss/v1/payments/confirm", views.toss_confirm, name="sandbox-toss-confirm"),
    path("toss/v1/payments/<str:payment_key>", views.toss_payment, name="sandbox-toss-payment"),
    path("toss/v1/payments/<str:payment_key>/cancel", views.toss_cancel, name="sandbox-toss-cancel"),
    path("payssam/v1/bills", views.bills, name="sandbox-payssam-bills"),
    path("payssam/v1/bills/<str:bill_id>", views.bill, name="sandbox-payssam-bill"),
    path("payssam/v1/bills/<str:bill_id>/cancel", views.bill_cancel, name="sandbox-payssam-cancel"),
    path("payssam/pay/<str:bill_id>/", views.bill_pay, name="sandbox-payssam-pay"),
    path("payssam/_retry", views.bill_retry, name="sandbox-payssam-retry"),
    path("local/v1/checkouts", views.checkouts, name="sandbox-local-checkouts"),
    path("local/v1/checkouts/<str:checkout_id>", views.checkout_detail, name="sandbox-local-checkout"),
    path("local/v1/checkouts/<str:checkout_id>/refund", views.checkout_refund, name="sandbox-local-refund"),
    path("local/v1/checkouts/<str:checkout_id>/_redeliver", views.redeliver, name="sandbox-local-redeliver"),
    path("local/pay/<str:checkout_id>/", views.checkout_pay, name="sandbox-local-pay"),
]
