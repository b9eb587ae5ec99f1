"""`/health/live` and `/health/ready`, answered on any host before tenant routing, so a
load balancer can probe an instance by its IP.

Readiness checks each dependency with a short timeout and returns 503 naming the ones
that failed. Each check reads settings when it runs (no cached clients), so it reports
the state of the dependency now, not of a pooled connection.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import redis
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

TIMEOUT = 2.0


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


def check_channel_layer() -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()

    async def round_trip():
        import asyncio

        channel = await layer.new_channel("health.")
        token = uuid.uuid4().hex
        await asyncio.wait_for(layer.send(channel, {"type": "health.check", "token": token}), TIMEOUT)
        message = await asyncio.wait_for(layer.receive(channel), TIMEOUT)
        if message.get("token") != token:
            raise RuntimeError("channel layer returned a different message")

    async_to_sync(round_trip)()


def check_broker() -> None:
    from kombu import Connection

    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=TIMEOUT,
        transport_options={"socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT},
    ) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=TIMEOUT)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "channel_layer": check_channel_layer,
    "broker": check_broker,
}


# Parts that can be degraded without making the instance unready (the inference fleet on
# its CPU defaults): name -> function returning ("ok" | "degraded" | "down", details).
# Registered by apps in AppConfig.ready(); reported in the body, never a 503.
STATUS_CHECKS: dict[str, Callable[[], tuple[str, dict]]] = {}


def register_status_check(name: str, check: Callable[[], tuple[str, dict]]) -> None:
    if name in STATUS_CHECKS or name in CHECKS:
        raise ValueError(f"health check {name!r} is already registered")
    STATUS_CHECKS[name] = check


def readiness() -> tuple[bool, dict]:
    results: dict[str, dict] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure means not ready; the body says which
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    failed = [name for name, result in results.items() if not result["ok"]]
    parts: dict[str, dict] = {}
    for name, check in STATUS_CHECKS.items():
        try:
            state, details = check()
        except Exception as exc:  # a broken part is reported, not fatal
            state, details = "down", {"error": f"{type(exc).__name__}: {exc}"[:300]}
        parts[name] = {"status": state, **details}
    degraded = [name for name, part in parts.items() if part["status"] != "ok"]
    status = "unavailable" if failed else ("degraded" if degraded else "ready")
    body = {"status": status, "failed": failed, "checks": results}
    if parts:
        body.update({"degraded": degraded, "parts": parts})
    return not failed, body


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info.rstrip("/")
        if path == "/health/live":
            return JsonResponse({"status": "live"})
        if path == "/health/ready":
            ok, body = readiness()
            return JsonResponse(body, status=200 if ok else 503)
        return self.get_response(request)
