"""Prometheus metrics: the endpoint's token, HTTP metrics by view and tenant type, database
queries per request, Celery task outcomes from the real worker process and HTTP metrics
from the real uvicorn process (multi-process mode: one directory, one scrape), websocket
connections, queue depths read from the broker."""

from __future__ import annotations

import uuid

import httpx
import pytest
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from tests.utils import PASSWORD, make_user

TOKEN = "test-metrics-token"  # config/settings/test.py


def scrape(client: Client | None = None) -> str:
    client = client or Client(HTTP_HOST="10.0.0.7:8000")  # an address, as Prometheus scrapes
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def value(text: str, name: str, **labels: str) -> float:
    """One sample's value (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def test_endpoint_needs_the_bearer_token(db, tenants):
    client = Client(HTTP_HOST="10.0.0.7:8000")
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    assert b"megacity_http" not in client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").content
    # Any host, a tenant's included (the same figures: they are the platform's).
    assert "megacity_" in scrape(tenants["academy"].client())


def test_endpoint_is_off_without_a_token(db, tenants):
    with override_settings(METRICS_TOKEN=""):
        for client in (Client(HTTP_HOST="10.0.0.7"), tenants["zone"].client()):
            response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")
            assert response.status_code == 404
            assert b"megacity_http" not in response.content


def test_http_metrics_by_view_and_tenant_type(db, tenants):
    labels = {"view": "api-site", "tenant_type": "zone"}
    before = scrape()
    client = tenants["zone"].client()
    for _ in range(3):
        assert client.get("/api/v1/site/").status_code == 200
    tenants["store"].client().get("/api/v1/site/")
    after = scrape()
    count = "megacity_http_request_duration_seconds_count"
    assert value(after, count, method="GET", **labels) - value(before, count, method="GET", **labels) == 3
    assert (
        value(after, "megacity_http_requests_total", method="GET", status="2xx", **labels)
        - value(before, "megacity_http_requests_total", method="GET", status="2xx", **labels)
        == 3
    )
    queries = "megacity_http_db_queries_count"
    assert value(after, queries, **labels) - value(before, queries, **labels) == 3
    # The route's name, never the raw path: no label carries "/api/v1/site/".
    assert 'view="/api' not in after
    assert value(after, count, view="api-site", tenant_type="store", method="GET") >= 1


def test_server_errors_are_counted_by_view(db, tenants):
    t = tenants["club"]
    with t.context():
        user = make_user(f"root_{uuid.uuid4().hex[:6]}", is_superuser=True, is_staff=True)
        client = Client(HTTP_HOST=t.domain, raise_request_exception=False)
        client.force_login(user)
    labels = {"view": "sentry-check", "tenant_type": "club"}
    before = scrape()
    assert client.get("/_ops/sentry-check/").status_code == 500
    after = scrape()
    errors = "megacity_http_server_errors_total"
    assert value(after, errors, **labels) - value(before, errors, **labels) == 1
    assert value(after, "megacity_http_requests_total", status="5xx", method="GET", **labels) >= 1


def test_db_queries_histogram_counts_the_queries(db, tenants):
    """A request that runs queries lands in a higher bucket than one that runs none."""
    before = scrape()
    tenants["academy"].client().get("/health/live")
    tenants["academy"].client().get("/api/v1/site/")
    after = scrape()
    bucket = "megacity_http_db_queries_bucket"
    health_zero = value(after, bucket, view="health", le="0.0") - value(before, bucket, view="health", le="0.0")
    site_zero = value(after, bucket, view="api-site", tenant_type="academy", le="0.0") - value(
        before, bucket, view="api-site", tenant_type="academy", le="0.0"
    )
    assert health_zero == 1  # answered before any query
    assert site_zero == 0  # the tenant lookup is a query


@pytest.mark.timeout(90)
def test_celery_task_outcomes_from_the_worker_process(celery_worker, live_db, tenants):
    """The worker is another process writing to the same multi-process directory; the
    web process's scrape shows its task counts and durations."""
    from apps.core.tasks import tenant_heartbeat

    labels = {"task": "apps.core.tasks.tenant_heartbeat", "state": "success"}
    before = scrape()
    with tenants["store"].context():
        results = [tenant_heartbeat.delay(uuid.uuid4().hex) for _ in range(2)]
    for result in results:
        result.get(timeout=30)
    after = scrape()
    tasks = "megacity_celery_tasks_total"
    assert value(after, tasks, **labels) - value(before, tasks, **labels) == 2
    duration = "megacity_celery_task_duration_seconds_count"
    assert value(after, duration, **labels) - value(before, duration, **labels) == 2
    assert value(after, "megacity_celery_task_duration_seconds_sum", **labels) > 0


