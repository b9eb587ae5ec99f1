"""The audit log as CSV, streamed, for the admin and the API (permission `audit:export`).
The export itself is recorded before the first row leaves."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import actions
from .services import record

# A cell starting with one of these is a formula to Excel (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def rows(queryset: QuerySet) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A BOM so that Excel opens Korean text as UTF-8.
    yield "\ufeff"
    yield writer.writerow(
        [
            _("id"),
            _("time"),
            _("actor id"),
            _("actor"),
            _("action"),
            _("resource type"),
            _("resource id"),
            _("resource"),
            _("IP address"),
            _("user agent"),
            _("details"),
        ]
    )
    for entry in queryset.order_by("at", "id").iterator(chunk_size=2000):
        yield writer.writerow(
            [
                entry.pk,
                timezone.localtime(entry.at).isoformat(),
                entry.actor_id or "",
                _cell(entry.actor_username),
                _cell(entry.action),
                _cell(entry.resource_type),
                _cell(entry.resource_id),
                _cell(entry.resource_repr),
                entry.ip or "",
                _cell(entry.user_agent),
                _cell(json.dumps(entry.details, ensure_ascii=False, sort_keys=True)),
            ]
        )


def csv_response(queryset: QuerySet, *, request, filters: dict) -> StreamingHttpResponse:
    """Record the export, then stream the rows."""
    count = queryset.count()
    record(
        actions.EXPORT,
        request=request,
        resource=("audit.auditentry", ""),
        resource_repr=str(_("audit log")),
        details={"format": "csv", "rows": count, "filters": filters},
    )
    filename = f"audit-{timezone.localtime():%Y%m%d-%H%M%S}.csv"
    response = StreamingHttpResponse(rows(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
