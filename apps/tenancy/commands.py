"""A management command that runs once per tenant of one type (every one, or `--schema`)."""

from __future__ import annotations

from collections.abc import Iterator

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_tenant_model, schema_context


class PerTenantCommand(BaseCommand):
    """Subclasses set `tenant_type` and loop over `self.each_tenant(schema)`, which yields
    each tenant inside its schema; a `--schema` naming no such tenant is an error, not a
    silent run over nothing."""

    tenant_type: str = ""

    def add_arguments(self, parser) -> None:
        parser.add_argument("--schema", help=f"the {self.tenant_type}'s schema (default: every {self.tenant_type})")

    def each_tenant(self, schema: str | None) -> Iterator:
        tenants = get_tenant_model().objects.filter(type=self.tenant_type, is_template=False)
        if schema:
            tenants = tenants.filter(schema_name=schema)
            if not tenants.exists():
                raise CommandError(f"--schema {schema}: no such {self.tenant_type}")
        for tenant in tenants:
            with schema_context(tenant.schema_name):
                yield tenant
