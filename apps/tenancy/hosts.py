"""Host name → tenant, from the cache: every request resolves its host, and the Domain/Tenant
rows behind it change only when an operator or a provisioning step changes them.

Two layers. Each process keeps the tenants it has resolved in a dict (`_Local`), in front of
the shared Redis cache, because a Redis round trip on every request was the largest single
cost of a cheap request (py-spy: 17 % of `/api/v1/site/`'s CPU). The cached value is the
Tenant row itself (or "no tenant here" for an unknown host, kept briefly so a flood of
unknown hosts does not become a flood of queries).

Every change of a Tenant or Domain row forgets the hosts it concerns: model signals for saves
and deletes, and `forget_tenant()` for the services that update rows in bulk
(`QuerySet.update`). Forgetting deletes the Redis keys, drops the hosts from this process's
dict and publishes them on a Redis pub/sub channel; every other process that keeps a dict
runs one daemon thread subscribed to that channel, which drops them from its own. It happens
at once and again after the transaction commits, so a request that read the old row between
the two cannot keep it.

The local dict is used only while its process's subscription is live: it is emptied whenever
the subscription is made (or made again after an error), and nothing is served from it while
there is none, so a message lost during a disconnection cannot keep a stale tenant past the
reconnection. A short local TTL is the backstop for anything else; the Redis TTL is the
backstop for the Redis layer.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

logger = logging.getLogger(__name__)

TTL = 3600
MISSING_TTL = 30
LOCAL_TTL = 5.0
_MISSING = "missing"
_EVERYTHING = "*"


def _key(hostname: str) -> str:
    return f"tenancy:host:{hostname.lower()}"


def channel() -> str:
    # Pub/sub channels are shared by every Redis database and every deployment on the
    # server: name the database and the key prefix.
    from django_redis import get_redis_connection

    db = get_redis_connection("default").connection_pool.connection_kwargs.get("db", 0)
    return f"{settings.REDIS_KEY_PREFIX}:db{db}:tenancy:hosts:forget"


class _Local:
    """This process's hosts, and the subscriber thread that keeps them honest."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[float, object]] = {}
        # Bumped by every forget: a lookup that read Redis before a forget arrived must not
        # store what it read.
        self.generation = 0
        self.live = False  # subscribed now: the dict may be served
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()
        # Named so an operator (or a test) can find the subscription in CLIENT LIST.
        self.client_name = f"tenancy-hosts-{self.pid}-{id(self):x}"

    def get(self, host: str):
        if not self.live:
            return None
        entry = self.entries.get(host)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, host: str, value, generation: int, ttl: float) -> None:
        with self.lock:
            if self.live and generation == self.generation:
                self.entries[host] = (time.monotonic() + ttl, value)

    def drop(self, hosts) -> None:
        with self.lock:
            self.generation += 1
            if hosts is None:
                self.entries.clear()
            else:
                for host in hosts:
                    self.entries.pop(host, None)

    def set_live(self, live: bool) -> None:
        with self.lock:
            self.generation += 1
            self.entries.clear()
            self.live = live

    def ensure_subscriber(self) -> None:
        if self.thread is not None:
            return
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._listen, name="tenancy-hosts", daemon=True)
                self.thread.start()

    def _listen(self) -> None:
        import redis

        delay = 0.5
        while not self.stopping.is_set():
            pubsub = None
            try:
                client = redis.Redis.from_url(
                    settings.REDIS_URL,
                    socket_connect_timeout=2,
                    socket_timeout=15,
                    health_check_interval=5,
                    client_name=self.client_name,
                )
                pubsub = client.pubsub()
                pubsub.subscribe(channel())
                while not self.stopping.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        self.set_live(True)  # emptied: anything missed before is gone
                        delay = 0.5
                    elif message["type"] == "message":
                        self.drop(_decode(message["data"]))
            except Exception:
                if not self.stopping.is_set():
                    logger.warning("tenant host invalidations lost: local layer off until resubscribed", exc_info=True)
            finally:
                self.set_live(False)
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        pubsub.close()
            self.stopping.wait(delay)
            delay = min(delay * 2, 10.0)


