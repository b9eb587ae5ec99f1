"""Host name → tenant, from the cache: every request resolves its host, and the Domain/Tenant
rows behind it change only when an operator or a provisioning step changes them.

The cached value is the Tenant row itself (or "no tenant here" for an unknown host, kept
briefly so a flood of unknown hosts does not become a flood of queries). Every change of a
Tenant or Domain row forgets the hosts it concerns: model signals for saves and deletes, and
`forget_tenant()` for the services that update rows in bulk (`QuerySet.update`). Forgetting
happens at once and again after the transaction commits, so a request that read the old row
between the two cannot keep it. TTL is only a backstop.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

TTL = 3600
MISSING_TTL = 30
_MISSING = "missing"


def _key(hostname: str) -> str:
    return f"tenancy:host:{hostname.lower()}"


def lookup(domain_model, hostname: str):
    """The tenant served at `hostname` (raises domain_model.DoesNotExist). The caller's
    connection is in the public schema (the tenant middleware sets it first), so the cache
    key carries the public prefix whichever tenant is asked for."""
    key = _key(hostname)
    cached = cache.get(key)
    if cached == _MISSING:
        raise domain_model.DoesNotExist
    if cached is not None:
        return cached
    try:
        tenant = domain_model.objects.select_related("tenant").get(domain=hostname).tenant
    except domain_model.DoesNotExist:
        cache.set(key, _MISSING, MISSING_TTL)
        raise
    cache.set(key, tenant, TTL)
    return tenant


def forget_hosts(*hostnames: str) -> None:
    keys = [_key(h) for h in hostnames if h]
    if not keys:
        return

    def forget():
        with schema_context(get_public_schema_name()):
            cache.delete_many(keys)

    forget()
    transaction.on_commit(forget)


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
