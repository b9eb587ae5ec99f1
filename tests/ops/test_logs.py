"""Structured logs: one JSON line per request with the request's context, stdlib loggers
rendered the same way with the same context, Celery task logs with their tenant."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import time
import uuid
from contextlib import contextmanager

import pytest
import structlog


@contextmanager
def captured_json_logs():
    """Lines written through the project's real logging configuration (the formatter of
    the root handler that settings.LOGGING installed), parsed as JSON."""
    root = logging.getLogger()
    formatter = next(h.formatter for h in root.handlers if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines() if line.strip())


def test_one_json_line_per_request_with_its_context(db, tenants, member):
    user, client = member("academy", "coach", email="coach-private@example.com")
    with captured_json_logs() as lines:
        response = client.get("/api/v1/me/?phone=01012345678&q=secret", HTTP_X_REQUEST_ID="req-abc.123")
    assert response.status_code == 200
    requests = [line for line in lines if line.get("event") == "request"]
    assert len(requests) == 1, lines
    line = requests[0]
    assert line["request_id"] == "req-abc.123"
    assert line["tenant"] == tenants["academy"].schema and line["tenant_type"] == "academy"
    assert line["user_id"] == user.pk
    assert line["method"] == "GET" and line["path"] == "/api/v1/me/" and line["status"] == 200
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] > 0
    assert line["db_queries"] >= 1 and line["level"] == "info" and line["logger"] == "megacity.request"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line["timestamp"])
    # No personal data and no query string, anywhere in what the request logged.
    text = json.dumps(lines, ensure_ascii=False)
    assert "01012345678" not in text and "secret" not in text and "coach-private" not in text


def test_request_id_is_made_when_missing_or_malformed(db, tenants):
    client = tenants["zone"].client()
    with captured_json_logs() as lines:
        client.get("/api/v1/site/")
        client.get("/api/v1/site/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    ids = [line["request_id"] for line in lines if line.get("event") == "request"]
    assert len(ids) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1]
    assert all(line["user_id"] is None for line in lines if line.get("event") == "request")


def test_library_logs_carry_the_request_context(db, tenants):
    """Django's own `django.request` warning for a 404 is rendered as JSON with the
    request id and tenant bound by the middlewares."""
    with captured_json_logs() as lines:
        tenants["store"].client().get("/no-such-page/", HTTP_X_REQUEST_ID="req-404-page")
    warning = [line for line in lines if line.get("logger") == "django.request"]
    assert warning, lines
    assert warning[0]["request_id"] == "req-404-page"
    assert warning[0]["tenant"] == tenants["store"].schema and warning[0]["tenant_type"] == "store"
    assert warning[0]["level"] == "warning" and warning[0]["status_code"] == 404
    request = next(line for line in lines if line.get("event") == "request")
    assert request["status"] == 404 and request["view"] == "<unresolved>"


def test_unknown_host_is_logged_without_tenant(db):
    from django.test import Client

    with captured_json_logs() as lines:
        Client(HTTP_HOST="nobody.example.org").get("/")
    line = next(line for line in lines if line.get("event") == "request")
    assert line["status"] == 404 and line["tenant"] is None and line["tenant_type"] is None


def test_context_does_not_leak_between_requests(db, tenants):
    with captured_json_logs() as lines:
        tenants["club"].client().get("/api/v1/site/", HTTP_X_REQUEST_ID="first")
        logging.getLogger("megacity.test").info("outside any request")
    outside = next(line for line in lines if line.get("event") == "outside any request")
    assert "request_id" not in outside and "tenant" not in outside


def _worker_log(process) -> str:
    return os.readlink(f"/proc/{process.pid}/fd/1")


@pytest.mark.timeout(90)
def test_celery_task_logs_carry_the_tenant(celery_worker, live_db, tenants):
    """The real worker's log (JSON lines) has the task's tenant on the task's own lines."""
    from apps.core.tasks import tenant_heartbeat

    path = _worker_log(celery_worker)
    token = uuid.uuid4().hex
    with tenants["club"].context():
        result = tenant_heartbeat.delay(token)
    result.get(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(path, encoding="utf-8") as log:
            lines = [json.loads(line) for line in log if line.startswith("{")]
        mine = [line for line in lines if line.get("task_id") == result.id]
        if any("succeeded" in line.get("event", "") for line in mine):
            break
        time.sleep(0.2)
    succeeded = next(line for line in mine if "succeeded" in line.get("event", ""))
    assert succeeded["tenant"] == tenants["club"].schema and succeeded["tenant_type"] == "club"
    assert succeeded["task"] == "apps.core.tasks.tenant_heartbeat"
    # Lines after the task are not attributed to it.
    later = lines[lines.index(succeeded) + 1 :]
    assert all(line.get("task_id") in (None, result.id) for line in later)
