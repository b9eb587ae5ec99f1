"""A slow, idempotent task for the worker shutdown test (the worker imports this module
with `--include`). Each run is counted in Redis; the first run sleeps long, later ones
briefly, so a requeued task finishes on its second run."""

import time

import redis
from celery import shared_task
from django.conf import settings


@shared_task(name="tests.ops.slow_tasks.slow", acks_late=True)
def slow(key: str, first_seconds: float, later_seconds: float) -> int:
    client = redis.Redis.from_url(settings.REDIS_URL)
    run = client.incr(f"{key}:runs")
    client.expire(f"{key}:runs", 600)
    time.sleep(first_seconds if run == 1 else later_seconds)
    client.rpush(f"{key}:done", run)
    client.expire(f"{key}:done", 600)
    return run
