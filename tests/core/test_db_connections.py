"""Database connections: bounded by the pool under real load, none for static files, and a
task whose schema switch failed does not run in another schema."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import uuid

import httpx
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, connection
from django_tenants.utils import schema_context
from websockets.asyncio.client import connect

from apps.core.tasks import HEARTBEAT_KEY, TenantTask, WrongSchema, tenant_heartbeat
from tests.processes import free_port, port_open, running
from tests.utils import PASSWORD, grant, make_user

STATIC_FILE = "/static/css/megacity.css"


def server_connections(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            [application_name],
        )
        return cursor.fetchone()[0]


@pytest.mark.slow
def test_a_few_thousand_requests_and_sockets_keep_the_servers_connections_within_its_pool(live_tenant):
    """The server runs with the connection settings `dev.py up` uses (base settings: a pool
    of DB_POOL_MAX_SIZE per process, no persistent connection per thread). Before the pool,
    every request thread kept its own connection for CONN_MAX_AGE and this count grew with
    the concurrency until PostgreSQL refused clients."""
    from django.db import connections

    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    assert pool is None, "the test process itself connects without a pool"
    # What the server gets: base settings with TEST_DB_AS_DEPLOYED (tests/processes.py).
    pool_size = settings.DB_POOL_MAX_SIZE
    assert pool_size > 0

    t = live_tenant("academy")
    with t.context():
        grant(make_user("coach"), "coach")
    name = f"bound-{uuid.uuid4().hex[:8]}"
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port), "--lifespan", "off"]
    command += ["--no-access-log"]
    peak = 0
    stop = threading.Event()

    def watch():
        nonlocal peak
        with connections["default"].cursor():
            pass
        while not stop.is_set():
            peak = max(peak, server_connections(name))
            time.sleep(0.05)
        connections["default"].close()

    results: dict[str, int] = {}

    async def drive():
        base = f"http://127.0.0.1:{port}"
        # Shorter than the server's 5 s keep-alive: a connection it is closing is never reused.
        limits = httpx.Limits(max_connections=50, keepalive_expiry=2)
        async with httpx.AsyncClient(base_url=base, headers={"Host": t.domain}, timeout=30, limits=limits) as client:
            login = await client.post("/_allauth/app/v1/auth/login", json={"username": "coach", "password": PASSWORD})
            token = login.json()["meta"]["session_token"]
            paths = [
                ("/api/v1/site/", {}),
                ("/api/v1/me/", {"X-Session-Token": token}),
                ("/api/v1/students/", {"X-Session-Token": token}),
                ("/admin/login/", {}),
                (STATIC_FILE, {}),
                ("/health/live", {}),
            ]
            gate = asyncio.Semaphore(50)
            # One user may hold 3 sockets (WEBSOCKET_LIMITS); a 4th would close the oldest.
            sockets_gate = asyncio.Semaphore(2)

            async def one(i: int):
                path, headers = paths[i % len(paths)]
                async with gate:
                    response = await client.get(path, headers=headers)
                key = f"{path} {response.status_code}"
                results[key] = results.get(key, 0) + 1

            async def socket(i: int):
                uri = f"ws://{t.domain}:{port}/ws/ping/"
                async with (
                    sockets_gate,
                    gate,
                    connect(uri, host="127.0.0.1", port=port, additional_headers={"X-Session-Token": token}) as ws,
                ):
                    assert '"hello"' in await ws.recv()
                    await ws.send('{"type": "ping"}')
                    assert t.schema in await ws.recv()
                results["ws ok"] = results.get("ws ok", 0) + 1

            await asyncio.gather(*(one(i) for i in range(2400)), *(socket(i) for i in range(200)))

    # A generous rate limit: this drives one user far past the API's 100/min.
    with running("uvicorn-pool", command, ready=lambda: port_open(port), PGAPPNAME=name, RATE_LIMIT_API="100000/min"):
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            asyncio.run(drive())
        finally:
            stop.set()
            watcher.join()
        after = server_connections(name)
    assert results.get("ws ok") == 200, results
    # the admin's login page sends to the site's sign-in page
    failed = {k: v for k, v in results.items() if k not in ("ws ok", "/admin/login/ 302") and not k.endswith(" 200")}
    assert not failed, results
    assert sum(v for k, v in results.items() if k != "ws ok") == 2400
    assert 0 < peak <= pool_size, f"peak {peak} server connections, pool {pool_size}"
    assert after <= pool_size


def test_static_files_are_served_on_any_host_without_touching_the_database(tenants, db, django_assert_num_queries):
    from django.test import Client

    for host in (tenants["academy"].domain, "unknown.example.org"):
        with django_assert_num_queries(0):
            response = Client(HTTP_HOST=host).get(STATIC_FILE)
        assert response.status_code == 200, host
        assert response["X-Content-Type-Options"] == "nosniff"


def test_health_live_makes_no_query(django_assert_num_queries, db):
    from django.test import Client

    with django_assert_num_queries(0):
        assert Client(HTTP_HOST="unknown.example.org").get("/health/live").status_code == 200


def test_a_task_whose_schema_switch_failed_fails_instead_of_running_in_public(tenants, live_db, monkeypatch):
    """tenant-schemas-celery switches schemas in a task_prerun receiver, whose exceptions
    Celery only logs: a lost connection while looking the tenant up left the task running in
    public (`relation "academy_vindexweights" does not exist`, or worse, a public table)."""

    def connection_lost(cls, schema_name):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(TenantTask, "get_tenant_for_schema", classmethod(connection_lost))
    token = uuid.uuid4().hex
    academy = tenants["academy"].schema
    result = tenant_heartbeat.apply(args=[token], headers={"_schema_name": academy})
    assert result.failed()
    assert isinstance(result.result, WrongSchema)
    assert academy in str(result.result)
    for schema in ("public", academy):
        with schema_context(schema):
            assert cache.get(f"{HEARTBEAT_KEY}:{token}") is None, f"the task ran in {schema}"

    monkeypatch.undo()
    result = tenant_heartbeat.apply(args=[token], headers={"_schema_name": academy})
    assert result.successful() and result.result["db_schema"] == academy
