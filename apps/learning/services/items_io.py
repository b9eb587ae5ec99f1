"""Item bank import and export: Excel (.xlsx/.xls through python-calamine, written with
openpyxl) and CSV (UTF-8, or the CP949 Korean Excel writes).

The import is all or nothing: every row is checked with the same rule as the one-by-one
service (`items.clean_item`); any problem — named by its spreadsheet row number and column —
and nothing is written. A dry run checks and counts without writing. Rows are matched to
existing items by `code`: an unknown code is a new item, a known one is updated.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from apps.audit import actions as audit_actions
from apps.audit.services import record as audit
from apps.core.services import record

from ..models import Item
from .items import FIELDS, ItemErrors, bump_revision, clean_item

MAX_ROWS = 20_000
MAX_CHOICES = 8
# column header (lower-case) → field; Korean first, as the template writes them
HEADERS: dict[str, str] = {
    "코드": "code",
    "유형": "kind",
    "문제": "stem",
    "정답": "key",
    "허용오차": "tolerance",
    "해설": "explanation",
    "영역": "area",
    "태그": "tags",
    "상태": "status",
    "보기": "choices",
    "k": "exposure_k",
    **{name: name for name in FIELDS},
    **{f"보기{n}": f"choice{n}" for n in range(1, MAX_CHOICES + 1)},
    **{f"choice{n}": f"choice{n}" for n in range(1, MAX_CHOICES + 1)},
}
EXPORT_COLUMNS = [
    ("코드", "code"),
    ("유형", "kind"),
    ("문제", "stem"),
    *[(f"보기{n}", f"choice{n}") for n in range(1, 6)],
    ("정답", "key"),
    ("허용오차", "tolerance"),
    ("해설", "explanation"),
    ("영역", "area"),
    ("태그", "tags"),
    ("상태", "status"),
    ("a", "a"),
    ("b", "b"),
    ("c", "c"),
    ("K", "exposure_k"),
]


class UnreadableFile(ValueError):
    pass


@dataclass
class Problem:
    row: int
    column: str
    reason: str


@dataclass
class ImportReport:
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [{"row": p.row, "column": p.column, "reason": p.reason} for p in self.errors],
        }


# ---------------------------------------------------------------------------- reading


def read_rows(content: bytes, filename: str) -> tuple[list[list], int]:
    """The sheet's rows and the spreadsheet row number of the first one."""
    name = (filename or "").lower()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "cp949"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise UnreadableFile(_("Cannot read %(name)s: not UTF-8 or CP949 text.") % {"name": filename})
        return list(csv.reader(io.StringIO(text))), 1
    if not name.endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise UnreadableFile(_("Use an .xlsx, .xls or .csv file."))
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
        first = (sheet.start[0] if sheet.start else 0) + 1
        return sheet.to_python(), first
    except (CalamineError, OSError, IndexError, ValueError) as exc:
        raise UnreadableFile(_("Cannot read %(name)s: %(error)s") % {"name": filename, "error": exc}) from exc


def _cell(value) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return value if isinstance(value, (int, float)) else str(value).strip()


def parse(rows: list[list], first_row: int) -> tuple[list[tuple[int, dict[str, Any], dict[str, str]]], list[Problem]]:
    """(row number, fields, field → column header) per data row, and header problems."""
    problems: list[Problem] = []
    while rows and not any(str(v).strip() for v in rows[0] if v is not None):
        rows, first_row = rows[1:], first_row + 1
    if not rows:
        return [], [Problem(first_row, "", _("The sheet is empty."))]
    header = [str(h or "").strip() for h in rows[0]]
    columns: list[tuple[int, str, str]] = []
    for index, title in enumerate(header):
        if not title:
            continue
        target = HEADERS.get(title.lower()) or HEADERS.get(title)
        if target is None:
            problems.append(Problem(first_row, title, _("Unknown column.")))
        else:
            columns.append((index, title, target))
    present = {target for _i, _t, target in columns}
    for required in ("code", "stem", "key", "area"):
        if required not in present:
            problems.append(Problem(first_row, required, _("The column is missing.")))
    parsed = []
    for offset, row in enumerate(rows[1:], start=1):
        number = first_row + offset
        if not any(str(v).strip() for v in row if v is not None):
            continue
        data: dict[str, Any] = {}
        titles: dict[str, str] = {}
        choices: dict[int, str] = {}
        for index, title, target in columns:
            value = _cell(row[index]) if index < len(row) else ""
            if target.startswith("choice") and target != "choices":
                if value != "":
                    choices[int(target[6:])] = str(value)
                titles["choices"] = titles.get("choices", title)
                continue
            data[target] = value
            titles[target] = title
        if choices:
            data["choices"] = [choices[n] for n in sorted(choices)]
        parsed.append((number, data, titles))
    if len(parsed) > MAX_ROWS:
        problems.append(Problem(first_row, "", _("At most %(n)d items per file.") % {"n": MAX_ROWS}))
    return parsed, problems


