"""The local layer of the host cache across processes: the real server process stops serving
a suspended tenant at once (apps/tenancy/hosts.py). Committed data (live_tenant): the server
cannot see a test's transaction."""

import time

from apps.tenancy import hosts, services
from apps.tenancy.models import Tenant

from .test_host_cache import _eventually


def test_suspending_a_tenant_takes_effect_at_once_in_the_server_process(asgi_server, live_tenant):
    """The real server (another process, with its own local layer) stops serving a tenant as
    soon as it is suspended here; without the published invalidation it would keep serving
    it from its memory for LOCAL_TTL."""
    import httpx
    from django.core.cache import cache
    from django_tenants.utils import schema_context

    t = live_tenant("academy")
    base = f"http://127.0.0.1:{asgi_server.port}"
    with httpx.Client(base_url=base, headers={"Host": t.domain}, timeout=10) as client:

        def status() -> int:
            return client.get("/api/v1/site/").status_code

        def warm() -> None:
            # The first request starts the server's subscriber; once it is live, one more
            # request puts the tenant into the server's local layer.
            assert status() == 200
            time.sleep(0.5)
            assert status() == 200

        warm()
        # A change nobody is told about (and gone from Redis): the server still answers from
        # its own memory, so what follows does test the published invalidation.
        Tenant.objects.filter(pk=t.tenant.pk).update(status=Tenant.Status.SUSPENDED)
        with schema_context("public"):
            cache.delete(hosts._key(t.domain))
        assert status() == 200
        Tenant.objects.filter(pk=t.tenant.pk).update(status=Tenant.Status.ACTIVE)
        hosts.forget_tenant(t.tenant)
        _eventually(lambda: status() == 200, within=1)

        warm()
        services.set_status(t.tenant, Tenant.Status.SUSPENDED)
        assert _eventually(lambda: status() == 503, within=1) < hosts.LOCAL_TTL
        services.set_status(t.tenant, Tenant.Status.ACTIVE)
        _eventually(lambda: status() == 200, within=1)
