"""Backups: one pg_dump per schema, a manifest beside it, retention, and restore into a
new schema.

**Backup.** `pg_dump -n SCHEMA -Fc` (custom format, compressed) of one schema, stored in
the `backups` storage (STORAGES["backups"]: a local folder, BACKUP_DIR, or an
S3-compatible bucket through django-storages) as `SCHEMA-YYYYMMDDTHHMMSSZ.dump` (UTC),
with `SCHEMA-YYYYMMDDTHHMMSSZ.manifest.json`: row counts per table and the ledger's last
event and hash. The counts and the dump come from one snapshot: a REPEATABLE READ
transaction exports its snapshot, counts inside it, and pg_dump reads the same snapshot
(`--snapshot`), so the manifest describes exactly what the file holds even while tenants
keep writing.

**Restore into a new schema.** A dump of schema `a` recreates schema `a`; restoring it
next to the live `a` needs a rename, and rewriting names in SQL text is fragile (the name
appears in data, function bodies and comments). So: restore the dump into a scratch
database on the same server, `ALTER SCHEMA a RENAME TO b` there (PostgreSQL moves every
object, and columns' sequence defaults and triggers refer to objects by OID, not name),
dump `b` and restore that into the real database; the scratch database is dropped. The
ledger's and audit log's append-only triggers (django-pgtrigger) come back with the
schema; their functions call `"public"._pgtrigger_should_ignore`, which the real database
has. pg_dump clears `search_path` in the dump and qualifies every name, so the restore
does not depend on it. The restoring role needs CREATEDB for the scratch database.

**Binaries.** pg_dump must be at least the server's major version: PG_BIN_DIR, else the
first of PATH's pg_dump, pgserver's bundled binaries and /usr/lib/postgresql/*/bin that is
new enough.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import connection
from psycopg import sql

STAMP = "%Y%m%dT%H%M%SZ"
NAME_RE = re.compile(r"^(?P<schema>[a-z][a-z0-9_]*)-(?P<stamp>\d{8}T\d{6}Z)\.(?P<kind>dump|manifest\.json)$")
LEDGER_TABLE = "ledger_event"


class BackupError(Exception):
    pass


# ---------------------------------------------------------------------------- postgres access


def _params(dbname: str | None = None) -> dict:
    s = connection.settings_dict
    params = {"dbname": dbname or s["NAME"], "user": s["USER"] or None, "host": s["HOST"] or None}
    if s["PORT"]:
        params["port"] = s["PORT"]
    if s["PASSWORD"]:
        params["password"] = s["PASSWORD"]
    return {k: v for k, v in params.items() if v is not None}


def _env(dbname: str | None = None) -> dict:
    p = _params(dbname)
    env = {**os.environ, "PGDATABASE": p["dbname"]}
    for key, var in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"), ("password", "PGPASSWORD")):
        if key in p:
            env[var] = str(p[key])
    return env


def _connect(dbname: str | None = None, **kwargs) -> psycopg.Connection:
    return psycopg.connect(**_params(dbname), **kwargs)


def _major(version_text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    return int(match.group(1)) if match else 0


@cache
def _server_major() -> int:
    with _connect() as conn:
        return int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000


def _candidates(tool: str) -> list[str]:
    found = []
    if getattr(settings, "PG_BIN_DIR", ""):
        found.append(os.path.join(settings.PG_BIN_DIR, tool))
    if shutil.which(tool):
        found.append(shutil.which(tool))
    try:
        from pgserver._commands import POSTGRES_BIN_PATH

        found.append(str(POSTGRES_BIN_PATH / tool))
    except ImportError:
        pass
    found += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), reverse=True)
    return [path for path in dict.fromkeys(found) if os.access(path, os.X_OK)]


@cache
def pg_tool(tool: str) -> str:
    """The path of pg_dump / pg_restore that can read this server (same major or newer)."""
    need = _server_major()
    seen = []
    for path in _candidates(tool):
        version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
        seen.append(f"{path} ({version.strip()})")
        if _major(version.split(")")[-1] if ")" in version else version) >= need:
            return path
    raise BackupError(f"No {tool} for PostgreSQL {need} found (set PG_BIN_DIR); looked at: {seen or 'nothing'}")


def _run(command: list[str], dbname: str | None = None) -> None:
    result = subprocess.run(command, env=_env(dbname), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(
            f"{os.path.basename(command[0])} failed ({result.returncode}): {result.stderr.strip()[-2000:]}"
        )


# ---------------------------------------------------------------------------- describing a schema


def describe_schema(cursor, schema: str) -> dict:
    """Row counts per table and the ledger's head, read through `cursor` (in whatever
    snapshot its transaction has)."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema])
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]
    ledger = None
    if LEDGER_TABLE in tables:
        cursor.execute(
            sql.SQL("SELECT seq, hash FROM {}.{} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1").format(
                sql.Identifier(schema), sql.Identifier(LEDGER_TABLE)
            )
        )
        row = cursor.fetchone()
        ledger = {"events": row[0] if row else 0, "last_hash": row[1] if row else None}
    # The signed head anchor (apps.ledger.anchor) from the same snapshot: a checkpoint of the
    # chain's end kept outside the database, for verify_ledger --anchor.
    cursor.execute("SELECT seq, hash, signature FROM public.ledger_anchor_head WHERE schema_name = %s", [schema])
    row = cursor.fetchone()
    anchor = {"seq": row[0], "hash": row[1], "signature": row[2]} if row else None
    return {"tables": counts, "ledger": ledger, "anchor": anchor}


