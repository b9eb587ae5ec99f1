"""Celery tasks of the fleet. The run tasks are thin: apps.inference.dispatch does the work.

Queues (declared on each task, routed by apps.core.tasks): llm_run on gpu.llm, stt_run on gpu.stt, pose_run on
gpu.pose, embed_run on gpu.embed; probe_servers (beat, every 30 s) on default. Workers
facing the fleet consume the gpu.* queues (README: "Inference fleet").

Idempotent under redelivery (acks_late): a finished job is left alone, and a run stores
its result only while it owns the job (dispatch.claim / store).
"""

from __future__ import annotations

import random

from celery import shared_task
from django.conf import settings

from . import dispatch


def _run(task, job_id: int) -> str:
    try:
        return dispatch.execute(job_id)
    except dispatch.AtCapacity:
        # The tenant is at its cap (or every server is full): the job waits in the queue.
        wait = settings.INFERENCE["REQUEUE_SECONDS"] * (1 + random.random())  # noqa: S311 (jitter)
        task.apply_async((job_id,), countdown=wait)
        return "requeued"


OPTIONS = {"acks_late": True, "max_retries": None}


@shared_task(bind=True, name="apps.inference.tasks.llm_run", queue_name="gpu.llm", **OPTIONS)
def llm_run(self, job_id: int) -> str:
    return _run(self, job_id)


@shared_task(bind=True, name="apps.inference.tasks.stt_run", queue_name="gpu.stt", **OPTIONS)
def stt_run(self, job_id: int) -> str:
    return _run(self, job_id)


@shared_task(bind=True, name="apps.inference.tasks.pose_run", queue_name="gpu.pose", **OPTIONS)
def pose_run(self, job_id: int) -> str:
    return _run(self, job_id)


@shared_task(bind=True, name="apps.inference.tasks.embed_run", queue_name="gpu.embed", **OPTIONS)
def embed_run(self, job_id: int) -> str:
    return _run(self, job_id)


@shared_task(name="apps.inference.tasks.probe_servers", queue_name="default", acks_late=True)
def probe_servers() -> dict:
    """Probe every server of the registry (public schema); beat runs it every 30 s."""
    from . import fleet

    return fleet.probe_all()
