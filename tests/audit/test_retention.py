"""Audit log retention (issue 12): entries older than AUDIT_RETENTION_DAYS are exported to
storage, then removed; the table stays append-only for everything else."""

import gzip
import hashlib
import io
from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.audit.retention import prune


@pytest.fixture
def backup_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    storages._storages = {}  # the handler caches backends
    yield tmp_path
    storages._storages = {}


def _entries(days_ago: list[int]) -> list[AuditEntry]:
    now = timezone.now()
    return [
        AuditEntry.objects.create(action=f"test.age{d}", at=now - timedelta(days=d), details={"d": d}) for d in days_ago
    ]


@pytest.mark.django_db
def test_old_entries_are_exported_then_removed(tenants, backup_dir, settings):
    settings.AUDIT_RETENTION_DAYS = 365
    with tenants["academy"].context():
        _entries([800, 400, 366, 364, 10])
        kept_before = AuditEntry.objects.count()
        result = prune()
        assert result.removed == 3
        assert set(AuditEntry.objects.filter(action__startswith="test.age").values_list("action", flat=True)) == {
            "test.age364",
            "test.age10",
        }
        # The export holds exactly the removed rows, and its checksum is in the log.
        data = (backup_dir / result.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == result.sha256
        text = gzip.decompress(data).decode("utf-8-sig")
        assert all(f"test.age{d}" in text for d in (800, 400, 366)) and "test.age364" not in text
        pruned = AuditEntry.objects.get(action="audit.pruned")
        assert pruned.details["rows"] == 3 and pruned.details["sha256"] == result.sha256
        assert AuditEntry.objects.count() == kept_before - 3 + 1
        assert prune().removed == 0  # nothing left to do
    with tenants["academy_b"].context():
        assert not AuditEntry.objects.filter(action="audit.pruned").exists()  # per schema


@pytest.mark.django_db
def test_the_table_stays_append_only_outside_pruning(tenants, backup_dir):
    with tenants["academy"].context():
        _entries([1000])
        for statement in ("DELETE FROM audit_auditentry", "UPDATE audit_auditentry SET action = 'x'"):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
        prune(days=30)
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditentry")


@pytest.mark.django_db
def test_nothing_is_removed_when_the_export_cannot_be_stored(tenants, settings, monkeypatch, backup_dir):
    with tenants["academy"].context():
        _entries([1000, 900])
        before = AuditEntry.objects.count()

        def broken(*args, **kwargs):
            raise OSError("disk full")

        monkeypatch.setattr(storages["backups"], "save", broken)
        with pytest.raises(OSError):
            prune(days=30)
        assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_the_command_dry_runs_and_prunes_every_schema(tenants, backup_dir):
    with tenants["academy"].context():
        _entries([1000])
    out = io.StringIO()
    call_command("prune_audit_log", "--schema", tenants["academy"].schema, "--days", "30", "--dry-run", stdout=out)
    assert "would remove 1 entries" in out.getvalue()
    with tenants["academy"].context():
        assert AuditEntry.objects.filter(action="test.age1000").exists()
    call_command("prune_audit_log", "--schema", tenants["academy"].schema, "--days", "30", stdout=out)
    with tenants["academy"].context():
        assert not AuditEntry.objects.filter(action="test.age1000").exists()


@pytest.mark.django_db
def test_retention_is_scheduled_nightly_and_prunes_every_schema(tenants, backup_dir, settings):
    """The retention ran only by hand before: the nightly schedule now runs it everywhere."""
    from celery.schedules import crontab

    from apps.audit.tasks import prune_audit_log

    entry = settings.CELERY_BEAT_SCHEDULE["audit-retention"]
    assert entry["task"] == prune_audit_log.name
    assert entry["schedule"] == crontab(hour=4, minute=30)
    assert "_tenant_types" not in entry.get("options", {}).get("headers", {})  # once, from public
    settings.AUDIT_RETENTION_DAYS = 365
    for name in ("academy", "store"):
        with tenants[name].context():
            _entries([900])
    removed = prune_audit_log.apply().get()
    assert removed[tenants["academy"].schema] >= 1 and removed[tenants["store"].schema] >= 1
    for name in ("academy", "store"):
        with tenants[name].context():
            assert not AuditEntry.objects.filter(action="test.age900").exists()
    assert all(count == 0 for count in prune_audit_log.apply().get().values())  # idempotent
