"""Attendance (출석): roll call by staff, kiosk PIN and QR code; the live board.

Every check-in is broadcast after commit to the academy's board group and the class's,
both prefixed with the tenant's schema (never reaching another academy), and guardians
are notified of arrivals and absences.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from django.core import signing
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.pii import blind_index
from apps.core.services import invalid, record, unknown
from apps.core.websocket import broadcast_on_commit

from ..models import AcademySettings, Attendance, Enrollment, Session, Student

QR_MAX_AGE = timedelta(minutes=10)
CHECK_IN_WINDOW = timedelta(minutes=60)  # how early a kiosk/QR check-in finds the next session
ATTENDED = (Attendance.Status.PRESENT, Attendance.Status.LATE, Attendance.Status.LEFT_EARLY)


def board_group(name: str) -> str:
    """The board's group `name` ("academy", "class.<id>"), schema-prefixed by apps.core.websocket."""
    return f"attendance.{name}"


def enrolled_on(session: Session):
    """Students enrolled in the session's class on its date."""
    return (
        Student.objects.filter(
            enrollments__klass=session.klass,
            enrollments__starts_on__lte=session.date,
            enrollments__status__in=[
                Enrollment.Status.ACTIVE,
                Enrollment.Status.PAUSED,
                Enrollment.Status.WITHDRAWN,
                Enrollment.Status.TRANSFERRED,
            ],
        )
        .filter(Q(enrollments__ends_on__isnull=True) | Q(enrollments__ends_on__gte=session.date))
        .distinct()
    )


