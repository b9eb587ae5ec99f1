"""Attempts end to end through the API (issue 14, item 4): start, answer to the end, the
report; resume after a lost connection; the server-side timer; one active attempt; answers
immutable; every event in the ledger and the audit log; nothing crosses students, classes
or zones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.learning.models import Attempt, Exam, Response
from apps.learning.services import exams as exam_svc
from apps.learning.services import people as people_svc
from apps.ledger.models import Event

pytestmark = pytest.mark.django_db


def post(client, path, data=None):
    return client.post(path, data or {}, content_type="application/json")


@pytest.fixture
def cat_exam(zone, bank):
    bank(40)
    exam = exam_svc.create_exam(
        title="수학 적응형 진단",
        kind="adaptive",
        cat_settings={"se_target": 0.45, "min_length": 5, "max_length": 12},
    )
    return exam_svc.publish(exam)


def take_to_the_end(client, exam, *, right=lambda item: True):
    response = post(client, f"/api/v1/exams/{exam.pk}/start/")
    assert response.status_code == 201, response.content
    body = response.json()
    attempt_id, seen = body["attempt"]["id"], []
    while not body["finished"]:
        item = body["item"]
        assert "key" not in item and item["stem_html"].startswith("<p>")
        seen.append(item["id"])
        body = post(
            client,
            f"/api/v1/attempts/{attempt_id}/answer/",
            {"item": item["id"], "answer": "2" if right(item) else "1"},
        ).json()
        assert "attempt" in body, body
    return attempt_id, seen


def test_adaptive_exam_from_start_to_report(cat_exam, people):
    _student, client = people.student(people.org())
    attempt_id, seen = take_to_the_end(client, cat_exam, right=lambda item: item["position"] % 3 != 0)
    assert len(seen) == len(set(seen)), "an item was given twice"
    assert 5 <= len(seen) <= 12

    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.status == "submitted" and attempt.stop_reason in ("se", "max_length")
    assert attempt.n_answered == len(seen) == Response.objects.filter(attempt=attempt).count()

    report = client.get(f"/api/v1/attempts/{attempt_id}/report/").json()
    assert report["attempt"]["theta"] == pytest.approx(attempt.theta)
    assert report["attempt"]["se"] < 1.0
    assert report["attempt"]["scaled_score"] == round(100 * attempt.theta + 500)
    assert 0 <= report["attempt"]["percentile"] <= 100
    assert {row["area"] for row in report["areas"]} <= {"대수", "기하"}
    assert [row["item"] for row in report["log"]] == seen
    assert report["log"][-1]["se"] == pytest.approx(attempt.se)

    kinds = list(Event.objects.filter(subject_id=str(attempt_id)).values_list("kind", flat=True))
    assert kinds.count("learning.attempt.answered") == len(seen)
    assert "learning.attempt.started" in kinds and "learning.attempt.submitted" in kinds
    actions = set(AuditEntry.objects.filter(resource_id=str(attempt_id)).values_list("action", flat=True))
    assert {"learning.attempt.started", "learning.attempt.answered", "learning.attempt.submitted"} <= actions


def test_resume_after_a_lost_connection(cat_exam, people):
    _student, client = people.student()
    first = post(client, f"/api/v1/exams/{cat_exam.pk}/start/").json()
    attempt_id, item = first["attempt"]["id"], first["item"]
    second = post(client, f"/api/v1/attempts/{attempt_id}/answer/", {"item": item["id"], "answer": "2"}).json()
    pending = second["item"]

    # The connection drops; the client starts again or asks for the current item.
    again = post(client, f"/api/v1/exams/{cat_exam.pk}/start/")
    assert again.status_code == 200
    assert again.json()["attempt"]["id"] == attempt_id and again.json()["item"] == pending
    assert client.get(f"/api/v1/attempts/{attempt_id}/next/").json()["item"] == pending

    # The item already answered cannot be answered again, nor one not asked.
    response = post(client, f"/api/v1/attempts/{attempt_id}/answer/", {"item": item["id"], "answer": "1"})
    assert response.status_code == 400 and "item" in response.json()["fields"]
    assert Response.objects.get(attempt_id=attempt_id, item_id=item["id"]).answer == "2"
    response = post(client, f"/api/v1/attempts/{attempt_id}/answer/", {"item": pending["id"], "answer": "9"})
    assert response.status_code == 400 and "answer" in response.json()["fields"]
    assert Attempt.objects.get(pk=attempt_id).n_answered == 1


def test_the_state_is_served_from_redis_and_falls_back_to_the_row(cat_exam, people):
    from django.core.cache import cache

    from apps.learning.services import attempts

    student, _client = people.student()
    step, _created = attempts.start(cat_exam, student, actor=student.user)
    attempt = step.attempt
    cache.delete(f"learning:attempt:{attempt.pk}")  # on_commit did not run: rolled-back test
    assert attempts.current(Attempt.objects.defer("state").get(pk=attempt.pk)).item == step.item
    assert cache.get(f"learning:attempt:{attempt.pk}")["version"] == attempt.version
    # A stale copy (older version) is not used.
    cache.set(f"learning:attempt:{attempt.pk}", {"version": 0, "status": "active", "state": {"cat": {}}})
    assert attempts.current(Attempt.objects.get(pk=attempt.pk)).item == step.item


def test_the_redis_copy_follows_the_commit_and_keeps_each_attempts_newest_version(
    cat_exam, people, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from apps.learning.services import attempts

    student, _client = people.student()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        step, _created = attempts.start(cat_exam, student, actor=student.user)
    key = f"learning:attempt:{step.attempt.pk}"
    cache.delete(key)
    for callback in callbacks:
        callback()
    assert cache.get(key)["version"] == step.attempt.version
    # merged copies (the background thread's batch): the newest version wins, whatever the order
    pk = step.attempt.pk
    attempts.write_copies([(pk, 7, "active", {"cat": {"n": 7}}), (pk, 5, "active", {"cat": {"n": 5}})])
    assert cache.get(key) == {"version": 7, "status": "active", "state": {"cat": {"n": 7}}}
    attempts.write_copies([(pk, 8, "submitted", {}), (pk, 6, "active", {"cat": {}})])
    assert cache.get(key) is None  # a finished attempt's copy is dropped


def test_timer_submits_at_the_deadline(zone, bank, people):
    import time_machine

    from apps.learning.tasks import expire_attempt

    bank(20)
    exam = exam_svc.publish(exam_svc.create_exam(title="10분 테스트", kind="adaptive", time_limit_seconds=600))
    _student, client = people.student()
    start = post(client, f"/api/v1/exams/{exam.pk}/start/").json()
    attempt_id = start["attempt"]["id"]
    assert 590 <= start["attempt"]["remaining_seconds"] <= 600

    assert expire_attempt.run(attempt_id) == "active"  # early delivery: nothing happens
    with time_machine.travel(timezone.now() + timedelta(seconds=601)):
        response = post(client, f"/api/v1/attempts/{attempt_id}/answer/", {"item": start["item"]["id"], "answer": "2"})
        assert response.status_code == 400 and "status" in response.json()["fields"]
        attempt = Attempt.objects.get(pk=attempt_id)
        assert attempt.status == "timed_out" and attempt.stop_reason == "time"
        assert expire_attempt.run(attempt_id) == "timed_out"  # the task after the lazy check: idempotent
        assert client.get(f"/api/v1/attempts/{attempt_id}/report/").status_code == 200
    assert Event.objects.filter(kind="learning.attempt.timed_out", subject_id=str(attempt_id)).count() == 1


def test_the_deadline_task_alone_times_out(zone, bank, people):
    import time_machine

    from apps.learning.services import attempts
    from apps.learning.tasks import expire_attempt

    bank(10)
    exam = exam_svc.publish(exam_svc.create_exam(title="t", kind="adaptive", time_limit_seconds=60))
    student, _client = people.student()
    step, _ = attempts.start(exam, student, actor=student.user)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert expire_attempt.run(step.attempt.pk) == "timed_out"


def test_one_active_attempt_per_student_and_exam_in_the_database(cat_exam, people):
    from apps.learning.services import attempts

    student, _client = people.student()
    step, created = attempts.start(cat_exam, student, actor=student.user)
    assert created
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(exam=cat_exam, student=student, started_at=timezone.now(), state=step.attempt.state)
    assert attempts.start(cat_exam, student, actor=student.user)[1] is False


def test_answers_are_immutable_in_the_database(cat_exam, people):
    from django.db import InternalError, ProgrammingError

    _student, client = people.student()
    attempt_id, _seen = take_to_the_end(client, cat_exam)
    response = Response.objects.filter(attempt_id=attempt_id).first()
    for change in (
        lambda: Response.objects.filter(pk=response.pk).update(answer="4"),
        lambda: Response.objects.filter(pk=response.pk).delete(),
    ):
        with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
            change()


def test_submit_early_and_submit_again(cat_exam, people):
    _student, client = people.student()
    start = post(client, f"/api/v1/exams/{cat_exam.pk}/start/").json()
    attempt_id = start["attempt"]["id"]
    post(client, f"/api/v1/attempts/{attempt_id}/answer/", {"item": start["item"]["id"], "answer": "2"})
    first = post(client, f"/api/v1/attempts/{attempt_id}/submit/")
    assert first.status_code == 200 and first.json()["status"] == "submitted"
    assert first.json()["stop_reason"] == "submitted"
    again = post(client, f"/api/v1/attempts/{attempt_id}/submit/")
    assert again.json() == first.json()
    assert Event.objects.filter(kind="learning.attempt.submitted", subject_id=str(attempt_id)).count() == 1
    # A new start is a new attempt.
    assert post(client, f"/api/v1/exams/{cat_exam.pk}/start/").status_code == 201


def test_fixed_form_shuffled_gives_every_item_once(zone, bank, people):
    items = bank(8)
    exam = exam_svc.create_exam(title="모의고사", kind="fixed", order="shuffled")
    exam_svc.set_items(exam, items)
    exam_svc.publish(exam)
    _student, client = people.student()
    attempt_id, seen = take_to_the_end(client, exam, right=lambda item: item["id"] % 2 == 0)
    assert sorted(seen) == sorted(item.pk for item in items)
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.n_correct == sum(1 for pk in seen if pk % 2 == 0)
    assert attempt.stop_reason == "completed"
    report = client.get(f"/api/v1/attempts/{attempt_id}/report/").json()
    assert sum(row["correct"] for row in report["areas"]) == attempt.n_correct


def test_who_sees_an_attempt(cat_exam, people, tenants):
    org = people.org()
    student, client = people.student(org)
    _other_student, other_client = people.student(org)
    teacher, teacher_client = people.teacher(org)
    outsider, outsider_client = people.teacher(org)
    klass = people_svc.create_class(organisation=org, name="1반", teachers=[teacher])
    people_svc.create_class(organisation=org, name="2반", teachers=[outsider])
    people_svc.enroll(klass, student)
    _parent, parent_client = people.parent()
    attempt_id, _seen = take_to_the_end(client, cat_exam)
    report = f"/api/v1/attempts/{attempt_id}/report/"

    assert teacher_client.get(report).status_code == 200
    assert outsider_client.get(report).status_code == 404
    assert other_client.get(report).status_code == 404
    assert other_client.get(f"/api/v1/attempts/{attempt_id}/next/").status_code == 404
    assert parent_client.get(report).status_code == 404
    link = post(parent_client, "/api/v1/links/", {"email": student.user.email}).json()["id"]
    assert parent_client.get(report).status_code == 404  # pending: nothing
    post(client, f"/api/v1/links/{link}/approve/")
    assert parent_client.get(report).status_code == 200
    # Reading is not acting: the teacher and the parent cannot answer or submit.
    assert post(teacher_client, f"/api/v1/attempts/{attempt_id}/submit/").status_code in (400, 403)
    assert post(parent_client, f"/api/v1/attempts/{attempt_id}/submit/").status_code == 403

    dashboard = teacher_client.get("/api/v1/analytics/dashboard/").json()
    assert dashboard["attempts"] == 1 and dashboard["students"] == 1
    assert outsider_client.get("/api/v1/analytics/dashboard/").json()["attempts"] == 0

    with tenants["zone_b"].context():
        _u, zone_b_client = people.teacher(people.org(), key="zone_b")
    assert zone_b_client.get(report).status_code == 404


def test_class_exam_only_for_its_students(zone, bank, people):
    bank(10)
    org = people.org()
    klass = people_svc.create_class(organisation=org, name="심화반")
    inside, inside_client = people.student(org)
    _outside, outside_client = people.student(org)
    people_svc.enroll(klass, inside)
    exam = exam_svc.publish(exam_svc.create_exam(title="심화반 시험", kind="adaptive", klass=klass))
    assert [row["id"] for row in inside_client.get("/api/v1/exams/").json()["results"]] == [exam.pk]
    assert outside_client.get("/api/v1/exams/").json()["results"] == []
    assert post(outside_client, f"/api/v1/exams/{exam.pk}/start/").status_code == 404
    assert post(inside_client, f"/api/v1/exams/{exam.pk}/start/").status_code == 201


def test_draft_exam_cannot_be_started(zone, bank, people):
    bank(5)
    exam = exam_svc.create_exam(title="초안", kind="adaptive")
    _student, client = people.student()
    response = post(client, f"/api/v1/exams/{exam.pk}/start/")
    assert response.status_code == 404
    assert Exam.objects.get(pk=exam.pk).attempts.count() == 0


def test_only_the_student_answers_and_nothing_is_written_otherwise(cat_exam, people):
    org = people.org()
    student, client = people.student(org)
    _other, other_client = people.student(org)
    teacher, teacher_client = people.teacher(org)
    klass = people_svc.create_class(organisation=org, name="3반", teachers=[teacher])
    people_svc.enroll(klass, student)
    start = post(client, f"/api/v1/exams/{cat_exam.pk}/start/").json()
    attempt_id, item = start["attempt"]["id"], start["item"]
    answer = f"/api/v1/attempts/{attempt_id}/answer/"

    # Another student: not in their scope, a 404 like a missing attempt, and audited.
    assert post(other_client, answer, {"item": item["id"], "answer": "2"}).status_code == 404
    assert AuditEntry.objects.filter(action="access.out_of_scope", resource_id=str(attempt_id)).exists()
    # Their teacher reads it but does not act in it.
    assert post(teacher_client, answer, {"item": item["id"], "answer": "2"}).status_code in (400, 403)
    assert post(client, "/api/v1/attempts/999999999/answer/", {"item": 1, "answer": "2"}).status_code == 404
    assert not Response.objects.filter(attempt_id=attempt_id).exists()
    assert Attempt.objects.get(pk=attempt_id).n_answered == 0
    # The student does.
    assert post(client, answer, {"item": item["id"], "answer": "2"}).status_code == 200
    assert Response.objects.filter(attempt_id=attempt_id).count() == 1


def test_an_answer_is_a_few_round_trips(cat_exam, people, django_assert_max_num_queries):
    """The hot path (bench/cat-http): the attempt scoped and locked in one statement, the
    items from the exam's cached bank, the Response, audit, attempt and ledger writes."""
    _student, client = people.student()
    body = post(client, f"/api/v1/exams/{cat_exam.pk}/start/").json()
    attempt_id = body["attempt"]["id"]
    body = post(client, f"/api/v1/attempts/{attempt_id}/answer/", {"item": body["item"]["id"], "answer": "2"}).json()
    with django_assert_max_num_queries(10):
        body = post(
            client, f"/api/v1/attempts/{attempt_id}/answer/", {"item": body["item"]["id"], "answer": "2"}
        ).json()
    assert body["item"] and body["attempt"]["n_answered"] == 2


