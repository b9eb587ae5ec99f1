from django.urls import path

from . import views

urlpatterns = [
    path("nowpayments/v1/payment", views.create_payment, name="sandbox-nowpayments-payment"),
    path("nowpayments/v1/payment/<str:payment_id>", views.get_payment, name="sandbox-nowpayments-get"),
    path("nowpayments/v1/payout", views.create_payout, name="sandbox-nowpayments-payout"),
    path("nowpayments/_chain/deposit", views.chain_deposit, name="sandbox-nowpayments-chain-deposit"),
    path("nowpayments/_chain/payout", views.chain_payout, name="sandbox-nowpayments-chain-payout"),
    path("upbit/v1/ticker", views.upbit_ticker, name="sandbox-upbit-ticker"),
    path("bithumb/public/ticker/<str:pair>", views.bithumb_ticker, name="sandbox-bithumb-ticker"),
    path("_rates", views.set_rates, name="sandbox-wallet-rates"),
]
