"""Normalising the values people type into rosters: Korean phone numbers in every common
form, dates in every common form (and Excel's own), and text with full-width characters.

Each function returns the clean value, None for an empty cell, or raises ValueError with
a message fit to show the person who made the spreadsheet.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _

from apps.core.normalise import display_phone, normalise_phone, school_grade, text

phone = normalise_phone
grade = school_grade
__all__ = ["day", "display_phone", "grade", "names_list", "phone", "text"]

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 in Excel's (leap-bugged) system

_YMD = re.compile(r"^(\d{4})\s*[.\-/년]\s*(\d{1,2})\s*[.\-/월]\s*(\d{1,2})\s*[.일]?$")
_YMD_SHORT = re.compile(r"^(\d{2})\s*[.\-/]\s*(\d{1,2})\s*[.\-/]\s*(\d{1,2})\.?$")
_DIGITS8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DIGITS6 = re.compile(r"^(\d{2})(\d{2})(\d{2})$")
# A serial number written as text: what a spreadsheet saves to .csv for a date column formatted
# as a number. Five digits only (1927-05-18 to 2173-10-14): "2015" is a year, not 1905-07-07.
_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")


def _century(yy: int, today: date) -> int:
    # Two-digit years: the most recent year with those digits that isn't in the future.
    year = 2000 + yy
    return year if year <= today.year else year - 100


def _make(year: int, month: int, day: int, original) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(_("impossible date: %(value)s") % {"value": original}) from None


def day(value, *, today: date | None = None) -> date | None:
    """A date from a date cell, an Excel serial number (a number cell, or five digits of
    text as a .csv export writes it: 43119), or text such as 2015.03.02, 2015-03-02, 2015/3/2,
    2015. 3. 2., 2015년 3월 2일, 20150302 or 15.03.02."""
    today = today or date.today()
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(_("not a date"))
    if isinstance(value, (int, float)):
        number = int(value)
        if value != number:
            raise ValueError(_("not a date: %(value)s") % {"value": value})
        if 19000101 <= number <= 21001231:
            return _make(number // 10000, number // 100 % 100, number % 100, value)
        if 1 <= number <= 2958465:
            return EXCEL_EPOCH + timedelta(days=number)
        raise ValueError(_("not a date: %(value)s") % {"value": value})
    raw = text(value)
    if raw is None:
        return None
    serial = _SERIAL.match(raw)
    if serial:
        return EXCEL_EPOCH + timedelta(days=int(serial.group(1)))
    for pattern, short in ((_YMD, False), (_DIGITS8, False), (_YMD_SHORT, True), (_DIGITS6, True)):
        match = pattern.match(raw)
        if match:
            year, month, dd = map(int, match.groups())
            return _make(_century(year, today) if short else year, month, dd, raw)
    raise ValueError(_("not a date: %(value)s") % {"value": raw})


_LIST_SEPARATORS = re.compile(r"\s*[,/;·、]\s*")


def names_list(value) -> tuple[str, ...]:
    """'선수반, 실전반' or '선수반/실전반' → ('선수반', '실전반'), without blanks or repeats."""
    raw = text(value)
    if raw is None:
        return ()
    return tuple(dict.fromkeys(part for part in _LIST_SEPARATORS.split(raw) if part))
