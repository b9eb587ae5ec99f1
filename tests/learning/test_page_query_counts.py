"""The zone's list pages (not paginated: they show a capped number of rows) run the same
queries whatever they list: each page is read by the demo's superuser, then the zone gets
more of everything those pages list (items, an exam, a class and a student, a finished
attempt, a problem and a submission), and each page is read again."""

from __future__ import annotations

import pytest

from tests.problems.conftest import CHOICE, ESSAY
from tests.query_counts import assert_same_within, demo_root_client, page_queries

pytestmark = pytest.mark.django_db

BUDGET = 12
PAGES = [
    "/learn/",
    "/learn/teach/items/",
    "/learn/teach/exams/",
    "/learn/teach/rooms/",
    "/problems/",
    "/problems/review/",
    "/problems/progress/",
]


def test_zone_list_pages_do_not_grow_with_their_rows(tenants, bank, people):
    from apps.learning.models import Exam, Klass, Organisation
    from apps.learning.services import attempts, exams
    from apps.learning.services import people as people_svc
    from apps.problems import services as problems

    t = tenants["zone"]
    client = demo_root_client(t)
    with t.context():
        cat = Exam.objects.get(title="적응형 진단")
    pages = [*PAGES, f"/learn/teach/exams/{cat.pk}/"]

    before = page_queries(t, client, pages)
    with t.context():
        org = Organisation.objects.get(code="demo")
        bank(6)
        exams.publish(
            exams.create_exam(title="추가 진단", kind="adaptive", cat_settings={"min_length": 1, "max_length": 3})
        )
        teacher, _ = people.teacher(org)
        klass = people_svc.create_class(organisation=org, name="추가반", teachers=[teacher])
        for _ in range(2):
            student, _ = people.student(org)
            people_svc.enroll(klass, student)
            step, _created = attempts.start(cat, student, actor=student.user)
            attempts.submit(step.attempt, actor=student.user)
            problems.submit(problems.create_problem(actor=teacher, **ESSAY), actor=student.user, answer_text="빛과 물")
            problems.submit(problems.create_problem(actor=teacher, **CHOICE), actor=student.user, choice=1)
        assert Klass.objects.filter(organisation=org).count() >= 2
    after = page_queries(t, client, pages)
    assert_same_within(before, after, BUDGET)
