from datetime import date, datetime, time, timedelta

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from apps.academy.models import Attendance, Session
from apps.academy.services import attendance, enrollment, feedback, schedule, vindex
from apps.ledger.models import Event
from apps.notifications.models import Message

from .conftest import build_academy, student

pytestmark = pytest.mark.usefixtures("before_december")

DAY = date(2026, 12, 2)  # a Wednesday: 선수반 meets 16:00–17:30


def at(hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(DAY, time(hour, minute)))


@pytest.fixture
def lesson(academy):
    with academy.t.context():
        kids = [student(f"학생{i}", date(2015, 1, i + 1), f"010-3000-000{i}") for i in range(3)]
        for kid in kids:
            enrollment.enroll(kid, academy.klass, starts_on=date(2026, 12, 1))
        schedule.generate_sessions(DAY, DAY, [academy.klass])
        return Session.objects.get(klass=academy.klass, date=DAY), kids


def test_roll_call_marks_a_class_and_tells_guardians(academy, lesson):
    session, kids = lesson
    with academy.t.context():
        attendance.roll_call(session, {kids[0].pk: "present", kids[1].pk: "late"}, absent_rest=True)
        statuses = dict(Attendance.objects.values_list("student__name", "status"))
        assert statuses == {"학생0": "present", "학생1": "late", "학생2": "absent"}
        assert Message.objects.filter(template__code="attendance_arrival").count() == 2
        absence = Message.objects.get(template__code="attendance_absence")
        assert "학생2" in absence.text and absence.priority == "urgent"
        assert Event.objects.filter(kind="attendance.marked").count() == 3
        session.refresh_from_db()
        assert session.status == "held"


def test_roll_call_is_all_or_nothing(academy, lesson):
    session, kids = lesson
    with academy.t.context():
        outsider = student("외부인", date(2015, 5, 5), "010-3000-9999")
        with pytest.raises(ValidationError) as info:
            attendance.roll_call(session, {kids[0].pk: "present", outsider.pk: "present"})
        assert "student" in info.value.message_dict
        with pytest.raises(ValidationError):
            attendance.roll_call(session, {kids[0].pk: "asleep"})
        assert Attendance.objects.count() == 0


def test_marking_twice_notifies_once(academy, lesson):
    session, kids = lesson
    with academy.t.context():
        attendance.mark(session, kids[0], "present")
        attendance.mark(session, kids[0], "present")
        assert Message.objects.filter(template__code="attendance_arrival").count() == 1


def test_kiosk_pin_check_in_knows_late_and_refuses_unknown_pins(academy, lesson):
    session, kids = lesson
    with academy.t.context():
        pin = attendance.set_pin(kids[0])
        assert len(pin) == 6 and pin not in kids[0].kiosk_pin_hash
        first = attendance.kiosk_check_in(pin, at=at(15, 50))
        assert (first.session, first.status, first.method) == (session, "present", "kiosk")
        again = attendance.kiosk_check_in(pin, at=at(16, 5))
        assert again.pk == first.pk and again.status == "present"
        pin1 = attendance.set_pin(kids[1])
        assert attendance.kiosk_check_in(pin1, at=at(16, 20)).status == "late"
        with pytest.raises(ValidationError) as info:
            attendance.kiosk_check_in("000000" if pin != "000000" else "111111", at=at(16))
        assert "pin" in info.value.message_dict
        pin2 = attendance.set_pin(kids[2])
        with pytest.raises(ValidationError) as info:
            attendance.kiosk_check_in(pin2, at=at(12))  # no class within the hour
        assert "session" in info.value.message_dict


def test_a_second_tap_comes_with_its_student_and_session(academy, lesson):
    """The kiosk's answer to a repeated tap shows the student's name without reading the
    student again (fails when the mark comes back without them)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.academy.api.serializers import AttendanceSerializer

    session, kids = lesson
    with academy.t.context():
        pin = attendance.set_pin(kids[0])
        first = attendance.kiosk_check_in(pin, at=at(15, 50))
        again = attendance.kiosk_check_in(pin, at=at(16, 5))
        assert again.pk == first.pk and (again.session, again.student) == (session, kids[0])
        with CaptureQueriesContext(connection) as captured:
            data = AttendanceSerializer(again).data
        assert len(captured) == 0
        assert data == AttendanceSerializer(Attendance.objects.get(pk=first.pk)).data


def test_qr_codes_are_signed_expiring_and_per_academy(academy, lesson, tenants, monkeypatch):
    _session, kids = lesson
    with academy.t.context():
        token = attendance.qr_token(kids[0])
        assert attendance.qr_check_in(token, at=at(15, 55)).method == "qr"
        forged = token.replace(token.split(":")[0], str(kids[1].pk) + ".x", 1)
        with pytest.raises(ValidationError) as info:
            attendance.qr_check_in(forged, at=at(15, 55))
        assert "token" in info.value.message_dict
        real_time = signing.time.time
        monkeypatch.setattr(signing.time, "time", lambda: real_time() - 3600)
        stale = attendance.qr_token(kids[1])
        monkeypatch.setattr(signing.time, "time", real_time)
        with translation.override("en"), pytest.raises(ValidationError, match="expired"):
            attendance.qr_check_in(stale, at=at(15, 55))
    other = build_academy(tenants["academy_b"])
    with other.t.context(), pytest.raises(ValidationError):
        attendance.qr_check_in(token, at=at(15, 55))


def test_feedback_needs_attendance_and_valid_ratings(academy, lesson):
    session, kids = lesson
    with academy.t.context():
        with pytest.raises(ValidationError):
            feedback.give_feedback(session, kids[0], text="잘함")
        attendance.mark(session, kids[0], "present")
        with pytest.raises(ValidationError) as info:
            feedback.give_feedback(session, kids[0], text="잘함", skill=6)
        assert "skill" in info.value.message_dict
        note = feedback.give_feedback(session, kids[0], text="드리블이 좋아졌어요", effort=5, skill=4)
        assert note.coach == academy.coach
        video = feedback.add_video(
            kids[0], url="https://youtu.be/dQw4w9WgXcQ", title="12월 경기", kind="match", tags=["골", " "]
        )
        assert video.youtube_id == "dQw4w9WgXcQ" and video.tags == ["골"]
        with pytest.raises(ValidationError) as info:
            feedback.add_video(kids[0], url="https://example.com/v.mp4", title="x", kind="match")
        assert "url" in info.value.message_dict


def test_vindex_terms_come_from_events_and_a_fall_flags_risk(academy, lesson):
    session, kids = lesson
    with academy.t.context():
        kid = kids[0]
        attendance.mark(session, kid, "present")
        result = vindex.compute(kid)
        assert result["breakdown"]["counts"]["attendance"] == 1
        assert result["motions"] == 1.0 and result["threats"] == 0
        first = vindex.snapshot(kid)
        assert not first.at_risk
        attendance.mark(session, kid, "absent")  # changed her mind: now an absence too
        later_sessions = schedule.generate_sessions(DAY + timedelta(days=1), DAY + timedelta(days=14), [academy.klass])
        assert later_sessions > 0
        for s in Session.objects.filter(klass=academy.klass, date__gt=DAY)[:3]:
            attendance.mark(s, kid, "absent")
        second = vindex.snapshot(kid)
        assert second.threats > 0 and second.value < first.value
        assert second.at_risk
        assert kid.pk in [s.student_id for s in vindex.alerts()]
