import pytest
from django.core.cache import cache
from django_redis import get_redis_connection

pytestmark = pytest.mark.django_db


def test_cache_keys_of_two_tenants_never_collide(tenants):
    a, b = tenants["academy"], tenants["academy_b"]
    with a.context():
        cache.set("dashboard:today", "A's numbers", 60)
    with b.context():
        assert cache.get("dashboard:today") is None
        cache.set("dashboard:today", "B's numbers", 60)
    with a.context():
        assert cache.get("dashboard:today") == "A's numbers"
    with b.context():
        assert cache.get("dashboard:today") == "B's numbers"
    raw = get_redis_connection("default")
    keys = {k.decode() for k in raw.keys("*dashboard:today")}
    assert any(k.startswith(f"{a.schema}:") for k in keys)
    assert any(k.startswith(f"{b.schema}:") for k in keys)
    with a.context():
        cache.delete("dashboard:today")
    with b.context():
        cache.delete("dashboard:today")
