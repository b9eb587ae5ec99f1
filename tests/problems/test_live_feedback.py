"""AI feedback end to end: the API, the after-commit task on a real Celery worker, the
inference fleet's client against the sandbox LLM server, and the student's websocket."""

from __future__ import annotations

import json
import time

from channels.db import database_sync_to_async

from tests.websocket import open_socket

from .conftest import ESSAY, signed_in

GRADED = {
    "criteria": [{"id": "c1", "score": 3, "comment": "재료 셋 중 둘"}, {"id": "c2", "score": 6, "comment": "정확"}],
    "feedback": "산물은 정확합니다. 재료 중 이산화탄소를 빠뜨렸어요.",
}


def _cookie(client) -> str:
    return client.cookies["mc_session"].value


def _problem(t):
    from apps.problems import services

    with t.context():
        return services.create_problem(actor=None, **ESSAY).pk


def _wait(t, submission_id: int, timeout: float = 30):
    from apps.problems.models import Submission

    deadline = time.monotonic() + timeout
    while True:
        with t.context():
            row = Submission.objects.get(pk=submission_id)
            if row.status != "pending":
                return row, list(row.feedback.all())
        assert time.monotonic() < deadline, "feedback never came"
        time.sleep(0.1)


async def test_llm_feedback_through_the_fleet_reaches_the_students_socket_and_no_other(
    live_tenant, fleet, celery_worker
):
    a, b = await database_sync_to_async(live_tenant)("zone"), await database_sync_to_async(live_tenant)("zone")
    await database_sync_to_async(fleet)("llm", "gpu-a")
    fleet.servers["gpu-a"].control(reply=json.dumps(GRADED, ensure_ascii=False), token_delay_ms=5)
    student, client = await database_sync_to_async(signed_in)(a, "solver", "student")
    _classmate, classmate_client = await database_sync_to_async(signed_in)(a, "classmate", "student")
    _teacher, teacher_client = await database_sync_to_async(signed_in)(a, "teacher1", "teacher")
    stranger, stranger_client = await database_sync_to_async(signed_in)(b, "solver", "student")
    assert stranger.pk == student.pk  # the same id in another zone
    problem = await database_sync_to_async(_problem)(a)

    mine, ok1 = await open_socket(a.domain, "/ws/problems/", cookie=_cookie(client))
    theirs, ok2 = await open_socket(a.domain, "/ws/problems/", cookie=_cookie(classmate_client))
    teachers, ok3 = await open_socket(a.domain, "/ws/problems/", cookie=_cookie(teacher_client))
    other_zone, ok4 = await open_socket(b.domain, "/ws/problems/", cookie=_cookie(stranger_client))
    assert ok1 and ok2 and ok3 and ok4
    for socket in (mine, theirs, teachers, other_zone):
        assert (await socket.receive_json_from(timeout=5)) == {"type": "pending", "submissions": []}
    crossing, _ = await open_socket(b.domain, "/ws/problems/", cookie=_cookie(client))
    assert (await crossing.receive_output(timeout=5))["code"] == 4401
    tokens, _ok = await open_socket(a.domain, "/ws/inference/", cookie=_cookie(client))
    assert (await tokens.receive_json_from(timeout=5))["type"] == "jobs"

    response = await database_sync_to_async(client.post)(
        f"/api/v1/problems/{problem}/submit/",
        {"answer_text": "빛과 물을 써서 포도당과 산소를 만든다."},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["status"] == "pending"
    submission_id = response.json()["id"]

    first = await mine.receive_json_from(timeout=10)
    assert (first["type"], first["submission"], first["status"]) == ("submission", submission_id, "pending")
    done = await mine.receive_json_from(timeout=30)
    assert (done["status"], done["score"], done["graded_by"]) == ("graded", 9, "llm")
    assert done["feedback"]["text"] == GRADED["feedback"]
    assert [c["score"] for c in done["feedback"]["criteria"]] == [3, 6]
    assert "gpu-a" in done["feedback"]["backend_label"]
    # the model's text streamed to the student's inference socket while it was written
    streamed = []
    while True:
        message = await tokens.receive_json_from(timeout=10)
        if message["type"] == "token":
            streamed.append(message["text"])
        if message["type"] == "job" and message["status"] == "succeeded":
            break
    assert len(streamed) > 1 and json.loads("".join(streamed)) == GRADED

    row, feedback = await database_sync_to_async(_wait)(a, submission_id)
    assert (row.score, feedback[0].source, feedback[0].backend, feedback[0].job_id is not None) == (
        9,
        "llm",
        "server:gpu-a-llm",
        True,
    )
    for socket in (theirs, teachers, other_zone):
        assert await socket.receive_nothing(timeout=0.5)
    for socket in (mine, theirs, teachers, other_zone, tokens):
        await socket.disconnect()


def test_an_unusable_llm_answer_or_a_failed_fleet_falls_back_to_the_rubric(live_tenant, fleet, celery_worker):
    t = live_tenant("zone")
    fleet("llm", "gpu-a")
    _student, client = signed_in(t, "writer", "student")
    problem = _problem(t)

    def submit(text: str) -> int:
        response = client.post(
            f"/api/v1/problems/{problem}/submit/", {"answer_text": text}, content_type="application/json"
        )
        assert response.status_code == 201
        return response.json()["id"]

    # the sandbox echoes the prompt: not the asked-for JSON
    row, feedback = _wait(t, submit("빛과 물과 CO2로 포도당을 만든다"))
    assert (row.graded_by, row.score, feedback[0].source) == ("rule_based", 7, "rule_based")
    assert "not usable" in feedback[0].note and feedback[0].job_id is not None

    # every model request fails: the fleet's retries, then the rubric
    fleet.servers["gpu-a"].control(down=True)
    row, feedback = _wait(t, submit("빛"), timeout=60)
    assert (row.graded_by, feedback[0].source) == ("rule_based", "rule_based")
    assert feedback[0].note.startswith("LLM servers failed") or "failed" in feedback[0].note
