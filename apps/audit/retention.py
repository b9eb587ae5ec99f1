"""Audit log retention: entries older than AUDIT_RETENTION_DAYS are exported, then removed.

The table stays append-only for everything else: the one DELETE this module issues runs
with pgtrigger's ignore switch for the table's `append_only` trigger, scoped to that single
statement and transaction, after the export of exactly those rows is stored and its
checksum recorded. The order is export → store → delete → record (`audit.pruned`, with the
file name, row count, id range and SHA-256), all for one schema in one transaction: if the
storage or the delete fails, nothing is removed.

Where the files go: the `backups` storage (STORAGES["backups"]: BACKUP_DIR or the S3 bucket),
as `audit/SCHEMA-audit-UNTIL-STAMP.csv.gz` (the same CSV as the admin's export, gzip).
"""

from __future__ import annotations

import gzip
import hashlib
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import pgtrigger
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, transaction
from django.utils import timezone

from . import actions
from .export import rows as csv_rows
from .models import AuditEntry
from .services import record


@dataclass
class Pruned:
    schema: str
    removed: int
    file: str = ""
    sha256: str = ""


def cutoff(days: int | None = None, now: datetime | None = None) -> datetime:
    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    return (now or timezone.now()) - timedelta(days=days)


def prune(*, days: int | None = None, now: datetime | None = None, dry_run: bool = False) -> Pruned:
    """Export and remove the current schema's entries older than the retention."""
    schema = connection.schema_name
    before = cutoff(days, now)
    with transaction.atomic():
        # One pruning per schema at a time (a second run waits, then finds nothing left).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{schema}.audit_prune"])
        old = AuditEntry.objects.filter(at__lt=before)
        bounds = old.order_by("id").values_list("id", flat=True)
        first, last = bounds.first(), old.order_by("-id").values_list("id", flat=True).first()
        if first is None:
            return Pruned(schema, 0)
        chosen = AuditEntry.objects.filter(at__lt=before, id__lte=last)
        count = chosen.count()
        if dry_run:
            return Pruned(schema, count)
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as archive:
            for line in csv_rows(chosen):
                archive.write(line.encode("utf-8"))
        data = buffer.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        name = storages["backups"].save(f"audit/{schema}-audit-until-{before:%Y%m%d}-{stamp}.csv.gz", ContentFile(data))
        with pgtrigger.ignore("audit.AuditEntry:append_only"):
            removed, _ = chosen.delete()
        record(
            actions.PRUNED,
            resource=("audit.auditentry", ""),
            details={
                "rows": removed,
                "before": before.isoformat(),
                "first_id": first,
                "last_id": last,
                "file": name,
                "sha256": digest,
            },
        )
        return Pruned(schema, removed, name, digest)


def prune_every_schema(*, days: int | None = None, dry_run: bool = False) -> list[Pruned]:
    """prune() in the public schema and in every tenant, one transaction each."""
    from django_tenants.utils import schema_context

    from apps.tenancy.models import Tenant

    schemas = ["public", *Tenant.objects.filter(is_template=False).values_list("schema_name", flat=True)]
    results = []
    for schema in schemas:
        with schema_context(schema):
            results.append(prune(days=days, dry_run=dry_run))
    return results
