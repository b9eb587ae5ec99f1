"""Academy background work. Each task is idempotent (tasks are acknowledged late)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .services import billing, schedule, vindex


@shared_task(name="apps.academy.tasks.daily", queue_name="default")
def daily() -> dict:
    """Once a day in every academy: sessions for the next two weeks, the monthly invoices on
    the academy's invoicing day, overdue reminders."""
    today = timezone.localdate()
    made = schedule.generate_sessions(today, today + timedelta(days=14), actor="daily")
    invoices = billing.issue_monthly_invoices(today) if billing.invoicing_due_today(today) else []
    reminders = billing.send_overdue_reminders(today)
    return {"sessions": made, "invoices": len(invoices), "reminders": reminders}


@shared_task(name="apps.academy.tasks.recompute_vindex", queue_name="default")
def recompute_vindex(student_ids: list[int]) -> int:
    return vindex.recompute(student_ids)


@shared_task(name="apps.academy.tasks.recompute_all_vindex", queue_name="default")
def recompute_all_vindex() -> int:
    return vindex.recompute()


@shared_task(name="apps.academy.tasks.issue_monthly_run", queue_name="default", acks_late=True)
def issue_monthly_run(run_id: int) -> str:
    """Issue one queued month's invoices (billing.start_monthly_run), with live progress."""
    return billing.perform_monthly_run(run_id).status
