from django.urls import path

from . import views

# Mounted at /portal/ on academy hosts.
urlpatterns = [
    path("", views.home, name="portal-home"),
    path("children/<int:pk>/", views.child, name="portal-child"),
    path("children/<int:pk>/feedback/", views.child_feedback, name="portal-child-feedback"),
    path("invoices/", views.invoices, name="portal-invoices"),
    path("invoices/<int:pk>/", views.invoice, name="portal-invoice"),
    path("invoices/<int:pk>/pay/", views.pay, name="portal-pay"),
    path("receipts/", views.receipts, name="portal-receipts"),
    path("receipts/<int:pk>/", views.receipt, name="portal-receipt"),
    path("preferences/", views.preferences, name="portal-preferences"),
    path("links/", views.links, name="portal-links"),
    path("welcome/<str:uidb64>/<str:token>/", views.welcome, name="portal-welcome"),
]
