"""The error report: one line per problem with the sheet row number, the column, the
reason and the row's original values, as .xlsx (or .csv)."""

from __future__ import annotations

import csv
import io

import openpyxl
from django.utils.translation import gettext as _

from .importing import Report


def _lines(report: Report):
    headers = [h for h in report.headers if h]
    yield [_("row"), _("column"), _("reason"), *headers]
    for problem in report.rejected:
        yield [problem.row, problem.field, problem.reason, *(_plain(problem.values.get(h)) for h in headers)]


def _plain(value):
    return "" if value is None else value


def problems_from(summary: dict) -> Report:
    """A Report holding only what the error report needs, from a stored job's JSON."""
    from .importing import Problem

    report = Report(headers=summary.get("headers", []))
    report.rejected = [
        Problem(p["row"], p["field"], p["reason"], p.get("values", {})) for p in summary.get("rejected", [])
    ]
    return report


def error_report_xlsx(report: Report) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(_("errors"))
    for line in _lines(report):
        sheet.append([value if not hasattr(value, "isoformat") else value.isoformat() for value in line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def error_report_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in _lines(report):
        writer.writerow(line)
    return buffer.getvalue()
