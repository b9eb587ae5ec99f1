"""`manage.py calibrate_items`: parameters estimated from the answers collected (the cat
engine's MMLE/EM) come back close to those the answers were simulated from; pretest items
with enough answers become live; a dry run writes nothing; Sympson–Hetter K by simulation
keeps the largest exposure near its target."""

from __future__ import annotations

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from apps.learning.models import Attempt, Item, Response, Student
from apps.learning.services import calibration
from apps.learning.services import exams as exam_svc

pytestmark = pytest.mark.django_db


def simulate(items: list[Item], truth: list[tuple[float, float]], persons: int, seed: int = 1) -> None:
    """Every simulee answers every item once, as the 2PL with the true (a, b) says."""
    rng = np.random.default_rng(seed)
    exam = exam_svc.create_exam(title="sim", kind="fixed")
    users = get_user_model().objects.bulk_create(get_user_model()(username=f"sim{n}") for n in range(persons))
    students = Student.objects.bulk_create(Student(user=u, name=u.username) for u in users)
    now = timezone.now()
    attempts = Attempt.objects.bulk_create(
        Attempt(exam=exam, student=s, status="submitted", started_at=now, state={}) for s in students
    )
    thetas = rng.normal(0, 1, persons)
    rows = []
    for attempt, theta in zip(attempts, thetas, strict=True):
        for position, (item, (a, b)) in enumerate(zip(items, truth, strict=True), start=1):
            correct = rng.random() < 1 / (1 + np.exp(-a * (theta - b)))
            rows.append(Response(attempt=attempt, item=item, position=position, answer="x", correct=bool(correct)))
    Response.objects.bulk_create(rows)


def test_calibration_recovers_the_parameters_and_promotes_pretest_items(zone, bank):
    items = bank(8, status="live") + bank(2, status="pretest")
    truth = [(0.8 + 0.15 * i, -1.6 + 0.35 * i) for i in range(10)]
    simulate(items, truth, persons=600)

    before = {item.pk: (item.a, item.b) for item in Item.objects.all()}
    dry = calibration.calibrate_items(model="2pl", min_responses=200, promote_after=500, dry_run=True)
    assert len(dry.calibrated) == 10 and {(i.a, i.b) for i in Item.objects.all()} == set(before.values())

    call_command("calibrate_items", "--schema", zone.schema, "--model", "2pl", "--min-responses", "200")
    fitted = {item.pk: item for item in Item.objects.all()}
    b_hat = np.array([fitted[item.pk].b for item in items])
    a_hat = np.array([fitted[item.pk].a for item in items])
    b_true = np.array([b for _a, b in truth])
    a_true = np.array([a for a, _b in truth])
    # 600 simulees: b within 0.4 of the truth (SE ≈ 0.1–0.2 at the ends), a's order kept
    assert np.abs(b_hat - b_true).max() < 0.4 and np.abs(b_hat - b_true).mean() < 0.2
    assert np.corrcoef(a_hat, a_true)[0, 1] > 0.8
    assert all(fitted[item.pk].status == "live" for item in items)  # the pretest pair promoted
    assert all(fitted[item.pk].calibration_n == 600 for item in items)


def test_too_few_answers_changes_nothing(zone, bank):
    items = bank(3)
    simulate(items, [(1.0, 0.0)] * 3, persons=50)
    report = calibration.calibrate_items(min_responses=200)
    assert report.calibrated == [] and len(report.skipped) == 3


def test_sympson_hetter_k_keeps_exposure_near_the_target(zone, bank):
    bank(60)
    exam = exam_svc.create_exam(title="cat", kind="adaptive", cat_settings={"se_target": None, "max_length": 10})
    rate = calibration.calibrate_exposure(exam, target=0.25, simulees=300, seed=3)
    assert rate <= 0.3
    assert Item.objects.filter(exposure_k__lt=1).exists()
