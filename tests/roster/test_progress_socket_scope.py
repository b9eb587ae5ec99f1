"""Scope of ws/academy/imports/<id>/ for every role: import progress reaches those who may
see the job over the admin (student:import: owner, manager, front desk), nobody else, and
never a socket of another academy, even on a job with the same id."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from apps.core.websocket import CloseCode
from apps.roster import jobs
from apps.roster.models import ImportJob
from tests.utils import enable_totp, grant, make_user
from tests.websocket import close_code, open_socket

ROLES = ("manager", "staff", "coach", "guardian", "student")
MAY_IMPORT = {"manager", "staff"}


def login(t, user) -> tuple[object, str]:
    with t.context():
        client = t.client()
        client.force_login(user)
    return client, client.cookies["mc_session"].value


@pytest.fixture
def academies(live_tenant):
    made = []
    for _ in range(2):
        t = live_tenant("academy")
        with t.context():
            job = ImportJob.objects.create(file_name="명단.xlsx", file_hash="0" * 64, status="planned")
            users = {role: make_user(role) for role in ROLES}
            for role, user in users.items():
                grant(user, role)
            enable_totp(users["manager"])
        made.append({"t": t, "job": job.pk, "logins": {role: login(t, users[role]) for role in ROLES}})
    assert made[0]["job"] == made[1]["job"]  # the same id in both schemas
    return made


async def test_import_progress_reaches_exactly_those_who_see_the_job(academies):
    a, b = academies
    path = f"/ws/academy/imports/{a['job']}/"
    listening = {}
    for role in ROLES:
        admin = await database_sync_to_async(a["logins"][role][0].get)(f"/admin/roster/importjob/{a['job']}/change/")
        ws, connected = await open_socket(a["t"].domain, path, cookie=a["logins"][role][1])
        assert connected
        if role in MAY_IMPORT:
            assert (await ws.receive_json_from(timeout=5))["job"] == a["job"]
            listening[role] = ws
        else:
            assert await close_code(ws) == CloseCode.FORBIDDEN, role
            assert admin.status_code in (302, 403), (role, admin.status_code)  # nor over the admin
    other, _ = await open_socket(b["t"].domain, path, cookie=b["logins"]["staff"][1])
    assert (await other.receive_json_from(timeout=5))["job"] == b["job"]

    await database_sync_to_async(jobs.broadcast)(
        a["job"], {"stage": "importing", "done": 5, "total": 10}, a["t"].tenant.schema_name
    )
    for ws in listening.values():
        message = await ws.receive_json_from(timeout=2)
        assert message == {"type": "progress", "stage": "importing", "done": 5, "total": 10}
    assert await other.receive_nothing(timeout=0.5)  # the same job id elsewhere hears nothing
    for ws in (*listening.values(), other):
        await ws.disconnect()
