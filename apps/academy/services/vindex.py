"""The V-Index (seed 000): V = Base × (Motions − Threats) × (1 + 상호지수 × Relations)^t.

Every term is counted from the tenant's event ledger over a window (default 90 days), so a
value can always be explained by the events behind it:

- Motions (things that keep a student here): attendance.marked present/late × w.attendance,
  payment.received by the student's family × w.payment, feedback.given × w.feedback.
- Threats (signs of leaving): attendance.marked absent × w.absence, late × w.late,
  invoice.reminded for the family (overdue) × w.overdue, enrollment.withdrawn × w.withdrawal.
- Relations (ties to the academy): siblings enrolled × w.sibling, approved guardians ×
  w.guardian, students this student referred × w.referral.
- 상호지수 is w.interaction; t is the months since the student's first enrollment (capped at
  24 so that long-standing students don't swamp the scale); Base is w.base.

The weights are the academy's (VIndexWeights, editable in the admin). A student is flagged
as a churn risk when V falls by w.risk_drop_percent or more against their previous value,
or is not positive.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from apps.ledger.models import Event

from ..models import Enrollment, GuardianLink, Invoice, Student, VIndexSnapshot, VIndexWeights

MAX_MONTHS = 24


def _counts(student: Student, since) -> dict[str, int]:
    events = Event.objects.filter(occurred_at__gte=since)
    attendance = Counter(
        events.filter(kind="attendance.marked", subject_type="student", subject_id=str(student.pk)).values_list(
            "data__status", flat=True
        )
    )
    family = student.family_id
    invoice_ids = [str(pk) for pk in Invoice.objects.filter(family_id=family).values_list("pk", flat=True)]
    enrollment_ids = [str(pk) for pk in Enrollment.objects.filter(student=student).values_list("pk", flat=True)]
    return {
        "attendance": attendance.get("present", 0) + attendance.get("late", 0),
        "late": attendance.get("late", 0),
        "absence": attendance.get("absent", 0),
        "payment": events.filter(kind="payment.received", data__family=family).count(),
        "feedback": events.filter(kind="feedback.given", subject_type="student", subject_id=str(student.pk)).count(),
        "overdue": events.filter(kind="invoice.reminded", subject_type="invoice", subject_id__in=invoice_ids).count(),
        "withdrawal": events.filter(
            kind="enrollment.withdrawn", subject_type="enrollment", subject_id__in=enrollment_ids
        ).count(),
    }


def _relations(student: Student) -> dict[str, int]:
    return {
        "sibling": Student.objects.filter(family_id=student.family_id, enrollments__status__in=["active", "paused"])
        .exclude(pk=student.pk)
        .distinct()
        .count(),
        "guardian": GuardianLink.objects.filter(student=student, status=GuardianLink.Status.APPROVED).count(),
        "referral": Student.objects.filter(referred_by=student).count(),
    }


def compute(student: Student, *, weights: dict | None = None, now=None) -> dict:
    """The V-Index and every term of it, without saving anything."""
    w = weights or VIndexWeights.current()
    now = now or timezone.now()
    counts = _counts(student, now - timedelta(days=int(w["window_days"])))
    relations = _relations(student)
    motions = (
        counts["attendance"] * w["attendance"] + counts["payment"] * w["payment"] + counts["feedback"] * w["feedback"]
    )
    threats = (
        counts["absence"] * w["absence"]
        + counts["late"] * w["late"]
        + counts["overdue"] * w["overdue"]
        + counts["withdrawal"] * w["withdrawal"]
    )
    relation_score = sum(relations[k] * w[k] for k in relations)
    first = Enrollment.objects.filter(student=student).aggregate(first=Min("starts_on"))["first"]
    months = min(max((timezone.localdate() - first).days / 30.44, 0.0), MAX_MONTHS) if first else 0.0
    value = w["base"] * (motions - threats) * (1 + w["interaction"] * relation_score) ** months
    return {
        "value": round(value, 3),
        "motions": round(motions, 3),
        "threats": round(threats, 3),
        "relations": round(relation_score, 3),
        "months": round(months, 2),
        "breakdown": {"counts": counts, "relations": relations, "weights": w},
    }


@transaction.atomic
def snapshot(student: Student, *, weights: dict | None = None) -> VIndexSnapshot:
    w = weights or VIndexWeights.current()
    result = compute(student, weights=w)
    previous = VIndexSnapshot.objects.filter(student=student).order_by("-computed_at").first()
    dropped = (
        previous is not None
        and previous.value > 0
        and (previous.value - result["value"]) / previous.value * 100 >= w["risk_drop_percent"]
    )
    at_risk = (result["value"] <= 0 and student.enrollments.filter(status__in=["active", "paused"]).exists()) or dropped
    return VIndexSnapshot.objects.create(
        student=student,
        computed_at=timezone.now(),
        value=result["value"],
        motions=result["motions"],
        threats=result["threats"],
        relations=result["relations"],
        months=result["months"],
        breakdown=result["breakdown"],
        at_risk=bool(at_risk),
    )


def recompute(student_ids=None) -> int:
    weights = VIndexWeights.current()
    students = Student.objects.exclude(status=Student.Status.WITHDRAWN)
    if student_ids is not None:
        students = Student.objects.filter(pk__in=student_ids)
    count = 0
    for student in students.iterator():
        snapshot(student, weights=weights)
        count += 1
    return count


def latest(student: Student) -> VIndexSnapshot | None:
    return VIndexSnapshot.objects.filter(student=student).order_by("-computed_at").first()


def latest_for(students) -> dict[int, VIndexSnapshot]:
    """`latest` of many students in one query: {student id: snapshot} (absent: none yet)."""
    rows = (
        VIndexSnapshot.objects.filter(student_id__in=[s.pk for s in students])
        .order_by("student_id", "-computed_at")
        .distinct("student_id")
    )
    return {row.student_id: row for row in rows}


def alerts():
    """Students whose latest snapshot says churn risk."""
    latest_ids = (
        VIndexSnapshot.objects.order_by("student_id", "-computed_at")
        .distinct("student_id")
        .values_list("pk", flat=True)
    )
    return VIndexSnapshot.objects.filter(pk__in=list(latest_ids), at_risk=True).select_related("student")


def schedule(student_ids) -> None:
    """Recompute after the events behind it are committed."""
    from ..tasks import recompute_vindex

    ids = sorted({int(pk) for pk in student_ids})
    if ids:
        recompute_vindex.delay_on_commit(ids)


__all__ = ["alerts", "compute", "latest", "recompute", "schedule", "snapshot"]
