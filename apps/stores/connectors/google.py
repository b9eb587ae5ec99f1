"""Google Business Profile through its official REST API (My Business API v4 reviews):

    GET    {base}/v4/{location}/reviews?pageSize=50&pageToken=…   (paginated)
    GET    {base}/v4/{location}/reviews/{reviewId}
    PUT    {base}/v4/{location}/reviews/{reviewId}/reply          {"comment": …}
    DELETE {base}/v4/{location}/reviews/{reviewId}/reply

`location` is `accounts/{a}/locations/{l}`; the bearer token is the owner's OAuth access
(scope business.manage), stored encrypted on the listing. `STORES_GOOGLE_API_BASE` points
at the loopback sandbox (apps/stores/sandbox/google.py) in tests and development.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
from django.conf import settings
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from apps.core.pii import decrypt

from .base import Connector, RawReview, TransientError

STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
PAGE_SIZE = 50


def _base() -> str:
    return getattr(settings, "STORES_GOOGLE_API_BASE", "https://mybusiness.googleapis.com").rstrip("/")


def parse(item: dict) -> RawReview:
    reviewer = item.get("reviewer") or {}
    created = item.get("createTime") or item.get("updateTime")
    written = datetime.fromisoformat(created.replace("Z", "+00:00")).date()
    return RawReview(
        external_id=item["reviewId"],
        author=reviewer.get("displayName", "") if not reviewer.get("isAnonymous") else "",
        rating=STARS.get(item.get("starRating", "")),
        text=item.get("comment", ""),
        written_on=written,
        platform_reply=(item.get("reviewReply") or {}).get("comment", ""),
    )


class GoogleBusinessProfile(Connector):
    platform = "google"
    source = "api"
    can_post = True

    def _client(self, listing) -> httpx.Client:
        if not listing.oauth_token:
            raise TransientError("the owner has not granted Google access for this listing")
        token = decrypt(listing.oauth_token)
        return httpx.Client(base_url=_base(), headers={"Authorization": f"Bearer {token}"}, timeout=10.0)

    @retry(
        retry=retry_if_exception_type(TransientError),
        stop=stop_after_attempt(3),
        wait=wait_exponential_jitter(multiplier=0.2, max=2),
        reraise=True,
    )
    def _call(self, client: httpx.Client, method: str, path: str, **kwargs) -> dict:
        try:
            response = client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise TransientError(str(exc)) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"Google answered {response.status_code}")
        response.raise_for_status()
        return response.json() if response.content else {}

    def fetch(self, listing) -> Iterator[RawReview]:
        with self._client(listing) as client:
            token = ""
            while True:
                params = {"pageSize": PAGE_SIZE, **({"pageToken": token} if token else {})}
                page = self._call(client, "GET", f"/v4/{listing.place_id}/reviews", params=params)
                for item in page.get("reviews", []):
                    yield parse(item)
                token = page.get("nextPageToken", "")
                if not token:
                    return

    def fetch_one(self, listing, external_id: str) -> RawReview:
        with self._client(listing) as client:
            return parse(self._call(client, "GET", f"/v4/{listing.place_id}/reviews/{external_id}"))

    def post_reply(self, listing, external_id: str, text: str) -> None:
        with self._client(listing) as client:
            self._call(client, "PUT", f"/v4/{listing.place_id}/reviews/{external_id}/reply", json={"comment": text})

    def delete_reply(self, listing, external_id: str) -> None:
        with self._client(listing) as client:
            self._call(client, "DELETE", f"/v4/{listing.place_id}/reviews/{external_id}/reply")

    def reply_page(self, listing) -> str:
        return listing.url or "https://business.google.com/reviews"
