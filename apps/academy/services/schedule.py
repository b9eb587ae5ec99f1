"""Classes, timetables and sessions."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.services import invalid, record

from ..models import Class, Holiday, Session, TimetableSlot


def _days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def planned_meetings(klass: Class, start: date, end: date) -> list[tuple[date, time, time]]:
    """The timetable's meetings of a class between two dates, holidays left out."""
    slots = list(klass.slots.all())
    holidays = set(Holiday.objects.filter(date__range=(start, end)).values_list("date", flat=True))
    return [
        (day, slot.starts_at, slot.ends_at)
        for day in _days(start, end)
        if day not in holidays
        for slot in slots
        if slot.weekday == day.weekday()
    ]


@transaction.atomic
def generate_sessions(start: date, end: date, classes=None, *, actor=None) -> int:
    """Create the sessions the timetable plans between two dates. Idempotent: sessions
    that exist (including cancelled ones) are left alone. Returns how many were made."""
    if end < start:
        raise invalid(end=_("The end date is before the start date."))
    if (end - start).days > 400:
        raise invalid(end=_("Generate at most about a year of sessions at a time."))
    classes = list(classes if classes is not None else Class.objects.filter(is_active=True).prefetch_related("slots"))
    existing = set(
        Session.objects.filter(klass__in=classes, date__range=(start, end)).values_list("klass_id", "date", "starts_at")
    )
    new = [
        Session(klass=klass, date=day, starts_at=starts, ends_at=ends)
        for klass in classes
        for day, starts, ends in planned_meetings(klass, start, end)
        if (klass.pk, day, starts) not in existing
    ]
    Session.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        record(
            "session.generated",
            ("class", ",".join(str(c.pk) for c in classes)),
            actor,
            start=start,
            end=end,
            count=len(new),
        )
    return len(new)


@transaction.atomic
def cancel_session(session: Session, *, reason: str = "", actor=None) -> Session:
    if session.status == Session.Status.HELD:
        raise invalid(status=_("A session that was held cannot be cancelled."))
    if session.status != Session.Status.CANCELLED:
        session.status, session.note = Session.Status.CANCELLED, reason[:200]
        session.save(update_fields=["status", "note", "updated_at"])
        record("session.cancelled", session, actor, reason=reason)
        from .notifying import schedule_changed

        schedule_changed(session, actor=actor)
    return session


@transaction.atomic
def schedule_makeup(session: Session, *, on: date, starts_at: time, ends_at: time, actor=None) -> Session:
    """A make-up meeting for a cancelled session."""
    if session.status != Session.Status.CANCELLED:
        raise invalid(makeup_for=_("Only a cancelled session can be made up."))
    if ends_at <= starts_at:
        raise invalid(ends_at=_("The make-up must end after it starts."))
    if Session.objects.filter(klass=session.klass, date=on, starts_at=starts_at).exists():
        raise invalid(date=_("The class already meets at that time."))
    makeup = Session.objects.create(
        klass=session.klass, date=on, starts_at=starts_at, ends_at=ends_at, makeup_for=session
    )
    record("session.makeup_scheduled", makeup, actor, makeup_for=session.pk)
    from .notifying import schedule_changed

    schedule_changed(makeup, actor=actor)
    return makeup


def instruction_dates(klass: Class, start: date, end: date) -> list[date]:
    """The dates a class really meets: its planned meetings minus cancelled sessions, plus
    make-ups — what proration and the refund rule count."""
    cancelled = set(
        Session.objects.filter(klass=klass, date__range=(start, end), status=Session.Status.CANCELLED).values_list(
            "date", "starts_at"
        )
    )
    planned = [
        (day, starts) for day, starts, _ends in planned_meetings(klass, start, end) if (day, starts) not in cancelled
    ]
    makeups = list(
        Session.objects.filter(klass=klass, date__range=(start, end), makeup_for__isnull=False)
        .exclude(status=Session.Status.CANCELLED)
        .values_list("date", "starts_at")
    )
    return sorted(day for day, _starts in set(planned) | set(makeups))


def add_slot(klass: Class, *, weekday: int, starts_at: time, ends_at: time, actor=None) -> TimetableSlot:
    if ends_at <= starts_at:
        raise invalid(ends_at=_("A class must end after it starts."))
    slot, created = TimetableSlot.objects.get_or_create(
        klass=klass, weekday=weekday, starts_at=starts_at, defaults={"ends_at": ends_at}
    )
    if created:
        record("class.slot_added", klass, actor, weekday=weekday, starts_at=starts_at, ends_at=ends_at)
    return slot
