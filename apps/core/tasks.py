"""The base class of every MegaCity task."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from tenant_schemas_celery.task import TenantTask as _TenantTask
from tenant_schemas_celery.task import headers_with_schema


class WrongSchema(RuntimeError):
    """A task's connection is not in the schema the task was sent for."""


class TenantTask(_TenantTask):
    """Runs in the schema it was sent from (tenant-schemas-celery), with retry defaults
    that back off with jitter. Tasks are acked late (settings), so each must be
    idempotent.

    Each task declares its queue where it is defined — `@shared_task(queue_name="imports")`,
    one of settings.CELERY_TASK_QUEUES — and route_to_declared_queue (CELERY_TASK_ROUTES)
    sends it there; tests/core/test_celery_routing.py refuses a task that declares none.

    `delay_on_commit` captures the schema when it is called, not when the transaction
    commits: by then the caller may have left its `schema_context`.
    """

    abstract = True
    queue_name: str | None = None  # set by each task (not Celery's own `queue` attribute: deprecated)
    retry_backoff = 5
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5

    def __call__(self, *args, **kwargs):
        # tenant-schemas-celery switches the schema in a task_prerun receiver, and Celery
        # logs and swallows a receiver's exception: when looking the tenant up fails (its
        # database connection broke, say), the task would go on in the schema the
        # connection was left in (public). Refuse instead: the task fails and runs nowhere.
        from django.db import connection
        from django_tenants.utils import get_public_schema_name
        from tenant_schemas_celery.app import get_schema_name_from_task

        expected = get_schema_name_from_task(self, kwargs) or get_public_schema_name()
        if connection.schema_name != expected:
            raise WrongSchema(
                f"task {self.name} was sent for schema {expected!r}, but the worker's connection is in "
                f"{connection.schema_name!r} (switching failed): not run"
            )
        return super().__call__(*args, **kwargs)

    def apply_async_on_commit(self, args=None, kwargs=None, **options):
        options["headers"] = headers_with_schema(options.get("headers") or {})
        transaction.on_commit(lambda: self.apply_async(args, kwargs, **options))

    def delay_on_commit(self, *args, **kwargs):
        return self.apply_async_on_commit(args, kwargs)


def route_to_declared_queue(name, args, kwargs, options, task=None, **kw):
    """Celery router: the queue the task declared (`queue_name`). A task sent by name
    only (beat, send_task) is looked up in the app's registry. An explicit `queue=` given
    when sending still wins."""
    if task is None:
        from celery import current_app

        task = current_app.tasks.get(name)
        if task is None:
            # A process that never imported the task modules (beat, a shell, one test run
            # alone) would route by default: autodiscover them once, then look again.
            current_app.loader.import_default_modules()
            task = current_app.tasks.get(name)
    queue = getattr(task, "queue_name", None)
    return {"queue": queue} if queue else None


HEARTBEAT_KEY = "ops:heartbeat"


def _current_schema() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        return cursor.fetchone()[0]


@shared_task(name="apps.core.tasks.tenant_heartbeat", queue_name="default", acks_late=True)
def tenant_heartbeat(token: str | None = None) -> dict:
    """Record, in the tenant's own cache, that a worker ran a task in this tenant.

    Beat runs it in every tenant (CELERY_BEAT_SCHEDULE); operators and `celery_probe`
    read it to see that workers and schedules reach each tenant, in the right schema.
    Idempotent: it only overwrites the record.
    """
    from django.core.cache import cache
    from django.db import connection
    from django.utils import timezone

    record = {
        "schema": connection.schema_name,
        "db_schema": _current_schema(),
        "at": timezone.now().isoformat(),
        "token": token,
    }
    cache.set(HEARTBEAT_KEY, record, 7 * 24 * 3600)
    if token:
        cache.set(f"{HEARTBEAT_KEY}:{token}", record, 3600)
    return record
