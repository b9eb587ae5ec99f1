"""The live attendance board obeys the REST API's object scope, for every role and route.

Issue 12, defect 1: a guardian's socket on ws/academy/attendance/ received every
student's attendance. Here every role opens every board route, attendance is marked for
students of several families and classes (and in another academy), and each socket must
receive exactly the students whose attendance the same user reads over REST — nothing
of other students, families, classes or tenants.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from apps.academy import consumers
from apps.academy import models as m
from apps.academy.services import attendance, enrollment, people, schedule
from apps.core.websocket import CloseCode
from tests.utils import enable_totp, grant, make_user
from tests.websocket import close_code, open_socket

from .conftest import build_academy, student

ROLES = ("guardian", "student", "manager", "staff", "coach", "other_coach")


def session_today(klass) -> m.Session:
    now = timezone.localtime()
    starts = (now + timedelta(minutes=10)).time().replace(second=0, microsecond=0)
    ends = (now + timedelta(minutes=70)).time().replace(second=0, microsecond=0)
    if ends <= starts:  # near midnight
        starts, ends = (now - timedelta(minutes=20)).time(), now.replace(hour=23, minute=59).time()
    m.TimetableSlot.objects.filter(klass=klass).delete()
    schedule.add_slot(klass, weekday=now.weekday(), starts_at=starts, ends_at=ends)
    schedule.generate_sessions(now.date(), now.date(), [klass])
    return m.Session.objects.get(klass=klass, date=now.date())


def login(t, user) -> tuple[object, str]:
    with t.context():
        client = t.client()
        client.force_login(user)
    return client, client.cookies["mc_session"].value


@pytest.fixture
def school(live_tenant):
    """One academy: 선수반 (coach) with my child, my pending second child and a classmate of
    another family (a student login); 실전반 (other_coach) with another family's child.
    A second academy with a check-in of its own."""
    t = live_tenant("academy")
    academy = build_academy(t)
    yesterday = date.today() - timedelta(days=1)
    with t.context():
        kids = {
            "mine": student("내아이", date(2015, 1, 1), "010-1111-2222"),
            "sibling": student("내둘째", date(2017, 1, 1), "010-1111-2222"),
            "classmate": student("반친구", date(2015, 5, 5), "010-3333-4444"),
            "theirs": student("남의아이", date(2015, 2, 2), "010-9999-8888"),
        }
        for key in ("mine", "sibling", "classmate"):
            enrollment.enroll(kids[key], academy.klass, starts_on=yesterday)
        enrollment.enroll(kids["theirs"], academy.other, starts_on=yesterday)
        sessions = {academy.klass.pk: session_today(academy.klass), academy.other.pk: session_today(academy.other)}
        users = {role: make_user(role) for role in ROLES}
        grant(users["manager"], "manager")
        enable_totp(users["manager"])
        grant(users["staff"], "staff")
        grant(users["coach"], "coach")
        grant(users["other_coach"], "coach")
        grant(users["guardian"], "guardian")
        grant(users["student"], "student")
        academy.coach.user = users["coach"]
        academy.coach.save()
        academy.other.coach = m.Coach.objects.create(name="이코치", user=users["other_coach"])
        academy.other.save()
        m.Guardian.objects.filter(phone_index=people.phone_index("01011112222")).update(user=users["guardian"])
        m.GuardianLink.objects.filter(student=kids["sibling"]).update(status=m.GuardianLink.Status.PENDING)
        kids["classmate"].user = users["student"]
        kids["classmate"].save()
    logins = {role: login(t, users[role]) for role in ROLES}

    elsewhere = live_tenant("academy")
    far = build_academy(elsewhere)
    with elsewhere.context():
        stranger = student("다른학원아이", date(2015, 3, 3), "010-7777-6666")
        enrollment.enroll(stranger, far.klass, starts_on=yesterday)
        far_session = session_today(far.klass)
        far_staff = make_user("staff")
        grant(far_staff, "staff")
    return {
        "t": t,
        "academy": academy,
        "kids": kids,
        "sessions": sessions,
        "logins": logins,
        "elsewhere": (elsewhere, far_session, stranger, login(elsewhere, far_staff)[1]),
    }


def rest_visible(school, role: str) -> set[tuple[int, int]]:
    """(class, student) pairs whose attendance today this role reads over REST."""
    client = school["logins"][role][0]
    seen = set()
    for klass, session in school["sessions"].items():
        response = client.get(f"/api/v1/attendance/?session={session.pk}")
        if response.status_code != 200:
            continue
        body = response.json()
        for row in body["results"] if isinstance(body, dict) else body:
            seen.add((klass, row["student"]))
    return seen


async def drain(ws, quiet: float = 0.6) -> list[dict]:
    received = []
    while not await ws.receive_nothing(timeout=quiet):
        received.append(await ws.receive_json_from(timeout=1))
    return received


def students_in(message: dict) -> set[int]:
    """Every student id a message names, wherever it sits."""
    found = set()
    if isinstance(message.get("student"), dict):
        found.add(message["student"]["id"])
    for session in message.get("sessions", []):
        found |= {row["student"]["id"] for row in session.get("students", [])}
    return found


async def test_every_role_on_every_board_route_receives_exactly_what_rest_shows(school, monkeypatch):
    t, academy = school["t"], school["academy"]
    routes = {
        "academy": "/ws/academy/attendance/",
        academy.klass.pk: f"/ws/academy/attendance/{academy.klass.pk}/",
        academy.other.pk: f"/ws/academy/attendance/{academy.other.pk}/",
    }
    classes_seen = {}
    for role in ROLES:
        response = await database_sync_to_async(school["logins"][role][0].get)("/api/v1/classes/")
        classes_seen[role] = {row["id"] for row in response.json()["results"]}

    sockets = {}
    for role in ROLES:
        for route, path in routes.items():
            ws, connected = await open_socket(t.domain, path, cookie=school["logins"][role][1])
            assert connected
            first = await ws.receive_output(timeout=5)
            if route != "academy" and route not in classes_seen[role]:
                # a class this user cannot read over REST is a 404 here too
                assert first["type"] == "websocket.close" and first["code"] == CloseCode.NOT_FOUND, (role, route)
                continue
            assert first["type"] == "websocket.send", (role, route, first)
            board = json.loads(first["text"])
            assert board["type"] == "board"
            sockets[role, route] = (ws, [board])

    elsewhere, far_session, stranger, far_cookie = school["elsewhere"]
    far_ws, _ = await open_socket(elsewhere.domain, "/ws/academy/attendance/", cookie=far_cookie)
    assert (await far_ws.receive_json_from(timeout=5))["type"] == "board"

    def mark_everyone():
        with t.context():
            for kid in school["kids"].values():
                klass = m.Enrollment.objects.get(student=kid).klass_id
                attendance.mark(school["sessions"][klass], kid, "absent", actor="test")
        with elsewhere.context():
            attendance.mark(far_session, stranger, "present", actor="test")

    await database_sync_to_async(mark_everyone)()
    drained = await asyncio.gather(*(drain(ws) for ws, _ in sockets.values()))
    far_events = await drain(far_ws)
    assert [e["student"]["id"] for e in far_events] == [stranger.pk]  # only its own academy's

    kid_class = {kid.pk: school["academy"].klass.pk for kid in school["kids"].values()}
    kid_class[school["kids"]["theirs"].pk] = academy.other.pk
    for ((role, route), (ws, messages)), events in zip(sockets.items(), drained, strict=True):
        visible = await database_sync_to_async(rest_visible)(school, role)
        if route != "academy":
            visible = {pair for pair in visible if pair[0] == route}
        got = [(e["class_id"], e["student"]["id"]) for e in events]
        assert all(e["type"] == "attendance" for e in events)
        assert len(got) == len(set(got)), (role, route, "duplicate events")
        assert set(got) == visible, (role, route, got, visible)
        # nothing else names anyone else: not the first picture, not the events
        allowed = {student for _klass, student in visible}
        for message in messages + events:
            assert students_in(message) <= allowed, (role, route, message)
        # class-wide counts go only to those who read the whole class's attendance
        whole = {klass for klass in kid_class.values() if {k for k, c in kid_class.items() if c == klass} <= allowed}
        for message in messages + events:
            counted = [s["class_id"] for s in message.get("sessions", []) if "counts" in s]
            if "counts" in message:
                counted.append(message["class_id"])
            assert set(counted) <= whole, (role, route, message)
        await ws.disconnect()
    await far_ws.disconnect()

    # the figures the check rests on: each role saw something, and the scoped ones not all
    figures = {role: len(await database_sync_to_async(rest_visible)(school, role)) for role in ROLES}
    assert figures == {
        "manager": 4,
        "staff": 4,
        "coach": 3,
        "other_coach": 1,
        "guardian": 1,
        "student": 1,
    }

    # A link withdrawn: a socket older than SCOPE_MAX_AGE is closed with 4408 at its next
    # event (not shown it), and the socket it reopens no longer hears that child.
    monkeypatch.setattr(consumers, "SCOPE_MAX_AGE", 0)
    mine = school["kids"]["mine"]
    old, _ = await open_socket(t.domain, routes["academy"], cookie=school["logins"]["guardian"][1])
    assert students_in(await old.receive_json_from(timeout=5)) == {mine.pk}

    def withdraw_and_mark():
        with t.context():
            m.GuardianLink.objects.filter(student=mine).update(status=m.GuardianLink.Status.REJECTED)
            attendance.mark(school["sessions"][academy.klass.pk], mine, "present", actor="test")

    await database_sync_to_async(withdraw_and_mark)()
    assert await close_code(old) == CloseCode.RESCOPE == 4408
    reopened, _ = await open_socket(t.domain, routes["academy"], cookie=school["logins"]["guardian"][1])
    assert students_in(await reopened.receive_json_from(timeout=5)) == set()
    await database_sync_to_async(withdraw_and_mark)()
    assert await reopened.receive_nothing(timeout=0.6)
    await reopened.disconnect()
