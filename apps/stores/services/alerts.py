"""Alerts: a negative or urgent review alerts the store's owner at once through the
notifications app (Alimtalk, Telegram; the console in development), one alert per review
(Alert is one-to-one with the review and the message key is the review), held until the
store's quiet hours are over (Asia/Seoul)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.notifications import defaults as notification_defaults
from apps.notifications.services import Contact, notify

from ..models import Alert, Review, Store

TEMPLATE = "store_review_alert"
URGENT_LABELS = {
    "hygiene": "위생",
    "food_poisoning": "식중독 의심",
    "refund_dispute": "환불 분쟁",
    "insult": "모욕",
    "legal_threat": "신고·법적 조치 언급",
    "safety": "안전",
}


def register_templates() -> None:
    notification_defaults.DEFAULT_TEMPLATES.setdefault(
        TEMPLATE,
        {
            "name": "부정 리뷰 알림",
            "priority": "urgent",
            "provider_template_code": "STORE_REVIEW_01",
            "body": "[#{store}] #{platform} 새 리뷰(#{reason}): #{excerpt}",
        },
    )


def quiet_until(store: Store, now: datetime) -> datetime | None:
    """When the store's quiet hours end, if `now` is inside them."""
    if store.quiet_start is None or store.quiet_end is None or store.quiet_start == store.quiet_end:
        return None
    local = timezone.localtime(now)
    t = local.time()
    start, end = store.quiet_start, store.quiet_end
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


def consider(review: Review) -> Alert | None:
    made = consider_many([review])
    return made[0] if made else None


def consider_many(reviews: list[Review]) -> list[Alert]:
    """An alert for each negative or urgent review that has none yet (the caller holds the
    reviews' row locks, so no other worker alerts on them meanwhile); sent at once unless
    the store's quiet hours hold it."""
    wanted = [r for r in reviews if r.sentiment == Review.Sentiment.NEGATIVE or r.urgent]
    if not wanted:
        return []
    taken = set(Alert.objects.filter(review__in=wanted).values_list("review_id", flat=True))
    now = timezone.now()
    fresh = [
        Alert(
            review=r,
            reasons=[URGENT_LABELS.get(u, u) for u in r.urgent] or ["부정 리뷰"],
            due_at=quiet_until(r.store, now) or now,
        )
        for r in wanted
        if r.pk not in taken
    ]
    Alert.objects.bulk_create(fresh)
    for alert in fresh:
        if alert.due_at <= now:
            send(alert)
    return fresh


def send(alert: Alert) -> None:
    review, store = alert.review, alert.review.store
    excerpt = (review.text or "").replace("\n", " ")[:60]
    notify(
        template=TEMPLATE,
        to=Contact(
            ref=f"store:{store.pk}",
            name=store.name,
            phone=store.alert_phone,
            telegram_chat_id=store.alert_telegram_chat_id,
        ),
        variables={
            "store": store.name,
            "platform": review.get_platform_display(),
            "reason": ", ".join(alert.reasons),
            "excerpt": excerpt,
        },
        priority="urgent",
        key=f"stores:alert:{review.pk}",
    )
    Alert.objects.filter(pk=alert.pk).update(sent_at=timezone.now())


def send_due() -> int:
    """Alerts held by quiet hours whose time has come (every few minutes, idempotent)."""
    sent = 0
    for alert_id in Alert.objects.filter(sent_at=None, due_at__lte=timezone.now()).values_list("pk", flat=True):
        with transaction.atomic():
            alert = Alert.objects.select_for_update(skip_locked=True).filter(pk=alert_id, sent_at=None).first()
            if alert is not None:
                send(alert)
                sent += 1
    return sent
