"""End to end on committed data: a pasted list is analysed by a real Celery worker, which
drafts the replies and alerts once on the bad review."""

from __future__ import annotations

import time

from .test_services import PASTED


def wait(predicate, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_a_pasted_list_is_analysed_by_the_worker(celery_worker, live_tenant):
    from apps.notifications.models import Message
    from apps.stores.models import Alert, ReplyDraft, Review
    from apps.stores.services import ingest, plans, stores

    t = live_tenant("store")
    with t.context():
        sub = plans.subscription()
        sub.plan = "basic"
        sub.save()
        shop = stores.create_store(name="라이브 가게", actor=None)
        session = ingest.import_pasted(shop, "naver", PASTED, actor=None)  # committed: the task goes out
        assert session.new == 3

    def analysed() -> bool:
        with t.context():
            return not Review.objects.filter(analysed_at=None).exists()

    assert wait(analysed), "the worker never analysed the reviews"
    with t.context():
        rude = Review.objects.get(author="이서연")
        assert rude.sentiment == "negative" and "불친절" in rude.keywords
        assert ReplyDraft.objects.filter(status="pending").count() == 3
        assert Alert.objects.get().review == rude
        assert Message.objects.filter(key=f"stores:alert:{rude.pk}").count() == 1
        again = ingest.import_pasted(shop, "naver", PASTED, actor=None)
        assert again.new == 0 and Review.objects.count() == 3
