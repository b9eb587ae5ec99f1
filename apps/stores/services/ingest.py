"""Ingestion: every connector's reviews go through `ingest`, which de-duplicates, keeps
edited reviews as versions, flags cross-posts and records the session.

- Serialised per store by a Redis crawl lock (seed 002: `crawl:{store_id}`, 1-hour TTL):
  a second ingestion of the same store while one runs is refused.
- Limited per platform (requests per minute, platform-wide) and stopped by a per-platform
  kill switch (`set_kill_switch`, or STORES_DISABLED_PLATFORMS in the environment).
- De-duplication: by (platform, review id) where the platform shows one, else by
  (platform, author, date, normalised text). A review by the same author on the same day
  whose text changed is an edit: the old text becomes a ReviewVersion.
- The same text on two platforms (rapidfuzz ratio ≥ 90) is flagged as a cross-post.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_redis import get_redis_connection
from rapidfuzz import fuzz

from apps.core import ratelimit

from ..connectors import RawReview, connector_for
from ..models import IngestionSession, Listing, Platform, Review, ReviewVersion, Store
from .common import invalid, record

LOCK_TTL = 3600  # seed 002: crawling_lock ttl 3600
CROSS_POST_RATIO = 90
EDIT_RATIO = 50
ANALYSIS_BATCH = 50
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class Busy(Exception):
    """Another ingestion of the store holds the crawl lock."""


class RateLimited(Exception):
    def __init__(self, wait: float):
        super().__init__(f"rate limited for {wait:.1f} s")
        self.wait = wait


def _redis():
    return get_redis_connection("default")


def lock_key(store: Store) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:stores:crawl:{connection.schema_name}:{store.pk}"


@contextmanager
def crawl_lock(store: Store) -> Iterator[None]:
    token = uuid.uuid4().hex
    key = lock_key(store)
    if not _redis().set(key, token, nx=True, ex=LOCK_TTL):
        raise Busy(store.pk)
    try:
        yield
    finally:
        _redis().eval(RELEASE, 1, key, token)


def _kill_key(platform: str) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:stores:kill:{platform}"


def platform_enabled(platform: str) -> bool:
    if platform in getattr(settings, "STORES_DISABLED_PLATFORMS", []):
        return False
    return not _redis().exists(_kill_key(platform))


def set_kill_switch(platform: str, *, off: bool, actor) -> None:
    """Stop (off=True) or restart every ingestion and posting on a platform, for every tenant."""
    if platform not in Platform.values:
        raise invalid(platform=_("Unknown platform %(value)s.") % {"value": platform})
    if off:
        _redis().set(_kill_key(platform), "1")
    else:
        _redis().delete(_kill_key(platform))


def take_rate(platform: str) -> None:
    """One request to the platform; RateLimited when its per-minute budget is spent."""
    limit = getattr(settings, "STORES_RATE_PER_MINUTE", {}).get(platform, 30)
    wait = ratelimit.hit(f"{settings.REDIS_KEY_PREFIX}:rl:stores:{platform}", limit, 60)
    if wait > 0:
        raise RateLimited(wait)


_SPACE_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    return _SPACE_PUNCT.sub("", unicodedata.normalize("NFKC", text or "").lower())


def natural_key(author: str, written_on, text: str) -> str:
    raw = f"{normalise(author)}|{written_on.isoformat()}|{normalise(text)}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _validate(item: RawReview) -> str | None:
    if item.rating is not None and not (isinstance(item.rating, int) and 1 <= item.rating <= 5):
        return _("rating must be 1–5")
    if not item.text.strip() and item.rating is None:
        return _("no text and no rating")
    if item.written_on is None:
        return _("no date")
    return None


def _existing(store: Store, platform: str, item: RawReview, key: str) -> Review | None:
    rows = Review.objects.filter(store=store, platform=platform)
    if item.external_id:
        return rows.filter(external_id=item.external_id).first()
    found = rows.filter(external_id="", natural_key=key).first()
    if found is not None or not item.author.strip():
        return found
    # The same author on the same day with a changed text: an edit.
    text = normalise(item.text)
    for candidate in rows.filter(external_id="", author=item.author, written_on=item.written_on):
        if fuzz.ratio(normalise(candidate.text), text) >= EDIT_RATIO:
            return candidate
    return None


def _cross_post_of(review: Review) -> Review | None:
    text = normalise(review.text)
    if len(text) < 15:
        return None
    window = (review.written_on - timedelta(days=7), review.written_on + timedelta(days=7))
    candidates = (
        Review.objects.filter(store=review.store, written_on__range=window, cross_post_of=None)
        .exclude(platform=review.platform)
        .exclude(pk=review.pk)
        .only("pk", "text")
        .order_by("pk")
    )
    for candidate in candidates:
        if fuzz.ratio(normalise(candidate.text), text) >= CROSS_POST_RATIO:
            return candidate
    return None


def _upsert(store: Store, platform: str, item: RawReview, session: IngestionSession) -> tuple[str, Review | None]:
    problem = _validate(item)
    if problem:
        where = _("row %(row)s") % {"row": item.row} if item.row else item.external_id or item.author
        session.errors.append(f"{where}: {problem}")
        return "failed", None
    key = natural_key(item.author, item.written_on, item.text)
    review = _existing(store, platform, item, key)
    if review is None:
        review = Review(
            store=store,
            platform=platform,
            external_id=item.external_id,
            natural_key=key,
            author=item.author,
            rating=item.rating,
            text=item.text,
            written_on=item.written_on,
            platform_reply=item.platform_reply,
            first_session=session,
        )
        if item.platform_reply:
            review.reply_status = Review.ReplyStatus.POSTED
        review.save()
        cross = _cross_post_of(review)
        if cross is not None:
            review.cross_post_of = cross
            review.save(update_fields=["cross_post_of"])
        return "new", review
    changed = normalise(review.text) != normalise(item.text) or review.rating != item.rating
    if changed:
        ReviewVersion.objects.create(review=review, version=review.version, text=review.text, rating=review.rating)
        review.version += 1
        review.text, review.rating, review.natural_key = item.text, item.rating, key
        review.analysed_at = None
    if item.platform_reply and item.platform_reply != review.platform_reply:
        review.platform_reply = item.platform_reply
        review.reply_status = Review.ReplyStatus.POSTED
        changed = True
    if not changed:
        return "same", review
    review.save()
    return "updated", review


def ingest(
    store: Store, platform: str, items: Iterable[RawReview], *, source: str, actor=None, locked: bool = False
) -> IngestionSession:
    """Write the reviews (all in one transaction) and record the session. Idempotent: the
    same reviews again add nothing. Analysis of new and changed reviews is queued after
    commit."""
    if platform not in Platform.values:
        raise invalid(platform=_("Unknown platform %(value)s.") % {"value": platform})
    if not platform_enabled(platform):
        raise invalid(platform=_("Collecting from %(platform)s is switched off for now.") % {"platform": platform})
    if not locked:
        try:
            with crawl_lock(store):
                return ingest(store, platform, items, source=source, actor=actor, locked=True)
        except Busy:
            raise invalid(
                store=_("Reviews of %(store)s are being collected right now; try again when it is done.")
                % {"store": store.name}
            ) from None
    from .. import tasks

    with transaction.atomic():
        session = IngestionSession.objects.create(
            store=store, platform=platform, source=source, started_by=actor if getattr(actor, "pk", None) else None
        )
        to_analyse = []
        for item in items:
            session.found += 1
            outcome, review = _upsert(store, platform, item, session)
            if outcome in ("new", "updated", "failed"):
                setattr(session, outcome, getattr(session, outcome) + 1)
            if outcome in ("new", "updated"):
                to_analyse.append(review.pk)
        session.status = IngestionSession.Status.DONE
        session.finished_at = timezone.now()
        session.save()
        Listing.objects.filter(store=store, platform=platform).update(last_synced_at=session.finished_at)
        record(
            "store.reviews_ingested",
            session,
            actor if getattr(actor, "pk", None) else None,
            store=store.pk,
            platform=platform,
            source=source,
            found=session.found,
            new=session.new,
            updated=session.updated,
            failed=session.failed,
        )
        for start in range(0, len(to_analyse), ANALYSIS_BATCH):  # batches several workers share
            tasks.analyse_reviews.apply_async_on_commit(args=[to_analyse[start : start + ANALYSIS_BATCH]], priority=2)
    return session


def import_pasted(store: Store, platform: str, text: str, *, actor) -> IngestionSession:
    """The owner's pasted or uploaded review list (Naver, Kakao; any platform)."""
    from . import paste

    if platform not in Platform.values:
        raise invalid(platform=_("Unknown platform %(value)s.") % {"value": platform})
    items = paste.parse(text)  # raises naming every bad row; nothing written
    return ingest(store, platform, items, source=IngestionSession.Source.PASTE, actor=actor)


def sync_listing(listing: Listing, *, actor=None) -> IngestionSession:
    """Fetch a listing's reviews through its platform's API (Google)."""
    connector = connector_for(listing.platform)
    if not platform_enabled(listing.platform):
        raise invalid(
            platform=_("Collecting from %(platform)s is switched off for now.") % {"platform": listing.platform}
        )
    try:
        with crawl_lock(listing.store):
            take_rate(listing.platform)
            items = list(connector.fetch(listing))
            return ingest(listing.store, listing.platform, items, source=connector.source, actor=actor, locked=True)
    except Busy:
        raise invalid(
            store=_("Reviews of %(store)s are being collected right now; try again when it is done.")
            % {"store": listing.store.name}
        ) from None


def ingest_pushed(location: str, review_id: str) -> IngestionSession | None:
    """A Pub/Sub NEW_REVIEW/UPDATED_REVIEW notification: fetch that one review."""
    listing = Listing.objects.filter(platform=Platform.GOOGLE, place_id=location).select_related("store").first()
    if listing is None:
        return None
    item = connector_for(Platform.GOOGLE).fetch_one(listing, review_id)
    return ingest(listing.store, Platform.GOOGLE, [item], source=IngestionSession.Source.PUSH)
