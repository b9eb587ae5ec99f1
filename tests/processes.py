"""Start the project's real processes (Celery worker and beat, the ASGI server) against the
test database, the way production runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "test-logs"
QUEUES = ",".join(q.name for q in settings.CELERY_TASK_QUEUES)


def test_database_url() -> str:
    s = connection.settings_dict
    host = quote(s["HOST"] or "", safe="") if (s["HOST"] or "").startswith("/") else (s["HOST"] or "")
    auth = s["USER"] + (f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else "")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


def process_env(**extra: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url(),
        "TEST_REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
        # Servers and workers connect as deployed (a pool per process), not as the test process.
        "TEST_DB_AS_DEPLOYED": "1",
        **extra,
    }


@contextmanager
def running(name: str, command: list[str], ready=None, timeout: float = 30, **env: str):
    """Run a project process for the duration of the block; its output goes to var/test-logs/."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{name}-{uuid.uuid4().hex[:6]}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=process_env(**env), stdout=log, stderr=subprocess.STDOUT)
        process.log_path = log_path
        try:
            deadline = time.monotonic() + timeout
            while ready is not None and not ready():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start; see {log_path}:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "config", *args]


def worker_command(name: str) -> list[str]:
    return celery(
        "worker", "-Q", QUEUES, "-c", "1", "-l", "info", "-n", f"{name}@%h", "--without-mingle", "--without-gossip"
    )


def serve_command(port: int, workers: int = 2, app: str = "tests.ops.slow_asgi:application") -> list[str]:
    """The web server as the container runs it (config.serve), on 127.0.0.1."""
    return [
        sys.executable, "-m", "config.serve", "--app", app, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--lifespan", "off", "--graceful", "5",
    ]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False
