"""Normalising the values people type into rosters: Korean phone numbers in every common
form, dates in every common form (and Excel's own), and text with full-width characters.

Each function returns the clean value, None for an empty cell, or raises ValueError with
a message fit to show the person who made the spreadsheet.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _

_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D")
_FLOAT_TEXT = re.compile(r"^\d+\.0+$")
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 in Excel's (leap-bugged) system

MOBILE = re.compile(r"^01[016789]\d{7,8}$")
SEOUL = re.compile(r"^02\d{7,8}$")
AREA = re.compile(r"^0(3[1-3]|4[1-4]|5[1-5]|6[1-4])\d{7,8}$")
INTERNET = re.compile(r"^0(70|50\d)\d{7,8}$")


def text(value) -> str | None:
    """Trimmed text with full-width characters folded (ＡＢＣ１２３ → ABC123, 　 → space)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    cleaned = _SPACES.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()
    return cleaned or None


def phone(value) -> str | None:
    """A Korean phone number as digits only, e.g. '01012345678'.

    Accepts 010-1234-5678, 01012345678, 010 1234 5678, +82 10-1234-5678, 82-10-…,
    numeric cells that lost the leading 0 (1012345678) and floats (1012345678.0).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(_("not a phone number"))
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(_("not a phone number: %(value)s") % {"value": value})
        digits = str(int(value))
    else:
        raw = text(value)
        if raw is None:
            return None
        if _FLOAT_TEXT.match(raw):
            raw = raw.split(".")[0]  # "1012345678.0", as pandas and some exports write numbers
        digits = _NON_DIGITS.sub("", raw)
        if raw.startswith("+") and not digits.startswith("82"):
            raise ValueError(_("not a Korean phone number: %(value)s") % {"value": raw})
    if not digits:
        raise ValueError(_("not a phone number: %(value)s") % {"value": value})
    if digits.startswith("82") and len(digits) in (10, 11, 12):
        digits = "0" + digits[2:]
    elif digits[0] != "0" and len(digits) in (9, 10):
        digits = "0" + digits  # Excel dropped the leading zero
    if MOBILE.match(digits) and (not digits.startswith("010") or len(digits) == 11):
        return digits
    if SEOUL.match(digits) or AREA.match(digits) or INTERNET.match(digits):
        return digits
    raise ValueError(_("not a valid Korean phone number: %(value)s") % {"value": value})


def display_phone(digits: str) -> str:
    """010-1234-5678 / 02-123-4567 for people to read."""
    if digits.startswith("02"):
        head, rest = digits[:2], digits[2:]
    else:
        head, rest = digits[:3], digits[3:]
    return f"{head}-{rest[:-4]}-{rest[-4:]}"


_YMD = re.compile(r"^(\d{4})\s*[.\-/년]\s*(\d{1,2})\s*[.\-/월]\s*(\d{1,2})\s*[.일]?$")
_YMD_SHORT = re.compile(r"^(\d{2})\s*[.\-/]\s*(\d{1,2})\s*[.\-/]\s*(\d{1,2})\.?$")
_DIGITS8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DIGITS6 = re.compile(r"^(\d{2})(\d{2})(\d{2})$")


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
    """A date from a date cell, an Excel serial number, or text such as 2015.03.02,
    2015-03-02, 2015/3/2, 2015. 3. 2., 2015년 3월 2일, 20150302 or 15.03.02."""
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
    for pattern, short in ((_YMD, False), (_DIGITS8, False), (_YMD_SHORT, True), (_DIGITS6, True)):
        match = pattern.match(raw)
        if match:
            year, month, dd = (int(part) for part in match.groups())
            return _make(_century(year, today) if short else year, month, dd, raw)
    raise ValueError(_("not a date: %(value)s") % {"value": raw})


_LIST_SEPARATORS = re.compile(r"\s*[,/;·、]\s*")


def names_list(value) -> tuple[str, ...]:
    """'선수반, 실전반' or '선수반/실전반' → ('선수반', '실전반'), without blanks or repeats."""
    raw = text(value)
    if raw is None:
        return ()
    return tuple(dict.fromkeys(part for part in _LIST_SEPARATORS.split(raw) if part))
