"""Stores, plans, ingestion, analysis, replies, alerts and reports, on the real database and Redis."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError

from apps.stores.connectors import RawReview
from apps.stores.models import Alert, IngestionSession, ReplyDraft, Review, ReviewVersion
from apps.stores.services import alerts, analysis, ingest, replies, reports, stores

PASTED = """김민수
2026.11.03. 화
별점 5
음식이 정말 맛있고 사장님이 친절하세요. 또 올게요!

이서연
2026.11.04.
직원이 불친절하고 음식이 식어서 나왔어요. 다시는 안 갈래요

박지훈
26.11.5.목
★★★☆☆
맛은 있는데 가격이 너무 비싸요
"""


def analyse_all():
    return analysis.analyse_reviews(list(Review.objects.values_list("pk", flat=True)))


def test_plan_limits_name_the_plan(store_tenant, plan):
    plan("free")
    stores.create_store(name="첫 가게", actor=None)
    with pytest.raises(ValidationError) as error:
        stores.create_store(name="둘째 가게", actor=None)
    assert "무료 요금제" in str(error.value)  # the plan, by name
    plan("basic")
    stores.create_store(name="둘째 가게", actor=None)
    stores.create_store(name="셋째 가게", actor=None)
    with pytest.raises(ValidationError, match="3"):
        stores.create_store(name="넷째 가게", actor=None)
    plan("enterprise")
    for i in range(12):
        stores.create_store(name=f"지점 {i}", actor=None)


def test_free_plan_has_no_reply_drafts(shop, plan):
    plan("free")
    ingest.import_pasted(shop, "naver", PASTED, actor=None)
    analyse_all()
    assert not ReplyDraft.objects.exists()  # no automatic drafts either
    review = Review.objects.first()
    with pytest.raises(ValidationError) as error:
        replies.draft_reply(review, actor=None)
    assert "무료 요금제에는 답글 초안" in str(error.value)


def test_pasted_naver_list_is_parsed_and_the_same_paste_adds_nothing(shop):
    first = ingest.import_pasted(shop, "naver", PASTED, actor=None)
    assert (first.found, first.new, first.updated, first.failed) == (3, 3, 0, 0)
    assert first.status == IngestionSession.Status.DONE
    rows = {r.author: r for r in Review.objects.filter(store=shop)}
    assert rows["김민수"].rating == 5 and rows["이서연"].rating is None and rows["박지훈"].rating == 3
    assert rows["박지훈"].written_on == date(2026, 11, 5)
    again = ingest.import_pasted(shop, "naver", PASTED, actor=None)
    assert (again.found, again.new, again.updated) == (3, 0, 0)
    assert Review.objects.filter(store=shop).count() == 3


def test_bad_rows_are_named_and_nothing_is_written(shop):
    text = "author,rating,date,text\n김,5,2026.11.01,좋아요\n이,9,2026.11.02,별로\n박,4,어제,그럭저럭\n"
    with pytest.raises(ValidationError) as error:
        ingest.import_pasted(shop, "kakao", text, actor=None)
    messages = " ".join(error.value.messages)
    assert "3행" in messages and "4행" in messages and "2행" not in messages
    assert not Review.objects.exists() and not IngestionSession.objects.exists()


def test_an_edited_review_is_kept_as_a_version(shop):
    ingest.import_pasted(shop, "naver", PASTED, actor=None)
    edited = PASTED.replace("다시는 안 갈래요", "다시는 안 갈래요. 사과 전화는 받았습니다")
    session = ingest.import_pasted(shop, "naver", edited, actor=None)
    assert (session.new, session.updated) == (0, 1)
    review = Review.objects.get(author="이서연")
    assert review.version == 2 and "사과" in review.text
    assert ReviewVersion.objects.get(review=review).text.endswith("안 갈래요")


def test_the_same_text_on_two_platforms_is_a_cross_post(shop):
    ingest.import_pasted(shop, "naver", PASTED, actor=None)
    kakao = "author,date,text\n민수킴,2026.11.04,음식이 정말 맛있고 사장님이 친절하세요. 또 올게요!!\n"
    ingest.import_pasted(shop, "kakao", kakao, actor=None)
    cross = Review.objects.get(platform="kakao")
    assert cross.cross_post_of == Review.objects.get(platform="naver", author="김민수")


def test_a_second_ingestion_of_the_same_store_is_refused_while_one_runs(shop):
    with ingest.crawl_lock(shop), pytest.raises(ValidationError, match="한솥밥"):
        ingest.import_pasted(shop, "naver", PASTED, actor=None)
    assert not Review.objects.exists()
    ingest.import_pasted(shop, "naver", PASTED, actor=None)  # free again once released
    from django_redis import get_redis_connection

    ttl = None
    with ingest.crawl_lock(shop):
        ttl = get_redis_connection("default").ttl(ingest.lock_key(shop))
    assert 3590 < ttl <= 3600


def test_the_kill_switch_stops_a_platform(shop):
    ingest.set_kill_switch("naver", off=True, actor=None)
    with pytest.raises(ValidationError, match="naver"):
        ingest.import_pasted(shop, "naver", PASTED, actor=None)
    ingest.import_pasted(shop, "kakao", PASTED, actor=None)
    ingest.set_kill_switch("naver", off=False, actor=None)
    ingest.import_pasted(shop, "naver", PASTED, actor=None)


def test_analysis_keeps_negating_prefixes_and_the_text_decides(shop):
    cpu = analysis.CpuLexicon()
    rude = cpu.analyse("직원이 불친절하고 음식이 비위생적이었어요", 5)
    assert rude.sentiment == "negative"  # five stars, but the text decides
    assert "불친절" in rude.keywords and "친절" not in rude.keywords and "비위생" in rude.keywords
    assert rude.aspects["service"] == "negative"
    assert cpu.analyse("맛은 있는데 가격이 너무 비싸요", None).sentiment == "mixed"
    assert cpu.analyse("가격도 비싸지 않고 맛있어요", 4).sentiment == "positive"
    urgent = cpu.analyse("먹고 나서 배탈이 났어요. 구청에 신고하겠습니다", 1)
    assert set(urgent.urgent) == {"food_poisoning", "legal_threat"} and urgent.sentiment == "negative"


def test_analysis_is_idempotent_and_drafts_a_reply(shop):
    ingest.import_pasted(shop, "naver", PASTED, actor=None)
    assert analyse_all() == 3
    assert analyse_all() == 0
    review = Review.objects.get(author="이서연")
    assert review.sentiment == "negative" and review.analysis_backend == "cpu-lexicon-v1"
    draft = review.drafts.get()
    assert draft.source == "template" and draft.status == "pending" and "사과" in draft.text


def test_one_alert_per_review_and_quiet_hours(shop, time_machine):
    time_machine.move_to("2026-11-06T23:30:00+09:00", tick=False)
    stores.update_store(shop, quiet_start=time(22, 0), quiet_end=time(8, 0), actor=None)
    ingest.import_pasted(shop, "naver", PASTED, actor=None)
    analyse_all()
    alert = Alert.objects.get()
    assert alert.review.author == "이서연" and alert.sent_at is None
    assert alert.due_at.isoformat().startswith("2026-11-06T23:00")  # 08:00 Seoul
    assert alerts.send_due() == 0
    time_machine.move_to("2026-11-07T08:01:00+09:00", tick=False)
    assert alerts.send_due() == 1 and alerts.send_due() == 0
    from apps.notifications.models import Message

    assert Message.objects.filter(key=f"stores:alert:{alert.review_id}").count() == 1
    review = alert.review
    review.analysed_at = None
    review.save()
    analysis.analyse_reviews([review.pk])  # analysed again: still one alert
    assert Alert.objects.count() == 1


def test_approval_edits_and_the_second_approver_loses(shop):
    ingest.import_pasted(shop, "naver", PASTED, actor=None)
    analyse_all()
    review = Review.objects.get(author="김민수")
    draft = review.drafts.get()
    second = replies.draft_reply(review, actor=None, text="감사합니다 :)")
    replies.approve(draft, actor=None, text="고맙습니다! 또 오세요")
    with pytest.raises(ValidationError):
        replies.approve(draft, actor=None)
    second.refresh_from_db()
    assert second.status == "rejected"
    with pytest.raises(ValidationError):
        replies.approve(second, actor=None)
    review.refresh_from_db()
    assert review.reply_status == "approved"
    replies.mark_posted(draft, actor=None)  # Naver: copy and open
    review.refresh_from_db()
    assert review.reply_status == "posted" and review.platform_reply == "고맙습니다! 또 오세요"


def test_reject_needs_a_reason(shop):
    ingest.import_pasted(shop, "naver", PASTED, actor=None)
    analyse_all()
    draft = ReplyDraft.objects.first()
    with pytest.raises(ValidationError, match="사유"):
        replies.reject(draft, actor=None, reason=" ")
    replies.reject(draft, actor=None, reason="너무 딱딱해요")
    assert ReplyDraft.objects.get(pk=draft.pk).status == "rejected"


def test_never_auto_post_below_four_stars_negative_or_urgent(shop):
    stores.update_store(shop, auto_reply_positive=True, actor=None)
    text = (
        "author,rating,date,text\n"
        "가,5,2026.11.01,정말 맛있어요 최고!\n"
        "나,3,2026.11.01,정말 맛있어요 최고!\n"
        "다,5,2026.11.01,맛은 좋은데 벌레가 나왔어요\n"
        "라,5,2026.11.01,직원이 불친절해요\n"
        "마,,2026.11.01,정말 맛있어요 최고!!\n"
    )
    ingest.import_pasted(shop, "kakao", text, actor=None)
    analyse_all()
    auto = {d.review.author for d in ReplyDraft.objects.filter(auto=True)}
    assert auto == {"가"}
    for author in "나다라마":
        draft = ReplyDraft.objects.get(review__author=author)
        assert draft.status == "pending"
        with pytest.raises(ValidationError):
            replies.approve(draft, actor=None, auto=True)


def test_reports_are_made_once_per_period(shop):
    ingest.import_pasted(shop, "naver", PASTED, actor=None)
    analyse_all()
    first = reports.daily(shop, date(2026, 11, 5))
    assert first.data["reviews"] == 1 and first.period_start == date(2026, 11, 4)
    assert first.data["negative_reviews"] == [Review.objects.get(author="이서연").pk]
    assert reports.daily(shop, date(2026, 11, 5)).pk == first.pk
    weekly = reports.weekly(shop, date(2026, 11, 9))  # Monday
    assert weekly.period_start == date(2026, 11, 2) and weekly.data["reviews"] == 3
    assert {"keyword": "불친절", "this_week": 1, "last_week": 0} in weekly.data["keywords"]["rising"]
    assert any(r["aspect"] == "service" for r in weekly.data["recommendations"])
    assert reports.run_weekly(date(2026, 11, 9))[0].pk == weekly.pk


def test_another_store_tenant_sees_nothing(tenants, db, plan):
    with tenants["store"].context():
        plan("premium")
        mine = stores.create_store(name="우리 가게", actor=None)
        ingest.import_pasted(mine, "naver", PASTED, actor=None)
    with tenants["store_b"].context():
        from apps.stores.models import Store

        assert not Store.objects.exists() and not Review.objects.exists()
        plan("free")
        theirs = stores.create_store(name="남의 가게", actor=None)  # free allows one: mine is not counted
        ingest.import_pasted(theirs, "naver", PASTED, actor=None)  # the lock is per tenant and store
        assert Review.objects.count() == 3
    with tenants["store"].context():
        assert Review.objects.count() == 3 and Store.objects.get().name == "우리 가게"


def test_ingest_rejects_a_bad_item_per_row_from_an_api(shop):
    items = [
        RawReview(author="a", text="좋아요", written_on=date(2026, 11, 1), rating=5, external_id="r1"),
        RawReview(author="b", text="", written_on=date(2026, 11, 1), rating=None, external_id="r2"),
    ]
    session = ingest.ingest(shop, "google", items, source="api")
    assert (session.found, session.new, session.failed) == (2, 1, 1)
    assert "r2" in session.errors[0]


def test_drafts_follow_the_brand_voice(shop):
    stores.update_store(shop, signoff="- 한솥밥 사장 드림", avoid_words=["진심으로"], reply_max_length=80, actor=None)
    ingest.import_pasted(shop, "naver", PASTED, actor=None)
    analyse_all()
    draft = ReplyDraft.objects.get(review__author="이서연")
    assert "진심으로" not in draft.text and len(draft.text) <= 80
