from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from apps.academy import models as m
from apps.academy.services import attendance, billing, enrollment, feedback, people, schedule
from tests.academy.conftest import Academy, build_academy, student
from tests.utils import grant, make_user


@dataclass
class Families:
    academy: Academy
    mom: object  # user: guardian of 민준 and 서연
    dad: object  # user: guardian of 하준, another family
    minjun: m.Student
    seoyeon: m.Student
    hajun: m.Student
    absent_session: m.Session
    present_session: m.Session
    mom_invoice: m.Invoice
    dad_invoice: m.Invoice


def monday() -> date:
    today = timezone.localdate()
    return today - timedelta(days=today.weekday())


def build_families(t) -> Families:
    """Two families of one academy: 김영희 (two children) and 이정훈 (one), each with this
    month's invoice, this and last weeks' sessions, attendance with an absence, feedback
    and a video."""
    academy = build_academy(t)
    with t.context():
        start = monday() - timedelta(days=14)
        minjun = student("김민준", date(2015, 3, 2), "010-1234-5678")
        seoyeon = student("김서연", date(2017, 5, 5), "010-1234-5678")
        hajun = student("이하준", date(2015, 1, 15), "010-9999-1111")
        for kid, klass in ((minjun, academy.klass), (seoyeon, academy.other), (hajun, academy.klass)):
            enrollment.enroll(kid, klass, starts_on=start)
        schedule.generate_sessions(start, monday() + timedelta(days=6))
        billing.issue_monthly_invoices(timezone.localdate())
        last_week = list(
            m.Session.objects.filter(klass=academy.klass, date__gte=start, date__lt=monday()).order_by("date")
        )
        absent_session, present_session = last_week[-2], last_week[-1]
        attendance.mark(absent_session, minjun, "absent")
        attendance.mark(present_session, minjun, "present")
        attendance.mark(present_session, hajun, "present")
        feedback.give_feedback(present_session, minjun, text="패스가 좋아졌어요", skill=4, effort=5)
        feedback.give_feedback(present_session, hajun, text="하준이 피드백", skill=3)
        feedback.add_video(
            minjun, url="https://www.youtube.com/watch?v=dQw4w9WgXcQ", title="리그 하이라이트", kind="highlight"
        )
        mom, dad = make_user("mom"), make_user("dad")
        grant(mom, "guardian")
        grant(dad, "guardian")
        for phone, user in (("01012345678", mom), ("01099991111", dad)):
            guardian = m.Guardian.objects.get(phone_index=people.phone_index(phone))
            guardian.user = user
            guardian.save()
        mom_invoice, dad_invoice = (m.Invoice.objects.filter(family=kid.family).latest("pk") for kid in (minjun, hajun))
    return Families(
        academy, mom, dad, minjun, seoyeon, hajun, absent_session, present_session, mom_invoice, dad_invoice
    )


@pytest.fixture
def families(tenants, db) -> Families:
    return build_families(tenants["academy"])
