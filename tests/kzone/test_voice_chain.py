"""The voice tutor end to end: a direct upload (presigned PUT through apps.media), the API,
the after-commit chain on a real Celery worker (the real CPU transcriber, then feedback),
and the learner's websocket; nobody else — not a classmate, not the same user id in another
zone — hears the take or reads it."""

from __future__ import annotations

from channels.db import database_sync_to_async

from tests.websocket import open_socket

from .conftest import SENTENCE, cookie, espeak, needs_espeak, signed_in, upload, wait_for_take

pytestmark = needs_espeak


def _line(t, text: str = SENTENCE, language: str = "en") -> int:
    from apps.kzone import services

    with t.context():
        return services.save_voice_line(actor=None, title="Greeting", kind="phrase", text=text, language=language).pk


@needs_espeak
async def test_a_voice_take_runs_the_chain_and_only_its_learner_hears_it(live_tenant, celery_worker):
    a, b = await database_sync_to_async(live_tenant)("zone"), await database_sync_to_async(live_tenant)("zone")
    student, client = await database_sync_to_async(signed_in)(a, "singer", "student")
    _classmate, classmate_client = await database_sync_to_async(signed_in)(a, "classmate", "student")
    stranger, stranger_client = await database_sync_to_async(signed_in)(b, "singer", "student")
    assert stranger.pk == student.pk  # the same id in another zone
    line = await database_sync_to_async(_line)(a)

    mine, ok1 = await open_socket(a.domain, "/ws/kzone/", cookie=cookie(client))
    theirs, ok2 = await open_socket(a.domain, "/ws/kzone/", cookie=cookie(classmate_client))
    other_zone, ok3 = await open_socket(b.domain, "/ws/kzone/", cookie=cookie(stranger_client))
    assert ok1 and ok2 and ok3
    for socket in (mine, theirs, other_zone):
        assert (await socket.receive_json_from(timeout=5)) == {"type": "takes", "takes": []}
    crossing, _ = await open_socket(b.domain, "/ws/kzone/", cookie=cookie(client))
    assert (await crossing.receive_output(timeout=5))["code"] == 4401

    key = await database_sync_to_async(upload)(client, "voice", line, espeak())
    response = await database_sync_to_async(client.post)(
        "/api/v1/kzone/voice/analyze",
        {"line": line, "media_key": key, "language": "en"},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    take_id = response.json()["id"]
    assert response.json()["status"] == "queued"

    seen = []
    while True:
        event = await mine.receive_json_from(timeout=90)
        assert event["type"] == "take" and event["take"] == take_id
        seen.append((event["status"], event["stage"], event["progress"]))
        if event["status"] in ("succeeded", "failed", "cancelled"):
            break
    assert event["status"] == "succeeded", event["error"]
    progress = [p for _s, _st, p in seen]
    assert progress == sorted(progress) and progress[-1] == 100 and len(set(progress)) >= 3
    assert {"stt", "feedback", "done"} <= {stage for _s, stage, _p in seen}
    result = event["result"]
    assert result["stt"]["backend"] == "cpu:faster-whisper-tiny.en" and result["stt"]["english_only"] is True
    assert result["comparison"]["cer"] <= 0.10 and event["score"] >= 90
    assert (
        result["feedback"]["source"] == "rule_based"
        and "not written by a language model" in result["feedback"]["backend_label"]
    )
    for socket in (theirs, other_zone):
        assert await socket.receive_nothing(timeout=0.5)

    # REST: the learner reads it with its feedback; a classmate and the other zone get a 404
    read = await database_sync_to_async(client.get)(f"/api/v1/kzone/takes/{take_id}/")
    assert read.status_code == 200 and read.json()["feedback"]["source"] == "rule_based"
    assert read.json()["score"] == event["score"]
    assert (await database_sync_to_async(classmate_client.get)(f"/api/v1/kzone/takes/{take_id}/")).status_code == 404
    assert (await database_sync_to_async(stranger_client.get)(f"/api/v1/kzone/takes/{take_id}/")).status_code == 404
    listed = await database_sync_to_async(classmate_client.get)("/api/v1/kzone/takes/")
    assert listed.json()["results"] == [] if "results" in listed.json() else listed.json() == []
    # the learner's key cannot be handed in by the classmate (it names its owner)
    stolen = await database_sync_to_async(classmate_client.post)(
        "/api/v1/kzone/voice/analyze", {"line": line, "media_key": key}, content_type="application/json"
    )
    assert stolen.status_code == 400 and stolen.json()["codes"]["media_key"] == ["does_not_exist"]
    for socket in (mine, theirs, other_zone):
        await socket.disconnect()


def test_cancelling_a_take_stops_its_chain_and_stores_no_result(live_tenant, fleet, celery_worker):
    t = live_tenant("zone")
    fleet("stt", "gpu-a")
    fleet.servers["gpu-a"].control(latency_ms=4000, transcript=SENTENCE)
    _student, client = signed_in(t, "canceller", "student")
    line = _line(t)
    key = upload(client, "voice", line, espeak())
    take_id = client.post(
        "/api/v1/kzone/voice/analyze", {"line": line, "media_key": key}, content_type="application/json"
    ).json()["id"]
    wait_for_take(t, take_id, "running")
    cancelled = client.post(f"/api/v1/kzone/takes/{take_id}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    import time

    time.sleep(6)  # the sandbox answers meanwhile: nothing may be stored for the take
    take = wait_for_take(t, take_id)
    assert take.status == "cancelled" and take.score is None and "feedback" not in (take.result or {})
    from apps.inference.jobs.models import InferenceJob

    with t.context():
        job = InferenceJob.objects.get(pk=take.jobs.get("stt") or InferenceJob.objects.latest("pk").pk)
        assert job.status == "cancelled" or job.cancel_requested


def test_llm_feedback_through_the_fleet_in_the_learners_language(live_tenant, fleet, celery_worker):
    t = live_tenant("zone")
    fleet("llm", "gpu-a")
    fleet.servers["gpu-a"].control(reply="‘brighter’의 r 발음을 연습하세요. 리듬은 좋아요.")
    _student, client = signed_in(t, "learner", "student")
    line = _line(t)
    key = upload(client, "voice", line, espeak())
    response = client.post(
        "/api/v1/kzone/voice/analyze",
        {"line": line, "media_key": key, "language": "ko"},
        content_type="application/json",
    )
    take = wait_for_take(t, response.json()["id"], timeout=90)
    assert take.status == "succeeded", take.error
    feedback = take.result["feedback"]
    assert feedback["source"] == "llm" and feedback["backend"] == "server:gpu-a-llm"
    assert feedback["text"].startswith("‘brighter’의 r 발음")
    from apps.inference.jobs.models import InferenceJob

    with t.context():
        job = InferenceJob.objects.get(pk=take.jobs["llm"])
    system, user = job.inputs["messages"]
    assert "Korean" in system["content"] and SENTENCE in user["content"] and "<take>" in user["content"]
