"""Prometheus metrics of the fleet (exported by apps.ops' `/metrics` with the rest; queue
depths of the gpu.* queues are apps.ops' megacity_celery_queue_length)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from apps.ops import metrics as _ops  # noqa: F401  (sets up multi-process mode first)

BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

JOBS = Counter(
    "megacity_inference_jobs",
    "AI jobs finished, by kind, backend (server:<name> or cpu:<name>) and status.",
    ["kind", "backend", "status"],
)
WAIT = Histogram(
    "megacity_inference_job_wait_seconds",
    "Time an AI job waited (queue and tenant cap) before it ran, by kind.",
    ["kind"],
    buckets=BUCKETS,
)
RUN = Histogram(
    "megacity_inference_job_run_seconds",
    "Time an AI job ran, by kind and backend.",
    ["kind", "backend"],
    buckets=BUCKETS,
)
FAILURES = Counter(
    "megacity_inference_attempt_failures",
    "Failed requests to a model server (timeout, connection, 5xx, cut stream), by kind and server.",
    ["kind", "server"],
)
SERVER_UP = Gauge(
    "megacity_inference_server_healthy",
    "1 if the server's last probe succeeded, by kind and server.",
    ["kind", "server"],
    multiprocess_mode="mostrecent",
)
