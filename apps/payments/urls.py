from django.urls import path

from . import views

# Mounted at the root of academy and store tenant hosts.
urlpatterns = [
    path("api/v1/payments/webhooks/<str:gateway>/", views.webhook, name="payments-webhook"),
    path("payments/return/<str:order_id>/", views.payment_return, name="payments-return"),
    path("payments/checkout/<str:order_id>/", views.checkout, name="payments-checkout"),
]
