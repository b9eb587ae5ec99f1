"""Celery workers on SIGTERM, configured as the containers run them (REMAP_SIGTERM=SIGQUIT,
soft shutdown): a task that finishes within the soft-shutdown time completes; one that
does not goes back to the queue (acks_late) and completes on the next worker."""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest
import redis
from django.conf import settings

from tests.processes import celery, running

SOFT_SECONDS = "3"


def worker(queue: str):
    command = celery(
        "worker", "-Q", queue, "-c", "1", "-l", "info", "-n", f"{queue}@%h", "--without-mingle", "--without-gossip"
    )
    command += ["--include", "tests.ops.slow_tasks"]
    return running(
        f"worker-{queue}",
        command,
        timeout=60,
        REMAP_SIGTERM="SIGQUIT",
        CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT=SOFT_SECONDS,
    )


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def queue_and_redis(live_db):
    client = redis.Redis.from_url(settings.REDIS_URL)
    return f"ops-shutdown-{uuid.uuid4().hex[:8]}", client


@pytest.mark.timeout(120)
def test_a_running_task_finishes_during_soft_shutdown(queue_and_redis):
    from tests.ops.slow_tasks import slow

    queue, client = queue_and_redis
    key = f"ops-test:{uuid.uuid4().hex}"
    with worker(queue) as process:
        result = slow.apply_async((key, 1.5, 0), queue=queue)
        wait_for(lambda: client.get(f"{key}:runs"), 60, "the task to start")
        process.send_signal(signal.SIGTERM)
        assert result.get(timeout=20) == 1
        process.wait(30)
    assert client.lrange(f"{key}:done", 0, -1) == [b"1"]  # ran once, to the end


@pytest.mark.timeout(180)
def test_a_task_too_long_for_shutdown_is_requeued_and_finishes_elsewhere(queue_and_redis):
    from tests.ops.slow_tasks import slow

    queue, client = queue_and_redis
    key = f"ops-test:{uuid.uuid4().hex}"
    with worker(queue) as process:
        result = slow.apply_async((key, 60, 0), queue=queue)
        wait_for(lambda: client.get(f"{key}:runs"), 60, "the task to start")
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        stopped_after = time.monotonic() - signalled
    assert stopped_after < float(SOFT_SECONDS) + 15  # not the task's 60 s
    assert client.lrange(f"{key}:done", 0, -1) == []  # cut short
    # The message went back to the queue at once (not after the visibility timeout).
    with worker(queue):
        assert result.get(timeout=60) == 2
    assert client.lrange(f"{key}:done", 0, -1) == [b"2"]
    assert os.environ.get("REMAP_SIGTERM") is None  # only the workers were remapped
