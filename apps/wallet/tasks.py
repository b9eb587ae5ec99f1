"""Club wallet background work (queue `settlement`). Every task is idempotent."""

from __future__ import annotations

from celery import shared_task

from .services import rakeback


@shared_task(name="apps.wallet.tasks.weekly_rakeback")
def weekly_rakeback(week: str | None = None) -> dict:
    payouts = rakeback.pay_weekly_rakeback(week=week, actor="weekly_rakeback")
    return {"payouts": len(payouts), "amount": sum(p.amount for p in payouts)}


@shared_task(name="apps.wallet.tasks.daily_stats")
def daily_stats() -> dict:
    stats = rakeback.compute_daily_stats()
    return {"day": stats.day.isoformat(), "rake": stats.rake}
