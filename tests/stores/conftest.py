from __future__ import annotations

import pytest
from django.conf import settings
from django_redis import get_redis_connection


@pytest.fixture(autouse=True)
def _no_store_locks():
    """Crawl locks and kill switches live in Redis, outside the rolled-back transaction."""

    def clear():
        redis = get_redis_connection("default")
        keys = list(redis.scan_iter(match=f"{settings.REDIS_KEY_PREFIX}:stores:*", count=1000))
        if keys:
            redis.delete(*keys)

    clear()
    yield
    clear()


@pytest.fixture
def store_tenant(tenants, db):
    t = tenants["store"]
    with t.context():
        yield t


@pytest.fixture
def plan():
    """plan("premium"): the current tenant's plan."""
    from apps.stores.services import plans

    def set_plan(code: str):
        sub = plans.subscription()
        sub.plan = code
        sub.save()
        return sub

    return set_plan


@pytest.fixture
def shop(store_tenant, plan):
    from apps.stores.services import stores

    plan("premium")
    return stores.create_store(name="한솥밥 강남점", category="restaurant", actor=None)
