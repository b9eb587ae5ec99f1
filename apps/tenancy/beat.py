"""Celery beat over django-celery-beat, fanning schedules out to tenants.

Schedules live in the public schema (editable in the operator admin). A schedule whose
headers carry `_tenant_types` (e.g. {"_tenant_types": ["academy"]}) runs once in every
active tenant of those types; `_schema_name` runs it in one tenant; a schedule with
neither runs in the public schema. Templates, suspended and unfinished tenants are
never scheduled.
"""

from __future__ import annotations

import logging

from django_tenants.utils import get_public_schema_name, schema_context
from tenant_schemas_celery.db_scheduler import TenantAwareDatabaseScheduler

from .models import Tenant

logger = logging.getLogger(__name__)


def schedulable_tenants():
    return Tenant.objects.filter(status=Tenant.Status.ACTIVE, is_template=False)


class TenantTypeAwareScheduler(TenantAwareDatabaseScheduler):
    @classmethod
    def get_queryset(cls):
        return schedulable_tenants()

    def get_schema_names(self) -> list[str]:
        # PeriodicTask rows exist only in public: tenant schemas would see the same
        # table through search_path and double every schedule.
        return [get_public_schema_name()]

    def schemas_for(self, entry) -> list[str]:
        headers = entry.options.setdefault("headers", {})
        tenant_types = headers.get("_tenant_types")
        tenants = self.get_queryset()
        if tenant_types:
            return list(tenants.filter(type__in=tenant_types).values_list("schema_name", flat=True))
        # `_all_tenants_only` is not ours to read: tenant-schemas-celery stamps it on every
        # CELERY_BEAT_SCHEDULE entry that names no tenant_schemas, so honouring it sent the
        # public-schema jobs (backups, audit retention, the fleet's probe) once per tenant.
        schema = headers.get("_schema_name", get_public_schema_name())
        return list(tenants.filter(schema_name=schema).values_list("schema_name", flat=True))

    def apply_entry(self, entry, producer=None):
        schemas = self.schemas_for(entry)
        logger.info("beat: sending %s (%s) to %d schema(s)", entry.name, entry.task, len(schemas))
        original = entry.options
        headers = {k: v for k, v in original.get("headers", {}).items() if k != "_schema_name"}
        try:
            for schema in schemas:
                # Each send carries its own tenant; the stored entry is left untouched.
                entry.options = {**original, "headers": {**headers, "_schema_name": schema}}
                with schema_context(schema):
                    try:
                        result = self.apply_async(entry, producer=producer, advance=False)
                    except Exception:
                        logger.exception("beat: sending %s to %s failed", entry.name, schema)
                    else:
                        logger.debug("beat: %s sent to %s as %s", entry.task, schema, result.id)
        finally:
            entry.options = original