# ---------------------------------------------------------------------------- importing


def import_items(content: bytes, *, filename: str, dry_run: bool = False, actor=None) -> ImportReport:
    report = ImportReport(dry_run=dry_run)
    try:
        rows, first_row = read_rows(content, filename)
    except UnreadableFile as exc:
        report.errors.append(Problem(0, "", str(exc)))
        return report
    parsed, report.errors = parse(rows, first_row)
    if report.errors:
        return report
    with transaction.atomic():
        existing = {
            item.code: item
            for item in Item.objects.select_for_update().filter(
                code__in=[str(data.get("code", "")).strip() for _n, data, _t in parsed]
            )
        }
        seen: dict[str, int] = {}
        creates: list[Item] = []
        updates: list[tuple[Item, list[str]]] = []
        for number, data, titles in parsed:
            current = existing.get(str(data.get("code", "")).strip())
            try:
                fields = clean_item(data, partial_of=current)
            except ItemErrors as exc:
                for name, reason in exc.errors.items():
                    report.errors.append(Problem(number, titles.get(name, name), reason))
                continue
            code = fields["code"]
            if code in seen:
                report.errors.append(
                    Problem(
                        number,
                        titles.get("code", "code"),
                        _("The code %(code)s is also on row %(row)d.") % {"code": code, "row": seen[code]},
                    )
                )
                continue
            seen[code] = number
            if current is None:
                creates.append(Item(created_by=actor, **fields))
                continue
            changed = [name for name, value in fields.items() if getattr(current, name) != value]
            if current.exposure_count and {"kind", "key", "choices"} & set(changed):
                report.errors.append(
                    Problem(
                        number,
                        titles.get("key", "key"),
                        _("The item has been given: its key cannot change; retire it and add a new one."),
                    )
                )
                continue
            if changed:
                for name in changed:
                    setattr(current, name, fields[name])
                updates.append((current, changed))
            else:
                report.unchanged += 1
        report.created, report.updated = len(creates), len(updates)
        if report.errors or dry_run:
            transaction.set_rollback(True)
            if report.errors:
                report.created = report.updated = report.unchanged = 0
            return report
        Item.objects.bulk_create(creates, batch_size=1000)
        if updates:
            names = sorted({name for _item, changed in updates for name in changed} | {"updated_at"})
            Item.objects.bulk_update([item for item, _c in updates], names, batch_size=1000)
        record(
            "learning.items.imported",
            ("learning.item", 0),
            actor=actor,
            filename=filename[:200],
            created=[item.code for item in creates],
            updated=[item.code for item, _c in updates],
        )
        bump_revision()
    return report


# ---------------------------------------------------------------------------- exporting


def _export_row(item: Item) -> list[Any]:
    values = {name: getattr(item, name) for name in FIELDS}
    for n in range(1, 6):
        values[f"choice{n}"] = item.choices[n - 1] if len(item.choices) >= n else ""
    values["tags"] = "|".join(item.tags)
    return [values[name] for _title, name in EXPORT_COLUMNS]


def export_items(queryset, *, fmt: str = "xlsx", actor=None, request=None) -> tuple[bytes, str]:
    rows = [_export_row(item) for item in queryset.order_by("area", "code")]
    audit(
        audit_actions.EXPORT,
        actor=actor,
        request=request,
        details={"what": "learning.items", "rows": len(rows), "format": fmt},
    )
    header = [title for title, _name in EXPORT_COLUMNS]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("items")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
