"""Scheduled operations."""

from __future__ import annotations

import structlog
from celery import shared_task

logger = structlog.get_logger(__name__)


@shared_task(name="apps.ops.tasks.report_backups", queue_name="reports", acks_late=True)
def report_backups() -> dict:
    """The daily backup (CELERY_BEAT_SCHEDULE "backups-daily"): every schema, then
    retention. Idempotent enough to run twice: a second run writes a second, equally
    valid set of files under a later timestamp, and pruning only removes old ones."""
    from . import backups

    done, failed = backups.backup_all()
    removed = backups.prune()
    for backup in done:
        logger.info("backup.stored", schema=backup.schema, file=backup.name, bytes=backup.manifest["bytes"])
    for schema, error in failed.items():
        logger.error("backup.failed", schema=schema, error=error)
    logger.info("backup.pruned", files=len(removed))
    return {"stored": [b.name for b in done], "failed": failed, "pruned": removed}
