"""The admin import: upload → preview (dry run) in Celery → import in Celery with live
progress over Channels → error report; and that nothing of it crosses to another academy."""

import io
import time

import openpyxl
import pytest
from channels.db import database_sync_to_async

from apps.academy.models import Student
from apps.audit.models import AuditEntry
from apps.core.websocket import CloseCode
from apps.roster.models import ImportJob
from tests.utils import PASSWORD, grant, make_user
from tests.websocket import close_code, open_socket

from .conftest import write_xlsx
from .test_importing import BAD, MESSY

ADMIN = "/admin/roster/importjob/"


def staff_of(t, username="desk"):
    with t.context():
        grant(make_user(username), "staff")
    client = t.client()
    assert client.post("/accounts/login/", {"login": username, "password": PASSWORD}).status_code == 302
    return client


def upload(client, path, **options):
    with open(path, "rb") as handle:
        response = client.post(f"{ADMIN}add/", {"file": handle, **{k: "on" for k, v in options.items() if v}})
    assert response.status_code == 302, response.content[:2000]
    return int(response["Location"].rstrip("/").split("/")[-2])


def wait_for(t, job_id, *statuses, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with t.context():
            job = ImportJob.objects.get(pk=job_id)
        if job.status in statuses:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job.status}")


@pytest.fixture
def academies(live_tenant):
    a, b = live_tenant("academy"), live_tenant("academy")
    return a, b, staff_of(a), staff_of(b)


def test_preview_then_import_in_celery_with_an_error_report(academies, celery_worker, tmp_path):
    a, _b, client, _other = academies
    job_id = upload(client, write_xlsx(tmp_path / "bad.xlsx", [*BAD, *MESSY[3:]]), valid_only=True, create_classes=True)
    job = wait_for(a, job_id, "planned")
    with a.context():
        assert Student.objects.count() == 0  # a preview writes nothing
    assert job.preview["students_created"] == 6 and [p["row"] for p in job.problems] == [3, 4, 5]
    page = client.get(f"{ADMIN}{job_id}/change/")
    assert page.status_code == 200 and "010-1" in page.content.decode()

    report = client.get(f"{ADMIN}{job_id}/errors.xlsx")
    assert report.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(report.content)).active.values)
    assert rows[1][0] == 3 and rows[1][1] == "guardian_phone" and "전화오류" in rows[1]
    with a.context():
        assert AuditEntry.objects.filter(action="data.exported", details__what="roster error report").count() == 1

    assert client.post(f"{ADMIN}{job_id}/confirm/").status_code == 302
    job = wait_for(a, job_id, "done", "rejected", "failed")
    assert job.status == "done" and job.result["students_created"] == 6 and job.result["events"] > 0
    with a.context():
        assert Student.objects.count() == 6
    # The same file with the same options is the same job: nothing new is queued.
    assert upload(client, tmp_path / "bad.xlsx", valid_only=True, create_classes=True) == job_id


def test_an_all_or_nothing_import_with_rejected_rows_cannot_start(academies, celery_worker, tmp_path):
    a, _b, client, _other = academies
    job_id = upload(client, write_xlsx(tmp_path / "bad.xlsx", BAD))
    job = wait_for(a, job_id, "planned")
    assert not job.can_import
    client.post(f"{ADMIN}{job_id}/confirm/")
    with a.context():
        assert ImportJob.objects.get(pk=job_id).status == "planned" and Student.objects.count() == 0


def _cookie(client) -> str:
    return client.cookies["mc_session"].value


