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


@pytest.fixture(scope="session")
def cashier_server(django_db_setup):
    """uvicorn serving the platform (with the gateway and rate sandboxes) and the clubs, told
    its own port: the sandbox's IPNs and the clubs' rate look-ups reach it on loopback."""
    import sys

    from tests.processes import free_port, port_open, running

    port = free_port()
    urls = {
        "WALLET_GATEWAY_URL": f"http://localhost:{port}/_sandbox/wallet/nowpayments",
        "WALLET_RATE_URLS": f"http://localhost:{port}/_sandbox/wallet/upbit,http://localhost:{port}/_sandbox/wallet/bithumb",
        "TENANT_URL_TEMPLATE": f"http://{{domain}}:{port}",
    }
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port), "--lifespan", "off"]
    with running("uvicorn-cashier", command, ready=lambda: port_open(port), **urls) as process:
        process.port = port
        process.urls = urls
        yield process


@pytest.fixture
def cashier_club(live_tenant, cashier_server, settings):
    """A committed club whose cashier talks to the sandboxes of `cashier_server`."""
    import httpx

    settings.WALLET_GATEWAY_URL = cashier_server.urls["WALLET_GATEWAY_URL"]
    settings.WALLET_RATE_URLS = cashier_server.urls["WALLET_RATE_URLS"].split(",")
    settings.TENANT_URL_TEMPLATE = cashier_server.urls["TENANT_URL_TEMPLATE"]
    base = f"http://localhost:{cashier_server.port}/_sandbox/wallet"
    httpx.post(f"{base}/_rates", json={}).raise_for_status()  # default prices, every source up
    club = live_tenant("club")
    club.sandbox = base
    club.base = f"http://127.0.0.1:{cashier_server.port}"
    yield club
    assert_books_balance(club.schema)
