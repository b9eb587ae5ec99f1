from dataclasses import dataclass
from datetime import date, time

import pytest
from django.utils import timezone

from apps.academy import models as m
from apps.academy.services import enrollment, people, schedule


@dataclass
class Academy:
    t: object
    programme: m.Programme
    coach: m.Coach
    klass: m.Class  # Mon/Wed/Fri 16:00-17:30, 200,000 won a month
    other: m.Class  # Tue/Thu 18:00-19:00, 120,000 won a month


def build_academy(t) -> Academy:
    with t.context():
        programme = m.Programme.objects.create(name="축구")
        coach = m.Coach.objects.create(name="박코치")
        klass = m.Class.objects.create(
            programme=programme,
            name="선수반",
            coach=coach,
            capacity=3,
            monthly_fee=200_000,
            pass_sessions=8,
            pass_price=180_000,
        )
        other = m.Class.objects.create(programme=programme, name="실전반", capacity=10, monthly_fee=120_000)
        for weekday in (0, 2, 4):
            schedule.add_slot(klass, weekday=weekday, starts_at=time(16, 0), ends_at=time(17, 30))
        for weekday in (1, 3):
            schedule.add_slot(other, weekday=weekday, starts_at=time(18, 0), ends_at=time(19, 0))
        m.AcademySettings.current()
        return Academy(t, programme, coach, klass, other)


@pytest.fixture
def academy(tenants, db):
    return build_academy(tenants["academy"])


def student(name="김민준", birth=date(2015, 3, 2), guardian="010-1234-5678", **kwargs) -> m.Student:
    return people.upsert_student(
        name=name, birth_date=birth, guardian_phone=guardian, guardian_name="김영희", **kwargs
    ).student


def enrolled_kids(academy: Academy, second_birth: date | None = date(2016, 2, 2)) -> list[m.Student]:
    """Three students in the academy's class from 2026-12-01, the first two one family (the
    same guardian's phone); the second's birth date as given (None: not known)."""
    kids = [
        student("가람", date(2015, 1, 1), "010-1111-2222"),
        student("나래", second_birth, "010-1111-2222"),
        student("다온", date(2014, 3, 3), "010-3333-4444"),
    ]
    for kid in kids:
        enrollment.enroll(kid, academy.klass, starts_on=date(2026, 12, 1))
    return kids


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def sandbox_messages():
    from django_tenants.utils import schema_context

    from apps.notifications.models import SandboxMessage

    def read(**filters):
        with schema_context("public"):
            return list(SandboxMessage.objects.filter(**filters).order_by("received_at"))

    return read
