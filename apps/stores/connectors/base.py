from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date


@dataclass
class RawReview:
    """A review as a connector or parser read it, before de-duplication."""

    author: str
    text: str
    written_on: date
    rating: int | None = None
    external_id: str = ""
    platform_reply: str = ""
    row: int | None = None  # where it came from (pasted block / CSV row), for error messages
    extra: dict = field(default_factory=dict)


class NotSupported(Exception):
    """The platform offers no way to do this through software (Naver, Kakao: replies)."""


class TransientError(Exception):
    """Worth retrying later (timeouts, 429, 5xx)."""


class Connector:
    """What every platform connector does. `fetch` yields the listing's reviews (idempotent:
    ingestion de-duplicates); `post_reply`/`delete_reply` publish an approved reply or
    raise NotSupported, in which case the owner copies the text and `reply_page` opens
    the platform's own reply page."""

    platform: str = ""
    source: str = "api"
    can_post: bool = False

    def fetch(self, listing) -> Iterator[RawReview]:
        raise NotSupported(self.platform)

    def fetch_one(self, listing, external_id: str) -> RawReview:
        raise NotSupported(self.platform)

    def post_reply(self, listing, external_id: str, text: str) -> None:
        raise NotSupported(self.platform)

    def delete_reply(self, listing, external_id: str) -> None:
        raise NotSupported(self.platform)

    def reply_page(self, listing) -> str:
        return listing.url
