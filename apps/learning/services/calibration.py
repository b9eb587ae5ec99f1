"""Item calibration from the answers collected (issue 14, item 2), wrapping the CAT
engine's MMLE/EM (apps/learning/cat/calibration.py), and Sympson–Hetter exposure
parameters by simulation (apps/learning/cat/exposure.py).

Items with at least `min_responses` answers get new a, b (and c for the 3PL); a pretest
item that reaches `promote_after` answers becomes live (until then CATs give it unscored at
their pretest positions). Each examinee is one row of the response matrix: their answers
across every attempt (a later answer to the same item replaces an earlier one), NaN where
they never saw the item.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from apps.core.services import invalid, record

from ..cat import calibrate, calibrate_sympson_hetter
from ..models import ITEM_D, Exam, Item, Response
from .items import bump_revision


@dataclass
class CalibrationReport:
    model: str
    persons: int = 0
    calibrated: list[str] = field(default_factory=list)
    promoted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # too few answers
    iterations: int = 0
    converged: bool = False
    changes: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = field(default_factory=dict)


def response_matrix(items: list[Item]) -> tuple[np.ndarray, list[int]]:
    """(persons × items) of 1/0/NaN, and the student ids of the rows."""
    column = {item.pk: n for n, item in enumerate(items)}
    rows: dict[int, dict[int, int]] = {}
    answers = Response.objects.filter(item_id__in=column).values_list("attempt__student_id", "item_id", "correct")
    for student, item, correct in answers.order_by("answered_at"):
        rows.setdefault(student, {})[column[item]] = int(correct)
    matrix = np.full((len(rows), len(items)), np.nan)
    students = list(rows)
    for r, student in enumerate(students):
        for c, value in rows[student].items():
            matrix[r, c] = value
    return matrix, students


@transaction.atomic
def calibrate_items(
    *,
    model: str = "3pl",
    min_responses: int = 200,
    promote_after: int | None = 500,
    dry_run: bool = False,
    actor=None,
) -> CalibrationReport:
    if model not in ("2pl", "3pl"):
        raise invalid(model=f"{model!r}: 2pl or 3pl")
    report = CalibrationReport(model=model)
    candidates = list(
        Item.objects.select_for_update().filter(status__in=[Item.Status.LIVE, Item.Status.PRETEST]).order_by("pk")
    )
    counts = dict(
        Response.objects.filter(item__in=candidates)
        .values("item_id")
        .annotate(n=Count("pk"))
        .values_list("item_id", "n")
    )
    enough = [item for item in candidates if counts.get(item.pk, 0) >= min_responses]
    report.skipped = [item.code for item in candidates if counts.get(item.pk, 0) < min_responses]
    if not enough:
        return report
    matrix, students = response_matrix(enough)
    report.persons = len(students)
    result = calibrate(matrix, model=model, D=ITEM_D)
    report.iterations, report.converged = result.iterations, result.converged
    now = timezone.now()
    for n, item in enumerate(enough):
        old = (item.a, item.b, item.c)
        item.a, item.b = round(float(result.a[n]), 4), round(float(result.b[n]), 4)
        item.c = round(float(result.c[n]), 4) if model == "3pl" else 0.0
        item.calibrated_at, item.calibration_n = now, int(result.responses[n])
        report.calibrated.append(item.code)
        report.changes[item.code] = (old, (item.a, item.b, item.c))
        if item.status == Item.Status.PRETEST and promote_after is not None and item.calibration_n >= promote_after:
            item.status = Item.Status.LIVE
            report.promoted.append(item.code)
    if dry_run:
        transaction.set_rollback(True)
        return report
    Item.objects.bulk_update(enough, ["a", "b", "c", "calibrated_at", "calibration_n", "status", "updated_at"])
    record(
        "learning.items.calibrated", ("learning.item", 0), actor=actor, model=model, persons=report.persons,
        items=report.calibrated, promoted=report.promoted, converged=report.converged,
    )  # fmt: skip
    bump_revision()
    return report


@transaction.atomic
def calibrate_exposure(
    exam: Exam, *, target: float = 0.25, simulees: int = 1000, actor=None, seed: int | None = None
) -> float:
    """Sympson–Hetter K for the live items of an adaptive exam's bank, by simulating
    `simulees` CATs with the exam's settings; stores K on the items and returns the largest
    exposure rate of the last simulation."""
    from ..engine import build

    if exam.kind != Exam.Kind.ADAPTIVE:
        raise invalid(exam="Only an adaptive exam's bank has exposure parameters.")
    engine = build(exam)
    result = calibrate_sympson_hetter(
        engine.bank, engine.config, target=target, simulees=simulees, rng=np.random.default_rng(seed)
    )
    items = {item.pk: item for item in Item.objects.select_for_update().filter(pk__in=engine.bank.ids)}
    for item_id, k in zip(engine.bank.ids, result.exposure_k, strict=True):
        items[item_id].exposure_k = float(min(1.0, max(1e-3, k)))
    Item.objects.bulk_update(list(items.values()), ["exposure_k", "updated_at"])
    record("learning.items.exposure_calibrated", exam, actor=actor, target=target, max_exposure=result.max_exposure)
    bump_revision()
    return float(result.max_exposure)
