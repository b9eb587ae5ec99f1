"""The sandbox fleet (two model servers on loopback, real processes) and registry rows
pointing at them, committed so the Celery worker sees them."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.processes import free_port, port_open, running

# The key the sandbox servers demand; the registry names only the variable. Set before any
# worker process starts (they inherit the environment).
API_KEY_ENV = "SANDBOX_INFERENCE_TEST_KEY"
os.environ[API_KEY_ENV] = "sk-sandbox-test"


class SandboxServer:
    def __init__(self, name: str, port: int):
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def control(self, **knobs) -> dict:
        response = httpx.post(f"{self.url}/_control", json=knobs, timeout=5)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict:
        return httpx.get(f"{self.url}/_stats", timeout=5).json()


@pytest.fixture(scope="session")
def sandbox_fleet() -> Iterator[dict[str, SandboxServer]]:
    servers = {}
    with_processes = []
    for name in ("gpu-a", "gpu-b"):
        port = free_port()
        command = [sys.executable, "-m", "apps.inference.sandbox", "--port", str(port), "--name", name]
        command += ["--model", "sandbox-model", "--api-key", os.environ[API_KEY_ENV]]
        context = running(f"sandbox-{name}", command, ready=lambda p=port: port_open(p))
        context.__enter__()
        with_processes.append(context)
        servers[name] = SandboxServer(name, port)
    try:
        yield servers
    finally:
        for context in with_processes:
            context.__exit__(None, None, None)


@pytest.fixture
def fleet(sandbox_fleet, live_db):
    """register("llm", "gpu-a", "gpu-b") -> ModelServer rows for those sandbox servers
    (public schema, committed); sandboxes, breakers and slots start clean; rows removed after."""
    from django_redis import get_redis_connection

    from apps.inference import coordination
    from apps.inference.models import ModelServer

    def clean() -> None:
        redis = get_redis_connection("default")
        keys = list(redis.scan_iter(match=coordination.key("*"), count=1000))
        if keys:
            redis.delete(*keys)
        for server in sandbox_fleet.values():
            server.control(reset=True)

    clean()
    ModelServer.objects.all().delete()

    def register(kind: str, *names: str, **fields) -> list:
        rows = []
        for name in names:
            rows.append(
                ModelServer.objects.create(
                    name=f"{name}-{kind}",
                    kind=kind,
                    base_url=sandbox_fleet[name].url,
                    model="sandbox-model",
                    **{"max_concurrency": 4, "api_key_env": API_KEY_ENV, **fields},
                )
            )
        return rows

    register.servers = sandbox_fleet
    yield register
    ModelServer.objects.all().delete()
    clean()


def wait_for_job(t, job_id: int, *statuses: str, timeout: float = 30):
    from apps.inference.jobs.models import InferenceJob

    statuses = statuses or tuple(InferenceJob.FINISHED)
    deadline = time.monotonic() + timeout
    while True:
        with t.context():
            job = InferenceJob.objects.get(pk=job_id)
        if job.status in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.status}: {job.error} {job.attempts}")
        time.sleep(0.05)
