"""Tenant provisioning: the one place that creates tenants, their schemas and templates.

The management command, the operator admin and the Celery task all call these.

A new tenant's schema is cloned from its type's template schema and its migrations are
faked, which takes about a second instead of migrating every app from scratch. Templates
are Tenant rows (is_template=True, no domain) so every `migrate_schemas` migrates them
with the other tenants; `ensure_templates` creates missing ones after each migrate, and
`build_schema` refuses to clone a template that is behind the migrations on disk.
"""

from __future__ import annotations

import re
import time
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, schema_exists

from . import host_roles, hosts
from .models import Domain, Plan, Tenant, TenantType, template_schema_name

SCHEMA_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
RESERVED_SCHEMAS = {"public", "information_schema"}
TENANT_TYPES = [t for t in TenantType.values if t != TenantType.PUBLIC]


def tenant_types() -> list[str]:
    """The types a business tenant may have (every type but the platform's own)."""
    return list(TENANT_TYPES)


# ---------------------------------------------------------------------------- validation


def normalise_domain(domain: str) -> str:
    return (domain or "").strip().lower().rstrip(".")


def suggest_schema_name(domain: str) -> str:
    label = normalise_domain(domain).split(".")[0]
    name = slugify(label).replace("-", "_")
    if not name or not name[0].isalpha():
        name = f"t_{name}"
    return name[:48]


def validate_new_tenant(*, name: str, tenant_type: str, domain: str, schema_name: str) -> None:
    """Raise ValidationError naming each bad field; nothing is written."""
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = _("A tenant needs a name.")
    if tenant_type not in TENANT_TYPES:
        errors["type"] = _("Unknown tenant type %(type)r; choose one of %(types)s.") % {
            "type": tenant_type,
            "types": ", ".join(TENANT_TYPES),
        }
    if not HOSTNAME_RE.match(domain):
        errors["domain"] = _("%(domain)r is not a valid host name.") % {"domain": domain}
    elif taken := Domain.objects.filter(domain__in=[domain, *host_roles.role_hosts(tenant_type, domain)]).first():
        errors["domain"] = _("The domain %(domain)s already belongs to a tenant.") % {"domain": taken.domain}
    if (
        not SCHEMA_NAME_RE.match(schema_name)
        or schema_name in RESERVED_SCHEMAS
        or schema_name.startswith(("pg_", "template_"))
    ):
        errors["schema_name"] = _(
            "%(schema)r is not a usable schema name: lower-case letters, digits and _, "
            "starting with a letter, at most 48 characters."
        ) % {"schema": schema_name}
    elif Tenant.objects.filter(schema_name=schema_name).exists() or schema_exists(schema_name):
        errors["schema_name"] = _("The schema %(schema)s already exists.") % {"schema": schema_name}
    if errors:
        raise ValidationError(errors)


# ---------------------------------------------------------------------------- provisioning


def register_tenant(
    *,
    name: str,
    tenant_type: str,
    domain: str,
    schema_name: str | None = None,
    plan: Plan | str | None = None,
) -> Tenant:
    """Create the Tenant and Domain rows in 'provisioning' state; no schema yet."""
    domain = normalise_domain(domain)
    schema_name = (schema_name or suggest_schema_name(domain)).strip().lower()
    validate_new_tenant(name=name, tenant_type=tenant_type, domain=domain, schema_name=schema_name)
    if isinstance(plan, str):
        try:
            plan = Plan.objects.get(code=plan)
        except Plan.DoesNotExist:
            raise ValidationError({"plan": _("No plan with code %(code)r.") % {"code": plan}}) from None
    with schema_context("public"), transaction.atomic():
        tenant = Tenant.objects.create(
            name=name.strip(), type=tenant_type, schema_name=schema_name, plan=plan, status=Tenant.Status.PROVISIONING
        )
        Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
        ensure_role_hosts(tenant, domain)
    return tenant


def ensure_role_hosts(tenant: Tenant, domain: str) -> list[str]:
    """Give `tenant` the role hosts of its type on `domain` (app., api., admin. for a
    zone: apps.tenancy.host_roles) that it lacks; returns the hosts added."""
    added = []
    with schema_context("public"):
        for host in host_roles.role_hosts(tenant.type, domain):
            _row, created = Domain.objects.get_or_create(domain=host, defaults={"tenant": tenant, "is_primary": False})
            if created:
                added.append(host)
    return added


def build_schema(tenant: Tenant, *, method: str = Tenant.Method.CLONE) -> Tenant:
    """Create the tenant's schema, by cloning its type's template or by migrating, and
    mark it active. Idempotent: a tenant that is already built is left as it is."""
    with schema_context("public"):
        tenant = Tenant.objects.get(pk=tenant.pk)
        if tenant.status == Tenant.Status.ACTIVE and schema_exists(tenant.schema_name):
            return tenant
        started = time.perf_counter()
        try:
            if method == Tenant.Method.CLONE:
                ensure_template_current(tenant.type)
                tenant.create_schema(check_if_exists=True, verbosity=0)
            else:
                _migrate_new_schema(tenant)
        except Exception as exc:
            Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.FAILED, provisioning_error=repr(exc))
            hosts.forget_tenant(tenant)
            raise
        tenant.status = Tenant.Status.ACTIVE
        tenant.provisioned_at = timezone.now()
        tenant.provisioning_method = method
        tenant.provisioning_seconds = round(time.perf_counter() - started, 3)
        tenant.provisioning_error = ""
        tenant.save(
            update_fields=[
                "status",
                "provisioned_at",
                "provisioning_method",
                "provisioning_seconds",
                "provisioning_error",
            ]
        )
    return tenant