def session_counts(session: Session) -> dict:
    counts = dict(
        Attendance.objects.filter(session=session)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    expected = enrolled_on(session).count()
    return {"expected": expected, **{status: counts.get(status, 0) for status in Attendance.Status.values}}


def session_counts_many(sessions) -> dict[int, dict]:
    """session_counts of many sessions in two queries: {session id: counts}."""
    sessions = list(sessions)
    marks: dict[int, dict[str, int]] = {}
    for session_id, status, n in (
        Attendance.objects.filter(session__in=sessions)
        .values_list("session_id", "status")
        .annotate(n=Count("id"))
        .values_list("session_id", "status", "n")
    ):
        marks.setdefault(session_id, {})[status] = n
    # enrolled_on's rule, applied to the enrollments of every class on the page.
    enrollments = list(
        Enrollment.objects.filter(
            klass_id__in={s.klass_id for s in sessions},
            status__in=[
                Enrollment.Status.ACTIVE,
                Enrollment.Status.PAUSED,
                Enrollment.Status.WITHDRAWN,
                Enrollment.Status.TRANSFERRED,
            ],
        ).values_list("klass_id", "student_id", "starts_on", "ends_on")
    )
    result = {}
    for session in sessions:
        expected = {
            student
            for klass, student, starts, ends in enrollments
            if klass == session.klass_id and starts <= session.date and (ends is None or ends >= session.date)
        }
        counts = marks.get(session.pk, {})
        result[session.pk] = {
            "expected": len(expected),
            **{status: counts.get(status, 0) for status in Attendance.Status.values},
        }
    return result


def _broadcast(attendance: Attendance) -> None:
    """Send the change to every group that may hear it, after commit.

    The academy's and the class's groups carry the whole class (with its counts); the
    student's group carries that student's row only, for their guardians and themselves.
    Which of these groups a socket may join is the REST scope's decision
    (apps.academy.scopes, register_groups), so no event reaches a socket outside it."""
    session = attendance.session
    row = {
        "type": "attendance.changed",
        "event": uuid.uuid4().hex,  # a socket in two of the groups shows it once
        "session": session.pk,
        "class_id": session.klass_id,
        "class_name": session.klass.name,
        "student": {"id": attendance.student_id, "name": attendance.student.name},
        "status": attendance.status,
        "method": attendance.method,
        "at": (attendance.checked_in_at or attendance.updated_at).isoformat(),
    }
    whole_class = {**row, "counts": session_counts(session)}
    broadcast_on_commit(board_group("academy"), whole_class)
    broadcast_on_commit(board_group(f"class.{session.klass_id}"), whole_class)
    broadcast_on_commit(board_group(f"student.{attendance.student_id}"), row)


@transaction.atomic
def mark(
    session: Session,
    student: Student,
    status: str,
    *,
    method: str = Attendance.Method.ROLL_CALL,
    at: datetime | None = None,
    note: str = "",
    actor=None,
) -> Attendance:
    if status not in Attendance.Status.values:
        raise invalid(status=_("Unknown attendance status %(status)s.") % {"status": status})
    if session.status == Session.Status.CANCELLED:
        raise invalid(session=_("This session was cancelled."))
    if not enrolled_on(session).filter(pk=student.pk).exists():
        raise invalid(
            student=_("%(student)s is not in %(klass)s on %(date)s.")
            % {"student": student.name, "klass": session.klass.name, "date": session.date}
        )
    at = at or timezone.now()
    attendance, created = Attendance.objects.select_for_update().get_or_create(
        session=session, student=student, defaults={"status": status, "method": method}
    )
    previous = None if created else attendance.status
    attendance.status, attendance.method, attendance.note = status, method, note[:200]
    attendance.recorded_by = actor if getattr(actor, "pk", None) else None
    if status in (Attendance.Status.PRESENT, Attendance.Status.LATE) and not attendance.checked_in_at:
        attendance.checked_in_at = at
    if status == Attendance.Status.LEFT_EARLY:
        attendance.checked_out_at = at
    attendance.save()
    if session.status == Session.Status.SCHEDULED and status in ATTENDED:
        session.status = Session.Status.HELD
        session.save(update_fields=["status", "updated_at"])
    if previous != status:
        record(
            "attendance.marked",
            attendance.student,
            actor,
            session=session.pk,
            status=status,
            method=method,
            previous=previous,
        )
        from . import vindex
        from .notifying import attendance_marked

        attendance_marked(attendance, actor=actor)
        vindex.schedule([student.pk])
    _broadcast(attendance)
    return attendance


@transaction.atomic
def roll_call(session: Session, marks: dict[int, str], *, absent_rest: bool = False, actor=None) -> list[Attendance]:
    """A whole class at once, all or nothing: one bad mark and none is saved."""
    students = {s.pk: s for s in enrolled_on(session)}
    unknown = [pk for pk in marks if pk not in students]
    if unknown:
        raise invalid(student=_("Not in this class on this date: %(ids)s") % {"ids": ", ".join(map(str, unknown))})
    if absent_rest:
        marked = set(Attendance.objects.filter(session=session).values_list("student_id", flat=True))
        marks = {**{pk: Attendance.Status.ABSENT for pk in students if pk not in marked}, **marks}
    return [mark(session, students[pk], status, actor=actor) for pk, status in marks.items()]


def _late_or_present(session: Session, at: datetime) -> str:
    starts = timezone.make_aware(datetime.combine(session.date, session.starts_at))
    late_after = timedelta(minutes=AcademySettings.current().late_after_minutes)
    return Attendance.Status.LATE if at > starts + late_after else Attendance.Status.PRESENT


def current_session(student: Student, at: datetime) -> Session | None:
    """The session of one of the student's classes that a check-in at `at` is for: today,
    starting within the next hour or already under way."""
    local = timezone.localtime(at)
    candidates = (
        Session.objects.filter(
            date=local.date(),
            status__in=[Session.Status.SCHEDULED, Session.Status.HELD],
            klass__enrollments__student=student,
            klass__enrollments__status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED],
        )
        .select_related("klass")
        .distinct()
    )
    for session in sorted(candidates, key=lambda s: s.starts_at):
        starts = timezone.make_aware(datetime.combine(session.date, session.starts_at))
        ends = timezone.make_aware(datetime.combine(session.date, session.ends_at))
        if starts - CHECK_IN_WINDOW <= at <= ends:
            return session
    return None


def _self_check_in(student: Student, method: str, at: datetime | None) -> Attendance:
    at = at or timezone.now()
    session = current_session(student, at)
    if session is None:
        raise invalid(session=_("%(student)s has no class starting within the hour.") % {"student": student.name})
    existing = Attendance.objects.filter(session=session, student=student).first()
    if existing and existing.status in (Attendance.Status.PRESENT, Attendance.Status.LATE):
        # A second tap changes nothing. The mark comes with the student and session already
        # read, as a new mark does: the kiosk's answer shows the student's name, which
        # was otherwise read again (a query and its compilation, ~0.5 ms of CPU).
        existing.session, existing.student = session, student
        return existing
    return mark(session, student, _late_or_present(session, at), method=method, at=at, actor=f"{method}:{student.pk}")


