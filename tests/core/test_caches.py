"""Cache backends shared by the requests of a process (apps/core/caches.py)."""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor

from django.core.cache import cache, caches
from django.db import connection
from django_tenants.utils import schema_context


def backend():
    return caches["default"]


def test_every_request_context_and_thread_gets_the_same_backend():
    # Each ASGI request runs in a context of its own; Django's Local gave each a new backend.
    first = contextvars.Context().run(backend)
    second = contextvars.Context().run(backend)
    with ThreadPoolExecutor(2) as pool:
        from_threads = list(pool.map(lambda _: contextvars.Context().run(backend), range(4)))
    assert first is second
    assert all(other is first for other in from_threads)


def test_the_shared_backend_reads_and_writes_from_many_threads():
    def round_trip(n: int) -> int:
        key = f"shared-cache-test:{n}"
        cache.set(key, n, 30)
        value = cache.get(key)
        cache.delete(key)
        return value

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(round_trip, range(64))) == list(range(64))


def test_a_shared_backend_still_keys_by_the_current_schema(db):
    # The key function reads the schema when a key is made, so one backend serves every tenant
    # and nothing crosses between them.
    shared = backend()
    with schema_context("public"):
        shared.set("shared-cache-test:who", "public", 30)
        public_key = shared.make_key("shared-cache-test:who")
    with schema_context("tenant_that_is_not_public"):
        assert connection.schema_name == "tenant_that_is_not_public"
        assert shared.get("shared-cache-test:who") is None
        assert shared.make_key("shared-cache-test:who") != public_key
    with schema_context("public"):
        assert shared.get("shared-cache-test:who") == "public"
        shared.delete("shared-cache-test:who")
