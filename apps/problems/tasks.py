"""The feedback task: one round of AI feedback for an essay or code submission.

On gpu.llm, beside the fleet's own LLM jobs: it is a thin client of the fleet (the job runs
in this task through apps.inference.dispatch), and the queue's workers are the ones sized
for LLM waits. Idempotent under redelivery (acks_late): a round is stored once
(services.store_feedback), and its inference job is found again by its key.
"""

from __future__ import annotations

import random

from celery import shared_task
from django.conf import settings

from apps.inference.dispatch import AtCapacity


@shared_task(bind=True, name="apps.problems.tasks.feedback", queue_name="gpu.llm", acks_late=True, max_retries=None)
def feedback(self, submission_id: int, feedback_round: int) -> str:
    from . import feedback as writer
    from . import services

    try:
        return writer.write(submission_id, feedback_round)
    except AtCapacity:
        wait = settings.INFERENCE["REQUEUE_SECONDS"] * (1 + random.random())  # noqa: S311 (jitter)
        self.apply_async((submission_id, feedback_round), countdown=wait)
        return "requeued"
    except Exception as exc:
        # The student sees "feedback failed" and may ask again, instead of waiting forever.
        services.mark_feedback_failed(submission_id, feedback_round, error=f"{type(exc).__name__}: {exc}")
        raise
