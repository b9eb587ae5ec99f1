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


class _Index:
    """The store's existing reviews that a batch can match, loaded in three queries."""

    def __init__(self, store: Store, platform: str, items: list[RawReview], keys: list[str]):
        rows = Review.objects.filter(store=store, platform=platform)
        ids = [i.external_id for i in items if i.external_id]
        self.by_id = {r.external_id: r for r in rows.filter(external_id__in=ids)} if ids else {}
        plain = [k for i, k in zip(items, keys, strict=True) if not i.external_id]
        self.by_key = {r.natural_key: r for r in rows.filter(external_id="", natural_key__in=plain)} if plain else {}
        authors = {i.author for i in items if not i.external_id and i.author.strip()}
        self.by_author: dict[tuple, list[Review]] = {}
        if authors:
            for r in rows.filter(external_id="", author__in=authors):
                self.by_author.setdefault((r.author, r.written_on), []).append(r)
        dated = [i.written_on for i in items if i.written_on]
        self.others: dict = {}
        if dated:
            window = (min(dated) - timedelta(days=7), max(dated) + timedelta(days=7))
            candidates = (
                Review.objects.filter(store=store, written_on__range=window, cross_post_of=None)
                .exclude(platform=platform)
                .only("pk", "text", "written_on")
                .order_by("pk")
            )
            for r in candidates:
                self.others.setdefault(r.written_on, []).append((r.pk, normalise(r.text)))

    def find(self, item: RawReview, key: str) -> Review | None:
        if item.external_id:
            return self.by_id.get(item.external_id)
        found = self.by_key.get(key)
        if found is not None or not item.author.strip():
            return found
        # The same author on the same day with a changed text: an edit.
        text = normalise(item.text)
        for candidate in self.by_author.get((item.author, item.written_on), []):
            if fuzz.ratio(normalise(candidate.text), text) >= EDIT_RATIO:
                return candidate
        return None

    def cross_post_of(self, item: RawReview) -> int | None:
        text = normalise(item.text)
        if len(text) < 15 or not self.others:
            return None
        for offset in range(-7, 8):
            for pk, other in self.others.get(item.written_on + timedelta(days=offset), []):
                if fuzz.ratio(other, text) >= CROSS_POST_RATIO:
                    return pk
        return None


def _write(store: Store, platform: str, items: list[RawReview], session: IngestionSession) -> list[int]:
    """Write a batch of reviews; returns the ids of new and changed reviews."""
    valid, keys = [], []
    for item in items:
        session.found += 1
        problem = _validate(item)
        if problem:
            where = _("row %(row)s") % {"row": item.row} if item.row else item.external_id or item.author
            session.errors.append(f"{where}: {problem}")
            session.failed += 1
            continue
        valid.append(item)
        keys.append(natural_key(item.author, item.written_on, item.text))
    index = _Index(store, platform, valid, keys)
    new: list[Review] = []
    changed: dict[int, Review] = {}
    versions: list[ReviewVersion] = []
    seen: dict[str, Review] = {}  # the same review twice in one batch
    for item, key in zip(valid, keys, strict=True):
        review = index.find(item, key) or seen.get(item.external_id or key)
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
                cross_post_of_id=index.cross_post_of(item),
            )
            if item.platform_reply:
                review.reply_status = Review.ReplyStatus.POSTED
            new.append(review)
            seen[item.external_id or key] = review
            continue
        dirty = False
        if normalise(review.text) != normalise(item.text) or review.rating != item.rating:
            if review.pk:
                versions.append(
                    ReviewVersion(
                        review=review,
                        version=review.version,
                        text=review.text,
                        rating=review.rating,
                    )
                )
                review.version += 1
                review.analysed_at = None
            review.text, review.rating, review.natural_key = item.text, item.rating, key
            dirty = True
        if item.platform_reply and item.platform_reply != review.platform_reply:
            review.platform_reply = item.platform_reply
            review.reply_status = Review.ReplyStatus.POSTED
            dirty = True
        if dirty and review.pk:
            changed[review.pk] = review
    Review.objects.bulk_create(new, batch_size=500)
    if changed:
        now = timezone.now()
        for review in changed.values():
            review.updated_at = now
        Review.objects.bulk_update(
            list(changed.values()),
            [
                "version",
                "text",
                "rating",
                "natural_key",
                "analysed_at",
                "platform_reply",
                "reply_status",
                "updated_at",
            ],
            batch_size=500,
        )
    ReviewVersion.objects.bulk_create(versions, batch_size=500)
    session.new += len(new)
    session.updated += len(changed)
    return [r.pk for r in new] + list(changed)


def ingest(
    store: Store,
    platform: str,
    items: Iterable[RawReview],
    *,
    source: str,
    actor=None,
    locked: bool = False,
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
            store=store,
            platform=platform,
            source=source,
            started_by=actor if getattr(actor, "pk", None) else None,
        )
        to_analyse = _write(store, platform, list(items), session)
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
            return ingest(
                listing.store,
                listing.platform,
                items,
                source=connector.source,
                actor=actor,
                locked=True,
            )
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