def _decode(data) -> list[str] | None:
    hosts = json.loads(data)
    return None if hosts == _EVERYTHING else [str(h) for h in hosts]


_local = _Local()
_local_guard = threading.Lock()


def _this_process() -> _Local:
    """The local layer of this process; a forked child starts its own (the parent's thread
    does not exist in it, so its dict would never be invalidated)."""
    global _local
    local = _local
    if local.pid != os.getpid():
        with _local_guard:
            if _local.pid != os.getpid():
                _local = _Local()
            local = _local
    return local


def lookup(domain_model, hostname: str):
    """The tenant served at `hostname` (raises domain_model.DoesNotExist). The caller's
    connection is in the public schema (the tenant middleware sets it first), so the cache
    key carries the public prefix whichever tenant is asked for.

    Each call returns its own copy: django-tenants sets attributes on the tenant it is given."""
    host = hostname.lower()
    local = _this_process()
    local.ensure_subscriber()
    cached = local.get(host)
    if cached is None:
        generation = local.generation
        cached = _shared_lookup(domain_model, hostname)
        local.put(host, cached, generation, LOCAL_TTL if cached != _MISSING else min(LOCAL_TTL, MISSING_TTL))
    if cached == _MISSING:
        raise domain_model.DoesNotExist
    return copy.copy(cached)


def _shared_lookup(domain_model, hostname: str):
    key = _key(hostname)
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        tenant = domain_model.objects.select_related("tenant").get(domain=hostname).tenant
    except domain_model.DoesNotExist:
        cache.set(key, _MISSING, MISSING_TTL)
        return _MISSING
    cache.set(key, tenant, TTL)
    return tenant


def _publish(hosts) -> None:
    from django_redis import get_redis_connection

    get_redis_connection("default").publish(channel(), json.dumps(hosts))


def forget_hosts(*hostnames: str) -> None:
    names = sorted({h.lower() for h in hostnames if h})
    if not names:
        return

    def forget():
        with schema_context(get_public_schema_name()):
            cache.delete_many([_key(h) for h in names])
        # After the shared layer, so a process that drops its copy cannot read the old
        # value back from Redis.
        _this_process().drop(names)
        _publish(names)

    forget()
    transaction.on_commit(forget)


def forget_everything() -> None:
    """Every cached host, in Redis and in every process (tests, after a rolled-back change)."""
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    keys = list(redis.scan_iter(match=f"*:{settings.REDIS_KEY_PREFIX}:*:tenancy:host:*", count=1000))
    if keys:
        redis.delete(*keys)
    _this_process().drop(None)
    _publish(_EVERYTHING)


def forget_tenant(tenant) -> None:
    from .models import Domain

    with schema_context(get_public_schema_name()):
        hosts = list(Domain.objects.filter(tenant_id=tenant.pk).values_list("domain", flat=True))
    forget_hosts(*hosts)


def _domain_renamed(sender, instance, **kwargs):
    if instance.pk:
        old = sender.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
        if old and old != instance.domain:
            forget_hosts(old)


def _domain_changed(sender, instance, **kwargs):
    forget_hosts(instance.domain)


def _tenant_changed(sender, instance, **kwargs):
    forget_tenant(instance)


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save, pre_save

    from .models import Domain, Tenant

    pre_save.connect(_domain_renamed, sender=Domain, dispatch_uid="tenancy.hosts.domain_renamed")
    post_save.connect(_domain_changed, sender=Domain, dispatch_uid="tenancy.hosts.domain_saved")
    post_delete.connect(_domain_changed, sender=Domain, dispatch_uid="tenancy.hosts.domain_deleted")
    post_save.connect(_tenant_changed, sender=Tenant, dispatch_uid="tenancy.hosts.tenant_saved")
    # A tenant's domains are deleted (and forgotten) before it: post_delete of each Domain.
    post_delete.connect(_tenant_changed, sender=Tenant, dispatch_uid="tenancy.hosts.tenant_deleted")
