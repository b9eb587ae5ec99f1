"""Celery task logs carry the tenant; task outcomes and durations go to the metrics.

task_prerun receivers run in the order they were connected: tenant-schemas-celery's
(which switches the connection to the task's schema) is connected when the Celery app is
imported, ours when Django's apps are ready, so by the time ours runs the connection is
in the task's tenant.
"""

from __future__ import annotations

import time

import structlog
from celery.app import trace
from celery.signals import task_postrun, task_prerun, worker_process_init, worker_ready

from . import metrics

_started: dict[str, float] = {}

# Celery's success line includes the task's return value, which may hold personal data
# (a message's recipient, a student's name). Name, id and run time are enough.
trace.LOG_SUCCESS = "Task %(name)s[%(id)s] succeeded in %(runtime)ss"


def _tenant() -> tuple[str, str]:
    from django.db import connection

    schema = connection.schema_name
    tenant = getattr(connection, "tenant", None)
    tenant_type = getattr(tenant, "type", None) or ("public" if schema == "public" else "unknown")
    return schema, tenant_type


@task_prerun.connect(dispatch_uid="megacity_ops_task_prerun")
def _task_started(task_id=None, task=None, **kwargs) -> None:
    _started[task_id] = time.perf_counter()
    schema, tenant_type = _tenant()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        task_id=task_id, task=task.name if task else None, tenant=schema, tenant_type=tenant_type
    )


@task_postrun.connect(dispatch_uid="megacity_ops_task_postrun")
def _task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    name = task.name if task else "unknown"
    outcome = (state or "unknown").lower()
    metrics.TASKS.labels(name, outcome).inc()
    if started is not None:
        metrics.TASK_DURATION.labels(name, outcome).observe(time.perf_counter() - started)
    structlog.contextvars.clear_contextvars()


@worker_process_init.connect(dispatch_uid="megacity_ops_worker_process_init")
def _forked(**kwargs) -> None:
    # A prefork child inherits the parent's bookkeeping; start clean.
    _started.clear()
    structlog.contextvars.clear_contextvars()


@worker_ready.connect(dispatch_uid="megacity_ops_worker_ready")
def _serve_worker_metrics(**kwargs) -> None:
    """A worker that does not share PROMETHEUS_MULTIPROC_DIR with a web process (its own
    container) serves its own metrics on CELERY_METRICS_PORT, with the same token."""
    from django.conf import settings

    if settings.CELERY_METRICS_PORT and settings.METRICS_TOKEN:
        from .worker_metrics import serve

        serve(settings.CELERY_METRICS_PORT)