def describe(schema: str) -> dict:
    with _connect() as conn, conn.cursor() as cursor:
        return describe_schema(cursor, schema)


def schema_exists(schema: str) -> bool:
    with _connect() as conn:
        return bool(conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone())


# ---------------------------------------------------------------------------- backup


def backup_storage(url: str | None = None):
    """STORAGES["backups"], or the storage a `--to`/`--from` URL names: `s3://bucket/prefix`
    (the S3 connection of settings.S3_CONNECTION / BACKUP_S3_*), or a local folder."""
    if not url:
        return storages["backups"]
    if url.startswith("s3://"):
        from apps.media.storage import s3_storage_for

        try:
            return s3_storage_for(url)
        except ValueError as exc:
            raise BackupError(str(exc)) from exc
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(location=url, base_url=None, file_permissions_mode=0o600)


def split_location(source: str) -> tuple[str | None, str]:
    """`s3://bucket/prefix/name.dump` → ("s3://bucket/prefix", "name.dump"); anything else is
    a local path or a name in STORAGES["backups"]: (None, source)."""
    if not source.startswith("s3://"):
        return None, source
    folder, _, name = source.rpartition("/")
    if not name or folder in ("s3:", "s3:/"):
        raise BackupError(f"{source!r}: give s3://bucket/prefix/NAME.dump")
    return folder, name


@dataclass
class Backup:
    schema: str
    name: str
    manifest_name: str
    manifest: dict = field(default_factory=dict)


def _tenant_info(schema: str) -> dict | None:
    from django_tenants.utils import schema_context

    from apps.tenancy.models import Tenant

    with schema_context("public"):
        tenant = Tenant.objects.filter(schema_name=schema).first()
        if tenant is None:
            return None
        return {
            "name": tenant.name,
            "type": tenant.type,
            "domains": list(tenant.domains.values_list("domain", flat=True)),
        }


def backup_schema(schema: str, *, now: datetime | None = None, to: str | None = None) -> Backup:
    """Dump one schema and store the file and its manifest (in the backups storage, or where
    `to` says: backup_storage). Nothing is stored if pg_dump fails."""
    if not schema_exists(schema):
        raise BackupError(f"No schema {schema!r} in the database.")
    now = now or datetime.now(UTC)
    stamp = now.astimezone(UTC).strftime(STAMP)
    base = f"{schema}-{stamp}"
    storage = backup_storage(to)
    with tempfile.TemporaryDirectory(prefix="mc-backup-") as tmp:
        path = Path(tmp) / f"{base}.dump"
        # The counts and the dump see one snapshot (see the module docstring).
        with _connect() as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with conn.transaction(), conn.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                contents = describe_schema(cursor, schema)
                _run([pg_tool("pg_dump"), "-n", schema, "-Fc", "-Z", "6", f"--snapshot={snapshot}", "-f", str(path)])
                server_version = conn.info.server_version
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        manifest = {
            "format": 1,
            "schema": schema,
            "tenant": _tenant_info(schema),
            "created_at": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "file": f"{base}.dump",
            "bytes": path.stat().st_size,
            "sha256": digest,
            "pg_dump": subprocess.run([pg_tool("pg_dump"), "--version"], capture_output=True, text=True).stdout.strip(),
            "server_version_num": server_version,
            **contents,
        }
        with path.open("rb") as handle:
            name = storage.save(f"{base}.dump", File(handle))
        manifest["file"] = name
        manifest_name = storage.save(
            f"{base}.manifest.json",
            File(_bytes_file(json.dumps(manifest, ensure_ascii=False, indent=2).encode()), name="manifest.json"),
        )
    return Backup(schema, name, manifest_name, manifest)