def provision_tenant(
    *,
    name: str,
    tenant_type: str,
    domain: str,
    schema_name: str | None = None,
    plan: Plan | str | None = None,
    method: str = Tenant.Method.CLONE,
    asynchronous: bool = False,
) -> Tenant:
    """Register a tenant and build its schema, now or in Celery after commit."""
    tenant = register_tenant(name=name, tenant_type=tenant_type, domain=domain, schema_name=schema_name, plan=plan)
    if asynchronous:
        enqueue_build(tenant, method=method)
        return tenant
    return build_schema(tenant, method=method)


def enqueue_build(tenant: Tenant, *, method: str = Tenant.Method.CLONE) -> None:
    from .tasks import build_tenant_schema

    with schema_context("public"):
        build_tenant_schema.delay_on_commit(tenant.pk, method)


def _migrate_new_schema(tenant: Tenant) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{tenant.schema_name}"')
    call_command(
        "migrate_schemas",
        tenant=True,
        schema_name=tenant.schema_name,
        interactive=False,
        verbosity=0,
    )
    connection.set_schema_to_public()


# ---------------------------------------------------------------------------- templates and bootstrap


@lru_cache(maxsize=1)
def migrations_on_disk() -> frozenset[tuple[str, str]]:
    """Every migration the code defines. Read once per process: files don't change under it."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.disk_migrations.keys())


def applied_migrations(schema_name: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')
        return {(app, name) for app, name in cursor.fetchall()}


def ensure_template_current(tenant_type: str) -> Tenant:
    """The template of a type, created or migrated so that a clone of it is never behind."""
    template = ensure_template(tenant_type)
    missing = migrations_on_disk() - applied_migrations(template.schema_name)
    if missing:
        call_command("migrate_schemas", tenant=True, schema_name=template.schema_name, interactive=False, verbosity=0)
        connection.set_schema_to_public()
    return template


def ensure_template(tenant_type: str) -> Tenant:
    schema = template_schema_name(tenant_type)
    with schema_context("public"):
        template, _created = Tenant.objects.get_or_create(
            schema_name=schema,
            defaults={
                "name": f"Template: {tenant_type}",
                "type": tenant_type,
                "is_template": True,
                "status": Tenant.Status.PROVISIONING,
            },
        )
        if not schema_exists(schema):
            started = time.perf_counter()
            template.create_schema(check_if_exists=True, verbosity=0)
            template.provisioning_seconds = round(time.perf_counter() - started, 3)
            template.provisioning_method = Tenant.Method.MIGRATE
        if template.status != Tenant.Status.ACTIVE:
            template.status = Tenant.Status.ACTIVE
            template.provisioned_at = timezone.now()
            template.save()
    return template


def ensure_templates() -> list[Tenant]:
    return [ensure_template_current(tenant_type) for tenant_type in TENANT_TYPES]


def ensure_public_tenant() -> Tenant:
    """The platform operators' tenant, reached on settings.PLATFORM_HOSTS."""
    with schema_context("public"):
        tenant, _created = Tenant.objects.get_or_create(
            schema_name="public",
            defaults={"name": "MegaCity", "type": TenantType.PUBLIC, "status": Tenant.Status.ACTIVE},
        )
        for host in settings.PLATFORM_HOSTS:
            Domain.objects.get_or_create(
                domain=normalise_domain(host),
                defaults={"tenant": tenant, "is_primary": host == settings.PLATFORM_HOSTS[0]},
            )
    return tenant


def set_status(tenant: Tenant, status: str) -> Tenant:
    """Suspend or reactivate a tenant. Provisioning states are the services' own."""
    if status not in (Tenant.Status.ACTIVE, Tenant.Status.SUSPENDED):
        raise ValidationError({"status": _("Only active and suspended can be set by hand.")})
    if tenant.is_template or tenant.is_public:
        raise ValidationError({"status": _("Templates and the platform tenant cannot be suspended.")})
    if status == Tenant.Status.ACTIVE and not schema_exists(tenant.schema_name):
        raise ValidationError({"status": _("This tenant has no schema yet; provision it first.")})
    with schema_context("public"):
        Tenant.objects.filter(pk=tenant.pk).update(status=status)
        tenant.status = status
        hosts.forget_tenant(tenant)
    return tenant


def purge_deleted_tenant_keys(sender, instance: Tenant, **kwargs) -> None:
    """post_delete of a Tenant (drop_tenant, the operator admin): its Redis keys (cache,
    rate limits, leaderboards, live state, channel groups) go once the deletion commits
    (apps.core.tenant_keys)."""
    from apps.core.tenant_keys import purge_after_commit

    if instance.schema_name and not instance.is_public:
        purge_after_commit(instance.schema_name)


def drop_tenant(tenant: Tenant) -> None:
    """Delete a tenant row and its schema (tests and benchmarks; operators suspend), the
    registry's links to the profiles that schema held, and (after commit) its Redis keys."""
    from apps.identity.models import IdentityLink

    if tenant.pk is None:
        return  # dropped already
    with schema_context("public"), transaction.atomic():
        IdentityLink.objects.filter(schema_name=tenant.schema_name).delete()
        tenant.delete(force_drop=True)
