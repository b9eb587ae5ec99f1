"""Consultations (상담): new → scheduled → held → enrolled / lost."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.normalise import normalise_phone
from apps.core.services import invalid, record

from ..models import Class, Consultation, Enrollment


@transaction.atomic
def open_consultation(
    *,
    student_name: str,
    guardian_phone=None,
    guardian_name: str = "",
    birth_date: date | None = None,
    source: str = Consultation.Source.PHONE,
    klass: Class | None = None,
    interest: str = "",
    notes: str = "",
    assigned_to=None,
    follow_up_on: date | None = None,
    referred_by=None,
    actor=None,
) -> Consultation:
    if not (student_name or "").strip():
        raise invalid(student_name=_("Who is the consultation about?"))
    if source not in Consultation.Source.values:
        raise invalid(source=_("Unknown source %(source)s.") % {"source": source})
    try:
        phone = normalise_phone(guardian_phone)
    except ValueError as exc:
        raise invalid(guardian_phone=str(exc)) from None
    consultation = Consultation.objects.create(
        student_name=student_name.strip(),
        guardian_phone=phone,
        guardian_name=guardian_name,
        birth_date=birth_date,
        source=source,
        klass=klass,
        interest=interest,
        notes=notes,
        assigned_to=assigned_to,
        follow_up_on=follow_up_on,
        referred_by=referred_by,
    )
    record("consultation.created", consultation, actor, source=source, klass=klass.name if klass else None)
    return consultation


@transaction.atomic
def move(
    consultation: Consultation,
    status: str,
    *,
    scheduled_at: datetime | None = None,
    follow_up_on: date | None = None,
    lost_reason: str = "",
    notes: str | None = None,
    actor=None,
) -> Consultation:
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if status not in Consultation.Status.values:
        raise invalid(status=_("Unknown status %(status)s.") % {"status": status})
    if status == Consultation.Status.ENROLLED:
        raise invalid(status=_("Convert the consultation to enroll the student."))
    if status not in Consultation.TRANSITIONS[consultation.status]:
        raise invalid(
            status=_("A consultation cannot go from %(old)s to %(new)s.") % {"old": consultation.status, "new": status}
        )
    if status == Consultation.Status.SCHEDULED and not scheduled_at:
        raise invalid(scheduled_at=_("When is the consultation?"))
    if status == Consultation.Status.LOST and not lost_reason:
        raise invalid(lost_reason=_("Say why the family did not enroll."))
    previous = consultation.status
    consultation.status = status
    consultation.scheduled_at = scheduled_at or consultation.scheduled_at
    consultation.follow_up_on = follow_up_on if follow_up_on is not None else consultation.follow_up_on
    consultation.lost_reason = lost_reason or consultation.lost_reason
    if notes is not None:
        consultation.notes = notes
    consultation.save()
    record(f"consultation.{status}", consultation, actor, previous=previous, lost_reason=lost_reason or None)
    return consultation


@transaction.atomic
def convert(
    consultation: Consultation,
    *,
    klass: Class | None = None,
    starts_on: date | None = None,
    plan: str = Enrollment.Plan.MONTHLY,
    actor=None,
) -> Enrollment:
    """One step from consultation to enrollment: the student and guardian (found again if
    they exist), then the enrollment."""
    from . import enrollment as enrollments
    from .people import upsert_student

    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if consultation.status == Consultation.Status.ENROLLED:
        raise invalid(status=_("This consultation was already converted."))
    if Consultation.Status.ENROLLED not in Consultation.TRANSITIONS[consultation.status]:
        raise invalid(status=_("Reopen the consultation before converting it."))
    klass = klass or consultation.klass
    if klass is None:
        raise invalid(klass=_("Choose the class to enroll in."))
    result = upsert_student(
        name=consultation.student_name,
        birth_date=consultation.birth_date,
        guardian_phone=consultation.guardian_phone,
        guardian_name=consultation.guardian_name,
        actor=actor,
    )
    if consultation.referred_by_id and not result.student.referred_by_id:
        result.student.referred_by_id = consultation.referred_by_id
        result.student.save(update_fields=["referred_by", "updated_at"])
    enrollment = enrollments.enroll(
        result.student,
        klass,
        starts_on=starts_on or timezone.localdate(),
        plan=plan,
        actor=actor,
        consultation=consultation,
    )
    consultation.status, consultation.student = Consultation.Status.ENROLLED, result.student
    consultation.save(update_fields=["status", "student", "updated_at"])
    record("consultation.enrolled", consultation, actor, student=result.student.pk, enrollment=enrollment.pk)
    return enrollment


def to_follow_up(today: date | None = None):
    today = today or timezone.localdate()
    return Consultation.objects.filter(
        status__in=[Consultation.Status.NEW, Consultation.Status.SCHEDULED, Consultation.Status.HELD],
        follow_up_on__lte=today,
    ).order_by("follow_up_on")
