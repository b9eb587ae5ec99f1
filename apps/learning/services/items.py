"""The item bank's writes. `clean_item` is the one rule for what an item may be; the
one-by-one services and the spreadsheet import (items_io.py) both call it."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.utils.translation import gettext as _

from apps.core import afterwork
from apps.core.services import invalid, record

from ..models import Item, Organisation

FIELDS = (
    "code",
    "kind",
    "stem",
    "choices",
    "key",
    "tolerance",
    "explanation",
    "area",
    "tags",
    "status",
    "a",
    "b",
    "c",
    "exposure_k",
)
CODE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")
BANK_REVISION = "learning:bank_revision"


class ItemErrors(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def _number(value, field: str, errors: dict[str, str]) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[field] = _("Not a number: %(value)s") % {"value": value}
        return None
    if not math.isfinite(number):
        errors[field] = _("Not a finite number: %(value)s") % {"value": value}
        return None
    return number


def _text_list(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split("|") if part.strip()]
    return [str(part).strip() for part in value if str(part).strip()]


def clean_item(data: dict[str, Any], *, partial_of: Item | None = None) -> dict[str, Any]:
    """Checked and normalised item fields, or ItemErrors naming each bad field.

    Choices and tags may be lists or text separated by `|`. For a choice item the key is the
    1-based number of the right choice; a short-answer key lists accepted answers with `|`;
    a numeric key is a number (with `tolerance`). a > 0, 0 ≤ c < 1, 0 < K ≤ 1."""
    errors: dict[str, str] = {}
    base = {name: getattr(partial_of, name) for name in FIELDS} if partial_of is not None else {}
    merged = {**base, **{k: v for k, v in data.items() if k in FIELDS}}
    out: dict[str, Any] = {}

    code = str(merged.get("code") or "").strip()
    if not CODE_RE.match(code):
        errors["code"] = _("A code of letters, digits, - and _ (at most 60) is required.")
    out["code"] = code

    kind = str(merged.get("kind") or Item.Kind.CHOICE).strip().lower()
    if kind not in Item.Kind.values:
        errors["kind"] = _("Kind must be one of %(kinds)s.") % {"kinds": ", ".join(Item.Kind.values)}
    out["kind"] = kind

    stem = str(merged.get("stem") or "").strip()
    if not stem:
        errors["stem"] = _("The question text is required.")
    out["stem"] = stem

    choices = _text_list(merged.get("choices"))
    key = str(merged.get("key") if merged.get("key") is not None else "").strip()
    if key.endswith(".0") and key[:-2].isdigit():
        key = key[:-2]  # a spreadsheet's number cell
    if kind == Item.Kind.CHOICE:
        if len(choices) < 2:
            errors["choices"] = _("A multiple-choice item needs at least two choices.")
        elif not key.isdigit() or not 1 <= int(key) <= len(choices):
            errors["key"] = _("The key must be the number of the right choice (1 to %(n)d).") % {"n": len(choices)}
    elif kind == Item.Kind.NUMERIC:
        if _number(key, "key", errors) is None and "key" not in errors:
            errors["key"] = _("A numeric item needs a number as its key.")
        choices = []
    elif kind == Item.Kind.SHORT:
        if not _text_list(key):
            errors["key"] = _("A short-answer item needs at least one accepted answer.")
        choices = []
    out["choices"], out["key"] = choices, key[:200]

    tolerance = _number(merged.get("tolerance"), "tolerance", errors)
    if tolerance is not None and tolerance < 0:
        errors["tolerance"] = _("The tolerance cannot be negative.")
    out["tolerance"] = tolerance or 0.0

    out["explanation"] = str(merged.get("explanation") or "").strip()
    area = str(merged.get("area") or "").strip()
    if not area:
        errors["area"] = _("The content area is required.")
    elif len(area) > 60:
        errors["area"] = _("At most 60 characters.")
    out["area"] = area
    tags = _text_list(merged.get("tags"))
    if any(len(tag) > 40 for tag in tags):
        errors["tags"] = _("A tag has at most 40 characters.")
    out["tags"] = tags

    status = str(merged.get("status") or Item.Status.DRAFT).strip().lower()
    if status not in Item.Status.values:
        errors["status"] = _("Status must be one of %(statuses)s.") % {"statuses": ", ".join(Item.Status.values)}
    out["status"] = status

    for name, default in (("a", 1.0), ("b", 0.0), ("c", 0.0), ("exposure_k", 1.0)):
        value = _number(merged.get(name), name, errors)
        out[name] = default if value is None else value
    if "a" not in errors and out["a"] <= 0:
        errors["a"] = _("The discrimination a must be positive.")
    if "b" not in errors and abs(out["b"]) > 6:
        errors["b"] = _("The difficulty b must be between -6 and 6.")
    if "c" not in errors and not 0 <= out["c"] < 1:
        errors["c"] = _("The guessing parameter c must be at least 0 and below 1.")
    if "exposure_k" not in errors and not 0 < out["exposure_k"] <= 1:
        errors["exposure_k"] = _("K must be above 0 and at most 1.")
    if errors:
        raise ItemErrors(errors)
    return out


def bump_revision() -> None:
    """Forget the engines' cached banks (apps/learning/engine.py) once the change commits."""

    def bump() -> None:
        try:
            cache.incr(BANK_REVISION)
        except ValueError:
            cache.set(BANK_REVISION, 1, None)

    transaction.on_commit(bump)


