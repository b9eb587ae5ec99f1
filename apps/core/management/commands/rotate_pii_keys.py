"""Re-encrypt personal data with the newest key, and recompute blind indexes after the
index key changed (apps/core/pii.py explains the procedure). Each schema in one
transaction; running it again is harmless."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django_tenants.utils import get_tenant_model, schema_context

from apps.core import pii

ENCRYPTED = (pii.EncryptedTextField, pii.EncryptedDateField)


class Command(BaseCommand):
    help = "Re-encrypt personal data with the first PII_ENCRYPTION_KEYS key; recompute blind indexes."

    def add_arguments(self, parser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--schema", help="one schema")
        target.add_argument("--all", action="store_true", help="every schema (tenants, templates, public)")

    def handle(self, *args, schema: str | None = None, all: bool = False, **options) -> None:
        schemas = self._schemas() if all else [schema]
        known = set(self._schemas())
        for name in schemas:
            if name not in known:
                raise CommandError(f"no schema {name!r}")
        pii.reset_keys()
        for name in schemas:
            with schema_context(name), transaction.atomic():
                rotated, indexed, lost = self._rotate_schema()
            self.stdout.write(
                f"{name}: {rotated} values re-encrypted, {indexed} indexes recomputed"
                + (f", {lost} values (kiosk PINs) must be set again" if lost else "")
            )

    @staticmethod
    def _schemas() -> list[str]:
        names = list(get_tenant_model().objects.order_by("schema_name").values_list("schema_name", flat=True))
        return list(dict.fromkeys(["public", *names]))

    def _rotate_schema(self) -> tuple[int, int, int]:
        tables = set(connection.introspection.table_names())
        rotated = 0
        for model in apps.get_models():
            if model._meta.db_table not in tables or model._meta.proxy:
                continue
            fields = [f for f in model._meta.concrete_fields if isinstance(f, ENCRYPTED)]
            if fields:
                rotated += self._reencrypt(model, fields)
        indexed = lost = 0
        if settings.PII_BLIND_INDEX_PREVIOUS_KEY:
            for index in pii.BLIND_INDEXES:
                model = apps.get_model(index.model)
                if model._meta.db_table not in tables:
                    continue
                if index.compute is None:  # the value is not stored: it must be set again
                    lost += model._default_manager.exclude(**{index.field: ""}).exclude(**{index.field: None}).count()
                else:
                    indexed += self._reindex(model, index)
        return rotated, indexed, lost

    @staticmethod
    def _reencrypt(model, fields) -> int:
        """Raw SQL: the fields' own conversion would decrypt on read and encrypt anew on write,
        but rows must not be saved (no signals, no timestamps touched)."""
        quote = connection.ops.quote_name
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        columns = [quote(f.column) for f in fields]
        count = 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk}, {', '.join(columns)} FROM {table}")
            rows = cursor.fetchall()
            for key, *values in rows:
                new = [pii.rotate(v) if v and v.startswith(pii.PREFIX) else v for v in values]
                if new != values:
                    assignments = ", ".join(f"{c} = %s" for c in columns)
                    cursor.execute(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", [*new, key])
                    count += sum(1 for a, b in zip(values, new, strict=True) if a != b)
        return count

    @staticmethod
    def _reindex(model, index: pii.BlindIndex) -> int:
        count = 0
        for row in model._default_manager.all().iterator(chunk_size=500):
            value = index.compute(row)
            if value != getattr(row, index.field):
                model._default_manager.filter(pk=row.pk).update(**{index.field: value})
                count += 1
        return count
