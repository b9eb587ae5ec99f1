from django.urls import path

from . import views

urlpatterns = [
    path("wallet/", views.balance, name="wallet-balance"),
    path("wallet/history/", views.history, name="wallet-history"),
    path("wallet/deposit-address/<str:coin>/", views.deposit_address, name="wallet-deposit-address"),
    path("wallet/withdrawals/", views.withdrawals, name="wallet-withdrawals"),
]
