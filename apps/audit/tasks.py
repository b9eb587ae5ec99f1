"""The audit log's scheduled work."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="apps.audit.tasks.prune_audit_log", queue_name="reports", acks_late=True)
def prune_audit_log() -> dict[str, int]:
    """Nightly retention (CELERY_BEAT_SCHEDULE "audit-retention"): every schema's entries
    older than AUDIT_RETENTION_DAYS exported to the backups storage, then removed.
    Idempotent: a second run finds nothing older than the cut-off (and a run that overlaps
    another waits for it on the per-schema advisory lock)."""
    from .retention import prune_every_schema

    return {result.schema: result.removed for result in prune_every_schema()}
