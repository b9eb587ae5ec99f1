"""Progress per topic from finished exams too (learning's attempt-finished hook): the
scored answers of a CAT on items of a content area count in that topic's progress."""

from __future__ import annotations

import pytest

from apps.learning.models import Attempt, Response
from apps.learning.services import exams as exam_svc
from apps.problems import services
from apps.problems.models import Progress
from tests.learning.conftest import bank, people, zone  # noqa: F401  (fixtures)
from tests.learning.test_attempts import take_to_the_end

from .conftest import CHOICE

pytestmark = pytest.mark.django_db


def test_a_finished_cat_feeds_progress_per_content_area(zone, bank, people):  # noqa: F811
    bank(40, areas=("대수", "기하"))
    exam = exam_svc.publish(
        exam_svc.create_exam(
            title="수학 진단", kind="adaptive", cat_settings={"se_target": 0.45, "min_length": 6, "max_length": 10}
        )
    )
    student, client = people.student(people.org())
    # a problem on the same topic as one content area: both sources count
    services.submit(services.create_problem(actor=None, **{**CHOICE, "topic": "대수"}), actor=student.user, choice=1)
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
