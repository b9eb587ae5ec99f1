"""The problems pages on the zone's host, through the test client."""

from __future__ import annotations

import pytest

from apps.problems.models import Problem, Review, Submission

from .conftest import CHOICE, ESSAY

pytestmark = pytest.mark.django_db


def test_a_teacher_writes_an_essay_with_its_rubric_on_the_form(member, tenants):
    _user, teacher = member("zone", "teacher")
    form = {
        "kind": "essay",
        "status": "published",
        "title": "증발",
        "topic": "과학",
        "tags": "물, 상태변화",
        "statement": "**증발**을 설명하시오. <script>alert(1)</script>",
        "rubric": "정의 | 5 | 액체, 기체\n예시 | 5 | 빨래|젖은",
    }
    response = teacher.post("/problems/new/", form)
    assert response.status_code == 302
    with tenants["zone"].context():
        problem = Problem.objects.get(title="증발")
    assert problem.rubric == [
        {"id": "c1", "criterion": "정의", "points": 5, "keywords": ["액체", "기체"]},
        {"id": "c2", "criterion": "예시", "points": 5, "keywords": ["빨래|젖은"]},
    ]
    assert problem.tags == ["물", "상태변화"]
    page = teacher.get(f"/problems/{problem.pk}/").content.decode()
    assert "<strong>증발</strong>" in page and "<script>alert(1)</script>" not in page  # Markdown, no raw HTML
    bad = teacher.post("/problems/new/", {**form, "title": "x", "rubric": "정의 - 5점"})
    assert bad.status_code == 400
    assert "rubric: " in bad.content.decode()  # the message names the field and the line
    with tenants["zone"].context():
        assert not Problem.objects.filter(title="x").exists()


def test_a_student_solves_a_choice_problem_and_sees_the_result(member, tenants):
    from apps.problems import services

    with tenants["zone"].context():
        problem = services.create_problem(actor=None, **CHOICE)
    student_user, student = member("zone", "student")
    page = student.get(f"/problems/{problem.pk}/").content.decode()
    assert "서울" in page and 'name="choice"' in page
    response = student.post(f"/problems/{problem.pk}/", {"choice": "1", "idempotency_key": "a1"})
    assert response.status_code == 302
    result = student.get(response.url).content.decode()
    assert "5 / 5" in result
    # a double-click posts the same key: one submission
    student.post(f"/problems/{problem.pk}/", {"choice": "1", "idempotency_key": "a1"})
    with tenants["zone"].context():
        assert Submission.objects.filter(student=student_user).count() == 1
    listing = student.get("/problems/").content.decode()
    assert "my-progress" in listing and "100%" in listing


def test_another_students_submission_page_is_a_404_and_a_teacher_overrides_there(member, tenants):
    from apps.problems import feedback, services

    with tenants["zone"].context():
        problem = services.create_problem(actor=None, **ESSAY)
    alice_user, _alice = member("zone", "student")
    _bob, bob = member("zone", "student")
    _teacher, teacher = member("zone", "zone_admin")
    with tenants["zone"].context():
        submission = services.submit(problem, actor=alice_user, answer_text="빛과 물과 산소")
        feedback.write(submission.pk, 1)
    assert bob.get(f"/problems/submissions/{submission.pk}/").status_code == 404
    page = teacher.get(f"/problems/submissions/{submission.pk}/").content.decode()
    assert "not an AI model" in page or "AI 모델" in page
    queue = teacher.get("/problems/review/").content.decode()
    assert f"/problems/submissions/{submission.pk}/" in queue
    saved = teacher.post(
        f"/problems/submissions/{submission.pk}/",
        {"action": "review", "criterion_c1": "4", "criterion_c2": "3", "score": "7", "comment": "좋아요"},
    )
    assert saved.status_code == 302
    with tenants["zone"].context():
        assert Review.objects.get(submission=submission).score == 7
    assert f"/problems/submissions/{submission.pk}/" not in teacher.get("/problems/review/").content.decode()
