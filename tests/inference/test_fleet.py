"""Jobs dispatched by the real Celery worker to the sandbox fleet (two model servers on
loopback): retries, breakers, routing, CPU fallback, cancellation, streaming to sockets."""

from __future__ import annotations

import time

import pytest
from channels.db import database_sync_to_async

from apps.inference.jobs.models import InferenceJob
from tests.utils import PASSWORD, make_user
from tests.websocket import open_socket

from .conftest import wait_for_job


def signed_in(t, username: str):
    with t.context():
        user = make_user(username)
    client = t.client()
    assert client.post("/accounts/login/", {"login": username, "password": PASSWORD}).status_code == 302
    return user, client


def submit(client, **body) -> dict:
    response = client.post("/api/v1/inference/jobs/", body, content_type="application/json")
    assert response.status_code == 202, response.content[:500]
    return response.json()


@pytest.fixture
def zone(live_tenant):
    return live_tenant("zone")


def test_a_job_runs_on_a_server_of_its_kind_and_records_it(zone, fleet, celery_worker):
    fleet("llm", "gpu-a")
    _user, client = signed_in(zone, "writer")
    body = submit(client, kind="llm", inputs={"prompt": "안녕하세요 반갑습니다"}, feature="test")
    assert body["status"] == "queued"
    job = wait_for_job(zone, body["id"])
    assert job.status == "succeeded", job.error
    assert job.backend == "server:gpu-a-llm"
    assert job.result["text"] == "[gpu-a] 안녕하세요 반갑습니다"
    assert job.result["backend"] == "server:gpu-a-llm" and "gpu-a-llm" in job.result["backend_label"]
    assert job.tokens == 3 and job.wait_ms is not None and job.run_ms is not None
    # The API shows it, and who produced it.
    shown = client.get(f"/api/v1/inference/jobs/{job.pk}/").json()
    assert shown["backend"] == "server:gpu-a-llm" and shown["result"]["text"] == job.result["text"]
    # One submission event and one finish event in the tenant's ledger.
    from apps.ledger.models import Event

    with zone.context():
        kinds = list(Event.objects.filter(subject_id=str(job.pk)).values_list("kind", flat=True))
    assert sorted(kinds) == ["inference.job.finished", "inference.job.submitted"]


def test_two_5xx_then_success_gives_one_result_and_three_logged_attempts(zone, fleet, celery_worker):
    fleet("llm", "gpu-a")
    fleet.servers["gpu-a"].control(fail_next=2, fail_status=502)
    _user, client = signed_in(zone, "retry")
    job = wait_for_job(zone, submit(client, kind="llm", inputs={"prompt": "one two"})["id"])
    assert job.status == "succeeded"
    assert [a["outcome"] for a in job.attempts] == ["retryable", "retryable", "ok"]
    assert all(a["backend"] == "server:gpu-a-llm" for a in job.attempts)
    assert "HTTP 502" in job.attempts[0]["error"]
    assert job.result["text"] == "[gpu-a] one two"
    assert fleet.servers["gpu-a"].stats()["requests"]["/v1/chat/completions"] == 3


def test_a_failing_servers_breaker_opens_and_jobs_move_to_the_second(zone, fleet, celery_worker):
    from apps.inference.coordination import Breaker

    fleet("llm", "gpu-a", "gpu-b")
    fleet.servers["gpu-a"].control(fail_next=1000)
    _user, client = signed_in(zone, "breaker")
    first = wait_for_job(zone, submit(client, kind="llm", inputs={"prompt": "first"})["id"])
    assert first.status == "succeeded" and first.backend == "server:gpu-b-llm"
    assert [(a["backend"], a["outcome"]) for a in first.attempts] == [
        ("server:gpu-a-llm", "retryable"),
        ("server:gpu-a-llm", "retryable"),
        ("server:gpu-a-llm", "retryable"),
        ("server:gpu-b-llm", "ok"),
    ]
    assert first.attempts[2]["breaker"] == "opened"
    assert Breaker("gpu-a-llm").state() == "open"
    # The next job goes straight to the second server: the open breaker keeps it off gpu-a.
    second = wait_for_job(zone, submit(client, kind="llm", inputs={"prompt": "second"})["id"])
    assert [a["backend"] for a in second.attempts] == ["server:gpu-b-llm"]
    assert fleet.servers["gpu-a"].stats()["requests"]["/v1/chat/completions"] == 3


