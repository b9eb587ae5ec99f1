"""The club's scheduled work (README "Club tables"). Every task is idempotent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


@shared_task(name="apps.club.tasks.archive_hands", queue_name="reports", acks_late=True)
def archive_hands(older_than_days: float | None = None) -> dict[str, int]:
    """Nightly (CELERY_BEAT_SCHEDULE "club-archive-hands", in every club): hands finished
    more than CLUB_ARCHIVE_AFTER_DAYS ago into msgpack + gzip batches. Idempotent: a second
    run finds nothing older than the cut-off, and two runs at once take different rows."""
    from .services.archive import archive_hands as archive

    days = settings.CLUB_ARCHIVE_AFTER_DAYS if older_than_days is None else older_than_days
    return {"archived": archive(older_than_days=days, batch=settings.CLUB_ARCHIVE_BATCH, actor=None)}
