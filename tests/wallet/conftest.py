"""After every wallet test, the club's money must add up: the deferred zero-sum triggers are
fired (SET CONSTRAINTS ALL IMMEDIATE, before the test's transaction is rolled back) and
`integrity.problems()` must find nothing. A test that breaks the books on purpose marks
itself `wallet_broken`."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_context


def pytest_configure(config):
    config.addinivalue_line("markers", "wallet_broken: the test corrupts the books on purpose")


def assert_books_balance(schema: str) -> None:
    from apps.wallet.integrity import problems

    with schema_context(schema):
        if connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        assert problems() == [], f"the books of {schema} do not balance"


@pytest.fixture
def club(request, tenants, db):
    """The session's club; after the test, its books must balance."""
    yield tenants["club"]
    if not request.node.get_closest_marker("wallet_broken"):
        assert_books_balance(tenants["club"].schema)


@pytest.fixture
def players(club):
    from tests.utils import grant, make_user

    def make(n: int = 2, *, funded: int = 0):
        from apps.wallet.services import core

        with club.context():
            users = []
            for i in range(n):
                user = make_user(f"player_{i}_{id(users)}")
                grant(user, "player")
                users.append(user)
                if funded:
                    core.transfer(
                        key=f"fund:{user.pk}",
                        kind="adjustment",
                        legs=[(core.house_account("equity"), -funded), (core.player_account(user), funded)],
                    )
            return users

    return make
