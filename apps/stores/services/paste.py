"""Owner-assisted import for Naver Place and Kakao Map (no review API): the owner pastes
or uploads the review list of their own Smart Place / Kakao business page.

Two formats are read (documented in the README):

1. **CSV or TSV with a header row** (an export or a spreadsheet). Columns, in any order,
   Korean or English names: 작성자/author, 별점/rating (optional, 1–5), 작성일/date
   (2026.11.03, 2026-11-03, 26.11.3.), 내용/text, 리뷰ID/review_id (optional), 답글/reply
   (optional).
2. **Copied text**, one review per block, blocks separated by a blank line:

       김민수                      ← first line: the author
       2026.11.03. 화              ← a date line (2026.11.03 / 26.11.3.목 / 2026-11-03)
       별점 4  (or ★★★★☆, 4점)    ← optional rating line
       음식이 맛있고 친절해요      ← every other line: the text

A row or block that cannot be read is named in the error (`row 4: no date`), and then
nothing is imported: the owner fixes the text and pastes it again (a second paste of the
same reviews adds nothing).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..connectors.base import RawReview

DATE = re.compile(
    r"^\s*(\d{2}|\d{4})[.\-/]\s*(\d{1,2})[.\-/]\s*(\d{1,2})\.?\s*(\(?[월화수목금토일]\)?)?\s*(방문|작성)?\s*$"
)
RATING = re.compile(r"^\s*(?:별점\s*(\d(?:\.\d)?)|([★☆]{5})|(\d)\s*점|rating\s*(\d))\s*$", re.I)
COLUMNS = {
    "author": {"author", "작성자", "닉네임", "이름"},
    "rating": {"rating", "stars", "별점", "평점"},
    "date": {"date", "작성일", "날짜", "방문일"},
    "text": {"text", "content", "내용", "리뷰", "리뷰내용"},
    "review_id": {"review_id", "id", "리뷰id", "리뷰번호"},
    "reply": {"reply", "답글", "사장님답글"},
}


def parse_date(value: str) -> date | None:
    match = DATE.match(value or "")
    if not match:
        return None
    year, month, day = (int(match.group(i)) for i in (1, 2, 3))
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_rating(value: str) -> int | str | None:
    """The stars, None when there are none, or "" when the value is not a rating."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit() and 1 <= int(value) <= 5:
        return int(value)
    match = RATING.match(value)
    if not match:
        return ""
    if match.group(2):
        return match.group(2).count("★") or ""
    number = match.group(1) or match.group(3) or match.group(4)
    stars = round(float(number))
    return stars if 1 <= stars <= 5 else ""


def parse(text: str) -> list[RawReview]:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"text": [_("Nothing to import: paste the review list or upload a file.")]})
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else ","
    headers = {h.strip().lower().replace(" ", "") for h in first.split(delimiter)}
    if headers & COLUMNS["text"] and headers & COLUMNS["date"]:
        return _parse_table(text, delimiter)
    return _parse_blocks(text)


def _parse_table(text: str, delimiter: str) -> list[RawReview]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower().replace(" ", "") for h in next(reader)]
    index = {}
    for name, aliases in COLUMNS.items():
        for i, h in enumerate(header):
            if h in aliases:
                index[name] = i
    items, errors = [], []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(name, row=row):
            i = index.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        written = parse_date(cell("date"))
        rating = parse_rating(cell("rating"))
        problems = []
        if written is None:
            problems.append(_("date %(value)r is not a date (2026.11.03)") % {"value": cell("date")})
        if rating == "":
            problems.append(_("rating %(value)r is not 1–5 stars") % {"value": cell("rating")})
        if not cell("text") and not rating:
            problems.append(_("no text and no rating"))
        if problems:
            errors.append(_("row %(row)d: %(problems)s") % {"row": number, "problems": "; ".join(problems)})
            continue
        items.append(
            RawReview(
                author=cell("author")[:100],
                text=cell("text"),
                written_on=written,
                rating=rating,
                external_id=cell("review_id")[:200],
                platform_reply=cell("reply"),
                row=number,
            )
        )
    if errors:
        raise ValidationError({"text": errors})
    return items


def _parse_blocks(text: str) -> list[RawReview]:
    items, errors = [], []
    line_no = 1
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.split("\n")]
        start = line_no
        line_no += block.count("\n") + 2
        lines = [line for line in lines if line]
        if not lines:
            continue
        author, rest = lines[0], lines[1:]
        written, rating, body = None, None, []
        for line in rest:
            if written is None and parse_date(line):
                written = parse_date(line)
                continue
            stars = parse_rating(line)
            if rating is None and stars not in (None, "") and not body:
                rating = stars
                continue
            body.append(line)
        if written is None:
            errors.append(
                _("block at line %(line)d (%(author)s): no date line (2026.11.03)")
                % {"line": start, "author": author[:20]}
            )
            continue
        if not body and rating is None:
            errors.append(
                _("block at line %(line)d (%(author)s): no review text") % {"line": start, "author": author[:20]}
            )
            continue
        items.append(RawReview(author=author[:100], text="\n".join(body), written_on=written, rating=rating, row=start))
    if errors:
        raise ValidationError({"text": errors})
    return items
