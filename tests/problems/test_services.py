"""Problems and submissions through the services, in the session zone tenant."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from apps.ledger.models import Event as LedgerEvent
from apps.problems import grading, services
from apps.problems.models import Feedback, Problem, Progress, Review, Submission

from .conftest import CHOICE, ESSAY, SHORT

pytestmark = pytest.mark.django_db


@pytest.fixture
def zone(tenants):
    with tenants["zone"].context():
        yield tenants["zone"]


@pytest.fixture
def people(zone):
    from tests.utils import grant, make_user

    teacher, student = make_user("p_teacher"), make_user("p_student")
    grant(teacher, "teacher")
    grant(student, "student")
    return teacher, student


def test_a_choice_answer_is_graded_at_once_with_its_ledger_event(people, make_problem):
    teacher, student = people
    problem = make_problem(CHOICE, actor=teacher)
    right = services.submit(problem, actor=student, choice=1)
    wrong = services.submit(problem, actor=student, choice=0)
    assert (right.status, right.score, right.graded_by) == ("graded", 5, "key")
    assert (wrong.score, wrong.answer_text) == (0, "부산")
    assert right.feedback.get().source == Feedback.Source.KEY
    kinds = list(LedgerEvent.objects.filter(subject_id=str(right.pk)).values_list("kind", flat=True))
    assert "problem.submitted" in kinds and "problem.feedback.stored" in kinds
    # the latest answer of a problem counts for progress: the wrong one came last
    progress = Progress.objects.get(student=student, topic="사회")
    assert (progress.attempted, progress.solved, progress.points, progress.mastery) == (1, 0, 0, 0)


def test_short_answers_and_progress_per_topic(people, make_problem):
    teacher, student = people
    problem = make_problem(SHORT, actor=teacher)
    services.submit(problem, actor=student, answer_text=" h2o ")
    progress = Progress.objects.get(student=student, topic="화학")
    assert (progress.attempted, progress.solved, progress.points, progress.max_points, progress.mastery) == (
        1,
        1,
        10,
        10,
        100,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "quiz"}, "kind"),
        ({"title": " "}, "title"),
        ({"choices": ["하나"]}, "choices"),
        ({"correct_choice": 3}, "correct_choice"),
        ({"points": 0}, "points"),
        ({"tags": [1]}, "tags"),
        ({"owner": 1}, "owner"),
    ],
)
def test_a_bad_choice_problem_names_its_field_and_writes_nothing(people, make_problem, changes, field):
    before = Problem.objects.count()
    with pytest.raises(ValidationError) as caught:
        make_problem(CHOICE, actor=people[0], **changes)
    assert field in caught.value.message_dict
    assert Problem.objects.count() == before


@pytest.mark.parametrize(
    ("rubric", "field"),
    [
        ([], "rubric"),
        ([{"criterion": "x", "points": 0, "keywords": []}], "rubric[0].points"),
        ([{"criterion": "", "points": 3}], "rubric[0].criterion"),
        ([{"id": "a", "criterion": "x", "points": 1}, {"id": "a", "criterion": "y", "points": 1}], "rubric[1].id"),
        ([{"criterion": "x", "points": 2, "keywords": [""]}], "rubric[0].keywords"),
    ],
)
def test_a_bad_rubric_names_the_criterion(people, make_problem, rubric, field):
    with pytest.raises(ValidationError) as caught:
        make_problem(ESSAY, actor=people[0], rubric=rubric)
    assert field in caught.value.message_dict


def test_answers_are_checked(people, make_problem):
    teacher, student = people
    choice = make_problem(CHOICE, actor=teacher)
    essay = make_problem(ESSAY, actor=teacher)
    draft = make_problem(SHORT, actor=teacher, status="draft")
    for problem, kwargs, field in [
        (choice, {"choice": 7}, "choice"),
        (choice, {}, "choice"),
        (essay, {"answer_text": "  "}, "answer_text"),
        (essay, {"answer_text": "x", "choice": 1}, "choice"),
        (essay, {"answer_text": "x" * 20_001}, "answer_text"),
        (draft, {"answer_text": "H2O"}, "problem"),
    ]:
        with pytest.raises(ValidationError) as caught:
            services.submit(problem, actor=student, **kwargs)
        assert field in caught.value.message_dict
    assert not Submission.objects.filter(student=student).exists()


def test_a_submission_is_immutable_in_the_database(people, make_problem):
    teacher, student = people
    submission = services.submit(make_problem(SHORT, actor=teacher), actor=student, answer_text="H2O")
    for change in ({"answer_text": "CO2"}, {"choice": 1}, {"max_score": 99}):
        with pytest.raises(DatabaseError, match="Cannot update"), transaction.atomic():
            Submission.objects.filter(pk=submission.pk).update(**change)
    with pytest.raises(DatabaseError), transaction.atomic():
        Submission.objects.filter(pk=submission.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Feedback.objects.filter(submission=submission).update(score=0)
    # the grade may change (a review), the answer never
    Submission.objects.filter(pk=submission.pk).update(score=3)


def test_the_same_idempotency_key_returns_the_first_submission(people, make_problem):
    teacher, student = people
    problem = make_problem(SHORT, actor=teacher)
    first = services.submit(problem, actor=student, answer_text="H2O", idempotency_key="k1")
    again = services.submit(problem, actor=student, answer_text="CO2", idempotency_key="k1")
    assert again.pk == first.pk and again.answer_text == "H2O"


def test_an_essay_without_a_fleet_gets_rule_based_feedback_labelled_as_such(people, make_problem, zone):
    from apps.problems import feedback

    teacher, student = people
    problem = make_problem(ESSAY, actor=teacher)
    submission = services.submit(problem, actor=student, answer_text="빛과 물과 이산화탄소로 포도당과 산소를 만든다")
    assert submission.status == "pending" and submission.score is None
    assert feedback.write(submission.pk, 1) == "rule-based"
    assert feedback.write(submission.pk, 1) == "done already"  # a redelivered task stores nothing
    submission.refresh_from_db()
    stored = submission.feedback.get()
    assert (submission.status, submission.score, submission.graded_by) == ("graded", 10, "rule_based")
    assert (stored.source, stored.backend) == ("rule_based", grading.RULE_BACKEND)
    assert stored.note == "no LLM server registered"
    assert "not an AI model" in stored.backend_label


def test_a_teachers_override_is_audited_and_stands_against_later_feedback(people, make_problem):
    from apps.audit.models import AuditEntry
    from apps.problems import feedback

    teacher, student = people
    problem = make_problem(ESSAY, actor=teacher)
    submission = services.submit(problem, actor=student, answer_text="빛과 물")
    feedback.write(submission.pk, 1)
    submission.refresh_from_db()
    assert submission.score == 3  # 2 of 3 keywords of 4 points
    review = services.override(
        submission,
        actor=teacher,
        score=6,
        criteria=[{"id": "c1", "score": 4}, {"id": "c2", "score": 2}],
        comment="재료를 잘 설명함",
    )
    assert review.overrides and (review.previous_score, review.previous_graded_by) == (3, "rule_based")
    entry = AuditEntry.objects.get(action="submission.score.overridden", resource_id=str(submission.pk))
    assert entry.actor == teacher and entry.details["previous_score"] == 3 and entry.details["score"] == 6
    submission.refresh_from_db()
    assert (submission.score, submission.graded_by, submission.reviewed) == (6, "teacher", True)
    assert Progress.objects.get(student=student, topic="생명과학").points == 6
    # feedback asked for again is stored, but the teacher's score stands
    services.request_feedback(submission, actor=teacher)
    assert feedback.write(submission.pk, 2) == "rule-based"
    submission.refresh_from_db()
    assert (submission.score, submission.feedback.count()) == (6, 2)
    with pytest.raises(DatabaseError), transaction.atomic():
        Review.objects.filter(pk=review.pk).update(score=1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"score": 11}, "score"),
        ({"score": -1}, "score"),
        ({"score": 5, "criteria": [{"id": "zz", "score": 1}]}, "criteria[0].id"),
        ({"score": 5, "criteria": [{"id": "c1", "score": 5}]}, "criteria[0].score"),
        ({"score": 5, "criteria": [{"id": "c1", "score": 4}, {"id": "c2", "score": 2}]}, "score"),
    ],
)
def test_a_bad_override_names_its_field(people, make_problem, kwargs, field):
    from apps.problems import feedback

    teacher, student = people
    submission = services.submit(make_problem(ESSAY, actor=teacher), actor=student, answer_text="빛")
    feedback.write(submission.pk, 1)
    with pytest.raises(ValidationError) as caught:
        services.override(submission, actor=teacher, **kwargs)
    assert field in caught.value.message_dict
    assert not Review.objects.filter(submission=submission).exists()


def test_the_demo_seeds_each_type_and_graded_work_and_runs_again(people, zone):
    from apps.problems import demo

    teacher, student = people
    logins = list(demo.seed(zone.tenant))
    assert logins == [(student.username, "@app/problems/"), (teacher.username, "@app/problems/review/")]
    assert set(Problem.objects.values_list("kind", flat=True)) == {"choice", "short", "essay", "code"}
    graded = Submission.objects.filter(student=student).order_by("pk")
    assert [(s.problem.kind, s.status, s.score) for s in graded] == [("choice", "graded", 5), ("essay", "graded", 8)]
    list(demo.seed(zone.tenant))
    assert Problem.objects.count() == 4 and Submission.objects.filter(student=student).count() == 2


def test_users_are_deleted_in_other_types_and_protected_by_their_answers_here(people, make_problem, tenants):
    from django.db.models import ProtectedError

    from tests.utils import make_user

    teacher, student = people
    services.submit(make_problem(SHORT, actor=teacher), actor=student, answer_text="H2O")
    with pytest.raises(ProtectedError):
        student.delete()  # their answers are records
    bystander = make_user("p_bystander")
    bystander.delete()  # nothing of theirs here: gone
    with tenants["academy"].context():
        # the problems' tables do not exist in an academy's schema: nothing to look in
        make_user("p_academy_user").delete()


def test_the_demo_after_the_zones_people_places_problems_in_the_demo_school(zone):
    from apps.accounts import demo as accounts_demo
    from apps.learning import demo as learning_demo
    from apps.problems import demo

    list(accounts_demo.seed(zone.tenant))
    list(learning_demo.seed(zone.tenant))
    assert list(demo.seed(zone.tenant)) == [("student", "@app/problems/"), ("teacher", "@app/problems/review/")]
    assert set(Problem.objects.values_list("organisation__code", flat=True)) == {"demo"}
    essay = Submission.objects.get(student__username="student", problem__kind="essay")
    assert (essay.status, essay.graded_by) == ("graded", "rule_based")
    # the demo teacher's review queue has it: the student is in the teacher's class
    from django.contrib.auth import get_user_model

    from apps.accounts.scoping import visible_to

    teacher = get_user_model().objects.get(username="teacher")
    assert essay in visible_to(Submission.objects.all(), teacher, "submission:read")
