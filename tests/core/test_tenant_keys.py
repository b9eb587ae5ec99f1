"""A dropped tenant's Redis keys go with it (apps.core.tenant_keys): cache entries, rate
limits, leaderboards, live club state, the socket registry and channel groups of its schema;
another tenant's keys, a schema whose name merely starts with it, and keys of other programs
in the same Redis stay."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django_redis import get_redis_connection

from apps.core import ratelimit
from apps.core.tenant_keys import belongs, patterns, purge_tenant_keys
from apps.core.websocket import _sockets_key, group_name


def _write_everything(t) -> None:
    """Keys through each app's own key function, as the running platform writes them."""
    from apps.club import driver, live
    from apps.learning.services import leaderboards

    redis = get_redis_connection("default")
    with t.context():
        cache.set("greeting", "hi", 600)
        redis.set(ratelimit.key("api", "user", "42"), 1, ex=600)
        redis.zadd(leaderboards.key("zone", "all"), {"7": 3.5})
        redis.set(live._key("table", 1, "hand"), "{}", ex=600)
        redis.sadd(_sockets_key(t.schema, 1), "proc|chan")
        driver.register_schema(t.schema)
        live.mark_lobby_dirty()
        async_to_sync(get_channel_layer().group_add)(group_name("problems.user.1"), "test.channel!abc")


def _ours(schema: str) -> list[str]:
    redis = get_redis_connection("default")
    found = set()
    for pattern in patterns(schema):
        found |= {k.decode() for k in redis.scan_iter(match=pattern, count=1000) if belongs(k.decode(), schema)}
    return sorted(found)


def test_dropping_a_tenant_removes_its_keys_and_no_one_elses(live_tenant):
    from apps.club import driver, live
    from apps.tenancy import services

    t, u = live_tenant("zone"), live_tenant("zone")
    for tenant in (t, u):
        _write_everything(tenant)
    redis = get_redis_connection("default")
    impostor = f"{settings.REDIS_KEY_PREFIX}:rl:{t.schema}x:api:user:1"  # a schema named like it, longer
    foreign = f"otherapp:{t.schema}:session"  # another program sharing the database
    redis.set(impostor, 1, ex=600)
    redis.set(foreign, 1, ex=600)
    before = _ours(t.schema)
    kept = _ours(u.schema)
    # the test writes what it claims to: cache, rate limit, leaderboard, club table state and
    # tables version (mark_lobby_dirty moves it on), sockets, group
    assert len(before) == 7 and any(key.startswith(f"{t.schema}:") for key in before), before
    assert any(key.endswith(":tables-version") for key in before), before
    assert any(":group:" in key for key in before), before
    try:
        services.drop_tenant(t.tenant)  # no outer transaction: the purge runs on commit
        assert _ours(t.schema) == []
        assert _ours(u.schema) == kept
        assert redis.exists(impostor) and redis.exists(foreign)
        for key in (driver.schemas_key(), live._lobby_dirty_key()):
            members = {m.decode() for m in redis.smembers(key)}
            assert t.schema not in members and u.schema in members, key
        assert purge_tenant_keys(t.schema) == 0  # idempotent
    finally:
        redis.delete(impostor, foreign)
        for key in (driver.schemas_key(), live._lobby_dirty_key()):
            redis.srem(key, t.schema, u.schema)


def test_the_public_schema_is_never_purged():
    import pytest

    with pytest.raises(ValueError):
        purge_tenant_keys("public")
