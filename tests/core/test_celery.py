"""Celery with a real worker process and a real beat process on the real Redis broker."""

import time
import uuid

import pytest
from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import schema_context

from apps.core.tasks import HEARTBEAT_KEY, tenant_heartbeat
from apps.tenancy.models import Tenant
from tests.processes import LOGS, celery, running


def wait_for(schema: str, token: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with schema_context(schema):
            record = cache.get(f"{HEARTBEAT_KEY}:{token}")
        if record:
            return record
        time.sleep(0.1)
    return None


def test_task_enqueued_from_a_tenant_runs_in_that_schema(celery_worker, live_db, tenants):
    a, b = tenants["academy"], tenants["academy_b"]
    token = uuid.uuid4().hex
    with a.context():
        tenant_heartbeat.delay(token)
    record = wait_for(a.schema, token)
    assert record is not None, "the worker never ran the task"
    assert record["schema"] == record["db_schema"] == a.schema
    assert wait_for(b.schema, token, timeout=0.5) is None


def test_enqueue_on_commit_keeps_the_senders_schema_and_rollback_sends_nothing(celery_worker, live_db, tenants):
    a = tenants["zone"]
    committed, rolled_back = uuid.uuid4().hex, uuid.uuid4().hex
    with transaction.atomic(), a.context():
        tenant_heartbeat.delay_on_commit(committed)
        # the schema context has ended before the commit sends the task
    with pytest.raises(RuntimeError), transaction.atomic():
        with a.context():
            tenant_heartbeat.delay_on_commit(rolled_back)
        raise RuntimeError("roll back")
    record = wait_for(a.schema, committed)
    assert record is not None and record["db_schema"] == a.schema
    assert wait_for(a.schema, rolled_back, timeout=1.5) is None


@pytest.mark.slow
def test_beat_runs_a_per_type_job_in_every_tenant_of_that_type(celery_worker, live_db, live_tenant, tenants):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    second_club = live_tenant("club")
    token = uuid.uuid4().hex
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    job = PeriodicTask.objects.create(
        name=f"club heartbeat {token}",
        task="apps.core.tasks.tenant_heartbeat",
        interval=every_second,
        kwargs=f'{{"token": "{token}"}}',
        headers='{"_tenant_types": ["club"]}',
    )
    try:
        with running("beat", celery("beat", "-l", "info", "-s", str(LOGS / f"beat-{token}"))):
            clubs = list(
                Tenant.objects.filter(type="club", status="active", is_template=False).values_list(
                    "schema_name", flat=True
                )
            )
            assert second_club.schema in clubs and tenants["club"].schema in clubs
            for schema in clubs:
                record = wait_for(schema, token, timeout=30)
                assert record is not None, f"beat never reached {schema}"
                assert record["db_schema"] == schema
        for other in ("academy", "zone", "store"):
            assert wait_for(tenants[other].schema, token, timeout=0.2) is None
    finally:
        job.delete()
