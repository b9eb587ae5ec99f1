"""Prometheus metrics for every process: web (HTTP and websockets), Celery workers.

Multi-process mode. The web server may run several processes (`uvicorn --workers N`) and
Celery workers are processes of their own, so every process writes its samples to
memory-mapped files in PROMETHEUS_MULTIPROC_DIR and a scrape of `/metrics` adds them up
(prometheus_client's MultiProcessCollector). Processes that share the directory must run
on one machine (and in one PID namespace): `dev.py up` and the tests give web and worker
one directory, so `/metrics` shows task metrics too; in Docker each container has its own
directory and a worker container serves its metrics itself (`CELERY_METRICS_PORT`).
The directory is emptied by whatever starts the set of processes (dev.py, the test
settings, the container entrypoint), never by a process of the set.

Without PROMETHEUS_MULTIPROC_DIR the metrics stay in the process (one web process).
"""

from __future__ import annotations

import glob
import hmac
import os
import re

import psutil
from django.conf import settings
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

MULTIPROC_DIR: str = getattr(settings, "PROMETHEUS_MULTIPROC_DIR", "") or ""
if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = MULTIPROC_DIR
    if values.ValueClass is values.MutexValue:
        # prometheus_client chooses its value class from the environment when first
        # imported; the setting decides, even if something imported it before settings.
        values.ValueClass = values.MultiProcessValue()

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
QUERY_BUCKETS = (0, 1, 2, 3, 5, 10, 20, 50, 100, 250)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900)

HTTP_LATENCY = Histogram(
    "megacity_http_request_duration_seconds",
    "Time to answer an HTTP request, by view (URL name) and tenant type.",
    ["view", "tenant_type", "method"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "megacity_http_requests",
    "HTTP responses by view, tenant type, method and status class (2xx, 4xx, ...).",
    ["view", "tenant_type", "method", "status"],
)
HTTP_ERRORS = Counter(
    "megacity_http_server_errors",
    "HTTP responses with a 5xx status, by view and tenant type.",
    ["view", "tenant_type"],
)
DB_QUERIES = Histogram(
    "megacity_http_db_queries",
    "Database queries run while answering one HTTP request.",
    ["view", "tenant_type"],
    buckets=QUERY_BUCKETS,
)
TASKS = Counter(
    "megacity_celery_tasks",
    "Celery tasks run, by task name and final state (success, failure, retry).",
    ["task", "state"],
)
TASK_DURATION = Histogram(
    "megacity_celery_task_duration_seconds",
    "Celery task run time, by task name and final state.",
    ["task", "state"],
    buckets=TASK_BUCKETS,
)
WEBSOCKETS_OPEN = Gauge(
    "megacity_websocket_connections",
    "Websockets open now, by tenant type (summed over live processes).",
    ["tenant_type"],
    multiprocess_mode="livesum",
)
WEBSOCKETS_OPENED = Counter(
    "megacity_websocket_connections_opened",
    "Websockets accepted, by tenant type.",
    ["tenant_type"],
)


# ---------------------------------------------------------------------------- collection


class QueueDepthCollector:
    """Length of each Celery queue, read from the Redis broker when scraped (all
    priority lists of a queue added up; kombu keeps one list per priority step)."""

    def collect(self):
        family = GaugeMetricFamily(
            "megacity_celery_queue_length", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        for queue, length in queue_lengths().items():
            family.add_metric([queue], length)
        yield family


def queue_lengths() -> dict[str, int]:
    import redis

    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return {}
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    prefix = options.get("global_keyprefix", "") or ""
    sep = options.get("sep", "\x06\x16")
    steps = sorted(set(options.get("priority_steps", [0, 3, 6, 9])))
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        with client.pipeline(transaction=False) as pipe:
            names = [q.name for q in settings.CELERY_TASK_QUEUES]
            for name in names:
                for step in steps:
                    pipe.llen(f"{prefix}{name}" if not step else f"{prefix}{name}{sep}{step}")
            counts = pipe.execute()
    finally:
        client.close()
    return {name: sum(counts[i * len(steps) : (i + 1) * len(steps)]) for i, name in enumerate(names)}


_LIVE_FILE = re.compile(r"gauge_live\w*?_(\d+)\.db$")


def forget_dead_processes() -> None:
    """Drop the live-gauge files of processes that have exited (a web worker restarted),
    so their open websockets are not counted for ever."""
    for path in glob.glob(os.path.join(MULTIPROC_DIR, "gauge_live*_*.db")):
        match = _LIVE_FILE.search(os.path.basename(path))
        if match and not psutil.pid_exists(int(match.group(1))):
            mark_process_dead(int(match.group(1)), MULTIPROC_DIR)


def exposition() -> bytes:
    """Every metric of this machine's processes, plus the queue depths, as Prometheus text."""
    queues = CollectorRegistry()
    queues.register(QueueDepthCollector())
    if not MULTIPROC_DIR:
        from prometheus_client import REGISTRY

        return generate_latest(REGISTRY) + generate_latest(queues)
    forget_dead_processes()
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=MULTIPROC_DIR)
    return generate_latest(registry) + generate_latest(queues)


def token_status(authorization: str) -> int:
    """200 for the right bearer token, 401 without one, 403 for a wrong one."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return 401
    expected = settings.METRICS_TOKEN
    return 200 if hmac.compare_digest(token.strip().encode(), expected.encode()) else 403


__all__ = ["CONTENT_TYPE_LATEST", "exposition", "token_status"]
