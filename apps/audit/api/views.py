from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.views import APIView

from apps.accounts.api.permissions import HasPermission
from apps.accounts.scoping import visible_to
from apps.core.api.schema import DATE_PATTERN, DATE_TIME_PATTERN

from .. import filters
from ..export import csv_response
from ..models import AuditEntry
from .serializers import AuditEntrySerializer

# What filters._moment takes: a day (2026-03-01) or an RFC 3339 date-time, 1900–2100.
DATE_OR_DATE_TIME = {"type": "string", "pattern": f"({DATE_PATTERN})|({DATE_TIME_PATTERN})"}

FILTER_PARAMETERS = [
    OpenApiParameter("action", OpenApiTypes.STR, description="e.g. auth.login_failed"),
    OpenApiParameter("actor", OpenApiTypes.STR, description="user id or username"),
    OpenApiParameter("resource_type", OpenApiTypes.STR, description="e.g. accounts.user"),
    OpenApiParameter("resource_id", OpenApiTypes.STR),
    OpenApiParameter("since", DATE_OR_DATE_TIME, description="date or date-time, inclusive"),
    OpenApiParameter("until", DATE_OR_DATE_TIME, description="date or date-time, inclusive"),
]


@extend_schema(
    tags=["audit"],
    summary="The audit log, newest first (audit:read; without wide audit:read, only your own entries)",
    parameters=FILTER_PARAMETERS,
)
class AuditEntryListView(ListAPIView):
    serializer_class = AuditEntrySerializer
    permission_classes = [HasPermission("audit:read")]

    def get_queryset(self):
        rows = visible_to(AuditEntry.objects.all(), self.request.user, "audit:read")
        rows, _used = filters.apply(rows, self.request.query_params)
        return rows


@extend_schema(
    tags=["audit"],
    summary="The audit log as CSV (audit:export); the export is itself recorded",
    parameters=FILTER_PARAMETERS,
    responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV, UTF-8 with BOM")},
)
class AuditExportView(APIView):
    permission_classes = [HasPermission("audit:export")]

    def perform_content_negotiation(self, request, force=False):
        # The body is CSV whatever the client accepts; errors still come as JSON.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request):
        rows = visible_to(AuditEntry.objects.all(), request.user, "audit:read")
        rows, used = filters.apply(rows, request.query_params)
        return csv_response(rows, request=request, filters=used)