def revision() -> int:
    return int(cache.get(BANK_REVISION) or 0)


@transaction.atomic
def create_item(*, actor=None, organisation: Organisation | None = None, image=None, **data) -> Item:
    try:
        fields = clean_item(data)
    except ItemErrors as exc:
        raise invalid(**exc.errors) from None
    if Item.objects.filter(code=fields["code"]).exists():
        raise invalid(code=_("An item with the code %(code)s exists.") % {"code": fields["code"]})
    item = Item.objects.create(organisation=organisation, created_by=actor, **fields)
    if image:
        item.image = image
        item.save(update_fields=["image"])
    record("learning.item.created", item, actor=actor, code=item.code, status=item.status)
    bump_revision()
    return item


@transaction.atomic
def update_item(item: Item, *, actor=None, **data) -> Item:
    item = Item.objects.select_for_update().get(pk=item.pk)
    try:
        fields = clean_item(data, partial_of=item)
    except ItemErrors as exc:
        raise invalid(**exc.errors) from None
    if fields["code"] != item.code and Item.objects.filter(code=fields["code"]).exists():
        raise invalid(code=_("An item with the code %(code)s exists.") % {"code": fields["code"]})
    if item.exposure_count and any(fields[k] != getattr(item, k) for k in ("kind", "key", "choices")):
        # Answers already given were scored against the old key.
        raise invalid(
            key=_("The item has been given %(n)d times: retire it and write a new one.") % {"n": item.exposure_count}
        )
    changed = [name for name, value in fields.items() if getattr(item, name) != value]
    for name in changed:
        setattr(item, name, fields[name])
    if changed:
        item.save(update_fields=[*changed, "updated_at"])
        record("learning.item.updated", item, actor=actor, fields=changed)
        bump_revision()
    return item


@transaction.atomic
def set_status(item: Item, status: str, *, actor=None) -> Item:
    return update_item(item, actor=actor, status=status)


def count_later(*, answered: int | None = None, correct: bool = False, served: int | None = None) -> None:
    """After commit: an answer to `answered` and a showing of `served` added to those items'
    counters, on the process's background thread and merged with the other answers'
    (apps.core.afterwork). Statistics: not worth the response's time, and the popular
    items' rows, updated by every answer, were where concurrent answers queued."""
    afterwork.defer("learning.item_counts", add_counts, (answered, correct, served))


def add_counts(events: list[tuple[int | None, bool, int | None]]) -> None:
    """Add (answered, correct, served) events to their items' counters in one statement,
    locking the rows in id order first, so two processes adding at once cannot deadlock."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for answered, correct, served in events:
        if answered is not None:
            totals[answered][0] += 1
            totals[answered][1] += int(correct)
        if served is not None:
            totals[served][2] += 1
    if not totals:
        return
    ids = sorted(totals)
    table = connection.ops.quote_name(Item._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH locked AS (SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE) "
            f"UPDATE {table} AS i SET response_count = i.response_count + v.answers, "
            "correct_count = i.correct_count + v.correct, exposure_count = i.exposure_count + v.shown "
            "FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::int[]) AS v(id, answers, correct, shown) "
            "WHERE i.id = v.id AND i.id IN (SELECT id FROM locked)",
            [ids, ids, *([totals[pk][n] for pk in ids] for n in range(3))],
        )


def is_correct(item: Item, answer: str) -> bool:
    """Whether `answer` (as the student typed or chose it) matches the item's key."""
    answer = (answer or "").strip()
    if item.kind == Item.Kind.CHOICE:
        return answer == item.key
    if item.kind == Item.Kind.NUMERIC:
        try:
            return abs(float(answer.replace(",", "")) - float(item.key)) <= item.tolerance + 1e-9
        except ValueError:
            return False
    accepted = {_normal(a) for a in item.key.split("|") if a.strip()}
    return _normal(answer) in accepted


def _normal(text: str) -> str:
    import unicodedata

    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())
