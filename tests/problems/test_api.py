"""The problems API on the zone's host: roles, scopes, the AI rate limit, errors."""

from __future__ import annotations

import pytest

from apps.problems.models import Submission

from .conftest import CHOICE, ESSAY

pytestmark = pytest.mark.django_db


def _problem(tenants, base, **changes):
    from apps.problems import services

    with tenants["zone"].context():
        return services.create_problem(actor=None, **{**base, **changes})


def test_a_teacher_writes_a_problem_and_a_student_reads_it_without_its_key(member, tenants):
    _teacher, teacher = member("zone", "teacher")
    _student, student = member("zone", "student")
    body = {**ESSAY, "status": "published"}
    created = teacher.post("/api/v1/problems/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["rubric"][0]["keywords"] == ["이산화탄소|CO2", "물", "빛"]
    seen = student.get(f"/api/v1/problems/{created.json()['id']}/").json()
    assert seen["rubric"] == [
        {"id": "c1", "criterion": "광합성의 재료", "points": 4},
        {"id": "c2", "criterion": "산물", "points": 6},
    ]
    assert "correct_choice" not in seen and "accepted_answers" not in seen
    # drafts are the teachers' only
    draft = teacher.post("/api/v1/problems/", {**CHOICE, "status": "draft"}, content_type="application/json").json()
    assert student.get(f"/api/v1/problems/{draft['id']}/").status_code == 404
    assert teacher.get(f"/api/v1/problems/{draft['id']}/").status_code == 200
    # a student cannot write problems
    assert student.post("/api/v1/problems/", body, content_type="application/json").status_code == 403


def test_a_bad_problem_is_a_400_naming_the_field(member):
    _teacher, teacher = member("zone", "teacher")
    response = teacher.post("/api/v1/problems/", {**CHOICE, "correct_choice": 5}, content_type="application/json")
    assert response.status_code == 400
    assert "correct_choice" in str(response.json())
    response = teacher.post(
        "/api/v1/problems/",
        {**ESSAY, "rubric": [{"criterion": "x", "points": 3}, {"criterion": "", "points": 3}]},
        content_type="application/json",
    )
    assert response.status_code == 400 and "rubric" in str(response.json())


def test_submitting_grades_a_choice_at_once_and_queues_an_essay(member, tenants):
    student_user, student = member("zone", "student")
    choice, essay = _problem(tenants, CHOICE), _problem(tenants, ESSAY)
    graded = student.post(f"/api/v1/problems/{choice.pk}/submit/", {"choice": 1}, content_type="application/json")
    assert graded.status_code == 201
    assert (graded.json()["status"], graded.json()["score"], graded.json()["feedback"][0]["source"]) == (
        "graded",
        5,
        "key",
    )
    pending = student.post(
        f"/api/v1/problems/{essay.pk}/submit/", {"answer_text": "빛과 물"}, content_type="application/json"
    )
    assert pending.status_code == 201 and pending.json()["status"] == "pending"
    bad = student.post(f"/api/v1/problems/{choice.pk}/submit/", {"choice": 9}, content_type="application/json")
    assert bad.status_code == 400 and "choice" in str(bad.json())
    with tenants["zone"].context():
        assert Submission.objects.filter(student=student_user).count() == 2


def test_ai_requests_are_limited_to_ten_a_minute_per_user_and_answers_by_key_are_not(member, tenants):
    _user, student = member("zone", "student")
    _other, neighbour = member("zone", "student")
    choice, essay = _problem(tenants, CHOICE), _problem(tenants, ESSAY)
    for _ in range(12):
        response = student.post(f"/api/v1/problems/{choice.pk}/submit/", {"choice": 1}, content_type="application/json")
        assert response.status_code == 201  # not AI: no limit but the general API one
    codes = [
        student.post(
            f"/api/v1/problems/{essay.pk}/submit/", {"answer_text": f"답 {i}"}, content_type="application/json"
        ).status_code
        for i in range(11)
    ]
    assert codes == [201] * 10 + [429]
    url = f"/api/v1/problems/{essay.pk}/submit/"
    limited = student.post(url, {"answer_text": "x"}, content_type="application/json")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    # the limit is per user
    ok = neighbour.post(f"/api/v1/problems/{essay.pk}/submit/", {"answer_text": "x"}, content_type="application/json")
    assert ok.status_code == 201


def test_a_student_sees_only_their_own_submissions_and_progress(member, tenants):
    alice_user, alice = member("zone", "student")
    _bob_user, bob = member("zone", "student")
    choice = _problem(tenants, CHOICE)
    mine = alice.post(f"/api/v1/problems/{choice.pk}/submit/", {"choice": 1}, content_type="application/json").json()
    bob.post(f"/api/v1/problems/{choice.pk}/submit/", {"choice": 0}, content_type="application/json")
    assert [row["id"] for row in alice.get("/api/v1/submissions/").json()["results"]] == [mine["id"]]
    assert bob.get(f"/api/v1/submissions/{mine['id']}/").status_code == 404
    review = bob.post(f"/api/v1/submissions/{mine['id']}/review/", {"score": 5}, content_type="application/json")
    assert review.status_code in (403, 404)
    progress = alice.get("/api/v1/progress/").json()["results"]
    assert [(row["student"], row["topic"], row["mastery"]) for row in progress] == [(alice_user.pk, "사회", 100)]
    assert all(row["student"] != alice_user.pk for row in bob.get("/api/v1/progress/").json()["results"])


def test_a_teacher_overrides_through_the_api_and_a_student_cannot(member, tenants):
    from apps.problems import feedback

    _student_user, student = member("zone", "student")
    _teacher_user, teacher = member("zone", "zone_admin")
    essay = _problem(tenants, ESSAY)
    sub = student.post(f"/api/v1/problems/{essay.pk}/submit/", {"answer_text": "빛"}, content_type="application/json")
    with tenants["zone"].context():
        feedback.write(sub.json()["id"], 1)
    url = f"/api/v1/submissions/{sub.json()['id']}/review/"
    assert student.post(url, {"score": 10}, content_type="application/json").status_code == 403
    too_high = teacher.post(url, {"score": 11}, content_type="application/json")
    assert too_high.status_code == 400 and "score" in str(too_high.json())
    done = teacher.post(url, {"score": 8, "comment": "좋아요"}, content_type="application/json")
    assert done.status_code == 200
    body = done.json()
    assert (body["score"], body["graded_by"], body["reviewed"], body["reviews"][0]["previous_score"]) == (
        8,
        "teacher",
        True,
        1,
    )
    queue = teacher.get("/api/v1/submissions/?reviewed=false").json()["results"]
    assert body["id"] not in [row["id"] for row in queue]


def test_another_tenants_session_reaches_nothing_here(member, tenants):
    _user, student = member("zone", "student")
    choice = _problem(tenants, CHOICE)
    sub = student.post(f"/api/v1/problems/{choice.pk}/submit/", {"choice": 1}, content_type="application/json").json()
    # the same session cookie sent to an academy's host
    foreign = tenants["academy"].client()
    foreign.cookies = student.cookies
    assert foreign.get(f"/api/v1/submissions/{sub['id']}/").status_code in (401, 403, 404)


def test_asking_for_feedback_again_is_the_students_or_a_reviewers_and_is_rate_limited(member, tenants):
    from apps.problems import feedback

    _alice_user, alice = member("zone", "student")
    _bob_user, bob = member("zone", "student")
    essay = _problem(tenants, ESSAY)
    sub = alice.post(f"/api/v1/problems/{essay.pk}/submit/", {"answer_text": "빛"}, content_type="application/json")
    url = f"/api/v1/submissions/{sub.json()['id']}/feedback/"
    pending = alice.post(url)
    assert pending.status_code == 400 and "submission" in str(pending.json())  # still being written
    with tenants["zone"].context():
        feedback.write(sub.json()["id"], 1)
    assert bob.post(url).status_code == 404
    again = alice.post(url)
    assert again.status_code == 202 and again.json()["status"] == "pending"
    with tenants["zone"].context():
        assert Submission.objects.get(pk=sub.json()["id"]).feedback_round == 2
        feedback.write(sub.json()["id"], 2)
    # 1 submission + 2 requests so far (the refused one counted too); 7 more fill the 10
    codes = []
    for _ in range(8):
        with tenants["zone"].context():
            row = Submission.objects.get(pk=sub.json()["id"])
            feedback.write(row.pk, row.feedback_round)
        codes.append(alice.post(url).status_code)
    assert codes == [202] * 7 + [429]
