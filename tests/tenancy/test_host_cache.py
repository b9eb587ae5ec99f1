"""Hosts resolve from the cache, and every change of a tenant or its domains is seen by the
next request (apps/tenancy/hosts.py)."""

import pytest
from django.test import Client

from apps.tenancy import services
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
