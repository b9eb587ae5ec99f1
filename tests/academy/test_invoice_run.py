"""이번 달 청구서 발행 runs in Celery with live progress, not inside the request (issue 12,
defect 10), and its progress socket obeys the same permission as starting a run."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from channels.db import database_sync_to_async

from apps.academy.models import Invoice, InvoiceRun
from apps.academy.services import enrollment
from apps.core.websocket import CloseCode
from tests.conftest import BILLING_CLOCK
from tests.utils import grant, make_user
from tests.websocket import close_code, open_socket

from .conftest import build_academy, student

FAMILIES = 30


def login(t, user):
    with t.context():
        client = t.client()
        client.force_login(user)
    return client, client.cookies["mc_session"].value


@pytest.fixture
def academies(live_tenant):
    t = live_tenant("academy")
    academy = build_academy(t)
    other = live_tenant("academy")
    # Enrolled before December: December's tuition is left to the monthly run.
    with t.context(), time_machine.travel(BILLING_CLOCK, tick=True):
        academy.other.capacity = FAMILIES
        academy.other.save()
        for n in range(FAMILIES):
            kid = student(f"학생{n}", date(2015, 1, 1), f"010-2000-{n:04d}")
            enrollment.enroll(kid, academy.other, starts_on=date(2026, 12, 1))
        users = {role: make_user(role) for role in ("staff", "coach", "guardian")}
        for role, user in users.items():
            grant(user, role)
    with other.context():
        other_staff = make_user("desk2")
        grant(other_staff, "staff")
    return t, other, {role: login(t, user) for role, user in users.items()}, login(other, other_staff)


async def test_the_month_is_issued_by_a_worker_with_progress_on_the_socket(academies, celery_worker):
    t, other, logins, (_other_client, other_cookie) = academies
    desk = logins["staff"][0]
    with time_machine.travel("2026-12-01T09:00:00+09:00", tick=True):
        response = await database_sync_to_async(desk.post)("/api/v1/invoices/issue_monthly/")
    assert response.status_code == 202, response.content
    run = response.json()
    assert run["status"] in ("queued", "running", "done") and run["period"] == "2026-12-01"

    ws, connected = await open_socket(t.domain, f"/ws/academy/invoicing/{run['id']}/", cookie=logins["staff"][1])
    assert connected
    for role in ("coach", "guardian"):  # they may not start a run: nor watch one
        refused, _ = await open_socket(t.domain, f"/ws/academy/invoicing/{run['id']}/", cookie=logins[role][1])
        assert await close_code(refused) == CloseCode.FORBIDDEN
    elsewhere, _ = await open_socket(other.domain, f"/ws/academy/invoicing/{run['id']}/", cookie=other_cookie)
    assert await close_code(elsewhere) == CloseCode.NOT_FOUND

    seen = []
    while True:
        message = await ws.receive_json_from(timeout=60)
        assert message["type"] == "progress"
        seen.append(message)
        if message.get("finished"):
            break
    done = [m["done"] for m in seen if m.get("total")]
    assert done == sorted(done)
    assert seen[-1]["status"] == "done" and seen[-1]["issued"] == FAMILIES and seen[-1]["done"] == FAMILIES
    await ws.disconnect()

    def check():
        with t.context():
            assert Invoice.objects.filter(period=date(2026, 12, 1)).count() == FAMILIES
            return InvoiceRun.objects.get(pk=run["id"])

    finished = await database_sync_to_async(check)()
    assert finished.status == "done" and finished.issued == FAMILIES
    polled = await database_sync_to_async(desk.get)(f"/api/v1/invoices/issue_monthly/{run['id']}/")
    assert polled.status_code == 200 and polled.json()["issued"] == FAMILIES
