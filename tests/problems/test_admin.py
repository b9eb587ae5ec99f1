"""The back office: a problem written in the admin goes through the service (its checks, its
ledger event); submissions are records nobody changes there."""

from __future__ import annotations

import json

import pytest

from apps.ledger.models import Event
from apps.problems.models import Problem
from tests.utils import browser_login, enable_totp, make_user

pytestmark = pytest.mark.django_db


def test_a_problem_added_in_the_admin_is_checked_and_recorded(tenants):
    t = tenants["zone"]
    with t.context():
        root = make_user("root_problems", is_staff=True, is_superuser=True)
        secret = enable_totp(root)
    client = t.client()
    browser_login(client, root.username, totp_secret=secret)
    form = {
        "kind": "essay",
        "title": "증발",
        "statement": "증발을 설명하시오.",
        "topic": "과학",
        "tags": "[]",
        "status": "published",
        "choices": "[]",
        "correct_choice": "",
        "accepted_answers": "[]",
        "rubric": json.dumps([{"criterion": "정의", "points": 5, "keywords": ["기체"]}]),
        "points": "10",
        "language": "",
        "explanation": "",
    }
    assert client.post("/admin/problems/problem/add/", form).status_code == 302
    with t.context():
        problem = Problem.objects.get(title="증발")
        assert problem.rubric == [{"id": "c1", "criterion": "정의", "points": 5, "keywords": ["기체"]}]
        assert Event.objects.filter(kind="problem.created", subject_id=str(problem.pk)).exists()
    bad = client.post("/admin/problems/problem/add/", {**form, "title": "빈 루브릭", "rubric": "[]"})
    assert bad.status_code == 200  # the form again, with the service's message
    with t.context():
        assert not Problem.objects.filter(title="빈 루브릭").exists()
    assert client.get("/admin/problems/submission/add/").status_code == 403