def _bytes_file(data: bytes):
    import io

    return io.BytesIO(data)


def schemas_to_back_up() -> list[str]:
    """The platform's schema and every tenant's (templates are rebuilt by migrate)."""
    from django_tenants.utils import schema_context

    from apps.tenancy.models import Tenant

    with schema_context("public"):
        names = list(
            Tenant.objects.filter(is_template=False).order_by("schema_name").values_list("schema_name", flat=True)
        )
    return [name for name in names if schema_exists(name)]


def backup_all(*, now: datetime | None = None, to: str | None = None) -> tuple[list[Backup], dict[str, str]]:
    """Back up every schema; one failing schema does not stop the others."""
    done, failed = [], {}
    now = now or datetime.now(UTC)
    for schema in schemas_to_back_up():
        try:
            done.append(backup_schema(schema, now=now, to=to))
        except BackupError as exc:
            failed[schema] = str(exc)
    return done, failed


def prune(*, days: int | None = None, now: datetime | None = None, to: str | None = None) -> list[str]:
    """Delete backups (dumps and manifests) older than `days` (BACKUP_RETENTION_DAYS),
    judged by the UTC time in their names. Files not named like a backup are left alone."""
    days = settings.BACKUP_RETENTION_DAYS if days is None else days
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    storage = backup_storage(to)
    _dirs, files = storage.listdir("")
    removed = []
    for name in sorted(files):
        match = NAME_RE.match(name)
        if not match:
            continue
        taken = datetime.strptime(match["stamp"], STAMP).replace(tzinfo=UTC)
        if taken < cutoff:
            storage.delete(name)
            removed.append(name)
    return removed


# ---------------------------------------------------------------------------- restore


@dataclass
class Restore:
    source_schema: str
    schema: str
    contents: dict
    manifest: dict | None
    tenant: object | None = None


def _dump_schema_name(path: str) -> str:
    listing = subprocess.run([pg_tool("pg_restore"), "-l", path], capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"{path} is not a pg_dump custom-format file: {listing.stderr.strip()[-500:]}")
    schemas = set(re.findall(r"^\d+; \d+ \d+ SCHEMA - (\S+) ", listing.stdout, re.M))
    if len(schemas) != 1:
        raise BackupError(f"{path} holds {len(schemas)} schemas ({', '.join(sorted(schemas))}); expected one.")
    return schemas.pop()


def _local_copy(source: str, tmp: str) -> tuple[str, dict | None]:
    """A local path for `source` (a file, or a name in the backup storage) and the
    manifest beside it, if any."""
    folder, source = split_location(source)
    if folder is None and os.path.exists(source):
        path = source
        manifest_path = re.sub(r"\.dump$", ".manifest.json", source)
        manifest = (
            json.loads(Path(manifest_path).read_text())
            if manifest_path != source and os.path.exists(manifest_path)
            else None
        )
        return path, manifest
    storage = backup_storage(folder)
    if not storage.exists(source):
        where = folder or "the backup storage"
        raise BackupError(f"No backup file {source!r} (neither a local path nor a name in {where}).")
    path = os.path.join(tmp, os.path.basename(source))
    with storage.open(source, "rb") as remote, open(path, "wb") as local:
        shutil.copyfileobj(remote, local)
    manifest_name = re.sub(r"\.dump$", ".manifest.json", source)
    manifest = None
    if manifest_name != source and storage.exists(manifest_name):
        with storage.open(manifest_name, "rb") as handle:
            manifest = json.loads(handle.read())
    return path, manifest


def validate_target(schema: str) -> None:
    from apps.tenancy.services import RESERVED_SCHEMAS, SCHEMA_NAME_RE

    if not SCHEMA_NAME_RE.match(schema) or schema in RESERVED_SCHEMAS or schema.startswith(("pg_", "template_")):
        raise BackupError(f"--into: {schema!r} is not a usable schema name (lower-case letters, digits and _).")
    if schema_exists(schema):
        raise BackupError(f"--into: the schema {schema!r} already exists; restore into a new name.")


