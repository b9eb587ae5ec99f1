"""Backups: pg_dump per schema with a manifest, retention, restore into a new schema
(checked against the manifest, ledger chain intact, triggers back), the daily schedule
run by the real worker."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, transaction

from apps.ops import backups
from tests.utils import make_user


@pytest.fixture
def backup_dir(tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


def _fill(t, events: int = 25) -> None:
    """Users, a ledger chain and audit rows, committed."""
    from apps.audit.services import record
    from apps.ledger.services import append

    with t.context(), transaction.atomic():
        users = [make_user(f"user{i}") for i in range(4)]
        for i in range(events):
            append("test.event", subject=users[i % 4], actor=users[0], data={"n": i, "이름": "홍길동"})
        record("data.exported", actor=users[0], resource=("accounts.user", ""), details={"rows": 4})


def _drop_restored(schema: str) -> None:
    from apps.tenancy import services
    from apps.tenancy.models import Tenant

    connection.set_schema_to_public()
    tenant = Tenant.objects.filter(schema_name=schema).first()
    if tenant is not None:
        services.drop_tenant(tenant)
    backups._drop_schema(schema)


def test_backup_then_restore_into_a_new_schema(live_tenant, backup_dir):
    from apps.ledger.models import Event
    from apps.ledger.services import append, last_hash, verify

    t = live_tenant("academy")
    _fill(t)
    out = StringIO()
    call_command("backup", "--schema", t.schema, stdout=out)
    files = sorted(os.listdir(backup_dir))
    assert len(files) == 2, files
    dump, manifest_file = (f for f in sorted(files, key=lambda f: not f.endswith(".dump")))
    assert re.fullmatch(rf"{t.schema}-\d{{8}}T\d{{6}}Z\.dump", dump)
    assert manifest_file == dump.replace(".dump", ".manifest.json")
    assert Path(backup_dir, dump).read_bytes()[:5] == b"PGDMP"  # custom format (compressed)
    manifest = json.loads(Path(backup_dir, manifest_file).read_text())
    with t.context():
        head = last_hash()
    assert manifest["schema"] == t.schema and manifest["tenant"]["type"] == "academy"
    assert manifest["ledger"] == {"events": 25, "last_hash": head}
    assert manifest["tables"]["ledger_event"] == 25 and manifest["tables"]["accounts_user"] == 4
    assert manifest["tables"]["audit_auditentry"] >= 1
    assert manifest["tables"] == backups.describe(t.schema)["tables"]

    restored = f"{t.schema}_r"
    try:
        out = StringIO()
        call_command(
            "restore",
            "--from",
            str(backup_dir / dump),
            "--into",
            restored,
            "--as-tenant",
            "restored.live.test",
            stdout=out,
        )
        assert "matches the manifest" in out.getvalue()
        contents = backups.describe(restored)
        assert contents["tables"] == manifest["tables"]
        assert contents["ledger"]["last_hash"] == head
        # The chain verifies in the restored schema, which is a tenant now.
        call_command("verify_ledger", "--schema", restored, stdout=StringIO())
        from django_tenants.utils import schema_context

        with schema_context(restored):
            assert verify().ok and verify().events == 25
            # The append-only triggers came back with the schema.
            refused = r"pgtrigger: Cannot update or delete rows from ledger_event"
            with pytest.raises(ProgrammingError, match=refused), transaction.atomic():
                Event.objects.filter(seq=1).update(kind="tampered")
            # The chain goes on from the restored head; sequences restored too.
            assert append("test.after_restore").seq == 26
            make_user("after_restore")
        # The original is untouched, and each serves its own host.
        assert backups.describe(t.schema)["tables"]["ledger_event"] == 25
        from django.test import Client

        site = Client(HTTP_HOST="restored.live.test").get("/api/v1/site/").json()
        assert site["schema"] == restored
    finally:
        _drop_restored(restored)


def test_restore_refuses_bad_targets_and_writes_nothing(live_tenant, tenants, backup_dir):
    t = live_tenant("store")
    backup = backups.backup_schema(t.schema)
    dump = str(backup_dir / backup.name)

    def databases() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database")
            return {row[0] for row in cursor.fetchall()}

    before = databases()
    cases = [
        (["--into", t.schema], "already exists"),
        (["--into", "Bad-Name"], "not a usable schema name"),
        (["--into", "public"], "not a usable schema name"),
        (["--into", "fresh_one", "--as-tenant", tenants["zone"].domain], "already belongs"),
        (["--into", "fresh_one", "--as-tenant", "not a host"], "not a valid host name"),
    ]
    for args, message in cases:
        with pytest.raises(CommandError, match=message):
            call_command("restore", "--from", dump, *args)
    with pytest.raises(CommandError, match="No backup file"):
        call_command("restore", "--from", "nope.dump", "--into", "fresh_one")
    # A damaged file is refused by its checksum.
    damaged = backup_dir / "copy.dump"
    damaged.write_bytes(Path(dump).read_bytes()[:-10] + b"0123456789")
    (backup_dir / "copy.manifest.json").write_text((backup_dir / backup.manifest_name).read_text())
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", "--from", str(damaged), "--into", "fresh_one")
    assert not backups.schema_exists("fresh_one")
    assert databases() == before  # no scratch database left behind


def test_restore_without_manifest_needs_the_type_for_a_tenant(live_tenant, backup_dir):
    t = live_tenant("club")
    _fill(t, events=3)
    backup = backups.backup_schema(t.schema)
    os.remove(backup_dir / backup.manifest_name)
    with pytest.raises(CommandError, match="--type"):
        call_command("restore", "--from", str(backup_dir / backup.name), "--into", "club_r", "--as-tenant", "c.test")
    try:
        result = backups.restore(str(backup_dir / backup.name), "club_r")
        assert result.manifest is None and result.tenant is None
        assert result.contents["ledger"]["events"] == 3
    finally:
        _drop_restored("club_r")


def test_prune_keeps_thirty_days(backup_dir):
    now = datetime(2026, 6, 30, 18, 15, tzinfo=UTC)

    def name(schema: str, age: timedelta, kind: str = "dump") -> str:
        return f"{schema}-{(now - age).strftime(backups.STAMP)}.{kind}"

    old = [
        name("t_a", timedelta(days=31)),
        name("t_a", timedelta(days=31), "manifest.json"),
        name("public", timedelta(days=90)),
    ]
    kept = [name("t_a", timedelta(days=29, hours=23)), name("t_a", timedelta(days=1), "manifest.json")]
    unrelated = ["notes.txt", "t_a-latest.dump"]
    for file in old + kept + unrelated:
        (backup_dir / file).write_bytes(b"x")
    assert sorted(backups.prune(now=now)) == sorted(old)
    assert sorted(os.listdir(backup_dir)) == sorted(kept + unrelated)
    assert backups.prune(now=now, days=1) == [kept[0]]


def test_daily_schedule():
    from celery.schedules import crontab

    from config.celery_app import app

    entry = settings.CELERY_BEAT_SCHEDULE["backups-daily"]
    assert entry["schedule"] == crontab(hour=3, minute=15)
    assert settings.CELERY_TIMEZONE == "Asia/Seoul"
    assert "headers" not in entry.get("options", {})  # once, in the public schema: it backs up every schema
    route = app.amqp.router.route({}, entry["task"])
    assert route["queue"].name == "reports"
    assert settings.BACKUP_RETENTION_DAYS == 30


@pytest.mark.timeout(180)
def test_the_scheduled_task_runs_in_the_worker(celery_worker, live_db, tenants):
    """The real worker backs up every schema into the shared BACKUP_DIR, then prunes."""
    from apps.ops.tasks import report_backups

    old = (
        Path(settings.BACKUP_DIR) / f"t_zone_a-{(datetime.now(UTC) - timedelta(days=40)).strftime(backups.STAMP)}.dump"
    )
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(b"old")
    result = report_backups.delay().get(timeout=150)
    assert not result["failed"]
    stored = set(result["stored"])
    for schema in ("public", *(t.schema for t in tenants.values())):
        assert any(name.startswith(f"{schema}-") for name in stored), (schema, stored)
    assert not any(name.startswith("template_") for name in stored)
    assert old.name in result["pruned"] and not old.exists()
    for name in stored:
        assert (Path(settings.BACKUP_DIR) / name).exists()
        os.remove(Path(settings.BACKUP_DIR) / name)
        os.remove(Path(settings.BACKUP_DIR) / name.replace(".dump", ".manifest.json"))


def test_pg_tool_matches_the_server():
    path = backups.pg_tool("pg_dump")
    with psycopg.connect(**backups._params()) as conn:
        server = conn.info.server_version // 10000
    import subprocess

    version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    assert int(re.search(r"\) (\d+)", version).group(1)) >= server


def test_restore_by_name_from_the_backup_storage(live_tenant, backup_dir):
    """`--from` may name a file in the backup storage (as with S3): it is fetched through
    the storage API, with its manifest, and checked against it."""
    t = live_tenant("zone")
    _fill(t, events=5)
    backup = backups.backup_schema(t.schema)
    out = StringIO()
    try:
        call_command("restore", "--from", backup.name, "--into", "zone_from_storage", stdout=out)
        assert "matches the manifest" in out.getvalue()
        assert backups.describe("zone_from_storage")["ledger"] == backup.manifest["ledger"]
    finally:
        _drop_restored("zone_from_storage")