def test_an_edited_item_is_shown_as_edited(cat_exam, people, django_capture_on_commit_callbacks):
    """The exam's bank (rows and rendered stems) is cached per process; an item's change
    commits a new bank revision and the next request shows it."""
    from apps.learning.models import Item
    from apps.learning.services import items as item_svc

    _student, client = people.student()
    start = post(client, f"/api/v1/exams/{cat_exam.pk}/start/").json()
    attempt_id, item = start["attempt"]["id"], start["item"]
    with django_capture_on_commit_callbacks(execute=True):
        item_svc.update_item(Item.objects.get(pk=item["id"]), stem="**고친** 문제")
    shown = client.get(f"/api/v1/attempts/{attempt_id}/next/").json()["item"]
    assert shown["id"] == item["id"] and shown["stem_html"] == "<p><strong>고친</strong> 문제</p>\n"


def test_the_step_attempt_body_is_the_serializers(zone, bank, people):
    import time_machine

    from apps.learning.api.serializers import AttemptSerializer, attempt_data
    from apps.learning.services import attempts

    bank(12)
    exam = exam_svc.publish(exam_svc.create_exam(title="시간제", kind="adaptive", time_limit_seconds=900))
    student, _client = people.student()
    step, _ = attempts.start(exam, student, actor=student.user)
    with time_machine.travel(timezone.now(), tick=False):
        active = Attempt.objects.select_related("exam", "student").get(pk=step.attempt.pk)
        assert active.deadline is not None and active.theta is not None
        assert attempt_data(active) == AttemptSerializer(active).data
        done = attempts.submit(active, actor=student.user)
        done = Attempt.objects.select_related("exam", "student").get(pk=done.pk)
        assert done.finished_at is not None and done.scaled_score is not None
        assert attempt_data(done) == AttemptSerializer(done).data


