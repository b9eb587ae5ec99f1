"""The zone's background work; every task is idempotent."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="apps.learning.tasks.expire_attempt", queue_name="default", acks_late=True)
def expire_attempt(attempt_id: int) -> str | None:
    """At an attempt's deadline: submit it as timed out if it is still running. Runs again
    harmlessly (a later extension re-sends it; an early or repeated delivery finds the
    deadline not reached or the attempt finished and does nothing)."""
    from .models import Attempt
    from .services.attempts import expire_if_due

    attempt = Attempt.objects.filter(pk=attempt_id).first()
    if attempt is None:
        return None
    return expire_if_due(attempt).status
