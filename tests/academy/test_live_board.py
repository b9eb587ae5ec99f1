"""The live attendance board over Channels: a check-in anywhere reaches the academy's board
within a second, and never another academy's."""

import time
from datetime import date, timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from apps.academy.models import Session, TimetableSlot
from apps.academy.services import attendance, enrollment, schedule
from apps.core.websocket import CloseCode
from tests.utils import grant, make_user
from tests.websocket import close_code, open_socket

from .conftest import build_academy, student


def session_today(academy) -> Session:
    now = timezone.localtime()
    starts = (now + timedelta(minutes=10)).time().replace(second=0, microsecond=0)
    ends = (now + timedelta(minutes=70)).time().replace(second=0, microsecond=0)
    TimetableSlot.objects.filter(klass=academy.klass).delete()
    if ends <= starts:  # near midnight: a session that ends just before it
        starts, ends = (now - timedelta(minutes=20)).time(), now.replace(hour=23, minute=59).time()
    schedule.add_slot(academy.klass, weekday=now.weekday(), starts_at=starts, ends_at=ends)
    schedule.generate_sessions(now.date(), now.date(), [academy.klass])
    return Session.objects.get(klass=academy.klass, date=now.date())


@pytest.fixture
def boards(live_tenant):
    """Two academies with a class meeting now; staff of each, a coach of the first."""
    made = {}
    for key in ("a", "b"):
        t = live_tenant("academy")
        academy = build_academy(t)
        with t.context():
            kid = student()
            enrollment.enroll(kid, academy.klass, starts_on=date.today() - timedelta(days=1))
            session = session_today(academy)
            staff = make_user("desk")
            grant(staff, "staff")
            coach_user = make_user("coach")
            grant(coach_user, "coach")
            academy.coach.user = coach_user
            academy.coach.save()
            other_coach = make_user("other_coach")
            grant(other_coach, "coach")
        cookies = {}
        for username in ("desk", "coach", "other_coach"):
            client = t.client()
            assert client.post("/accounts/login/", {"login": username, "password": "Pw-1234-abcd!"}).status_code == 302
            cookies[username] = client.cookies["mc_session"].value
        made[key] = {"t": t, "academy": academy, "kid": kid, "session": session, "cookies": cookies}
    return made


async def test_check_in_reaches_the_same_academy_only_and_within_a_second(boards):
    a, b = boards["a"], boards["b"]
    desk_a, _ = await open_socket(a["t"].domain, "/ws/academy/attendance/", cookie=a["cookies"]["desk"])
    coach_a, _ = await open_socket(
        a["t"].domain, f"/ws/academy/attendance/{a['academy'].klass.pk}/", cookie=a["cookies"]["coach"]
    )
    desk_b, _ = await open_socket(b["t"].domain, "/ws/academy/attendance/", cookie=b["cookies"]["desk"])
    for ws in (desk_a, coach_a, desk_b):
        board = await ws.receive_json_from(timeout=5)
        assert board["type"] == "board"
    assert board["sessions"][0]["counts"]["expected"] == 1  # b's own session

    def check_in():
        with a["t"].context():
            return attendance.mark(a["session"], a["kid"], "present", method="kiosk")

    started = time.perf_counter()
    await database_sync_to_async(check_in)()
    for ws in (desk_a, coach_a):
        event = await ws.receive_json_from(timeout=1)
        assert event["type"] == "attendance" and event["student"]["name"] == a["kid"].name
        assert event["counts"]["present"] == 1 and event["counts"]["expected"] == 1
    assert time.perf_counter() - started < 1.0
    assert await desk_b.receive_nothing(timeout=0.5)
    for ws in (desk_a, coach_a, desk_b):
        await ws.disconnect()


async def test_coach_cannot_open_another_coaches_class_and_guests_are_refused(boards):
    a = boards["a"]
    klass = a["academy"].klass.pk
    ws, _ = await open_socket(a["t"].domain, f"/ws/academy/attendance/{klass}/", cookie=a["cookies"]["other_coach"])
    assert await close_code(ws) == CloseCode.NOT_FOUND
    ws, _ = await open_socket(a["t"].domain, "/ws/academy/attendance/")
    assert await close_code(ws) == CloseCode.UNAUTHENTICATED
    ws, _ = await open_socket(a["t"].domain, "/ws/academy/attendance/", cookie=boards["b"]["cookies"]["desk"])
    assert await close_code(ws) == CloseCode.UNAUTHENTICATED
