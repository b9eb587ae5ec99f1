"""Foreign keys checked once per table instead of once per row, for the largest imports.

PostgreSQL checks a foreign key with one trigger call per inserted row: a lookup of the
parent that also locks it, queued until commit (Django's keys are deferred). For an import
of 100,000 students — families, guardians, students, links and enrollments, each pointing
at the others — that is half a million calls and several seconds at commit. PostgreSQL's
own advice for populating a database is to drop the keys, load, and add them back: adding
a key checks every row in one anti-join.

`checked_in_bulk(models)` does that for the keys *between* the given tables only (never a
key to a table outside the set, such as users, so nothing else is locked), inside the
caller's transaction: the keys come back, checked, before it commits, and a rollback
restores them untouched. The price is an ACCESS EXCLUSIVE lock on those tables until
commit — pages that read them wait — so callers use it only for loads large enough to be
worth it. When the locks are not granted within `lock_timeout` (a long report running, say)
it gives up and the rows are checked one by one as usual.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DatabaseError, connection, models, transaction


@dataclass(frozen=True)
class _Key:
    table: str  # quoted, schema-qualified
    name: str
    definition: str


def _qualified(model: type[models.Model]) -> str:
    quote = connection.ops.quote_name
    return f"{quote(connection.schema_name)}.{quote(model._meta.db_table)}"


def _keys_between(tables: list[str]) -> list[_Key]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.name, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN unnest(%s::text[]) AS t(name) ON c.conrelid = t.name::regclass "
            # A key that is NOT VALID would come back NOT VALID, checking nothing: left alone.
            "WHERE c.contype = 'f' AND c.convalidated AND c.confrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [tables, tables],
        )
        return [_Key(table, connection.ops.quote_name(name), definition) for table, name, definition in cursor]


@contextmanager
def checked_in_bulk(models_: Sequence[type[models.Model]], *, lock_timeout: str = "2s") -> Iterator[bool]:
    """Within the block, keys between these tables are not checked row by row; leaving it
    checks each key over its whole table (IntegrityError on an orphan). Yields whether it
    could take the locks (False: keys are checked row by row, as without it)."""
    if not connection.in_atomic_block:
        raise RuntimeError("checked_in_bulk needs a transaction: the keys come back before it commits")
    tables = sorted(_qualified(model) for model in models_)
    keys = _keys_between(tables)
    if not keys:
        yield False
        return
    # ALTER TABLE refuses a table with checks still queued: run them now (Django's own way).
    connection.check_constraints()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('lock_timeout')")
            previous = cursor.fetchone()[0]
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
            for key in keys:
                cursor.execute(f"ALTER TABLE {key.table} DROP CONSTRAINT {key.name}")
    except DatabaseError:
        # Not granted in time (or a deadlock broken against us): the savepoint is undone.
        yield False
        return
    yield True
    connection.check_constraints()
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute(f"ALTER TABLE {key.table} ADD CONSTRAINT {key.name} {key.definition}")