def restore(
    source: str,
    into: str,
    *,
    as_tenant: str | None = None,
    tenant_type: str | None = None,
    tenant_name: str | None = None,
) -> Restore:
    """Restore the schema in `source` as the new schema `into`; optionally register it as
    a tenant serving the domain `as_tenant`. Checked against the manifest when there is
    one; on any failure the new schema is dropped and nothing else is written."""
    validate_target(into)
    with tempfile.TemporaryDirectory(prefix="mc-restore-") as tmp:
        path, manifest = _local_copy(source, tmp)
        source_schema = _dump_schema_name(path)
        if manifest and manifest.get("sha256"):
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            if digest != manifest["sha256"]:
                raise BackupError(f"{source}: checksum does not match its manifest (damaged or replaced file).")
        if as_tenant:
            tenant_type = tenant_type or ((manifest or {}).get("tenant") or {}).get("type")
            _validate_tenant(as_tenant, tenant_type)
        try:
            _restore_renamed(path, source_schema, into, tmp)
            contents = describe(into)
            if manifest and (contents["tables"] != manifest["tables"] or contents["ledger"] != manifest["ledger"]):
                raise BackupError(
                    f"Restored schema {into} does not match the manifest: tables {contents['tables']} "
                    f"vs {manifest['tables']}, ledger {contents['ledger']} vs {manifest['ledger']}"
                )
            _anchor_restored(into, contents["ledger"])
            tenant = None
            if as_tenant:
                name = tenant_name or ((manifest or {}).get("tenant") or {}).get("name") or into
                tenant = _register_tenant(into, as_tenant, tenant_type, f"{name} (restored)")
        except Exception:
            _drop_schema(into)
            raise
    return Restore(source_schema, into, contents, manifest, tenant)


def _anchor_restored(schema: str, ledger: dict | None) -> None:
    """A restored chain is anchored where the backup ended it (checked above against the manifest)."""
    if not ledger or not ledger.get("events"):
        return
    from apps.ledger.anchor.models import sign

    seq, head = ledger["events"], ledger["last_hash"]
    with _connect() as conn:
        conn.execute(
            "INSERT INTO public.ledger_anchor_head (schema_name, seq, hash, signature, updated_at) "
            "VALUES (%s, %s, %s, %s, now())",
            [schema, seq, head, sign(schema, seq, head)],
        )


def _restore_renamed(path: str, source_schema: str, into: str, tmp: str) -> None:
    scratch = f"mc_restore_{uuid.uuid4().hex[:12]}"
    with _connect(autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        extensions = [r[0] for r in conn.execute("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")]
    try:
        with _connect(scratch, autocommit=True) as conn:
            for extension in extensions:  # types and operators the tables may use
                conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension)))
        # One transaction each: all or nothing, and one commit instead of one per statement.
        restore_args = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        _run([pg_tool("pg_restore"), *restore_args, "-d", scratch, path], scratch)
        with _connect(scratch, autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(source_schema), sql.Identifier(into))
            )
        renamed = os.path.join(tmp, "renamed.dump")
        _run([pg_tool("pg_dump"), "-n", into, "-Fc", "-Z", "1", "-f", renamed], scratch)
        _run([pg_tool("pg_restore"), *restore_args, "-d", _params()["dbname"], renamed])
    finally:
        with _connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))


def _drop_schema(schema: str) -> None:
    with _connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        conn.execute("DELETE FROM public.ledger_anchor_head WHERE schema_name = %s", [schema])


def _validate_tenant(domain: str, tenant_type: str | None) -> None:
    from django_tenants.utils import schema_context

    from apps.tenancy.models import Domain
    from apps.tenancy.services import HOSTNAME_RE, TENANT_TYPES, normalise_domain

    if tenant_type not in TENANT_TYPES:
        raise BackupError(
            f"--type: give the tenant type ({', '.join(TENANT_TYPES)}); the backup has no manifest saying it."
        )
    domain = normalise_domain(domain)
    if not HOSTNAME_RE.match(domain):
        raise BackupError(f"--as-tenant: {domain!r} is not a valid host name.")
    with schema_context("public"):
        if Domain.objects.filter(domain=domain).exists():
            raise BackupError(f"--as-tenant: the domain {domain} already belongs to a tenant.")


def _register_tenant(schema: str, domain: str, tenant_type: str, name: str):
    from django.db import transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from apps.tenancy.models import Domain, Tenant
    from apps.tenancy.services import normalise_domain

    with schema_context("public"), transaction.atomic():
        tenant = Tenant(
            name=name, type=tenant_type, schema_name=schema, status=Tenant.Status.ACTIVE, provisioned_at=timezone.now()
        )
        tenant.auto_create_schema = False  # the schema is the restored one
        tenant.save()
        Domain.objects.create(domain=normalise_domain(domain), tenant=tenant, is_primary=True)
    return tenant
