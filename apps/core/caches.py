"""One set of cache backends per process, shared by every request.

Django keeps its cache backends in an asgiref `Local` that is not thread-critical, so under
ASGI each request — each its own context — builds its own backend: for django-redis a
`RedisCache`, its client, serializer, compressor, connection factory and a redis-py client
with its event dispatcher, ~80 µs of CPU per request before the first read, and a cycle of
some twenty objects that only the collector's full pass frees (bench/load: ~900 of them in a
450 ms full pass). django-redis's backend is safe to share between threads — its redis-py
client takes a connection from the pool per command, and the pools were shared already — so
the process keeps one backend per alias. Key functions read the current schema when a key is
made (django_tenants.cache.make_key), not when the backend is built, so sharing crosses no
tenant.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.core.cache import caches


def share_cache_backends() -> None:
    """Called once from CoreConfig.ready(). A test that overrides CACHES gets Django's own
    per-context store back for its duration (django.test.signals)."""
    if not isinstance(caches._connections, SimpleNamespace):
        caches._connections = SimpleNamespace()
