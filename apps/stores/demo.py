"""The demo store (manage.py seed_demo): a restaurant on the Premium plan with a month of
Naver, Kakao and Google reviews, analysed, with drafts awaiting approval and this
morning's report. Safe to run again (imports are idempotent)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from .models import Review, Store
from .services import analysis, ingest, plans, reports, stores

REVIEWS = [
    # (platform, days ago, author, stars, text)
    ("naver", 1, "김민수", None, "김치찌개가 정말 맛있고 사장님이 친절하세요. 또 올게요!"),
    ("naver", 1, "이서연", None, "직원이 불친절하고 음식이 식어서 나왔어요. 다시는 안 갈래요"),
    ("naver", 2, "박지훈", None, "맛은 있는데 가격이 너무 비싸요. 양도 좀 적어요"),
    ("kakao", 2, "최유진", 5, "점심 메뉴 가성비 최고예요. 반찬도 깔끔하고 푸짐해요"),
    ("kakao", 3, "정하늘", 1, "국에서 머리카락이 나왔어요. 위생 관리 좀 하세요"),
    ("google", 3, "Alex Kim", 4, "분위기 좋고 음식도 맛있어요. 주차가 조금 불편해요"),
    ("naver", 4, "한지민", None, "웨이팅이 40분이나 됐는데 안내도 없었어요. 너무 오래 기다렸어요"),
    ("kakao", 5, "오세훈", 5, "된장찌개 맛집! 직원분들도 상냥하시고 재방문 의사 있어요"),
    ("naver", 6, "윤아름", None, "먹고 나서 배탈이 났어요. 구청에 신고할까 고민 중입니다"),
    ("google", 8, "Sora Lee", 5, "Best kimchi stew in Gangnam. 정말 맛있어요"),
    ("naver", 9, "강동원", None, "조용하고 깨끗해서 가족 외식으로 좋았어요"),
    ("kakao", 10, "서지우", 3, "그럭저럭 먹을 만했어요. 특별하진 않아요"),
    ("naver", 12, "임수정", None, "직원이 친절하고 음식이 빨리 나와요"),
    ("kakao", 15, "배수지", 2, "예전보다 양이 적어졌고 비싸졌어요. 아쉽네요"),
]


def seed(tenant) -> Iterator[tuple[str, str]]:
    sub = plans.subscription()
    if sub.plan == "free":
        sub.plan = "premium"
        sub.save(update_fields=["plan"])
    store = Store.objects.filter(name="한솥밥 강남점").first()
    if store is None:
        store = stores.create_store(
            name="한솥밥 강남점",
            category="restaurant",
            address="서울 강남구 테헤란로 1",
            signoff="- 한솥밥 강남점 드림",
            actor=None,
        )
        stores.set_listing(
            store,
            platform="naver",
            place_id="1234567890",
            actor=None,
            url="https://m.place.naver.com/restaurant/1234567890/review/visitor",
        )
        stores.set_listing(
            store,
            platform="kakao",
            place_id="987654321",
            actor=None,
            url="https://place.map.kakao.com/987654321#comment",
        )
        stores.set_listing(store, platform="google", place_id="accounts/1/locations/1", actor=None)
    staff = get_user_model().objects.filter(username="staff").first()
    if staff is not None:
        store.staff.add(staff)
    today = timezone.localdate()
    for platform in ("naver", "kakao", "google"):
        lines = ["author,rating,date,text"]
        for where, ago, author, stars, text in REVIEWS:
            if where == platform:
                day = today - timedelta(days=ago)
                lines.append(f'{author},{stars or ""},{day:%Y.%m.%d},"{text}"')
        ingest.import_pasted(store, platform, "\n".join(lines), actor=None)
    analysis.analyse_reviews(list(Review.objects.filter(store=store, analysed_at=None).values_list("pk", flat=True)))
    reports.daily(store, today)
    reports.weekly(store, today)
    yield "owner, staff", "/reviews/"
