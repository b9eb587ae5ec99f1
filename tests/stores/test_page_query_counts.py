"""The store's list pages run the same queries whatever they list: the inbox (30 a page),
the dashboard, and a review's page are read by the demo's superuser, then the shop gets more
reviews (analysed, on two platforms) and a second shop, and each page is read again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.query_counts import assert_same_within, demo_root_client, page_queries

pytestmark = pytest.mark.django_db

BUDGET = 15
# The dashboard's analytics are a fixed set of aggregates (summary, eight weeks' trend, two
# weeks' keywords and aspects, the latest reports, the plan), none per row.
BUDGETS = {"/reviews/dashboard/": 20}


def test_store_pages_do_not_grow_with_their_rows(tenants):
    from apps.stores.models import Review, Store
    from apps.stores.services import analysis, ingest, stores

    t = tenants["store"]
    client = demo_root_client(t)
    with t.context():
        shop = Store.objects.get(name="한솥밥 강남점")
        first = Review.objects.filter(store=shop).order_by("pk").first()
    pages = ["/reviews/", "/reviews/dashboard/", f"/reviews/{first.pk}/"]

    before = page_queries(t, client, pages)
    with t.context():
        reviews_before = Review.objects.count()
        other = stores.create_store(name="한솥밥 역삼점", category="restaurant", actor=None)
        day = timezone.localdate() - timedelta(days=1)
        for store, platform in ((shop, "naver"), (shop, "kakao"), (other, "naver")):
            lines = ["author,rating,date,text"] + [
                f'손님{n},{1 + n % 5},{day:%Y.%m.%d},"{platform} 추가 리뷰 {n}: 맛있어요 친절해요"' for n in range(8)
            ]
            ingest.import_pasted(store, platform, "\n".join(lines), actor=None)
        analysis.analyse_reviews(list(Review.objects.filter(analysed_at=None).values_list("pk", flat=True)))
        assert Review.objects.count() >= reviews_before + 24
    after = page_queries(t, client, pages)
    assert_same_within(before, after, BUDGET, BUDGETS)
