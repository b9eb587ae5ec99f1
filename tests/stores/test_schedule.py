"""The beat entries of the store jobs: 09:00 Seoul, every store tenant and only those."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from apps.stores.models import Report
from apps.stores.services import ingest, stores
from apps.stores.services.analysis import analyse_reviews

from .test_services import PASTED

SEOUL = ZoneInfo("Asia/Seoul")


def test_reports_are_due_at_nine_seoul_time_and_the_weekly_one_on_mondays():
    assert settings.CELERY_TIMEZONE == "Asia/Seoul"
    daily = settings.CELERY_BEAT_SCHEDULE["stores-daily-report"]
    weekly = settings.CELERY_BEAT_SCHEDULE["stores-weekly-analysis"]
    for entry in (daily, weekly):
        assert entry["options"]["headers"]["_tenant_types"] == ["store"]
        assert entry["schedule"].hour == {9} and entry["schedule"].minute == {0}
    assert weekly["schedule"].day_of_week == {1}  # Monday
    monday_nine = datetime(2026, 11, 9, 9, 0, tzinfo=SEOUL)
    tuesday_nine = datetime(2026, 11, 10, 9, 0, tzinfo=SEOUL)
    # crontab(...).is_due after the last run a minute before nine: due now.
    sched = weekly["schedule"]
    sched.nowfun = lambda: monday_nine
    assert sched.remaining_estimate(datetime(2026, 11, 9, 8, 59, tzinfo=SEOUL)).total_seconds() <= 60
    sched.nowfun = lambda: tuesday_nine
    assert sched.remaining_estimate(datetime(2026, 11, 9, 9, 1, tzinfo=SEOUL)).days >= 6


def test_beat_sends_the_report_jobs_to_every_store_tenant_only(tenants, db):
    from django_celery_beat.schedulers import ModelEntry

    from apps.tenancy.beat import TenantTypeAwareScheduler

    entry = ModelEntry.__new__(ModelEntry)
    entry.options = {"headers": dict(settings.CELERY_BEAT_SCHEDULE["stores-daily-report"]["options"]["headers"])}
    schemas = TenantTypeAwareScheduler.schemas_for(TenantTypeAwareScheduler.__new__(TenantTypeAwareScheduler), entry)
    assert {tenants["store"].schema, tenants["store_b"].schema} <= set(schemas)
    assert tenants["academy"].schema not in schemas and tenants["club"].schema not in schemas


def test_the_daily_job_at_nine_makes_each_stores_report_once(tenants, db, time_machine):
    from apps.stores import tasks
    from apps.stores.services import plans

    time_machine.move_to(datetime(2026, 11, 5, 9, 0, tzinfo=SEOUL), tick=False)
    with tenants["store"].context():
        sub = plans.subscription()
        sub.plan = "basic"
        sub.save()
        shop = stores.create_store(name="아침 가게", actor=None)
        second = stores.create_store(name="둘째 가게", actor=None)
        ingest.import_pasted(shop, "naver", PASTED, actor=None)
        from apps.stores.models import Review

        analyse_reviews(list(Review.objects.values_list("pk", flat=True)))
        assert tasks.report_daily.run() == 2
        assert tasks.report_daily.run() == 2  # a second beat: the same two reports
        assert Report.objects.filter(kind="daily").count() == 2
        report = Report.objects.get(store=shop)
        assert str(report.period_start) == "2026-11-04" and report.data["reviews"] == 1
        assert Report.objects.get(store=second).data["reviews"] == 0
    with tenants["store_b"].context():
        assert not Report.objects.exists()
