"""Hosts resolve from the cache, and every change of a tenant or its domains is seen by the
next request (apps/tenancy/hosts.py)."""

import time

import pytest
from django.test import Client

from apps.tenancy import hosts, services
from apps.tenancy.models import Domain, Tenant

pytestmark = pytest.mark.django_db


def test_a_cached_host_costs_no_query_and_an_anonymous_site_read_none_at_all(tenants, django_assert_num_queries):
    client = tenants["zone"].client()
    assert client.get("/api/v1/site/").status_code == 200  # resolves and caches the host
    with django_assert_num_queries(0):
        response = client.get("/api/v1/site/")
    assert response.json()["schema"] == tenants["zone"].schema


def test_suspending_a_tenant_is_seen_by_the_next_request(tenants):
    t = tenants["club"]
    assert t.client().get("/api/v1/site/").status_code == 200
    services.set_status(t.tenant, Tenant.Status.SUSPENDED)  # QuerySet.update: no model signal
    assert t.client().get("/api/v1/site/").status_code == 503
    services.set_status(t.tenant, Tenant.Status.ACTIVE)
    assert t.client().get("/api/v1/site/").status_code == 200


def test_a_new_renamed_or_removed_domain_is_seen_by_the_next_request(tenants):
    t = tenants["store"]
    assert Client(HTTP_HOST="shop.store.test").get("/api/v1/site/").status_code == 404  # cached as unknown
    domain = Domain.objects.create(domain="shop.store.test", tenant=t.tenant)
    assert Client(HTTP_HOST="shop.store.test").get("/api/v1/site/").json()["schema"] == t.schema

    domain.domain = "shop2.store.test"
    domain.save()
    assert Client(HTTP_HOST="shop.store.test").get("/api/v1/site/").status_code == 404
    assert Client(HTTP_HOST="shop2.store.test").get("/api/v1/site/").status_code == 200

    domain.delete()
    assert Client(HTTP_HOST="shop2.store.test").get("/api/v1/site/").status_code == 404


def test_a_renamed_tenant_is_served_under_its_new_name(tenants):
    t = tenants["academy_b"]
    assert Client(HTTP_HOST=t.domain).get("/api/v1/site/").json()["name"] == t.tenant.name
    tenant = Tenant.objects.get(pk=t.tenant.pk)
    tenant.name = "새 이름 아카데미"
    tenant.save()
    assert Client(HTTP_HOST=t.domain).get("/api/v1/site/").json()["name"] == "새 이름 아카데미"


def _eventually(predicate, within: float) -> float:
    """Seconds until `predicate()` held (fails after `within`)."""
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < within, f"not within {within} s"
        time.sleep(0.02)
    return time.monotonic() - start


def test_a_forgotten_host_is_dropped_by_every_other_process_layer():
    """Two independent local layers (as in two processes) subscribed on the real Redis: a
    host forgotten anywhere leaves both, at once."""
    a, b = hosts._Local(), hosts._Local()
    try:
        for layer in (a, b):
            layer.ensure_subscriber()
            _eventually(lambda layer=layer: layer.live, within=5)
            layer.put("one.example.test", "tenant one", layer.generation, 60)
            layer.put("two.example.test", "tenant two", layer.generation, 60)
            assert layer.get("one.example.test") == "tenant one"
        hosts.forget_hosts("ONE.example.test")
        for layer in (a, b):
            _eventually(lambda layer=layer: layer.get("one.example.test") is None, within=1)
            assert layer.get("two.example.test") == "tenant two"  # only what was forgotten
    finally:
        a.stopping.set()
        b.stopping.set()


def test_a_lost_subscription_empties_the_local_layer_and_serves_nothing_from_it_until_resubscribed():
    """A message published while a process was disconnected never reaches it: whatever the
    process held is dropped when it subscribes again, and nothing is served from it meanwhile."""
    from django_redis import get_redis_connection

    layer = hosts._Local()
    redis = get_redis_connection("default")
    try:
        layer.ensure_subscriber()
        _eventually(lambda: layer.live, within=5)
        layer.put("kept.example.test", "stale tenant", layer.generation, 60)
        assert layer.get("kept.example.test") == "stale tenant"
        (client,) = [c for c in redis.client_list() if c["name"] == layer.client_name]
        redis.client_kill_filter(_id=client["id"])
        _eventually(lambda: layer.get("kept.example.test") is None, within=5)
        _eventually(lambda: layer.live and any(c["name"] == layer.client_name for c in redis.client_list()), within=10)
        assert layer.get("kept.example.test") is None
    finally:
        layer.stopping.set()


def test_a_forked_child_starts_its_own_layer_instead_of_serving_the_parents():
    """A fork copies the parent's dict but not its subscriber thread: the child would never
    hear of a change. It starts an empty layer of its own (and its own subscriber on first use)."""
    import os

    parent = hosts._this_process()
    parent.ensure_subscriber()
    _eventually(lambda: parent.live, within=5)
    parent.put("forked.example.test", "the parent's tenant", parent.generation, 60)
    assert parent.get("forked.example.test") == "the parent's tenant"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no database, no pytest teardown
        try:
            child = hosts._this_process()
            fresh = child is not parent and child.thread is None and child.get("forked.example.test") is None
            os.write(write, b"1" if fresh else b"0")
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    os.close(read)
