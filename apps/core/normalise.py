"""Normalising what people type: text with full-width characters, Korean phone numbers
in one canonical form (digits only, 01012345678) for storage, blind indexes and lookups,
from every form people and spreadsheets write them in, and school years (1학년 → 1, 중 2학년 → 중2)."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

_NON_DIGITS = re.compile(r"\D")
_FLOAT_TEXT = re.compile(r"^\d+\.0+$")
_SPACES = re.compile(r"\s+")


MOBILE = re.compile(r"^01[016789]\d{7,8}$")
SEOUL = re.compile(r"^02\d{7,8}$")
AREA = re.compile(r"^0(3[1-3]|4[1-4]|5[1-5]|6[1-4])\d{7,8}$")
INTERNET = re.compile(r"^0(70|50\d)\d{7,8}$")


def text(value) -> str | None:
    """Trimmed text with full-width characters folded (ＡＢＣ１２３ → ABC123, 　 → space)."""
    if value is None:
        return None
    if isinstance(value, str):
        stripped = value.strip()
        # Most cells are already clean: skip the regex and the normalisation (imports call
        # this for every cell of 100,000-row sheets).
        if stripped.isprintable() and "  " not in stripped and unicodedata.is_normalized("NFKC", stripped):
            return stripped or None
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    cleaned = _SPACES.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()
    return cleaned or None


_GRADE = re.compile(r"^(?:(초등학교|초등|초|중학교|중등|중|고등학교|고등|고)\s*)?(\d{1,2})\s*(?:학년)?$")
_LEVELS = {
    **dict.fromkeys(("초등학교", "초등", "초"), "초"),
    **dict.fromkeys(("중학교", "중등", "중"), "중"),
    **dict.fromkeys(("고등학교", "고등", "고"), "고"),
}


def school_grade(value) -> str | None:
    """A school year in one form, whatever the sheet wrote: 1, 1.0, '1', '1학년' and '１ 학년'
    are '1'; '중 2학년', '중학교 2학년' and '중2' are '중2' (초/중/고). Anything else (유치부) is
    kept as text. A number cell shown as 1학년 and its .csv export then read the same."""
    raw = text(value)
    if raw is None:
        return None
    match = _GRADE.match(raw)
    if match is None:
        return raw
    level, number = match.groups()
    return f"{_LEVELS[level] if level else ''}{int(number)}"


def normalise_phone(value) -> str | None:
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
    if digits.startswith("82") and len(digits) in (10, 11, 12, 13):  # 13: +82 50x-xxxx-xxxx
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
