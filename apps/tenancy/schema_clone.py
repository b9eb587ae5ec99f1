"""Repairs after django-tenants' clone_schema(): it recreates composite UNIQUE
constraints (and their indexes) under PostgreSQL's default names (`<table>_<cols>_key`)
instead of the names Django gave them in the template (`..._<hash>_uniq`). A later
migration that drops or alters such a constraint by name would then fail on cloned
tenants only. `align_names_with_template` renames every constraint and index of the
clone whose name differs from the template's for the same table and definition.
"""

from __future__ import annotations

from django.db import connection

CONSTRAINTS = """
    SELECT cl.relname, c.conname, c.contype, pg_get_constraintdef(c.oid)
    FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid
    WHERE c.connamespace = %s::regnamespace
"""
INDEXES = """
    SELECT i.tablename, i.indexname, i.indexdef
    FROM pg_indexes i
    WHERE i.schemaname = %s
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = %s::regnamespace)
"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _normalised_index_def(schema: str, name: str, definition: str) -> str:
    return definition.replace(f"{_quote(schema)}.", "").replace(f"{schema}.", "").replace(name, "<name>", 1)


def align_names_with_template(template: str, schema: str) -> int:
    """Rename the clone's constraints and indexes to the template's names; returns how many."""
    renames: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(CONSTRAINTS, [template])
        wanted = {(table, kind, definition): name for table, name, kind, definition in cursor.fetchall()}
        cursor.execute(CONSTRAINTS, [schema])
        for table, name, kind, definition in cursor.fetchall():
            target = wanted.get((table, kind, definition))
            if target and target != name:
                renames.append(
                    f"ALTER TABLE {_quote(schema)}.{_quote(table)} RENAME CONSTRAINT {_quote(name)} TO {_quote(target)}"
                )
        cursor.execute(INDEXES, [template, template])
        wanted_indexes = {
            (table, _normalised_index_def(template, name, definition)): name
            for table, name, definition in cursor.fetchall()
        }
        cursor.execute(INDEXES, [schema, schema])
        for table, name, definition in cursor.fetchall():
            target = wanted_indexes.get((table, _normalised_index_def(schema, name, definition)))
            if target and target != name:
                renames.append(f"ALTER INDEX {_quote(schema)}.{_quote(name)} RENAME TO {_quote(target)}")
        for statement in renames:
            cursor.execute(statement)
    return len(renames)
