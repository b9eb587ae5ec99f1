"""Store background work; every task is idempotent (acknowledged late, retried).

Queues and broker priorities follow seed 002: crawling and AI work high (crawl queue,
priority 0–2), analytics and reports normal (reports queue), clean-up low."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .connectors import TransientError


@shared_task(name="apps.stores.tasks.analyse_reviews", queue_name="default", acks_late=True)
def analyse_reviews(ids: list[int]) -> int:
    from .services import analysis

    return analysis.analyse_reviews(ids)


@shared_task(name="apps.stores.tasks.crawl_listing", queue_name="crawl", bind=True, acks_late=True, max_retries=5)
def crawl_listing(self, listing_id: int) -> dict | None:
    from django.core.exceptions import ValidationError

    from .models import Listing
    from .services import ingest

    listing = Listing.objects.select_related("store").filter(pk=listing_id).first()
    if listing is None:
        return None
    try:
        session = ingest.sync_listing(listing)
    except ingest.RateLimited as exc:
        raise self.retry(countdown=exc.wait + 1) from exc
    except TransientError as exc:
        raise self.retry(countdown=30 * (self.request.retries + 1)) from exc
    except ValidationError as exc:  # locked by another run, switched off: the next hour tries again
        return {"skipped": exc.messages}
    return {"session": session.pk, "new": session.new, "updated": session.updated}


@shared_task(name="apps.stores.tasks.crawl_all", queue_name="crawl")
def crawl_all() -> int:
    """Hourly: every listing whose platform has an API (Google) is synced."""
    from .connectors import connector_for
    from .models import Listing

    sent = 0
    for listing in Listing.objects.filter(store__archived=False).exclude(oauth_token=""):
        if connector_for(listing.platform).can_post:
            crawl_listing.apply_async(args=[listing.pk], priority=1)
            sent += 1
    return sent


@shared_task(name="apps.stores.tasks.post_reply", queue_name="default", bind=True, acks_late=True, max_retries=5)
def post_reply(self, draft_id: int) -> str:
    from .services import replies

    try:
        return replies.post(draft_id)
    except TransientError as exc:
        raise self.retry(countdown=10 * 2**self.request.retries) from exc


@shared_task(name="apps.stores.tasks.report_daily", queue_name="reports")
def report_daily() -> int:
    from .services import reports

    return len(reports.run_daily(timezone.localdate()))


@shared_task(name="apps.stores.tasks.report_weekly", queue_name="reports")
def report_weekly() -> int:
    from .services import reports

    return len(reports.run_weekly(timezone.localdate()))


@shared_task(name="apps.stores.tasks.send_due_alerts", queue_name="default")
def send_due_alerts() -> int:
    from .services import alerts

    return alerts.send_due()


@shared_task(name="apps.stores.tasks.crawl_pushed", queue_name="crawl", bind=True, acks_late=True, max_retries=5)
def crawl_pushed(self, location: str, review_id: str) -> int | None:
    """A Google push notification: fetch that review and ingest it (idempotent)."""
    from django.core.exceptions import ValidationError

    from .services import ingest

    try:
        session = ingest.ingest_pushed(location, review_id)
    except TransientError as exc:
        raise self.retry(countdown=30) from exc
    except ValidationError as exc:  # another ingestion of the store runs: try again shortly
        raise self.retry(countdown=60) from exc
    return session.pk if session else None
