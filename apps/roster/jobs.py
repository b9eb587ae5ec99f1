"""Imports started from the admin: a job per uploaded file, previewed (dry run) and then
imported in Celery on the `imports` queue, with progress pushed to a schema-prefixed
channel group (`ws/academy/imports/<id>/`)."""

from __future__ import annotations

import hashlib
import logging
import time

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from apps.core import websocket
from apps.media.storage import local_file

from .importing import Options, Report, RosterImportError, import_file
from .models import ImportJob

log = logging.getLogger(__name__)
PREVIEW_ACTIONS = 200  # rows of the preview table kept on the job


def group(job_id: int) -> str:
    """The job's progress group, schema-prefixed by apps.core.websocket."""
    return f"roster.import.{job_id}"


def broadcast(job_id: int, message: dict, schema: str | None = None) -> None:
    websocket.broadcast(group(job_id), {"type": "import.progress", **message}, schema=schema)


RUNNING = (
    ImportJob.Status.QUEUED,
    ImportJob.Status.PLANNING,
    ImportJob.Status.IMPORT_QUEUED,
    ImportJob.Status.IMPORTING,
)


def snapshot(job: ImportJob) -> dict:
    return {
        "job": job.pk,
        "status": job.status,
        # A small file is previewed before the page's socket connects: the snapshot sent on
        # connect must say so, or the page would wait for a message that already went.
        "finished": job.status not in RUNNING,
        "status_label": str(job.get_status_display()),
        "done": job.progress_done,
        "total": job.progress_total,
        "summary": job.result or job.preview,
        "rejected": len(job.problems),
    }


def _hash(uploaded: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return digest.hexdigest()


@transaction.atomic
def start(uploaded: UploadedFile, *, valid_only: bool, create_classes: bool, actor=None) -> tuple[ImportJob, bool]:
    """A job for this file and these options (the same file again finds its job) with
    its preview queued after commit. Returns (job, created)."""
    from .tasks import import_students

    digest = _hash(uploaded)
    job = (
        ImportJob.objects.select_for_update()
        .filter(file_hash=digest, valid_only=valid_only, create_classes=create_classes)
        .first()
    )
    if job is not None and job.status != ImportJob.Status.FAILED:
        if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.IMPORT_QUEUED):
            # Uploading again is how staff retry a job whose task was lost (a worker gone
            # with it): send it again. Should the first still be queued, the one that
            # starts later finds the job taken and does nothing (run()).
            import_students.delay_on_commit(job.pk, apply=job.status == ImportJob.Status.IMPORT_QUEUED)
        return job, False
    if job is None:
        job = ImportJob(file_hash=digest, valid_only=valid_only, create_classes=create_classes)
    job.file_name = uploaded.name[:255]
    job.status, job.error, job.problems, job.preview, job.result = ImportJob.Status.QUEUED, "", [], {}, {}
    job.created_by = actor if getattr(actor, "pk", None) else None
    job.file.save(uploaded.name, uploaded, save=False)
    job.save()
    import_students.delay_on_commit(job.pk, apply=False)
    return job, True


@transaction.atomic
def confirm(job: ImportJob) -> bool:
    """Queue the real import of a previewed job (once)."""
    from .tasks import import_students

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job.can_import:
        return False
    job.status = ImportJob.Status.IMPORT_QUEUED
    job.save(update_fields=["status"])
    import_students.delay_on_commit(job.pk, apply=True)
    return True


def _store(job: ImportJob, report: Report, field: str) -> None:
    setattr(job, field, {**report.summary(), "seconds": round(report.seconds, 2)})
    job.headers = report.headers
    job.problems = [
        {"row": p.row, "field": p.field, "reason": p.reason, "values": {k: _plain(v) for k, v in p.values.items()}}
        for p in report.rejected
    ]
    if field == "preview":
        job.preview["actions"] = [list(a) for a in report.actions[:PREVIEW_ACTIONS]]
        job.preview["merged"] = report.merged[:PREVIEW_ACTIONS]


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def run(job_id: int, *, apply: bool, task_id: str = "") -> str:
    """The task's body: preview or import, then store the report on the job. Idempotent: a
    redelivered task finds the job past the state it starts from and does nothing; the
    same task redelivered after its worker died resumes a running job, another task (a
    retry sent by a second upload) leaves it alone."""
    expected = ImportJob.Status.IMPORT_QUEUED if apply else ImportJob.Status.QUEUED
    running = ImportJob.Status.IMPORTING if apply else ImportJob.Status.PLANNING
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in (expected, running):
            return job.status if job else "missing"
        if job.status == running and job.task_id and job.task_id != task_id:
            return job.status
        job.status, job.task_id = running, task_id
        job.save(update_fields=["status", "task_id"])
    schema = connection.schema_name
    broadcast(job_id, snapshot(job), schema)
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.2 or done >= total:
            last[0] = now
            broadcast(job_id, {"job": job_id, "status": running, "stage": stage, "done": done, "total": total}, schema)

    try:
        # A path on this machine, also when the file is in the S3 media storage.
        with local_file(job.file.name, job.file.storage) as path:
            report = import_file(
                path,
                options=Options(
                    dry_run=not apply,
                    valid_only=job.valid_only,
                    create_classes=job.create_classes,
                    actor=job.created_by,
                    progress=progress,
                ),
            )
    except RosterImportError as exc:
        job.status, job.error = ImportJob.Status.FAILED, str(exc)
    except Exception as exc:  # the transaction rolled back; say so on the job rather than leave it running
        log.exception("roster import %s failed", job_id)
        job.status, job.error = ImportJob.Status.FAILED, f"{type(exc).__name__}: {exc}"
    else:
        _store(job, report, "result" if apply else "preview")
        job.progress_done = job.progress_total = report.rows
        if not apply:
            job.status = ImportJob.Status.PLANNED
        elif report.applied or not report.rejected or job.valid_only:
            job.status = ImportJob.Status.DONE
        else:
            job.status = ImportJob.Status.REJECTED
    job.finished_at = timezone.now()
    job.save()
    broadcast(job_id, {**snapshot(job), "finished": True}, schema)
    return job.status
