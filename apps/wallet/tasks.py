"""Club wallet background work (queue `settlement`). Every task is idempotent."""

from __future__ import annotations

from celery import shared_task

from .services import rakeback


@shared_task(name="apps.wallet.tasks.weekly_rakeback", queue_name="settlement")
def weekly_rakeback(week: str | None = None) -> dict:
    payouts = rakeback.pay_weekly_rakeback(week=week, actor="weekly_rakeback")
    return {"payouts": len(payouts), "amount": sum(p.amount for p in payouts)}


@shared_task(name="apps.wallet.tasks.daily_stats", queue_name="settlement")
def daily_stats() -> dict:
    stats = rakeback.compute_daily_stats()
    return {"day": stats.day.isoformat(), "rake": stats.rake}


@shared_task(name="apps.wallet.tasks.send_due_withdrawals", queue_name="settlement")
def send_due_withdrawals() -> dict:
    from .rates import RateUnavailable
    from .services import cashier

    try:
        sent = cashier.send_due_withdrawals()
    except (RateUnavailable, cashier.CashierHalted) as error:
        return {"sent": 0, "stopped": str(error)}
    return {"sent": len(sent)}


@shared_task(name="apps.wallet.tasks.verify", queue_name="settlement")
def verify() -> dict:
    """The books checked every hour; a problem stops the cashier (fatal Sentry event)."""
    from .services import cashier

    return {"problems": len(cashier.verify_or_halt())}
