"""The demo academy (called by `manage.py seed_demo`; safe to run again): programmes,
classes meeting every day of the week, coaches, families with siblings, this month's
sessions and invoices, some attendance and payments, consultations to follow up, feedback
and a video — and the notification and payment providers pointed at the local sandboxes,
so that every message and payment in the demo goes through the real client code."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.notifications.models import ProviderConfig
from apps.payments.models import GatewayConfig

from .models import Class, Coach, Consultation, Guardian, Programme, Session, Student
from .services import attendance, billing, consultations, enrollment, feedback, people, schedule, vindex

FAMILIES = [
    # guardian phone, guardian name, [(student, birth date, school, grade, classes)]
    (
        "010-2000-0001",
        "김영희",
        [
            ("김민준", date(2014, 3, 2), "서울숲초등학교", "6", ["선수반", "주말반"]),
            ("김서연", date(2016, 8, 9), "서울숲초등학교", "4", ["실전반"]),
        ],
    ),
    ("010-2000-0002", "이정훈", [("이하준", date(2015, 1, 15), "성수초등학교", "5", ["선수반"])]),
    ("010-2000-0003", "박수진", [("박지호", date(2013, 11, 30), "뚝섬중학교", "중1", ["선수반", "실전반"])]),
    (
        "010-2000-0004",
        "최미경",
        [
            ("최예린", date(2015, 6, 6), "성수초등학교", "5", ["실전반"]),
            ("최도윤", date(2017, 2, 20), "성수초등학교", "3", ["주말반"]),
        ],
    ),
    ("010-2000-0005", "정성호", [("정우진", date(2014, 9, 1), "경수초등학교", "6", ["선수반"])]),
    ("010-2000-0006", "강은지", [("강시우", date(2016, 12, 12), "서울숲초등학교", "4", ["주말반"])]),
    ("010-2000-0007", "윤재석", [("윤하은", date(2015, 4, 18), "경수초등학교", "5", ["실전반"])]),
    ("010-2000-0000", "한지민", [("한도현", date(2014, 7, 7), "뚝섬중학교", "중1", ["선수반"])]),  # no KakaoTalk: SMS
]
CLASSES = [
    # name, monthly fee, weekdays, start, end, pass
    ("선수반", 200_000, [0, 2, 4], time(16, 0), time(17, 30), None),
    ("실전반", 150_000, [1, 3], time(18, 0), time(19, 30), None),
    ("주말반", 120_000, [5, 6], time(10, 0), time(12, 0), (8, 180_000)),
]
# The classes of the roster `make_roster` writes (apps.roster.generate.CLASSES), run by the
# demo academy too: the README's import then enrolls its students into classes with a fee
# and a timetable, and the monthly run bills their parents. Sized for the 843-row roster.
ROSTER_CLASSES = [
    # name, monthly fee, weekdays, start
    ("유소년 A반", 160_000, [0, 2], time(15, 0)),
    ("유소년 B반", 160_000, [1, 3], time(15, 0)),
    ("초등 선수반", 200_000, [0, 2, 4], time(16, 0)),
    ("초등 실전반", 150_000, [1, 3], time(16, 0)),
    ("중등 선수반", 220_000, [0, 2, 4], time(18, 0)),
    ("중등 실전반", 170_000, [1, 3], time(18, 0)),
    ("토요반", 120_000, [5], time(9, 0)),
    ("기초반", 130_000, [1, 4], time(14, 0)),
    ("심화반", 190_000, [2, 4], time(19, 30)),
    ("골키퍼반", 140_000, [3], time(17, 0)),
    ("여자반", 150_000, [0, 3], time(17, 0)),
    ("방학특강", 100_000, [6], time(10, 0)),
]
ROSTER_CLASS_CAPACITY = 150


def _port() -> str:
    return os.environ.get("PORT", "8000")


def _providers() -> None:
    base = f"http://localhost:{_port()}/_sandbox"
    ProviderConfig.objects.update_or_create(
        channel="alimtalk",
        defaults={
            "base_url": f"{base}/sens",
            "account": "ncp:kkobizmsg:kr:demo",
            "sender": "@onlyssam",
            "access_key": "demo-access-key",
            "secret": settings.SANDBOX_SENS_SECRET,
            "sms_from": "0212345678",
        },
    )
    for gateway, path, key, secret in (
        ("sandbox", "local", settings.SANDBOX_GATEWAY_KEY, settings.SANDBOX_GATEWAY_SECRET),
        ("toss", "toss", "test_ck_demo", settings.SANDBOX_TOSS_SECRET_KEY),
        ("payssam", "payssam", "demo-merchant", settings.SANDBOX_PAYSSAM_API_KEY),
    ):
        GatewayConfig.objects.update_or_create(
            gateway=gateway,
            defaults={
                "base_url": f"{base}/payments/{path}",
                "client_key": key,
                "secret": secret,
                "is_default": gateway == "sandbox",
            },
        )


def seed(tenant) -> Iterator[tuple[str, str]]:
    _providers()
    users = get_user_model().objects
    if not Programme.objects.exists():
        _people_and_classes(users)
    today = timezone.localdate()
    schedule.generate_sessions(today.replace(day=1), today + timedelta(days=14), actor="demo")
    _attendance(today)
    if billing.issue_monthly_invoices(today, actor="demo"):
        _paid_some()
    vindex.recompute()
    yield "staff, owner…", "/dashboard/"


def _people_and_classes(users) -> None:
    football = Programme.objects.create(name="축구", description="유소년 축구")
    coach = Coach.objects.create(name="박지성 코치", user=users.filter(username="coach").first())
    Coach.objects.create(name="손민수 코치")
    classes = {}
    for name, fee, weekdays, starts, ends, pass_plan in CLASSES:
        klass = Class.objects.create(
            programme=football,
            name=name,
            coach=coach,
            room="A구장" if name != "주말반" else "B구장",
            capacity=16,
            monthly_fee=fee,
            pass_sessions=pass_plan[0] if pass_plan else None,
            pass_price=pass_plan[1] if pass_plan else None,
        )
        for weekday in weekdays:
            schedule.add_slot(klass, weekday=weekday, starts_at=starts, ends_at=ends, actor="demo")
        classes[name] = klass
    for name, fee, weekdays, starts in ROSTER_CLASSES:
        klass = Class.objects.create(
            programme=football, name=name, room="C구장", capacity=ROSTER_CLASS_CAPACITY, monthly_fee=fee
        )
        ends = time(starts.hour + 1, starts.minute)
        for weekday in weekdays:
            schedule.add_slot(klass, weekday=weekday, starts_at=starts, ends_at=ends, actor="demo")
    start = timezone.localdate().replace(day=1) - timedelta(days=60)
    for phone, guardian_name, children in FAMILIES:
        for name, birth, school, grade, class_names in children:
            student = people.upsert_student(
                name=name,
                birth_date=birth,
                guardian_phone=phone,
                guardian_name=guardian_name,
                relation="mother",
                school=school,
                grade=grade,
                actor="demo",
            ).student
            for class_name in class_names:
                enrollment.enroll(student, classes[class_name], starts_on=start, actor="demo")
    # The demo logins: the guardian is 김영희 (two children), the student 김민준.
    guardian = Guardian.objects.get(phone_index=people.phone_index("01020000001"))
    guardian.user = users.filter(username="guardian").first()
    guardian.save()
    kid = Student.objects.get(name="김민준")
    kid.user = users.filter(username="student").first()
    kid.save()
    attendance.set_pin(kid, "123456", actor="demo")
    today = timezone.localdate()
    consultations.open_consultation(
        student_name="오지훈",
        guardian_phone="010-3000-1111",
        guardian_name="오상민",
        birth_date=date(2016, 3, 3),
        source="phone",
        klass=classes["실전반"],
        interest="주 2회",
        follow_up_on=today,
        actor="demo",
    )
    held = consultations.open_consultation(
        student_name="서윤아",
        guardian_phone="010-3000-2222",
        guardian_name="서은정",
        source="referral",
        klass=classes["주말반"],
        follow_up_on=today + timedelta(days=2),
        referred_by=kid,
        actor="demo",
    )
    consultations.move(held, Consultation.Status.HELD, actor="demo")


def _attendance(today: date) -> None:
    """Last week's classes were held; two absences to give the V-Index something to say."""
    for session in Session.objects.filter(
        date__gte=today - timedelta(days=7), date__lt=today, attendance__isnull=True
    ).select_related("klass"):
        students = list(attendance.enrolled_on(session))
        marks = {s.pk: ("absent" if s.name in ("윤하은", "정우진") else "present") for s in students}
        if marks:
            attendance.roll_call(session, marks, actor="demo")
            first = students[0]
            if marks[first.pk] == "present":
                feedback.give_feedback(
                    session,
                    first,
                    text="패스 타이밍이 좋아졌어요. 다음 주에는 왼발 슈팅을 연습해요.",
                    effort=5,
                    skill=4,
                    attitude=5,
                    actor="demo",
                )
    kid = Student.objects.get(name="김민준")
    if not kid.videos.exists():
        feedback.add_video(
            kid,
            url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            title="11월 리그 하이라이트",
            kind="highlight",
            duration_seconds=212,
            recorded_at=timezone.now() - timedelta(days=3),
            tags=["골", "리그"],
            actor="demo",
        )


def _paid_some() -> bool:
    """Two families paid at the desk, one paid half: something in every state."""
    from .models import Invoice

    open_invoices = list(Invoice.objects.filter(status=Invoice.Status.ISSUED).order_by("pk"))
    for invoice, share in zip(open_invoices[:3], (1, 1, 2), strict=False):
        billing.record_payment(
            invoice.family,
            invoice.total // share,
            method="transfer" if share == 1 else "cash",
            invoice=invoice,
            actor="demo",
        )
    return bool(open_invoices)