def test_with_every_server_down_the_cpu_default_serves_and_is_recorded(zone, fleet, celery_worker):
    fleet("llm", "gpu-a", "gpu-b")
    for server in fleet.servers.values():
        server.control(down=True)
    _user, client = signed_in(zone, "fallback")
    job = wait_for_job(
        zone, submit(client, kind="llm", inputs={"prompt": "직원이 불친절하고 음식이 늦게 나왔어요"})["id"]
    )
    assert job.status == "succeeded"
    assert job.backend == "cpu:template-drafter"
    assert job.result["generated_by"] == "template"
    assert "언어 모델이 쓴 글이 아님" in job.result["backend_label"]  # "not written by a language model"
    assert "죄송합니다" in job.result["text"]  # a complaint gets an apology
    assert job.attempts[-1] == {**job.attempts[-1], "backend": "cpu:template-drafter", "outcome": "ok"}
    assert {a["backend"] for a in job.attempts[:-1]} == {"server:gpu-a-llm", "server:gpu-b-llm"}


def test_a_cut_stream_is_retried_and_the_socket_told_to_restart(zone, fleet, celery_worker):
    fleet("llm", "gpu-a")
    fleet.servers["gpu-a"].control(cut_next=1)
    _user, client = signed_in(zone, "cut")
    job = wait_for_job(zone, submit(client, kind="llm", inputs={"prompt": "a b c d e"})["id"])
    assert job.status == "succeeded" and job.result["text"] == "[gpu-a] a b c d e"
    assert [a["outcome"] for a in job.attempts] == ["retryable", "ok"]
    assert "before [DONE]" in job.attempts[0]["error"] or "Error" in job.attempts[0]["error"]


def test_a_hanging_server_times_out_and_the_job_moves_on(zone, fleet, celery_worker):
    fleet("embedding", "gpu-a", "gpu-b")
    fleet.servers["gpu-a"].control(timeout_next=3, hang_seconds=5)
    _user, client = signed_in(zone, "timeout")
    job = wait_for_job(zone, submit(client, kind="embedding", inputs={"texts": ["안녕"]})["id"], timeout=60)
    assert job.status == "succeeded" and job.backend == "server:gpu-b-embedding"
    assert [a["outcome"] for a in job.attempts] == ["retryable"] * 3 + ["ok"]
    assert "Timeout" in job.attempts[0]["error"]
    assert len(job.result["vectors"]) == 1


def _cookie(client) -> str:
    return client.cookies["mc_session"].value


async def test_streamed_tokens_reach_the_requesters_socket_and_no_other(live_tenant, fleet, celery_worker):
    a, b = await database_sync_to_async(live_tenant)("zone"), await database_sync_to_async(live_tenant)("zone")
    await database_sync_to_async(fleet)("llm", "gpu-a")
    fleet.servers["gpu-a"].control(token_delay_ms=60)
    requester, client = await database_sync_to_async(signed_in)(a, "asker")
    _neighbour, neighbour_client = await database_sync_to_async(signed_in)(a, "neighbour")
    # In the other tenant, a user with the same id as the requester.
    stranger, stranger_client = await database_sync_to_async(signed_in)(b, "asker")
    assert stranger.pk == requester.pk

    mine, ok1 = await open_socket(a.domain, "/ws/inference/", cookie=_cookie(client))
    theirs, ok2 = await open_socket(a.domain, "/ws/inference/", cookie=_cookie(neighbour_client))
    other_tenant, ok3 = await open_socket(b.domain, "/ws/inference/", cookie=_cookie(stranger_client))
    assert ok1 and ok2 and ok3
    for socket in (mine, theirs, other_tenant):
        assert (await socket.receive_json_from(timeout=5)) == {"type": "jobs", "jobs": []}
    # Cookies of one tenant open nothing on the other's host.
    crossing, _ = await open_socket(b.domain, "/ws/inference/", cookie=_cookie(client))
    assert (await crossing.receive_output(timeout=5))["code"] == 4401

    prompt = " ".join(f"w{i}" for i in range(12))
    body = await database_sync_to_async(submit)(client, kind="llm", inputs={"prompt": prompt})
    tokens, statuses = [], []
    while True:
        message = await mine.receive_json_from(timeout=20)
        assert message["job"] == body["id"]
        if message["type"] == "token":
            tokens.append(message["text"])
        elif message["type"] == "job":
            statuses.append(message["status"])
            if message["status"] == "succeeded":
                assert message["result"]["text"] == f"[gpu-a] {prompt}"
                break
    assert len(tokens) > 3  # streamed in pieces, not in one message at the end
    assert "".join(tokens) == f"[gpu-a] {prompt}"
    assert statuses[0] in ("queued", "running") and statuses[-1] == "succeeded"
    assert await theirs.receive_nothing(timeout=0.5)
    assert await other_tenant.receive_nothing(timeout=0.5)
    for socket in (mine, theirs, other_tenant):
        await socket.disconnect()