def test_the_items_counters_count_each_showing_and_answer(cat_exam, people, django_capture_on_commit_callbacks):
    """Exposure, answer and correct counts (after commit, on the background thread in a
    server; in place under the test's transaction)."""
    from apps.learning.models import Item

    _student, client = people.student()
    with django_capture_on_commit_callbacks(execute=True):
        body = post(client, f"/api/v1/exams/{cat_exam.pk}/start/").json()
    attempt_id, shown = body["attempt"]["id"], [body["item"]["id"]]
    answers = []
    for answer in ("2", "1", "2"):
        with django_capture_on_commit_callbacks(execute=True):
            body = post(client, f"/api/v1/attempts/{attempt_id}/answer/", {"item": shown[-1], "answer": answer}).json()
        answers.append((shown[-1], answer == "2"))
        shown.append(body["item"]["id"])
    counts = {i.pk: (i.exposure_count, i.response_count, i.correct_count) for i in Item.objects.filter(pk__in=shown)}
    expected = dict.fromkeys(shown, (1, 0, 0))
    for pk, right in answers:
        expected[pk] = (1, 1, int(right))
    assert counts == expected


def test_counters_deferred_together_are_added_in_one_statement(zone, bank, django_assert_num_queries):
    from apps.learning.models import Item
    from apps.learning.services.items import add_counts

    a, b, c = bank(3)
    with django_assert_num_queries(1):
        add_counts([(None, False, a.pk), (a.pk, True, b.pk), (b.pk, False, c.pk), (a.pk, False, None)])
    counts = {
        i.pk: (i.exposure_count, i.response_count, i.correct_count)
        for i in Item.objects.filter(pk__in=[a.pk, b.pk, c.pk])
    }
    assert counts == {a.pk: (1, 2, 1), b.pk: (1, 1, 0), c.pk: (1, 0, 0)}


