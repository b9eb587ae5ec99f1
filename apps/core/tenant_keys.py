"""A dropped tenant's Redis keys go with it.

Every per-tenant key names its schema as one component of the key, whatever the app put
it: the cache's `<schema>:<prefix>:<version>:<key>` (django-tenants' make_key), the rate
limits' `<prefix>:rl:<schema>:…`, a leaderboard's `<prefix>:<schema>:learning:lb:…`, the
club's `<prefix>:club:<schema>:…`, the socket registry's `<prefix>:ws:sockets:<schema>:…`,
channel groups' `<prefix>-asgi:group:<schema>.<name>`. So the purge scans the keys of this
platform's prefixes that contain the schema name and deletes those where it stands as a
whole component (split on anything not a letter, digit or underscore: schema `t_a` never
takes `t_ab`'s keys). Keys of other programs sharing the Redis database are never touched.

Shared keys that hold schema names as *members* (the club drivers' set of clubs in play)
are registered by their app with `register_schema_set` and lose the schema's member.

Runs after the tenant row's deletion commits (apps.tenancy connects it to post_delete); a
SCAN of the database with a server-side MATCH, UNLINK in batches: seconds for millions of
keys, and tenants are dropped rarely (operators suspend them).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.conf import settings

log = logging.getLogger(__name__)

_schema_sets: list[Callable[[], str]] = []
_SEPARATORS = re.compile(r"[^A-Za-z0-9_]+")
_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


def register_schema_set(key: Callable[[], str]) -> None:
    """A Redis set (its key, computed when purging) whose members are schema names."""
    if key not in _schema_sets:
        _schema_sets.append(key)


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _glob(text: str) -> str:
    return _GLOB_SPECIAL.sub(r"\\\1", text)


def _prefixes() -> list[str]:
    """Where this platform's keys start: the shared prefix (the channel layers' `-asgi`,
    `-club` and Celery's `-celery` begin with it) and any layer prefix that does not."""
    prefixes = {settings.REDIS_KEY_PREFIX}
    for layer in getattr(settings, "CHANNEL_LAYERS", {}).values():
        prefix = layer.get("CONFIG", {}).get("prefix")
        if prefix:
            prefixes.add(prefix)
    # one scan per prefix that no other prefix already covers
    return sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes))


def patterns(schema: str) -> list[str]:
    """SCAN patterns that find every key naming `schema` (and possibly a few that only
    contain it inside a longer name: `belongs` sorts those out)."""
    cache_prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return [f"{_glob(schema)}:{_glob(cache_prefix)}:*"] + [f"{_glob(p)}*{_glob(schema)}*" for p in _prefixes()]


def belongs(key: str, schema: str) -> bool:
    return schema in _SEPARATORS.split(key)


def purge_tenant_keys(schema: str, *, batch: int = 500) -> int:
    """Delete every key of `schema`; returns how many. Idempotent."""
    if not schema or schema == "public":
        raise ValueError("refusing to purge the keys of the public schema")
    redis = _redis()
    removed = 0
    for pattern in patterns(schema):
        doomed: list[bytes] = []
        for raw in redis.scan_iter(match=pattern, count=1000):
            key = raw.decode() if isinstance(raw, bytes) else raw
            if belongs(key, schema):
                doomed.append(raw)
            if len(doomed) >= batch:
                removed += redis.unlink(*doomed)
                doomed = []
        if doomed:
            removed += redis.unlink(*doomed)
    for key in _schema_sets:
        redis.srem(key(), schema)
    return removed


def purge_after_commit(schema: str) -> None:
    """What a tenant's deletion calls: the purge once the deletion has committed (a
    rolled-back deletion keeps the keys); a failure is logged, the tenant is gone anyway."""
    from django.db import transaction

    def purge() -> None:
        try:
            count = purge_tenant_keys(schema)
        except Exception:
            log.exception("could not delete the Redis keys of dropped tenant %s", schema)
            return
        log.info("deleted %d Redis keys of dropped tenant %s", count, schema)

    transaction.on_commit(purge)
