"""From a sheet to roster rows: each row's values normalised, and each problem recorded
with the spreadsheet's own row number and the field, for the error report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from django.utils.translation import gettext as _

from . import normalise
from .columns import Header, find_header
from .reader import Sheet

STATUSES = {
    "active": ("재원", "재원중", "재학", "수강", "수강중", "등록", "active", "enrolled"),
    "paused": ("휴원", "휴강", "휴원중", "paused", "pause", "on hold"),
    "withdrawn": ("퇴원", "퇴원생", "그만둠", "종료", "withdrawn", "left"),
}
_STATUS_LOOKUP = {alias.replace(" ", "").lower(): code for code, aliases in STATUSES.items() for alias in aliases}


@dataclass(slots=True)
class RosterRow:
    row_number: int
    name: str | None = None
    phone: str | None = None
    guardian_phone: str | None = None
    guardian_name: str | None = None
    birth_date: date | None = None
    school: str | None = None
    grade: str | None = None
    classes: tuple[str, ...] = ()
    enrolled_on: date | None = None
    status: str = "active"
    memo: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _cell(row: list, index: int | None):
    if index is None or index >= len(row):
        return None
    value = row[index]
    return None if value == "" else value


def _status(value) -> str:
    raw = normalise.text(value)
    if raw is None:
        return "active"
    code = _STATUS_LOOKUP.get(raw.replace(" ", "").lower())
    if code is None:
        raise ValueError(_("unknown status %(value)s (use 재원, 휴원 or 퇴원)") % {"value": raw})
    return code


_CONVERTERS = {
    "name": normalise.text,
    "phone": normalise.phone,
    "guardian_phone": normalise.phone,
    "guardian_name": normalise.text,
    "birth_date": normalise.day,
    "school": normalise.text,
    "grade": normalise.grade,
    "classes": normalise.names_list,
    "enrolled_on": normalise.day,
    "status": _status,
    "memo": normalise.text,
}


# Columns whose values repeat down a sheet (a school, a class, a common name, a birthday
# shared by hundreds): each value is converted once. Phone numbers are mostly unique.
_REPEATING = frozenset(
    {"name", "birth_date", "enrolled_on", "school", "grade", "classes", "status", "memo", "guardian_name"}
)


def parse_rows(sheet: Sheet, header: Header | None = None, mapping: dict | None = None) -> Iterator[RosterRow]:
    """Every non-empty row below the header, normalised; a row's problems are in `errors`."""
    header = header or find_header(sheet.rows, mapping)
    columns = list(header.columns.items())
    today = date.today()
    converters = {
        **_CONVERTERS,
        "birth_date": partial(normalise.day, today=today),
        "enrolled_on": partial(normalise.day, today=today),
    }
    memo: dict[tuple[str, object], object] = {}
    for offset, row in enumerate(sheet.rows[header.row_index + 1 :], start=header.row_index + 1):
        if row.count(None) + row.count("") == len(row):
            continue  # an empty row
        parsed = RosterRow(row_number=sheet.first_row_number + offset)
        for name, index in columns:
            raw = _cell(row, index)
            try:
                if name in _REPEATING:
                    key = (name, raw)
                    value = memo[key] if key in memo else memo.setdefault(key, converters[name](raw))
                else:
                    value = converters[name](raw)
            except ValueError as exc:
                parsed.errors.append((name, str(exc)))
                continue
            if value is not None and value != ():
                setattr(parsed, name, value)
        if parsed.name is None and not any(f == "name" for f, _m in parsed.errors):
            parsed.errors.append(("name", _("missing name")))
        if parsed.birth_date and parsed.birth_date > today:
            parsed.errors.append(
                ("birth_date", _("birth date %(date)s is in the future") % {"date": parsed.birth_date})
            )
        if parsed.ok and not (parsed.birth_date or parsed.guardian_phone or parsed.phone):
            parsed.errors.append(
                ("birth_date", _("needs a birth date or a phone number to tell this student apart from namesakes"))
            )
        yield parsed
