"""The drama coach: a learner records one character's lines; the real CPU transcriber hears
them; each line's accuracy, the pacing (words a minute, pauses) and the scene feedback come
back, the feedback from the fleet's LLM with the script as its context."""

from __future__ import annotations

import pytest

from .conftest import espeak, needs_espeak, signed_in, upload, wait_for_take

pytestmark = needs_espeak

LINES = [
    {"character": "Jiwoo", "text": "Good morning everyone.", "direction": "bright"},
    {"character": "Minho", "text": "You are late again.", "direction": "annoyed"},
    {"character": "Jiwoo", "text": "Thank you for coming today.", "direction": "warm"},
]


def _scene(t) -> int:
    from apps.kzone import services

    with t.context():
        return services.save_scene(actor=None, title="Morning", language="en", lines=LINES).pk


def _hand_in(client, scene: int, audio: bytes, character: str = "Jiwoo", **extra):
    key = upload(client, "drama", scene, audio)
    return client.post(
        "/api/v1/kzone/drama/scene-analysis",
        {"scene": scene, "character": character, "media_key": key, **extra},
        content_type="application/json",
    )


def test_line_accuracy_pacing_and_rule_feedback_on_the_cpu(live_tenant, celery_worker):
    t = live_tenant("zone")
    _student, client = signed_in(t, "actor", "student")
    scene = _scene(t)
    # Jiwoo's two lines, the second one cut short, with a long pause between them.
    audio = espeak("Good morning everyone. <break time='1500ms'/> Thank you for coming.")
    response = _hand_in(client, scene, audio, language="en")
    assert response.status_code == 202, response.content
    take = wait_for_take(t, response.json()["id"], timeout=90)
    assert take.status == "succeeded", take.error
    lines = take.result["lines"]
    assert [line["order"] for line in lines] == [1, 3]
    assert lines[0]["accuracy"] == 1.0
    assert 0.5 <= lines[1]["accuracy"] < 1.0 and "today" in lines[1]["missed"]
    timing = take.result["comparison"]["timing"]
    assert timing["words_per_minute"] and 60 < timing["words_per_minute"] < 260
    assert timing["longest_pause"] >= 0.6
    assert take.result["feedback"]["source"] == "rule_based"
    assert "Line 3" in take.result["feedback"]["text"]
    assert take.score is not None and 40 < take.score < 100


def test_scene_feedback_comes_from_the_llm_with_the_script_as_context(live_tenant, fleet, celery_worker):
    t = live_tenant("zone")
    fleet("llm", "gpu-a")
    fleet.servers["gpu-a"].control(reply="Line 1: lift the energy. Line 3: let the warmth show.")
    _student, client = signed_in(t, "actor2", "student")
    scene = _scene(t)
    take = wait_for_take(
        t,
        _hand_in(client, scene, espeak("Good morning everyone. Thank you for coming today.")).json()["id"],
        timeout=90,
    )
    assert take.status == "succeeded", take.error
    assert take.result["feedback"] == {
        **take.result["feedback"],
        "source": "llm",
        "text": "Line 1: lift the energy. Line 3: let the warmth show.",
    }
    from apps.inference.jobs.models import InferenceJob

    with t.context():
        prompt = InferenceJob.objects.get(pk=take.jobs["llm"]).inputs["messages"][1]["content"]
    assert "2. Minho: You are late again. (annoyed)" in prompt and "Character played: Jiwoo" in prompt


@pytest.mark.django_db
def test_a_character_the_scene_does_not_have_is_refused_and_nothing_is_written(tenants, member):
    t = tenants["zone"]
    _user, client = member("zone", "student")
    with t.context():
        from apps.kzone import services
        from apps.kzone.models import Take

        scene = services.save_scene(actor=None, title="Morning", language="en", lines=LINES).pk
    response = client.post(
        "/api/v1/kzone/drama/scene-analysis",
        {"scene": scene, "character": "Nobody", "media_key": "kzone/audio/x"},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["codes"]["character"] == ["does_not_exist"]
    with t.context():
        assert not Take.objects.exists()
