"""Backups in an S3-compatible bucket, end to end against the S3 sandbox on loopback
(moto's S3 server, apps.media.sandbox): `backup --to s3://bucket/prefix`, restore from
there into a new schema checked against its manifest, and BACKUP_STORAGE=s3's storage."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.ops import backups
from tests.media.conftest import boto_client, s3_bucket, s3_connection, s3_server  # noqa: F401 (fixtures)
from tests.ops.test_backups import _drop_restored, _fill


@pytest.fixture
def s3_settings(settings, s3_server):  # noqa: F811
    settings.S3_CONNECTION = s3_connection(s3_server.endpoint)
    return settings


def _objects(endpoint: str, bucket: str, prefix: str) -> dict[str, bytes]:
    client = boto_client(endpoint)
    listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listing}


def test_backup_to_s3_and_restore_from_it(live_tenant, s3_settings, s3_server, s3_bucket):  # noqa: F811
    from apps.ledger.services import last_hash

    t = live_tenant("academy")
    _fill(t)
    with t.context():
        head = last_hash()
    out = StringIO()
    call_command("backup", "--schema", t.schema, "--to", f"s3://{s3_bucket}/nightly/db", stdout=out)
    stored = _objects(s3_server.endpoint, s3_bucket, "nightly/db/")
    names = sorted(stored)
    assert len(names) == 2 and names[0].endswith(".dump") and names[1].endswith(".manifest.json")
    assert stored[names[0]][:5] == b"PGDMP"
    manifest = json.loads(stored[names[1]])
    assert manifest["schema"] == t.schema and manifest["ledger"] == {"events": 25, "last_hash": head}

    restored = f"{t.schema}_s3"
    dump = names[0].rsplit("/", 1)[-1]
    try:
        out = StringIO()
        call_command("restore", "--from", f"s3://{s3_bucket}/nightly/db/{dump}", "--into", restored, stdout=out)
        assert "matches the manifest" in out.getvalue()
        contents = backups.describe(restored)
        assert contents["tables"] == manifest["tables"] and contents["ledger"]["last_hash"] == head
    finally:
        _drop_restored(restored)


def test_a_damaged_dump_in_s3_is_refused_and_nothing_restored(live_tenant, s3_settings, s3_server, s3_bucket):  # noqa: F811
    t = live_tenant("academy")
    _fill(t, events=3)
    call_command("backup", "--schema", t.schema, "--to", f"s3://{s3_bucket}/b", stdout=StringIO())
    client = boto_client(s3_server.endpoint)
    dump = next(k for k in _objects(s3_server.endpoint, s3_bucket, "b/") if k.endswith(".dump"))
    body = client.get_object(Bucket=s3_bucket, Key=dump)["Body"].read()
    client.put_object(Bucket=s3_bucket, Key=dump, Body=body[:-10] + b"x" * 10)
    with pytest.raises(CommandError, match="checksum does not match"):
        call_command("restore", "--from", f"s3://{s3_bucket}/{dump}", "--into", "never_made", stdout=StringIO())
    assert not backups.schema_exists("never_made")
    with pytest.raises(CommandError, match="No backup file"):
        call_command("restore", "--from", f"s3://{s3_bucket}/b/nope.dump", "--into", "never_made")


def test_backup_storage_s3_setting(live_tenant, settings, s3_server, s3_bucket):  # noqa: F811
    """BACKUP_STORAGE=s3: STORAGES["backups"] as base.py builds it, with the daily prune."""
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **s3_connection(s3_server.endpoint),
                "bucket_name": s3_bucket,
                "location": "megacity-backups",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    t = live_tenant("store")
    _fill(t, events=2)
    call_command("backup", "--schema", t.schema, stdout=StringIO())
    names = sorted(_objects(s3_server.endpoint, s3_bucket, "megacity-backups/"))
    assert len(names) == 2
    restored = f"{t.schema}_r"
    try:
        out = StringIO()
        call_command("restore", "--from", names[0].split("/", 1)[1], "--into", restored, stdout=out)
        assert "matches the manifest" in out.getvalue()
    finally:
        _drop_restored(restored)
    # Retention: nothing is older than 30 days yet; with 0 days everything goes.
    assert backups.prune() == []
    assert sorted(backups.prune(days=-1)) == sorted(n.split("/", 1)[1] for n in names)
    assert _objects(s3_server.endpoint, s3_bucket, "megacity-backups/") == {}
