"""Foreign keys between bulk-loaded tables checked once per table: dropped inside the
block, added back (checked) on leaving it, untouched when the locks are not granted."""

import re
import threading

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from apps.academy.models import Enrollment, Family, Guardian, GuardianLink, Student
from apps.core.bulk import reserve_ids
from apps.core.foreign_keys import checked_in_bulk

TABLES = (Family, Guardian, Student, GuardianLink, Enrollment)


def _keys(*models) -> dict[str, str]:
    """Foreign-key name → definition, of these tables in the current schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
            "AND connamespace = current_schema()::regnamespace AND conrelid::regclass::text = ANY(%s)",
            [[m._meta.db_table for m in models]],
        )
        return dict(cursor.fetchall())


@pytest.mark.django_db
def test_keys_between_the_tables_come_back_the_same_and_checked(tenants):
    with tenants["academy"].context():
        before = _keys(*TABLES)
        tables = {m._meta.db_table for m in TABLES}
        between = {name for name, d in before.items() if re.search(r"REFERENCES (\w+)\(", d)[1] in tables}
        assert "academy_student_family_id_1cccbfbb_fk_academy_family_id" in between
        with checked_in_bulk(TABLES) as in_bulk:
            assert in_bulk
            inside = _keys(*TABLES)
            # Keys to tables outside the set (users) stay: nothing outside it is locked.
            assert set(inside) == set(before) - between and any("accounts_user" in d for d in inside.values())
            family = Family.objects.create(name="가족")
            Student.objects.create(family=family, name="학생")
            # Another academy's keys are its own: untouched.
            with tenants["academy_b"].context():
                assert _keys(*TABLES) == before
        assert _keys(*TABLES) == before


@pytest.mark.django_db
def test_an_orphan_written_inside_fails_on_leaving_and_the_rollback_keeps_the_keys(tenants):
    with tenants["academy"].context():
        before = _keys(*TABLES)
        missing = reserve_ids(Family, 1)[0]  # drawn, never written
        with pytest.raises(IntegrityError, match="academy_family"), transaction.atomic(), checked_in_bulk(TABLES):
            Student.objects.create(family_id=missing, name="고아")
        assert _keys(*TABLES) == before
        assert not Student.objects.filter(family_id=missing).exists()


@pytest.mark.django_db
def test_a_key_that_is_not_valid_is_left_alone(tenants):
    """Added back, it would come back NOT VALID and check none of the rows written."""
    name = "academy_guardian_family_id_7b83a689_fk_academy_family_id"
    with tenants["academy"].context():
        definition = _keys(Guardian)[name]
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE academy_guardian DROP CONSTRAINT {name}")
            cursor.execute(f"ALTER TABLE academy_guardian ADD CONSTRAINT {name} {definition} NOT VALID")
        with checked_in_bulk(TABLES) as in_bulk:
            assert in_bulk and name in _keys(*TABLES)
            assert "academy_student_family_id_1cccbfbb_fk_academy_family_id" not in _keys(*TABLES)


@pytest.mark.django_db
def test_tables_someone_else_holds_are_checked_row_by_row_as_usual(tenants):
    """A long report holding the students table: the import does not wait behind it (nor
    make everyone queue behind itself) for more than the lock timeout."""
    settings = connection.settings_dict
    with tenants["academy"].context():
        before = _keys(*TABLES)
        schema = connection.schema_name  # Django's connection is per thread: read it here
        held, release = threading.Event(), threading.Event()

        def reader():
            with psycopg.connect(
                dbname=settings["NAME"],
                host=settings["HOST"] or None,
                port=settings["PORT"] or None,
                user=settings["USER"] or None,
                autocommit=False,
            ) as other:
                other.execute(f'LOCK TABLE "{schema}".academy_student IN ACCESS SHARE MODE')
                held.set()
                release.wait(10)
                other.rollback()

        thread = threading.Thread(target=reader)
        thread.start()
        try:
            assert held.wait(10)
            with checked_in_bulk(TABLES, lock_timeout="200ms") as in_bulk:
                assert not in_bulk
                assert _keys(*TABLES) == before
                Student.objects.create(family=Family.objects.create(name="가족"), name="학생")
        finally:
            release.set()
            thread.join()
        assert _keys(*TABLES) == before
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "0"  # the short timeout did not outlive the attempt


def test_outside_a_transaction_it_refuses():
    with pytest.raises(RuntimeError, match="transaction"), checked_in_bulk(TABLES):
        pass