@pytest.mark.parametrize("others", [40, 29])
def test_the_percentile_is_among_the_exams_finished_attempts_once_there_are_thirty(cat_exam, people, others):
    """The percentage of the exam's finished θs below the student's plus half of those
    equal (counted by the database); with fewer than 30 finished, from the CAT prior."""
    from apps.learning.cat import irt

    other, _client = people.student()
    thetas = [-2.0 + 4.0 * i / (others - 1) for i in range(others)]
    now = timezone.now()
    Attempt.objects.bulk_create(
        Attempt(exam=cat_exam, student=other, status=Attempt.Status.SUBMITTED, started_at=now, theta=t, state={})
        for t in thetas
    )
    Attempt.objects.create(exam=cat_exam, student=other, started_at=now, theta=9.0, state={})  # active: not counted
    _student, client = people.student()
    attempt_id, _seen = take_to_the_end(client, cat_exam)
    attempt = Attempt.objects.get(pk=attempt_id)
    theta = attempt.theta
    if others >= 30:
        below = sum(t < theta for t in thetas) + 0.5 * sum(t == theta for t in thetas)
        expected = 100 * below / others
    else:
        expected = 100 * irt.normal_cdf(theta)  # the demo exam's prior N(0, 1)
    assert attempt.percentile == pytest.approx(expected)
