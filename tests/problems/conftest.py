from __future__ import annotations

import pytest

ESSAY = {
    "kind": "essay",
    "title": "광합성",
    "statement": "광합성의 재료와 산물을 설명하시오.",
    "topic": "생명과학",
    "status": "published",
    "rubric": [
        {"id": "c1", "criterion": "광합성의 재료", "points": 4, "keywords": ["이산화탄소|CO2", "물", "빛"]},
        {"id": "c2", "criterion": "산물", "points": 6, "keywords": ["포도당", "산소"]},
    ],
}
CHOICE = {
    "kind": "choice",
    "title": "수도",
    "statement": "대한민국의 수도는?",
    "topic": "사회",
    "status": "published",
    "choices": ["부산", "서울", "대구"],
    "correct_choice": 1,
    "points": 5,
}
SHORT = {
    "kind": "short",
    "title": "물의 화학식",
    "statement": "물의 화학식을 쓰시오.",
    "topic": "화학",
    "status": "published",
    "accepted_answers": ["H2O"],
}


@pytest.fixture
def make_problem():
    from apps.problems import services

    def make(base: dict, actor=None, **changes):
        return services.create_problem(actor=actor, **{**base, **changes})

    return make


# The inference sandbox fleet (real model servers on loopback) and its registry rows.
from tests.inference.conftest import fleet, sandbox_fleet  # noqa: E402, F401


def signed_in(t, username: str, *roles: str):
    """A committed user of a live tenant with `roles`, signed in through allauth."""
    from tests.utils import browser_login, grant, make_user

    with t.context():
        user = make_user(username)
        grant(user, *roles)
    client = t.client()
    browser_login(client, username)
    return user, client