def test_http_metrics_from_the_real_server_process(asgi_server, live_db, tenants):
    """Requests served by uvicorn (another process) appear in a scrape of this one, and in
    a scrape through uvicorn itself."""
    labels = {"view": "api-site", "tenant_type": "club", "method": "GET"}
    count = "megacity_http_request_duration_seconds_count"
    before = scrape()
    base = f"http://127.0.0.1:{asgi_server.port}"
    with httpx.Client(base_url=base, headers={"Host": tenants["club"].domain}, timeout=10) as client:
        for _ in range(2):
            assert client.get("/api/v1/site/").status_code == 200
    with httpx.Client(base_url=base, timeout=10) as client:
        through_server = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    after = scrape()
    assert value(after, count, **labels) - value(before, count, **labels) == 2
    assert value(through_server, count, **labels) == value(after, count, **labels)


def test_queue_depths_are_read_from_the_broker(db):
    """Messages published (by kombu, at two priorities) to a queue nobody consumes are
    counted on scrape, and the figure drops when the queue is emptied."""
    from django.conf import settings
    from kombu import Queue

    from config.celery_app import app

    name = f"ops-test-{uuid.uuid4().hex[:8]}"
    with override_settings(CELERY_TASK_QUEUES=[*settings.CELERY_TASK_QUEUES, Queue(name)]):
        app.send_task("ops.nothing", queue=name, priority=0)
        app.send_task("ops.nothing", queue=name, priority=6)
        app.send_task("ops.nothing", queue=name, priority=9)
        assert value(scrape(), "megacity_celery_queue_length", queue=name) == 3
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(name)
        assert value(scrape(), "megacity_celery_queue_length", queue=name) == 0
    assert value(scrape(), "megacity_celery_queue_length", queue="default") >= 0
    assert 'megacity_celery_queue_length{queue="gpu.llm"}' in scrape()


@pytest.fixture
def academy_with_coach(live_tenant):
    t = live_tenant("academy")
    with t.context():
        make_user("coach")
    response = t.client().post(
        "/_allauth/app/v1/auth/login", {"username": "coach", "password": PASSWORD}, content_type="application/json"
    )
    return t, response.json()["meta"]["session_token"]


async def test_websocket_connections_gauge(academy_with_coach):
    from asgiref.sync import sync_to_async

    from tests.websocket import close_code, open_socket

    t, token = academy_with_coach
    gauge = "megacity_websocket_connections"
    opened = "megacity_websocket_connections_opened_total"
    scrape_async = sync_to_async(scrape)
    before = await scrape_async()
    sockets = [(await open_socket(t.domain, token=token))[0] for _ in range(2)]
    for socket in sockets:
        assert (await socket.receive_json_from(timeout=5))["type"] == "hello"
    during = await scrape_async()
    assert value(during, gauge, tenant_type="academy") - value(before, gauge, tenant_type="academy") == 2
    assert value(during, opened, tenant_type="academy") - value(before, opened, tenant_type="academy") == 2
    # A refused socket (no login) is accepted only to be closed: not counted as open.
    anonymous, _ = await open_socket(t.domain)
    assert await close_code(anonymous) == 4401
    for socket in sockets:
        await socket.disconnect()
    after = await scrape_async()
    assert value(after, gauge, tenant_type="academy") == value(before, gauge, tenant_type="academy")
    assert value(after, opened, tenant_type="academy") - value(before, opened, tenant_type="academy") == 2


@pytest.mark.timeout(120)
def test_a_worker_in_its_own_container_serves_its_metrics(live_db, tmp_path):
    """With CELERY_METRICS_PORT (and its own metrics directory, as in a container) a
    worker answers /metrics itself, behind the same token."""
    from tests.ops.slow_tasks import slow
    from tests.processes import celery, free_port, port_open, running

    port = free_port()
    queue = f"ops-metrics-{uuid.uuid4().hex[:8]}"
    command = celery("worker", "-Q", queue, "-c", "1", "-n", f"{queue}@%h", "--without-mingle", "--without-gossip")
    command += ["--include", "tests.ops.slow_tasks"]
    env = {"CELERY_METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    labels = {"task": "tests.ops.slow_tasks.slow", "state": "success"}
    in_web_dir = value(scrape(), "megacity_celery_tasks_total", **labels)
    with running(f"worker-{queue}", command, ready=lambda: port_open(port), timeout=60, **env):
        slow.apply_async((f"ops-test:{uuid.uuid4().hex}", 0, 0), queue=queue).get(timeout=30)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/metrics", timeout=5).status_code == 401
        assert httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer nope"}, timeout=5).status_code == 403
        text = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).text
    assert value(text, "megacity_celery_tasks_total", **labels) == 1  # its own directory: only its task
    assert 'megacity_celery_queue_length{queue="default"}' in text
    assert value(scrape(), "megacity_celery_tasks_total", **labels) == in_web_dir  # not in the web's directory
