from django.urls import path

from .views import AuditEntryListView, AuditExportView

urlpatterns = [
    path("entries/", AuditEntryListView.as_view(), name="api-audit-entries"),
    path("entries/export/", AuditExportView.as_view(), name="api-audit-export"),
]