async def test_progress_reaches_this_academy_socket_and_no_other(academies, celery_worker, tmp_path):
    a, b, client, other = academies
    rows = [
        MESSY[2],
        *([f"학생{i}", "2015-01-01", "", "", f"010-1000-{i:04d}", "", "", "새반", "", "", ""] for i in range(5000)),
    ]
    path = write_xlsx(tmp_path / "many.xlsx", rows)
    job_id = await database_sync_to_async(upload)(client, path, create_classes=True)
    await database_sync_to_async(wait_for)(a, job_id, "planned")

    mine, connected = await open_socket(a.domain, f"/ws/academy/imports/{job_id}/", cookie=_cookie(client))
    assert connected
    first = await mine.receive_json_from(timeout=5)
    assert first["type"] == "progress" and first["status"] == "planned" and first["job"] == job_id
    assert first["finished"]  # a page that connects after the preview ran reloads instead of waiting

    # Another academy's staff: the job does not exist on their host.
    theirs, _ = await open_socket(b.domain, f"/ws/academy/imports/{job_id}/", cookie=_cookie(other))
    assert await close_code(theirs) == CloseCode.NOT_FOUND
    # Their session is worthless on this academy's host.
    stranger, _ = await open_socket(a.domain, f"/ws/academy/imports/{job_id}/", cookie=_cookie(other))
    assert await close_code(stranger) == CloseCode.UNAUTHENTICATED

    # A job of the other academy with the same id, so its socket is open and listening.
    def job_in_b():
        with b.context():
            job, _created = ImportJob.objects.update_or_create(
                pk=job_id, defaults={"file_name": "x.xlsx", "file_hash": "0" * 64, "status": "planned"}
            )
        return job.pk

    await database_sync_to_async(job_in_b)()
    listener, connected = await open_socket(b.domain, f"/ws/academy/imports/{job_id}/", cookie=_cookie(other))
    assert connected and (await listener.receive_json_from(timeout=5))["status"] == "planned"

    await database_sync_to_async(client.post)(f"{ADMIN}{job_id}/confirm/")
    seen = []
    while True:
        message = await mine.receive_json_from(timeout=60)
        seen.append(message)
        if message.get("finished"):
            break
    stages = [m for m in seen if m.get("stage")]
    assert stages and all(m["done"] <= m["total"] for m in stages)
    assert seen[-1]["status"] == "done" and seen[-1]["summary"]["students_created"] == 5000
    assert await listener.receive_nothing(timeout=1)
    for socket in (mine, listener):
        await socket.disconnect()


def test_another_academy_cannot_open_or_download_this_import(academies, celery_worker, tmp_path):
    a, _b, client, other = academies
    job_id = upload(client, write_xlsx(tmp_path / "bad.xlsx", BAD))
    wait_for(a, job_id, "planned")
    assert other.get(f"{ADMIN}{job_id}/errors.xlsx").status_code == 404
    assert other.get(f"{ADMIN}{job_id}/change/").status_code == 404
    # A coach (no student:import) of the same academy is refused too.
    with a.context():
        grant(make_user("coach1"), "coach")
    coach = a.client()
    coach.post("/accounts/login/", {"login": "coach1", "password": PASSWORD})
    assert coach.get(f"{ADMIN}{job_id}/errors.xlsx").status_code in (302, 403)


def test_export_from_the_admin_is_audited(academies, tmp_path):
    a, _b, client, _other = academies
    response = client.get(f"{ADMIN}export/")
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][0] == "이름"
    with a.context():
        assert AuditEntry.objects.filter(action="data.exported", details__what="roster").exists()


def test_uploading_again_retries_a_job_whose_task_was_lost(academies, celery_worker, tmp_path):
    a, _b, client, _other = academies
    path = write_xlsx(tmp_path / "roster.xlsx", MESSY)
    job_id = upload(client, path)
    wait_for(a, job_id, "planned")
    with a.context():  # as if the preview's task had gone with a worker before it ran
        ImportJob.objects.filter(pk=job_id).update(status="queued", preview={}, task_id="")
    assert upload(client, path) == job_id
    job = wait_for(a, job_id, "planned")
    assert job.preview["rows"] == 5


def test_a_second_task_leaves_a_job_another_task_is_running_alone(academies, celery_worker, tmp_path):
    from apps.roster import jobs

    a, _b, client, _other = academies
    job_id = upload(client, write_xlsx(tmp_path / "roster.xlsx", MESSY))
    wait_for(a, job_id, "planned")
    with a.context():  # back to "a task is previewing it", that task being "first-task"
        ImportJob.objects.filter(pk=job_id).update(status="planning", task_id="first-task", preview={})
        assert jobs.run(job_id, apply=False, task_id="second-task") == "planning"
        assert ImportJob.objects.get(pk=job_id).preview == {}  # nothing ran
        # The first task itself, redelivered after its worker died, resumes.
        assert jobs.run(job_id, apply=False, task_id="first-task") == "planned"