def test_a_cancelled_job_stops(zone, fleet, celery_worker):
    fleet("llm", "gpu-a")
    fleet.servers["gpu-a"].control(token_delay_ms=200)
    _user, client = signed_in(zone, "canceller")
    prompt = " ".join(f"w{i}" for i in range(40))  # 8 s of tokens
    body = submit(client, kind="llm", inputs={"prompt": prompt})
    wait_for_job(zone, body["id"], "running")
    time.sleep(0.5)
    response = client.post(f"/api/v1/inference/jobs/{body['id']}/cancel/")
    assert response.status_code == 200
    started = time.monotonic()
    job = wait_for_job(zone, body["id"], "cancelled", "succeeded", "failed", timeout=10)
    assert job.status == "cancelled"
    assert time.monotonic() - started < 3  # stopped mid-stream, not after 8 s
    # Another user cannot cancel (or see) it.
    _other, other_client = signed_in(zone, "nosy")
    assert other_client.post(f"/api/v1/inference/jobs/{body['id']}/cancel/").status_code == 404


def test_a_queued_job_cancelled_never_runs(zone, fleet, celery_worker):
    from apps.inference import services

    fleet("llm", "gpu-a")
    user, _client = signed_in(zone, "early")
    with zone.context():
        job = services.submit_job(kind="llm", inputs={"prompt": "x"}, requester=user)
        services.cancel_job(job, actor=user)
    time.sleep(1)
    with zone.context():
        job.refresh_from_db()
    assert job.status == "cancelled"
    assert fleet.servers["gpu-a"].stats()["requests"].get("/v1/chat/completions", 0) == 0


def test_a_tenant_at_its_job_cap_queues_and_does_not_fail(live_tenant, fleet, celery_worker):
    from apps.tenancy.models import Plan

    plan, _ = Plan.objects.update_or_create(code="ai-cap-1", defaults={"name": "AI cap 1", "limits": {"ai_jobs": 1}})
    zone = live_tenant("zone", plan=plan)
    fleet("llm", "gpu-a")
    fleet.servers["gpu-a"].control(latency_ms=700)
    _user, client = signed_in(zone, "busy")
    ids = [submit(client, kind="llm", inputs={"prompt": f"job {i}"})["id"] for i in range(3)]
    seen_waiting = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with zone.context():
            states = dict(InferenceJob.objects.filter(pk__in=ids).values_list("pk", "status"))
        assert list(states.values()).count("running") <= 1
        seen_waiting |= "running" in states.values() and "queued" in states.values()
        if all(s == "succeeded" for s in states.values()):
            break
        time.sleep(0.05)
    assert all(s == "succeeded" for s in states.values()), states
    assert seen_waiting
    assert fleet.servers["gpu-a"].stats()["max_in_flight"] == 1


def test_bad_input_names_the_field_and_writes_nothing(zone, fleet):
    _user, client = signed_in(zone, "careless")
    cases = [
        ({"kind": "llm", "inputs": {"prompt": ""}}, "inputs.prompt"),
        ({"kind": "embedding", "inputs": {"texts": ["ok", 3]}}, "inputs.texts[1]"),
        ({"kind": "stt", "inputs": {"media": "../etc/passwd"}}, "inputs.media"),
        ({"kind": "llm", "inputs": {"messages": [{"role": "robot", "content": "x"}]}}, "inputs.messages[0].role"),
        ({"kind": "vision", "inputs": {}}, "kind"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/inference/jobs/", body, content_type="application/json")
        assert response.status_code == 400, response.content
        assert field in response.content.decode(), (field, response.content)
    with zone.context():
        assert not InferenceJob.objects.exists()
