"""The K-Zone analysis tasks: thin, on the fleet's queues (the workers sized for model
waits), each one step of a take's chain (apps/kzone/chain.py). Idempotent under redelivery
(acks_late): a step's inference job is found again by its key, a finished or cancelled take
is left alone. With the tenant's AI jobs at their cap, a task sends itself again later."""

from __future__ import annotations

import random

from celery import shared_task
from django.conf import settings

from apps.inference.dispatch import AtCapacity

OPTIONS = {"bind": True, "acks_late": True, "max_retries": None}


def _step(task, function, take_id: int) -> str:
    from . import services
    from .chain import Stopped

    try:
        return function(take_id)
    except Stopped:
        return "stopped"
    except AtCapacity:
        wait = settings.INFERENCE["REQUEUE_SECONDS"] * (1 + random.random())  # noqa: S311 (jitter)
        task.apply_async((take_id,), countdown=wait)
        return "requeued"
    except Exception as exc:
        # The learner sees "analysis failed" and may try again, instead of waiting forever.
        services.fail(take_id, f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name="apps.kzone.tasks.transcribe", queue_name="gpu.stt", **OPTIONS)
def transcribe(self, take_id: int) -> str:
    from . import chain

    return _step(self, chain.transcribe, take_id)


@shared_task(name="apps.kzone.tasks.feedback", queue_name="gpu.llm", **OPTIONS)
def feedback(self, take_id: int) -> str:
    from . import chain

    return _step(self, chain.write_feedback, take_id)


@shared_task(name="apps.kzone.tasks.dance", queue_name="gpu.pose", **OPTIONS)
def dance(self, take_id: int) -> str:
    from . import dancing

    return _step(self, dancing.analyse_take, take_id)


@shared_task(name="apps.kzone.tasks.analyse_reference", queue_name="gpu.pose", **OPTIONS)
def analyse_reference(self, choreography_id: int) -> str:
    from . import dancing

    try:
        return dancing.analyse_reference(choreography_id)
    except AtCapacity:
        wait = settings.INFERENCE["REQUEUE_SECONDS"] * (1 + random.random())  # noqa: S311 (jitter)
        self.apply_async((choreography_id,), countdown=wait)
        return "requeued"
