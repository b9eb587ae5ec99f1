"""Leaderboards in Redis sorted sets (issue 14, item 6): per exam and zone, all-time and
weekly, best scaled score, names by nickname; the rebuild command gives the same boards
from the database; another zone's boards are separate."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_redis import get_redis_connection

from apps.learning.services import attempts, leaderboards
from apps.learning.services import exams as exam_svc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_boards(tenants):
    def clean():
        redis = get_redis_connection("default")
        for key in ("zone", "zone_b"):
            found = list(redis.scan_iter(match=leaderboards.key("*", "*", tenants[key].schema)))
            if found:
                redis.delete(*found)

    clean()
    yield
    clean()


def finish(exam, student, right: bool):
    step, _ = attempts.start(exam, student, actor=student.user)
    while step.item is not None:
        step = attempts.answer(step.attempt, item_id=step.item["id"], answer="2" if right else "1", actor=student.user)
    return step.attempt


def test_best_scores_by_nickname_and_the_rebuild_agrees(zone, bank, people, django_capture_on_commit_callbacks):
    bank(20)
    exam = exam_svc.publish(
        exam_svc.create_exam(title="리그", kind="adaptive", cat_settings={"se_target": None, "max_length": 5})
    )
    strong, strong_client = people.student(nickname="수학왕")
    weak, _ = people.student(name="이약함")
    with django_capture_on_commit_callbacks(execute=True):
        first = finish(exam, strong, right=True)
        finish(exam, weak, right=False)
        finish(exam, strong, right=False)  # a worse second try does not lower the best
    board = leaderboards.top(f"exam.{exam.pk}")
    assert [row["name"] for row in board] == ["수학왕", "이○○"]
    assert board[0]["score"] == first.scaled_score
    week = leaderboards.top("zone", leaderboards.week_of(first.finished_at))
    assert [row["student"] for row in week] == [strong.pk, weak.pk]

    response = strong_client.get(f"/api/v1/leaderboards/?exam={exam.pk}&period=week")
    assert response.status_code == 200 and response.json()["rows"][0]["name"] == "수학왕"
    assert strong_client.get("/api/v1/leaderboards/?period=year").status_code == 400

    redis = get_redis_connection("default")
    pattern = leaderboards.key("*", "*")
    before = {k: redis.zrange(k, 0, -1, withscores=True) for k in redis.scan_iter(match=pattern)}
    redis.delete(*before)
    call_command("rebuild_leaderboards", "--schema", zone.schema)
    after = {k: redis.zrange(k, 0, -1, withscores=True) for k in redis.scan_iter(match=pattern)}
    assert after == before and len(after) == 4  # zone and exam, all-time and this week


def test_zones_have_their_own_boards(tenants, bank, people, django_capture_on_commit_callbacks):
    with tenants["zone"].context():
        bank(10)
        exam = exam_svc.publish(
            exam_svc.create_exam(title="A", kind="adaptive", cat_settings={"min_length": 1, "max_length": 3})
        )
        student, _ = people.student(nickname="에이")
        with django_capture_on_commit_callbacks(execute=True):
            finish(exam, student, right=True)
        assert leaderboards.top("zone")
    with tenants["zone_b"].context():
        assert leaderboards.top("zone") == []
