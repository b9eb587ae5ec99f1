"""The daily report (09:00, yesterday's reviews) and the weekly analysis (Monday 09:00,
the week before), Asia/Seoul, one per store and period (UNIQUE: running twice makes one),
and the figures the dashboard and the analytics API show."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, Q

from ..models import ReplyDraft, Report, Review, Store
from .replies import ASPECT_WORDS

RECOMMENDATIONS = {
    "taste": "맛에 대한 부정 언급이 늘었습니다. 메뉴의 간과 조리 상태를 점검해 보세요.",
    "service": "응대 관련 불만이 늘었습니다. 직원 응대 교육과 피크 시간 인력 배치를 점검해 보세요.",
    "price": "가격 불만이 늘었습니다. 가격 대비 구성이나 세트 메뉴를 검토해 보세요.",
    "cleanliness": "청결 관련 불만이 늘었습니다. 위생 점검표를 만들어 매일 확인해 보세요.",
    "waiting": "대기 시간 불만이 늘었습니다. 예약·원격 줄서기 도입이나 주문 동선을 검토해 보세요.",
    "atmosphere": "분위기(소음·좌석) 관련 불만이 늘었습니다. 좌석 배치와 음악 볼륨을 점검해 보세요.",
    "parking": "주차 불만이 늘었습니다. 인근 주차장 제휴나 주차 안내를 추가해 보세요.",
    "portion": "양에 대한 불만이 늘었습니다. 제공량 기준을 다시 정해 보세요.",
    "quality": "품질 관련 불만이 늘었습니다. 재료 입고와 보관 상태를 확인해 보세요.",
    "teaching": "수업 관련 불만이 늘었습니다. 수업 설명과 피드백 방식을 점검해 보세요.",
    "result": "결과(성적·시술)에 대한 불만이 늘었습니다. 상담 때 기대치를 명확히 안내해 보세요.",
}


def _period(store: Store, start: date, end: date):
    return Review.objects.filter(store=store, written_on__gte=start, written_on__lte=end)


def summary(store: Store, start: date, end: date) -> dict:
    rows = _period(store, start, end)
    totals = rows.aggregate(
        count=Count("pk"),
        rating=Avg("rating"),
        urgent=Count("pk", filter=~Q(urgent=[])),
        unanswered=Count("pk", filter=~Q(reply_status=Review.ReplyStatus.POSTED)),
    )
    by_sentiment = dict(rows.values_list("sentiment").annotate(n=Count("pk")).values_list("sentiment", "n"))
    by_platform = dict(rows.values_list("platform").annotate(n=Count("pk")).values_list("platform", "n"))
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "reviews": totals["count"],
        "average_rating": round(totals["rating"], 2) if totals["rating"] is not None else None,
        "sentiment": by_sentiment,
        "platforms": by_platform,
        "urgent": totals["urgent"],
        "unanswered": totals["unanswered"],
    }


def keyword_counts(store: Store, start: date, end: date) -> Counter:
    counts: Counter = Counter()
    for words in _period(store, start, end).values_list("keywords", flat=True):
        counts.update(set(words or []))
    return counts


def keyword_trends(store: Store, week_end: date, limit: int = 10) -> dict:
    this = keyword_counts(store, week_end - timedelta(days=6), week_end)
    last = keyword_counts(store, week_end - timedelta(days=13), week_end - timedelta(days=7))
    change = {w: this.get(w, 0) - last.get(w, 0) for w in set(this) | set(last)}
    rising = sorted((w for w, d in change.items() if d > 0), key=lambda w: (-change[w], w))[:limit]
    falling = sorted((w for w, d in change.items() if d < 0), key=lambda w: (change[w], w))[:limit]
    return {
        "top": [{"keyword": w, "count": n} for w, n in this.most_common(limit)],
        "rising": [{"keyword": w, "this_week": this.get(w, 0), "last_week": last.get(w, 0)} for w in rising],
        "falling": [{"keyword": w, "this_week": this.get(w, 0), "last_week": last.get(w, 0)} for w in falling],
    }


def aspect_counts(store: Store, start: date, end: date) -> dict:
    counts: dict[str, dict[str, int]] = {}
    for aspects in _period(store, start, end).values_list("aspects", flat=True):
        for aspect, polarity in (aspects or {}).items():
            counts.setdefault(aspect, {"positive": 0, "negative": 0, "neutral": 0})[polarity] += 1
    return counts


def rating_trend(store: Store, week_end: date, weeks: int = 8) -> list[dict]:
    """Reviews, average rating and sentiment per week for the `weeks` weeks ending on
    `week_end`, oldest first: one query, each week's figures a filtered aggregate."""
    spans = [(week_end - timedelta(days=7 * i + 6), week_end - timedelta(days=7 * i)) for i in range(weeks - 1, -1, -1)]
    aggregates = {}
    for n, (start, end) in enumerate(spans):
        week = Q(written_on__gte=start, written_on__lte=end)
        aggregates[f"n{n}"] = Count("pk", filter=week)
        aggregates[f"rating{n}"] = Avg("rating", filter=week)
        aggregates[f"negative{n}"] = Count("pk", filter=week & Q(sentiment="negative"))
        aggregates[f"positive{n}"] = Count("pk", filter=week & Q(sentiment="positive"))
    agg = _period(store, spans[0][0], week_end).aggregate(**aggregates)
    out = []
    for n, (start, _end) in enumerate(spans):
        rating = agg[f"rating{n}"]
        out.append(
            {
                "week_start": start.isoformat(),
                "reviews": agg[f"n{n}"],
                "average_rating": round(rating, 2) if rating is not None else None,
                "positive": agg[f"positive{n}"],
                "negative": agg[f"negative{n}"],
            }
        )
    return out


