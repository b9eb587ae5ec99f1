from datetime import date, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.academy.models import Consultation, Enrollment, Holiday, Session, Student
from apps.academy.services import consultations, schedule

from .conftest import student

pytestmark = pytest.mark.usefixtures("before_december")


def test_consultation_moves_only_along_its_path_and_converts_in_one_step(academy):
    with academy.t.context():
        c = consultations.open_consultation(
            student_name="최유나",
            guardian_phone="010-3333-4444",
            guardian_name="최엄마",
            birth_date=date(2016, 5, 5),
            klass=academy.klass,
        )
        with pytest.raises(ValidationError) as info:
            consultations.move(c, "scheduled")
        assert "scheduled_at" in info.value.message_dict
        consultations.move(c, "scheduled", scheduled_at=timezone.make_aware(datetime(2026, 12, 1, 15)))
        consultations.move(c, "held")
        enrollment = consultations.convert(c, starts_on=date(2026, 12, 1))
        c.refresh_from_db()
        assert c.status == Consultation.Status.ENROLLED and c.student == enrollment.student
        assert enrollment.klass == academy.klass and enrollment.consultation == c
        with pytest.raises(ValidationError):
            consultations.convert(c)
        with pytest.raises(ValidationError):
            consultations.move(c, "new")


def test_conversion_finds_an_existing_family(academy):
    with academy.t.context():
        sibling = student("최형", date(2013, 1, 1), "010-3333-4444")
        c = consultations.open_consultation(
            student_name="최동생", guardian_phone="01033334444", birth_date=date(2017, 1, 1)
        )
        enrollment = consultations.convert(c, klass=academy.other, starts_on=date(2026, 12, 1))
        assert enrollment.student.family_id == sibling.family_id
        assert Student.objects.count() == 2


def test_lost_needs_a_reason_and_bad_phone_is_refused(academy):
    with academy.t.context():
        with pytest.raises(ValidationError) as info:
            consultations.open_consultation(student_name="x", guardian_phone="12")
        assert "guardian_phone" in info.value.message_dict
        c = consultations.open_consultation(student_name="x")
        with pytest.raises(ValidationError) as info:
            consultations.move(c, "lost")
        assert "lost_reason" in info.value.message_dict
        consultations.move(c, "lost", lost_reason="거리가 멀어서")
        assert Consultation.objects.get().status == "lost"


def test_sessions_are_generated_once_and_skip_holidays(academy):
    with academy.t.context():
        Holiday.objects.create(date=date(2026, 12, 25), name="성탄절")
        made = schedule.generate_sessions(date(2026, 12, 1), date(2026, 12, 31))
        again = schedule.generate_sessions(date(2026, 12, 1), date(2026, 12, 31))
        # 선수반 Mon/Wed/Fri: 13 meetings − 1 holiday; 실전반 Tue/Thu: 10
        assert (made, again) == (12 + 10, 0)
        assert not Session.objects.filter(date=date(2026, 12, 25)).exists()


def test_cancel_and_make_up_change_what_counts_and_tell_guardians(academy):
    from apps.academy.services import enrollment
    from apps.notifications.models import Message

    with academy.t.context():
        kid = student()
        enrollment.enroll(kid, academy.klass, starts_on=date(2026, 12, 1))
        schedule.generate_sessions(date(2026, 12, 1), date(2026, 12, 31), [academy.klass])
        session = Session.objects.get(klass=academy.klass, date=date(2026, 12, 2))
        schedule.cancel_session(session, reason="코치 사정")
        makeup = schedule.schedule_makeup(session, on=date(2026, 12, 5), starts_at=time(10), ends_at=time(11, 30))
        dates = schedule.instruction_dates(academy.klass, date(2026, 12, 1), date(2026, 12, 31))
        assert date(2026, 12, 2) not in dates and date(2026, 12, 5) in dates and len(dates) == 13
        assert makeup.makeup_for == session
        assert Message.objects.filter(template__code="schedule_change").count() == 2
        with pytest.raises(ValidationError):
            schedule.schedule_makeup(session, on=date(2026, 12, 5), starts_at=time(10), ends_at=time(11, 30))


def test_timetable_rejects_a_slot_that_ends_before_it_starts(academy):
    with academy.t.context(), pytest.raises(ValidationError) as info:
        schedule.add_slot(academy.klass, weekday=5, starts_at=time(12), ends_at=time(11))
    assert "ends_at" in info.value.message_dict


def test_enrollments_are_counted_for_capacity_after_conversion(academy):
    with academy.t.context():
        assert Enrollment.objects.count() == 0
