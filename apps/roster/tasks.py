"""Roster work in Celery; `import_*` tasks go to the `imports` queue (CELERY_TASK_ROUTES)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="apps.roster.tasks.import_students", queue_name="imports", acks_late=True, bind=True)
def import_students(self, job_id: int, apply: bool = False) -> str:
    from . import jobs

    return jobs.run(job_id, apply=apply, task_id=self.request.id or "")