# ---------------------------------------------------------------------------- kiosk PIN


def pin_index(pin: str) -> str:
    return blind_index("kiosk-pin", f"{connection.schema_name}:{pin}")


@transaction.atomic
def set_pin(student: Student, pin: str | None = None, *, actor=None) -> str:
    """Give the student a kiosk PIN (6 digits, unique in the academy); returns it once."""
    if pin is not None and (not pin.isdigit() or len(pin) != 6):
        raise invalid(pin=_("A PIN is 6 digits."))
    for _attempt in range(20):
        candidate = pin or f"{secrets.randbelow(10**6):06d}"
        index = pin_index(candidate)
        if not Student.objects.filter(kiosk_pin_hash=index).exclude(pk=student.pk).exists():
            student.kiosk_pin_hash = index
            student.save(update_fields=["kiosk_pin_hash", "updated_at"])
            record("student.pin_set", student, actor)
            return candidate
        if pin:
            raise invalid(pin=_("Another student has this PIN."))
    raise invalid(pin=_("Could not find a free PIN; try again."))


def kiosk_check_in(pin: str, *, at: datetime | None = None) -> Attendance:
    if not AcademySettings.current().kiosk_enabled:
        raise invalid(pin=_("Kiosk check-in is turned off."))
    student = Student.objects.filter(kiosk_pin_hash=pin_index(str(pin).strip())).first() if pin else None
    if student is None:
        raise unknown(pin=_("No student has this PIN."))
    return _self_check_in(student, Attendance.Method.KIOSK, at)


# ---------------------------------------------------------------------------- QR code


def _qr_signer() -> signing.TimestampSigner:
    # The schema is in the salt: a code made for one academy is worthless at another.
    return signing.TimestampSigner(salt=f"academy.qr.{connection.schema_name}")


def qr_token(student: Student) -> str:
    """What the student's QR code encodes; valid for QR_MAX_AGE, then a new one is shown."""
    return _qr_signer().sign(f"{student.pk}.{secrets.token_urlsafe(6)}")


def qr_check_in(token: str, *, at: datetime | None = None) -> Attendance:
    try:
        value = _qr_signer().unsign(token, max_age=QR_MAX_AGE)
    except signing.SignatureExpired:
        raise invalid(token=_("This QR code has expired; show a fresh one.")) from None
    except signing.BadSignature:
        raise unknown(token=_("This QR code is not valid here.")) from None
    student = Student.objects.filter(pk=int(value.split(".")[0])).first()
    if student is None:
        raise unknown(token=_("This QR code is not valid here."))
    return _self_check_in(student, Attendance.Method.QR, at)


def today_board(classes=None, *, whole=None, students=None) -> list[dict]:
    """Today's sessions: the board's first picture before live updates.

    `whole`: the classes whose every student the viewer may see (None: all), which get
    their counts; `students`: the students of the other classes the viewer may see,
    listed with their status instead."""
    today = timezone.localdate()
    sessions = (
        Session.objects.filter(date=today)
        .exclude(status=Session.Status.CANCELLED)
        .select_related("klass", "klass__coach")
    )
    if classes is not None:
        sessions = sessions.filter(klass__in=classes)
    board = []
    for s in sessions.order_by("starts_at"):
        entry = {
            "session": s.pk,
            "class_id": s.klass_id,
            "class_name": s.klass.name,
            "coach": s.klass.coach.name if s.klass.coach else "",
            "starts_at": f"{s.starts_at:%H:%M}",
            "ends_at": f"{s.ends_at:%H:%M}",
        }
        if whole is None or s.klass_id in whole:
            entry["counts"] = session_counts(s)
        else:
            status = dict(Attendance.objects.filter(session=s).values_list("student_id", "status"))
            entry["students"] = [
                {"student": {"id": kid.pk, "name": kid.name}, "status": status.get(kid.pk)}
                for kid in enrolled_on(s).filter(pk__in=students or ()).order_by("name")
            ]
        board.append(entry)
    return board
