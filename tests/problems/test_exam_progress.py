"""Progress per topic from finished exams too (learning's attempt-finished hook): the
scored answers of a CAT on items of a content area count in that topic's progress."""

from __future__ import annotations

import io

import pytest

from apps.learning.models import Attempt, Response
from apps.learning.services import exams as exam_svc
from apps.problems import services
from apps.problems.models import Progress
from tests.learning.conftest import bank, people, zone  # noqa: F401  (fixtures)
from tests.learning.test_attempts import take_to_the_end

from .conftest import CHOICE

pytestmark = pytest.mark.django_db


def _cat(bank, areas, *, se_target=0.1, min_length=6, max_length=6, title="진단"):  # noqa: F811
    """A published CAT over a fresh bank of 10 items per content area."""
    bank(10 * len(areas), areas=areas)
    settings = {"se_target": se_target, "min_length": min_length, "max_length": max_length}
    return exam_svc.publish(exam_svc.create_exam(title=title, kind="adaptive", cat_settings=settings))


def test_a_finished_cat_feeds_progress_per_content_area(zone, bank, people, django_capture_on_commit_callbacks):  # noqa: F811
    exam = _cat(bank, ("대수", "기하"), se_target=0.45, min_length=6, max_length=10, title="수학 진단")
    student, client = people.student(people.org())
    # a problem on the same topic as one content area: both sources count
    services.submit(services.create_problem(actor=None, **{**CHOICE, "topic": "대수"}), actor=student.user, choice=1)
    with django_capture_on_commit_callbacks(execute=True):  # the recompute follows the commit
        attempt_id, _seen = take_to_the_end(client, exam, right=lambda item: item["position"] % 2 == 0)
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.status == "submitted"

    for area in ("대수", "기하"):
        answers = Response.objects.filter(attempt=attempt, scored=True, item__area=area)
        answered, correct = answers.count(), answers.filter(correct=True).count()
        if not answered:
            continue
        row = Progress.objects.get(student=student.user, topic=area)
        assert (row.exam_answered, row.exam_correct) == (answered, correct)
        problem_share = [1.0] if area == "대수" else []  # the choice answer was right: 5 of 5
        shares = [*problem_share, correct / answered]
        assert row.mastery == round(100 * sum(shares) / len(shares))
    # the student reads it over the API
    topics = {row["topic"]: row for row in client.get("/api/v1/progress/").json()["results"]}
    assert topics["대수"]["points"] == 5 and topics["대수"]["exam_answered"] > 0


def test_an_exams_areas_are_recomputed_in_a_fixed_number_of_queries(zone, bank, people, django_assert_num_queries):  # noqa: F811
    """A finish recomputes every content area the exam touched: the same queries for one
    area as for four, and each area's row as recomputing it alone gives."""
    areas = ("대수", "기하", "확률", "통계")
    bank(40, areas=areas)
    exam = exam_svc.publish(
        exam_svc.create_exam(
            title="수학 진단", kind="adaptive", cat_settings={"se_target": 0.1, "min_length": 12, "max_length": 12}
        )
    )
    student, client = people.student(people.org())
    for topic in ("대수", "통계"):
        services.submit(services.create_problem(actor=None, **{**CHOICE, "topic": topic}), actor=student.user, choice=1)
    take_to_the_end(client, exam, right=lambda item: item["position"] % 3 == 0)
    user = student.user_id
    with django_assert_num_queries(6) as one:
        services.recompute_topics(user, ["대수"])
    with django_assert_num_queries(len(one.captured_queries)):
        together = services.recompute_topics(user, list(areas))
    fields = services.PROGRESS_FIELDS
    for area in areas:
        alone = services.recompute_progress(user, area)
        assert [getattr(together[area], f) for f in fields] == [getattr(alone, f) for f in fields]
    assert together["대수"].points == together["통계"].points == 5 and together["기하"].points == 0
    assert sum(together[a].exam_answered for a in areas) == 12


def test_the_recompute_waits_for_the_finish_to_commit_and_is_lost_with_a_rollback(zone, bank, people):  # noqa: F811
    """The exam's last answer does not wait for the progress recompute: it follows the
    commit (apps.core.afterwork), so a finish whose transaction never commits — here the
    test's own, whose on_commit callbacks never run — leaves no exam progress."""
    exam = _cat(bank, ("대수", "기하"), se_target=0.1, min_length=6, max_length=6, title="진단")
    student, client = people.student(people.org())
    attempt_id, _seen = take_to_the_end(client, exam)
    assert Attempt.objects.get(pk=attempt_id).status == "submitted"
    assert not Progress.objects.filter(student=student.user).exists()


def test_deferred_recomputes_of_several_students_run_together(zone, bank, people):  # noqa: F811
    exam = _cat(bank, ("대수", "기하", "확률"), se_target=0.1, min_length=6, max_length=6, title="진단")
    org = people.org()
    finished = {}
    for n in range(2):
        student, client = people.student(org)
        finished[student.user_id], _seen = take_to_the_end(
            client, exam, right=lambda item, n=n: item["position"] % 2 == n
        )
    services.progress_after_exams(list(finished.values()))
    for user, attempt_id in finished.items():
        answers = Response.objects.filter(attempt_id=attempt_id, scored=True)
        rows = {p.topic: p for p in Progress.objects.filter(student_id=user)}
        assert set(rows) == set(answers.values_list("item__area", flat=True))
        for topic, row in rows.items():
            mine = answers.filter(item__area=topic)
            assert (row.exam_answered, row.exam_correct) == (mine.count(), mine.filter(correct=True).count())


def test_recompute_progress_command_repairs_every_students_rows(zone, bank, people):  # noqa: F811
    """The repair for a recompute lost with its process: rows missing or wrong come back as
    recomputing them gives, for problems and exams alike."""
    from django.core.management import call_command

    exam = _cat(bank, ("대수", "기하"), se_target=0.1, min_length=6, max_length=6, title="진단")
    student, client = people.student(people.org())
    services.submit(services.create_problem(actor=None, **{**CHOICE, "topic": "확률"}), actor=student.user, choice=1)
    take_to_the_end(client, exam)  # its recompute never ran (no commit): the exam's rows are missing
    fields = services.PROGRESS_FIELDS
    Progress.objects.filter(student=student.user, topic="확률").update(points=0, mastery=0)  # and one is wrong
    call_command("recompute_progress", schema=zone.schema, stdout=io.StringIO())
    rows = {p.topic: [getattr(p, f) for f in fields] for p in Progress.objects.filter(student=student.user)}
    areas = set(Response.objects.filter(attempt__student=student, scored=True).values_list("item__area", flat=True))
    assert set(rows) == {"확률", *areas}
    for topic in rows:
        alone = services.recompute_progress(student.user_id, topic)
        assert rows[topic] == [getattr(alone, f) for f in fields]
    assert rows["확률"][fields.index("points")] == 5