def reply_stats(store: Store, start: date, end: date) -> dict:
    rows = _period(store, start, end)
    total = rows.count()
    posted = ReplyDraft.objects.filter(review__in=rows, status=ReplyDraft.Status.POSTED)
    answered = rows.filter(reply_status=Review.ReplyStatus.POSTED).count()
    delays = [
        (p - c).total_seconds() / 3600
        for p, c in posted.annotate(c=F("review__created_at")).values_list("posted_at", "c")
        if p and c
    ]
    return {
        "reply_rate": round(answered / total, 3) if total else None,
        "mean_reply_hours": round(sum(delays) / len(delays), 1) if delays else None,
    }


def recommendations(store: Store, week_end: date) -> list[dict]:
    this = aspect_counts(store, week_end - timedelta(days=6), week_end)
    last = aspect_counts(store, week_end - timedelta(days=13), week_end - timedelta(days=7))
    out = []
    for aspect, counts in this.items():
        before = last.get(aspect, {}).get("negative", 0)
        if counts["negative"] > before and aspect in RECOMMENDATIONS:
            out.append(
                {
                    "aspect": aspect,
                    "label": ASPECT_WORDS.get(aspect, aspect),
                    "negative_this_week": counts["negative"],
                    "negative_last_week": before,
                    "advice": RECOMMENDATIONS[aspect],
                }
            )
    return sorted(out, key=lambda r: -(r["negative_this_week"] - r["negative_last_week"]))


def _save(store: Store, kind: str, start: date, end: date, build) -> Report:
    existing = Report.objects.filter(store=store, kind=kind, period_start=start).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Report.objects.create(store=store, kind=kind, period_start=start, period_end=end, data=build())
    except IntegrityError:
        return Report.objects.get(store=store, kind=kind, period_start=start)


def daily(store: Store, today: date) -> Report:
    day = today - timedelta(days=1)

    def build():
        data = summary(store, day, day)
        data["negative_reviews"] = list(
            _period(store, day, day).filter(Q(sentiment="negative") | ~Q(urgent=[])).values_list("pk", flat=True)[:20]
        )
        data["keywords"] = [w for w, _n in keyword_counts(store, day, day).most_common(10)]
        data["pending_drafts"] = ReplyDraft.objects.filter(review__store=store, status="pending").count()
        return data

    return _save(store, Report.Kind.DAILY, day, day, build)


def weekly(store: Store, today: date) -> Report:
    """The week Monday–Sunday before `today` (a Monday)."""
    week_end = today - timedelta(days=today.weekday() + 1)
    week_start = week_end - timedelta(days=6)

    def build():
        return {
            **summary(store, week_start, week_end),
            "previous": summary(store, week_start - timedelta(days=7), week_end - timedelta(days=7)),
            "rating_trend": rating_trend(store, week_end),
            "keywords": keyword_trends(store, week_end),
            "aspects": aspect_counts(store, week_start, week_end),
            "replies": reply_stats(store, week_start, week_end),
            "recommendations": recommendations(store, week_end),
        }

    return _save(store, Report.Kind.WEEKLY, week_start, week_end, build)


def run_daily(today: date) -> list[Report]:
    return [daily(store, today) for store in Store.objects.filter(archived=False)]


def run_weekly(today: date) -> list[Report]:
    return [weekly(store, today) for store in Store.objects.filter(archived=False)]
