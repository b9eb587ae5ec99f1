"""Fixtures for tests against the real PostgreSQL and Redis.

The test database is created once per run; `migrate` builds the public schema and one
template schema per tenant type. Session tenants of each type are then cloned from the
templates, and stay for the whole run.

Two ways to touch the database:

- `db` (pytest-django): each test in a transaction that is rolled back. Fast; but other
  threads (Celery workers, websocket consumers, live servers) can't see its data.
- `live_tenant`: a fresh tenant whose data is really committed, dropped after the test.
  Never `transactional_db`: its flush would truncate the public schema's tenant table.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator

import pytest
from django.db import connection

from tests.utils import T

# The real browser's fixtures (`browser`, `django`) for every test that drives chromium.
pytest_plugins = ["tests.browser"]

SESSION_TENANTS = {
    # key: (type, schema, domain)
    "academy": ("academy", "t_academy_a", "a.academy.test"),
    "academy_b": ("academy", "t_academy_b", "b.academy.test"),
    "zone": ("zone", "t_zone_a", "a.zone.test"),
    "zone_b": ("zone", "t_zone_b", "b.zone.test"),
    "store": ("store", "t_store_a", "a.store.test"),
    "store_b": ("store", "t_store_b", "b.store.test"),
    "club": ("club", "t_club_a", "a.club.test"),
}


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb):
    """pytest-django's own setup creates a test database only for aliases that some
    collected test marks with django_db; live tests use the database without that mark,
    so a run of only live tests would get none. Always set up `default`."""
    from django.test.utils import setup_databases, teardown_databases

    from apps.tenancy import services
    from apps.tenancy.models import Tenant

    keepdb = django_db_keepdb and not django_db_createdb
    if not keepdb:
        _forget_previous_runs_redis_keys()
    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases={"default"},
            keepdb=keepdb,
        )
        for tenant_type, schema, domain in SESSION_TENANTS.values():
            if not Tenant.objects.filter(schema_name=schema).exists():
                services.provision_tenant(
                    name=f"Test {schema}", tenant_type=tenant_type, domain=domain, schema_name=schema
                )
        connection.set_schema_to_public()
    yield
    # Processes a test started and killed may leave sessions behind; they would keep
    # the test database from being dropped.
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        if not django_db_keepdb:
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


def _forget_previous_runs_redis_keys() -> None:
    """A new test database numbers its rows from 1 again, and Redis keeps what an earlier run
    with the same database name left under this run's prefix (an attempt's cached state under
    its id, a table's state, queues): drop it with the database it described. Only this
    prefix's own namespaces: another checkout's prefix may start with the same letters."""
    from django.conf import settings
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    prefix = settings.REDIS_KEY_PREFIX
    for pattern in (f"{prefix}:*", f"{prefix}-asgi*", f"{prefix}-club*", f"{prefix}-celery:*"):
        keys = list(redis.scan_iter(match=pattern, count=5000))
        for start in range(0, len(keys), 5000):
            redis.delete(*keys[start : start + 5000])


# Tests of monthly billing, refunds and schedules work on December 2026 as "next month":
# its invoicing run has not happened yet, its meetings are ahead. Pinning the clock before
# it keeps their figures true on any day they run. The clock still ticks (timeouts, signers).
BILLING_CLOCK = "2026-11-20T10:00:00+09:00"


@pytest.fixture
def before_december():
    import time_machine

    with time_machine.travel(BILLING_CLOCK, tick=True):
        yield


@pytest.fixture
def tenants(django_db_setup, django_db_blocker) -> dict[str, T]:
    from apps.tenancy.models import Tenant

    with django_db_blocker.unblock():
        rows = {
            t.schema_name: t for t in Tenant.objects.filter(schema_name__in=[s for _, s, _ in SESSION_TENANTS.values()])
        }
    return {key: T(rows[schema], domain) for key, (_type, schema, domain) in SESSION_TENANTS.items()}


_member_names = itertools.count()


@pytest.fixture
def member(tenants):
    """member("academy", "coach") -> (user, client signed in on that tenant's host).

    Users whose roles require MFA get a TOTP authenticator first, as enrolment would."""
    from apps.accounts.permissions import mfa_required
    from tests.utils import enable_totp, grant, make_user

    def make(key: str, *roles: str, username: str | None = None, mfa: bool | None = None, **fields):
        t = tenants[key]
        with t.context():
            user = make_user(username or f"{'_'.join(roles) or 'nobody'}_{next(_member_names)}", **fields)
            grant(user, *roles)
            user.refresh_from_db()
            if mfa if mfa is not None else mfa_required(user):
                enable_totp(user)
            client = t.client()
            client.force_login(user)
        return user, client

    return make


@pytest.fixture(autouse=True)
def _back_to_public() -> Iterator[None]:
    """Whatever a test did to the connection's schema, the next one starts in public."""
    yield
    if connection.connection is not None or connection.in_atomic_block:
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Rate-limit windows and locks live in Redis, outside the rolled-back transaction:
    every test starts with none, so one test's failed sign-ins never lock another's."""
    from django.conf import settings
    from django_redis import get_redis_connection

    def clear() -> None:
        redis = get_redis_connection("default")
        keys = list(redis.scan_iter(match=f"{settings.REDIS_KEY_PREFIX}:rl:*", count=1000))
        if keys:
            redis.delete(*keys)

    clear()
    yield
    clear()


@pytest.fixture(autouse=True)
def _fresh_tenant_hosts() -> Iterator[None]:
    """Hosts are resolved from the cache (apps/tenancy/hosts.py). A test that changes a
    Tenant or Domain row in its rolled-back transaction and then sends a request leaves the
    uncommitted row cached (in Redis and in this process's own layer); forget every cached
    host after each test, in every process."""
    yield
    from apps.tenancy import hosts

    hosts.forget_everything()


_counter = itertools.count()


@pytest.fixture
def live_db(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Database access without a wrapping transaction: what a test writes is committed."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


@pytest.fixture
def live_tenant(live_db) -> Iterator:
    """Factory for committed tenants (dropped afterwards): live_tenant("academy")."""
    from apps.tenancy import services

    made = []

    def make(tenant_type: str = "academy", **kwargs) -> T:
        suffix = f"{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
        schema = f"live_{tenant_type}_{suffix}"
        domain = f"{schema.replace('_', '-')}.live.test"
        tenant = services.provision_tenant(
            name=kwargs.pop("name", f"Live {tenant_type}"),
            tenant_type=tenant_type,
            domain=domain,
            schema_name=schema,
            **kwargs,
        )
        made.append(tenant)
        return T(tenant, domain)

    yield make
    connection.set_schema_to_public()
    for tenant in made:
        _drop(services, tenant)


def _drop(services, tenant, attempts: int = 5) -> None:
    """Drop a live tenant; a worker or server may still be finishing something in it (a
    webhook, a notification), so a deadlock with it is retried."""
    import time

    from django.db import OperationalError

    for attempt in range(attempts):
        try:
            services.drop_tenant(tenant)
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            connection.close()
            time.sleep(0.5 * (attempt + 1))


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real `celery worker` process consuming every queue, on the test database."""
    from django.core.cache import cache

    from apps.core.tasks import HEARTBEAT_KEY, tenant_heartbeat
    from tests.processes import running, worker_command

    token = uuid.uuid4().hex

    def ready() -> bool:
        with django_db_blocker.unblock():
            return cache.get(f"{HEARTBEAT_KEY}:{token}") is not None

    with django_db_blocker.unblock():
        tenant_heartbeat.delay(token)  # answered once the worker is up
    with running("worker", worker_command(f"test-{token[:6]}"), ready=ready, timeout=60) as process:
        yield process


@pytest.fixture(scope="session")
def asgi_server(django_db_setup):
    """The real ASGI server (uvicorn) serving config.asgi on a free port, on the test database."""
    import sys

    from tests.processes import free_port, port_open, running

    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)]
    command += ["--timeout-graceful-shutdown", "10", "--lifespan", "off"]
    with running("uvicorn", command, ready=lambda: port_open(port)) as process:
        process.port = port
        yield process
