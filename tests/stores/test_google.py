"""The Google Business Profile connector against the loopback sandbox speaking its REST API."""

from __future__ import annotations

import pytest

from apps.stores.models import ReplyDraft, Review
from apps.stores.sandbox.google import GoogleSandbox
from apps.stores.services import analysis, ingest, replies, stores

LOCATION = "accounts/111/locations/222"


@pytest.fixture
def google(settings):
    with GoogleSandbox({"owner-token"}) as sandbox:
        settings.STORES_GOOGLE_API_BASE = sandbox.url
        sandbox.add_location(LOCATION)
        yield sandbox


@pytest.fixture
def listing(shop, google):
    return stores.set_listing(shop, platform="google", place_id=LOCATION, oauth_token="owner-token", actor=None)


def test_paginated_sync_is_idempotent_and_keeps_edits(listing, google):
    for i in range(120):
        google.add_review(LOCATION, f"리뷰 {i} 음식이 맛있어요", 5, author=f"손님{i}", review_id=f"r{i}")
    first = ingest.sync_listing(listing)
    assert (first.found, first.new) == (120, 120)
    assert [c for c in google.calls if c[1].endswith("/reviews")] == [("GET", f"/v4/{LOCATION}/reviews")] * 3
    second = ingest.sync_listing(listing)
    assert (second.found, second.new, second.updated) == (120, 0, 0)
    google.add_review(LOCATION, "다시 가보니 불친절했어요", 2, author="손님7", review_id="r7")
    third = ingest.sync_listing(listing)
    assert (third.new, third.updated) == (0, 1)
    review = Review.objects.get(external_id="r7")
    assert review.rating == 2 and review.version == 2 and review.versions.get().rating == 5


def test_wrong_token_is_refused_by_the_api(listing, google):
    stores.set_listing(listing.store, platform="google", place_id=LOCATION, oauth_token="stolen", actor=None)
    listing.refresh_from_db()
    import httpx

    with pytest.raises(httpx.HTTPStatusError):
        ingest.sync_listing(listing)


def test_approved_reply_is_posted_through_the_api_and_retried(listing, google):
    google.add_review(LOCATION, "친절하고 맛있어요", 5, review_id="g1")
    ingest.sync_listing(listing)
    analysis.analyse_reviews(list(Review.objects.values_list("pk", flat=True)))
    draft = ReplyDraft.objects.get()
    replies.approve(draft, actor=None, text="감사합니다!")
    google.fail_next = 3  # 503 three times: the three tries of one attempt fail
    from apps.stores.connectors import TransientError

    with pytest.raises(TransientError):
        replies.post(draft.pk)  # the task retries later
    draft.refresh_from_db()
    assert (draft.status, draft.post_attempts) == ("approved", 1)
    google.fail_next = 2  # two 503s: tenacity's third try gets through
    assert replies.post(draft.pk) == "posted"
    assert google.locations[LOCATION][0]["reviewReply"]["comment"] == "감사합니다!"
    puts = sum(1 for c in google.calls if c[0] == "PUT")
    assert replies.post(draft.pk) == "posted"  # posting again does nothing
    assert sum(1 for c in google.calls if c[0] == "PUT") == puts
    assert Review.objects.get().reply_status == "posted"


def test_pubsub_push_is_verified_and_fetches_the_review(tenants, listing, google, db):
    from django.test import Client

    from apps.stores.services import plans

    sub = plans.subscription()
    sub.push_token = "push-secret-123"
    sub.save()
    google.add_review(LOCATION, "새 리뷰예요 맛있어요", 4, review_id="p1")
    client = Client(HTTP_HOST=tenants["store"].domain)
    import base64
    import json

    body = {
        "message": {
            "data": base64.b64encode(
                json.dumps({"type": "NEW_REVIEW", "location": LOCATION, "review": f"{LOCATION}/reviews/p1"}).encode()
            ).decode(),
            "messageId": "1",
        },
        "subscription": "projects/x/subscriptions/y",
    }
    assert (
        client.post("/api/v1/stores/google/push/?token=wrong", body, content_type="application/json").status_code == 403
    )
    assert client.post("/api/v1/stores/google/push/", body, content_type="application/json").status_code == 403
    ok = client.post("/api/v1/stores/google/push/?token=push-secret-123", body, content_type="application/json")
    assert ok.status_code == 204
    # The task fetches the review from Google (run here; the worker does it in production).
    session = ingest.ingest_pushed(LOCATION, "p1")
    assert session.new == 1 and Review.objects.get().external_id == "p1"
    assert ingest.ingest_pushed(LOCATION, "p1").new == 0
