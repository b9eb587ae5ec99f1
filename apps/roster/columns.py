"""Which column is which: the roster fields and the header texts that name them, in Korean
and English, and finding the header row below any title rows."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

FIELDS = (
    "name",
    "phone",
    "guardian_phone",
    "guardian_name",
    "birth_date",
    "school",
    "grade",
    "classes",
    "enrolled_on",
    "status",
    "memo",
)

ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("이름", "성명", "학생명", "학생이름", "학생 이름", "원생명", "name", "student name", "student"),
    "phone": (
        "학생 연락처",
        "학생연락처",
        "휴대폰",
        "핸드폰",
        "휴대전화",
        "전화번호",
        "학생 휴대폰",
        "phone",
        "mobile",
    ),
    "guardian_phone": (
        "학부모 연락처",
        "보호자 연락처",
        "부모님 연락처",
        "학부모 휴대폰",
        "보호자 휴대폰",
        "학부모 전화번호",
        "보호자 전화번호",
        "guardian phone",
        "parent phone",
    ),
    "guardian_name": (
        "학부모 이름",
        "학부모",
        "보호자",
        "보호자 이름",
        "보호자명",
        "학부모명",
        "guardian name",
        "parent name",
        "guardian",
    ),
    "birth_date": ("생년월일", "생일", "birth date", "birthdate", "date of birth", "dob", "birthday"),
    "school": ("학교", "학교명", "school"),
    "grade": ("학년", "grade"),
    "classes": ("반", "수강반", "클래스", "수업", "class", "classes"),
    "enrolled_on": ("등록일", "등록일자", "입학일", "enrolled", "enrolled on", "enrollment date", "start date"),
    "status": ("상태", "재원 상태", "재원상태", "status"),
    "memo": ("메모", "비고", "특이사항", "memo", "note", "notes"),
}

HEADER_SCAN_ROWS = 30


def _key(header) -> str:
    folded = unicodedata.normalize("NFKC", str(header or "")).lower()
    return re.sub(r"[\s_\-·.:()]+", "", folded)


_LOOKUP = {_key(alias): field for field, aliases in ALIASES.items() for alias in aliases}


class MappingError(ValueError):
    pass


def load_mapping(path: str | Path) -> dict[str, str]:
    """A --mapping file: JSON ({"원생 이름": "name"}) or lines of `header = field` / `header: field`."""
    content = Path(path).read_text(encoding="utf-8-sig")
    try:
        raw = json.loads(content)
    except json.JSONDecodeError:
        raw = {}
        for number, line in enumerate(content.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            header, sep, field = line.partition("=") if "=" in line else line.rpartition(":")
            if not sep:
                raise MappingError(_("mapping line %(n)d: expected 'header = field'") % {"n": number}) from None
            raw[header.strip()] = field.strip()
    if not isinstance(raw, dict):
        raise MappingError(_("mapping must be an object of header → field"))
    unknown = sorted({field for field in raw.values() if field not in FIELDS})
    if unknown:
        raise MappingError(
            _("mapping names unknown fields %(fields)s; known: %(known)s")
            % {"fields": ", ".join(unknown), "known": ", ".join(FIELDS)}
        )
    return {_key(header): field for header, field in raw.items()}


@dataclass(frozen=True)
class Header:
    row_index: int  # index in the sheet's rows (0-based)
    columns: dict[str, int]  # field → column index
    ignored: tuple[str, ...]  # header texts that name no field


def find_header(rows: list[list], mapping: dict[str, str] | None = None) -> Header:
    """The first row, within the first rows of the sheet, that names a student column and
    at least one other known column."""
    lookup = {**_LOOKUP, **(mapping or {})}
    best: Header | None = None
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns: dict[str, int] = {}
        ignored = []
        for column, cell in enumerate(row):
            field = lookup.get(_key(cell))
            if field and field not in columns:
                columns[field] = column
            elif cell not in (None, "") and not field:
                ignored.append(str(cell))
        if "name" in columns and len(columns) >= 2 and (best is None or len(columns) > len(best.columns)):
            best = Header(index, columns, tuple(ignored))
            if len(columns) >= 4:
                break
    if best is None:
        raise MappingError(
            _(
                "No header row found in the first %(n)d rows: expected a column named like 이름/성명/name "
                "and at least one more such as 학부모 연락처, 생년월일 or 반. Use --mapping for other headers."
            )
            % {"n": HEADER_SCAN_ROWS}
        )
    return best
