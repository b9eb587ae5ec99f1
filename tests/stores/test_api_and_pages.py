"""The store API and owner pages: roles, the staff scope, another store tenant, plan limits."""

from __future__ import annotations

from apps.stores.models import ReplyDraft, Review, Store
from apps.stores.services import analysis, ingest, plans, stores

from .test_services import PASTED


def _setup(tenants, plan_code="premium"):
    with tenants["store"].context():
        sub = plans.subscription()
        sub.plan = plan_code
        sub.save()
        shop = stores.create_store(name="한솥밥", actor=None)
        other = stores.create_store(name="다른 지점", actor=None)
        ingest.import_pasted(shop, "naver", PASTED, actor=None)
        ingest.import_pasted(other, "kakao", PASTED, actor=None)
        analysis.analyse_reviews(list(Review.objects.values_list("pk", flat=True)))
    return shop, other


def test_owner_imports_filters_and_approves_through_the_api(tenants, member, db):
    shop, _other = _setup(tenants)
    _owner, client = member("store", "owner")
    listed = client.get("/api/v1/reviews/", {"store": shop.pk, "sentiment": "negative"})
    assert listed.status_code == 200
    assert [r["author"] for r in listed.json()["results"]] == ["이서연"]
    assert "불친절" in listed.json()["results"][0]["keywords"]
    bad = client.post(
        f"/api/v1/stores/{shop.pk}/import/", {"platform": "kakao", "text": "author,date,text\n가,어제,맛있어요\n"}
    )
    assert bad.status_code == 400 and "2행" in str(bad.json())
    ok = client.post(
        f"/api/v1/stores/{shop.pk}/import/",
        {"platform": "kakao", "text": "author,rating,date,text\n가,5,2026.11.08,맛있어요\n"},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["new"] == 1
    review = client.get("/api/v1/reviews/", {"store": shop.pk, "q": "불친절"}).json()["results"][0]
    detail = client.get(f"/api/v1/reviews/{review['id']}/").json()
    draft = detail["drafts"][0]
    approved = client.post(
        f"/api/v1/drafts/{draft['id']}/approve/", {"text": "불편을 드려 죄송합니다."}, content_type="application/json"
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = client.post(f"/api/v1/drafts/{draft['id']}/approve/", {}, content_type="application/json")
    assert again.status_code == 400
    done = client.post(f"/api/v1/reviews/{review['id']}/check-complete/")
    assert done.status_code == 200 and done.json()["status"] == "posted"
    for path in (
        "analytics/dashboard/",
        "analytics/trends/rating/",
        "analytics/keywords/",
        "analytics/recommendations/",
        "payments/plans/",
        "payments/subscription/",
        f"stores/{shop.pk}/stats/",
    ):
        assert client.get(f"/api/v1/{path}").status_code == 200, path


def test_staff_see_only_their_stores_and_cannot_approve(tenants, member, db):
    shop, other = _setup(tenants)
    staff, client = member("store", "staff")
    with tenants["store"].context():
        shop.staff.add(staff)
        foreign_review = Review.objects.filter(store=other).first()
        draft = ReplyDraft.objects.filter(review__store=shop).first()
    stores_seen = [s["id"] for s in client.get("/api/v1/stores/").json()["results"]]
    assert stores_seen == [shop.pk]
    assert {r["store"] for r in client.get("/api/v1/reviews/").json()["results"]} == {shop.pk}
    assert client.get(f"/api/v1/reviews/{foreign_review.pk}/").status_code == 404
    assert client.post(f"/api/v1/reviews/{foreign_review.pk}/reply/", {}).status_code == 404
    assert client.post(f"/api/v1/drafts/{draft.pk}/approve/", {}).status_code == 403
    assert client.get(f"/reviews/{foreign_review.pk}/").status_code == 404
    assert client.get("/reviews/").status_code == 200


def test_another_store_tenant_cannot_see_or_act(tenants, member, db):
    shop, _other = _setup(tenants)
    with tenants["store"].context():
        review = Review.objects.filter(store=shop).first()
        draft = ReplyDraft.objects.filter(review__store=shop).first()
    _owner, client = member("store_b", "owner")
    assert client.get("/api/v1/stores/").json()["results"] == []
    assert client.get(f"/api/v1/reviews/{review.pk}/").status_code == 404
    assert client.post(f"/api/v1/drafts/{draft.pk}/approve/", {}).status_code == 404
    assert client.get(f"/reviews/{review.pk}/").status_code == 404
    # A session of store A is not a session on store B's host.
    _owner_a, client_a = member("store", "owner")
    foreign = tenants["store_b"].client()
    foreign.cookies = client_a.cookies
    assert foreign.get("/api/v1/reviews/").status_code in (401, 403)
    with tenants["store"].context():
        assert ReplyDraft.objects.get(pk=draft.pk).status == "pending"


def test_plan_limit_through_the_api_names_the_plan(tenants, member, db):
    with tenants["store"].context():
        sub = plans.subscription()
        sub.plan = "free"
        sub.save()
    _owner, client = member("store", "owner")
    assert client.post("/api/v1/stores/", {"name": "첫 가게"}).status_code == 201
    refused = client.post("/api/v1/stores/", {"name": "둘째 가게"})
    assert refused.status_code == 400 and "무료 요금제" in str(refused.json())
    with tenants["store"].context():
        assert Store.objects.count() == 1
    assert client.get("/api/v1/analytics/recommendations/").status_code == 400


def test_owner_pages_render_in_korean(tenants, member, db):
    shop, _other = _setup(tenants)
    _owner, client = member("store", "owner")
    client.cookies["django_language"] = "ko"
    inbox = client.get("/reviews/", {"store": shop.pk}, HTTP_ACCEPT_LANGUAGE="ko")
    assert inbox.status_code == 200 and "리뷰" in inbox.content.decode()
    with tenants["store"].context():
        review = Review.objects.get(store=shop, author="이서연")
        draft = review.drafts.get()
    page = client.get(f"/reviews/{review.pk}/", HTTP_ACCEPT_LANGUAGE="ko")
    assert page.status_code == 200 and "불친절" in page.content.decode()
    posted = client.post(f"/reviews/{review.pk}/", {"action": "approve", "draft": draft.pk, "text": "죄송합니다"})
    assert posted.status_code == 302
    with tenants["store"].context():
        assert ReplyDraft.objects.get(pk=draft.pk).text == "죄송합니다"
    imported = client.post(
        "/reviews/import/",
        {"store": shop.pk, "platform": "kakao", "text": "author,date,text\n가,2026.11.01,맛있어요\n"},
    )
    assert imported.status_code == 200 and b'id="session"' in imported.content
    assert client.get("/reviews/dashboard/").status_code == 200
