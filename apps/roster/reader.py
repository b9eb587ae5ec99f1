"""Reading rosters: .xlsx and .xls through python-calamine (fast, Rust), .csv through the
csv module in UTF-8 or the CP949 Korean Excel writes by default."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}


class UnreadableFile(ValueError):
    pass


@dataclass
class Sheet:
    name: str
    rows: list[list]
    first_row_number: int  # the spreadsheet's row number of rows[0] (1-based, as Excel shows)


def read(path: str | Path, *, sheet: str | int = 0) -> Sheet:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path.read_bytes(), path.name)
    if suffix not in EXCEL_SUFFIXES:
        raise UnreadableFile(_("Unsupported file type %(suffix)s: use .xlsx, .xls or .csv.") % {"suffix": suffix})
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        data = workbook.get_sheet_by_index(sheet) if isinstance(sheet, int) else workbook.get_sheet_by_name(sheet)
        start_row = data.start[0] if data.start else 0
        # Rows start at the first non-empty row; keep its number so errors name the real row.
        return Sheet(data.name, data.to_python(), start_row + 1)
    except (CalamineError, OSError, IndexError, ValueError) as exc:
        raise UnreadableFile(_("Cannot read %(name)s: %(error)s") % {"name": path.name, "error": exc}) from exc


def _read_csv(content: bytes, name: str) -> Sheet:
    for encoding in ("utf-8-sig", "cp949"):
        try:
            decoded = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile(_("Cannot read %(name)s: not UTF-8 or CP949 text.") % {"name": name})
    sample = decoded[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(decoded), dialect))
    return Sheet(name, rows, 1)
