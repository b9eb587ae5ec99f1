"""Live exam rooms (issue 14, item 5).

A teacher opens a room for one of their classes and an exam. Students of the class join
(their attempt starts when the room runs, with the room's end time as its deadline); the
teacher starts, pauses (answers are refused; the clock stops), resumes (every deadline
moves by the pause), extends (every deadline moves) and ends it (every attempt in progress
is submitted). Each change is broadcast after commit to the room's group; the teacher's
group also hears each student's progress (items answered, current SE, time left) and
presence (apps/learning/consumers.py).

Groups (schema-prefixed by apps.core.websocket): `learning.room.<id>` (everyone in the room)
and `learning.room.<id>.teacher` (the teachers' sockets only).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.services import invalid, record
from apps.core.websocket import broadcast_on_commit

from ..models import Attempt, Enrollment, Exam, Klass, LiveRoom, Student
from . import attempts


def room_group(room_id: int) -> str:
    return f"learning.room.{room_id}"


def teacher_group(room_id: int) -> str:
    return f"learning.room.{room_id}.teacher"


def state(room: LiveRoom) -> dict:
    return {
        "type": "room.state",
        "room": room.pk,
        "status": room.status,
        "remaining_seconds": room.remaining_seconds(),
        "ends_at": room.ends_at.isoformat() if room.ends_at else None,
    }


def _announce(room: LiveRoom) -> None:
    broadcast_on_commit(room_group(room.pk), state(room))


def progress(attempt: Attempt) -> dict:
    return {
        "type": "room.progress",
        "room": attempt.room_id,
        "student": attempt.student_id,
        "attempt": attempt.pk,
        "status": attempt.status,
        "answered": attempt.n_answered,
        "se": attempt.se,
        "remaining_seconds": (
            max(0, int((attempt.deadline - timezone.now()).total_seconds())) if attempt.deadline else None
        ),
    }


def report_progress(attempt: Attempt) -> None:
    """Tell the room's teachers how a student is doing (after commit)."""
    if attempt.room_id:
        broadcast_on_commit(teacher_group(attempt.room_id), progress(attempt))


@transaction.atomic
def open_room(*, exam: Exam, klass: Klass, duration_seconds: int, actor) -> LiveRoom:
    if exam.status != Exam.Status.PUBLISHED:
        raise invalid(exam=_("The exam is not published."))
    if exam.organisation_id is not None and exam.organisation_id != klass.organisation_id:
        raise invalid(exam=_("The exam belongs to another organisation."))
    if not 60 <= duration_seconds <= 6 * 3600:
        raise invalid(duration_seconds=_("Between 1 minute and 6 hours."))
    room = LiveRoom.objects.create(exam=exam, klass=klass, duration_seconds=duration_seconds, opened_by=actor)
    record("learning.room.opened", room, actor=actor, exam=exam.pk, klass=klass.pk)
    return room


def _locked(room: LiveRoom) -> LiveRoom:
    return LiveRoom.objects.select_for_update(of=("self",)).select_related("exam").get(pk=room.pk)


@transaction.atomic
def start(room: LiveRoom, *, actor) -> LiveRoom:
    room = _locked(room)
    if room.status != LiveRoom.Status.WAITING:
        raise invalid(status=_("The room has already started."))
    now = timezone.now()
    room.status, room.started_at = LiveRoom.Status.RUNNING, now
    room.ends_at = now + timedelta(seconds=room.duration_seconds)
    room.save(update_fields=["status", "started_at", "ends_at", "updated_at"])
    record("learning.room.started", room, actor=actor)
    _announce(room)
    return room


@transaction.atomic
def pause(room: LiveRoom, *, actor) -> LiveRoom:
    room = _locked(room)
    if room.status != LiveRoom.Status.RUNNING:
        raise invalid(status=_("Only a running room can be paused."))
    room.status, room.paused_at = LiveRoom.Status.PAUSED, timezone.now()
    room.save(update_fields=["status", "paused_at", "updated_at"])
    record("learning.room.paused", room, actor=actor)
    _announce(room)
    return room


def _shift(room: LiveRoom, seconds: float, *, actor) -> None:
    delta = timedelta(seconds=seconds)
    room.ends_at = (room.ends_at or timezone.now()) + delta
    active = Attempt.objects.filter(room=room, status=Attempt.Status.ACTIVE)
    active.update(deadline=F("deadline") + delta, version=F("version") + 1)
    for attempt in active:
        attempts.reschedule(attempt)


@transaction.atomic
def resume(room: LiveRoom, *, actor) -> LiveRoom:
    room = _locked(room)
    if room.status != LiveRoom.Status.PAUSED:
        raise invalid(status=_("The room is not paused."))
    _shift(room, (timezone.now() - room.paused_at).total_seconds(), actor=actor)
    room.status, room.paused_at = LiveRoom.Status.RUNNING, None
    room.save(update_fields=["status", "paused_at", "ends_at", "updated_at"])
    record("learning.room.resumed", room, actor=actor)
    _announce(room)
    return room


@transaction.atomic
def extend(room: LiveRoom, seconds: int, *, actor) -> LiveRoom:
    room = _locked(room)
    if room.status not in (LiveRoom.Status.RUNNING, LiveRoom.Status.PAUSED, LiveRoom.Status.WAITING):
        raise invalid(status=_("The room has ended."))
    if not isinstance(seconds, int) or not 1 <= seconds <= 3600:
        raise invalid(seconds=_("Between 1 second and 1 hour."))
    if room.status == LiveRoom.Status.WAITING:
        room.duration_seconds += seconds
    else:
        _shift(room, seconds, actor=actor)
    room.save(update_fields=["duration_seconds", "ends_at", "updated_at"])
    record("learning.room.extended", room, actor=actor, seconds=seconds)
    _announce(room)
    return room


@transaction.atomic
def end(room: LiveRoom, *, actor) -> LiveRoom:
    room = _locked(room)
    if room.status == LiveRoom.Status.ENDED:
        return room
    room.status, room.ended_at, room.paused_at = LiveRoom.Status.ENDED, timezone.now(), None
    room.save(update_fields=["status", "ended_at", "paused_at", "updated_at"])
    for attempt in Attempt.objects.filter(room=room, status=Attempt.Status.ACTIVE):
        attempts.submit(attempt, actor=actor)
    record("learning.room.ended", room, actor=actor)
    _announce(room)
    return room


def is_member(room: LiveRoom, student: Student) -> bool:
    return Enrollment.objects.filter(klass_id=room.klass_id, student=student, is_active=True).exists()


def join(room: LiveRoom, student: Student, *, actor, request=None) -> Attempt | None:
    """A student of the class enters the room: once it runs, their attempt (started now, or
    the one in progress) with the room's end as deadline; None while it waits."""
    if not is_member(room, student):
        raise invalid(room=_("You are not in this room's class."))
    room = LiveRoom.objects.select_related("exam").get(pk=room.pk)
    if room.status == LiveRoom.Status.WAITING:
        return None
    if room.status == LiveRoom.Status.ENDED:
        raise invalid(room=_("The room has ended."))
    existing = Attempt.objects.filter(room=room, student=student).order_by("-started_at").first()
    if existing is not None:
        return existing
    step, _created = attempts.start(room.exam, student, actor=actor, request=request, room=room)
    return step.attempt
