"""Bulk writes: ids drawn from the sequences, COPY streamed by the pipeline's thread, and
temporary tables for joining many values."""

import itertools
import time

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.academy.models import Family
from apps.core import bulk


def _next(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [model._meta.db_table])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_reserved_ids_are_the_sequence_s_own_and_never_drawn_again(tenants):
    with tenants["academy"].context():
        ids = bulk.reserve_ids(Family, 2500)
        assert len(set(ids)) == 2500 and ids == sorted(ids)
        assert _next(Family) > ids[-1]
        assert bulk.reserve_ids(Family, 0) == []


@pytest.mark.django_db
def test_reserved_ids_that_are_not_one_range_come_back_one_by_one(tenants):
    # What another session drawing numbers in between looks like: gaps in the range.
    with tenants["academy"].context():
        with connection.cursor() as cursor:
            cursor.execute("ALTER SEQUENCE academy_family_id_seq INCREMENT BY 3")
        ids = bulk.reserve_ids(Family, 5)
        assert [b - a for a, b in itertools.pairwise(ids)] == [3, 3, 3, 3]
        assert _next(Family) == ids[-1] + 3


@pytest.mark.django_db
def test_statements_inside_the_pipeline_see_the_rows_sent_before_them(tenants):
    with tenants["academy"].context(), transaction.atomic():
        ids = bulk.reserve_ids(Family, 3000)
        with bulk.pipeline():
            for start in range(0, 3000, 500):
                sent = bulk.copy_insert(Family, ({"id": i, "name": f"f{i}"} for i in ids[start : start + 500]))
                assert sent == 500
                # an ORM query waits for the queued COPYs: it counts every row sent so far
                assert Family.objects.filter(pk__in=ids).count() == start + 500
        assert Family.objects.filter(pk__in=ids).count() == 3000
        # timestamps went in as text: still the same instants
        written = Family.objects.get(pk=ids[0])
        assert abs((written.created_at - timezone.now()).total_seconds()) < 60
        assert written.created_at == written.updated_at and written.created_at.tzinfo is not None


@pytest.mark.django_db
def test_a_failed_copy_in_the_pipeline_raises_integrity_error_and_writes_nothing(tenants):
    with tenants["academy"].context():
        before = Family.objects.count()
        (taken,) = bulk.reserve_ids(Family, 1)
        with pytest.raises(IntegrityError), transaction.atomic(), bulk.pipeline():
            bulk.copy_insert(Family, [{"id": taken, "name": "first"}])
            bulk.copy_insert(Family, [{"id": taken, "name": "the same id again"}])
            bulk.copy_insert(Family, [{"id": taken + 10**9, "name": "never written"}])
        assert Family.objects.count() == before
        assert connection._copy_pipeline is None
        assert Family.objects.filter(name="never written").count() == 0  # the connection still works


@pytest.mark.django_db
def test_temp_table_holds_what_was_copied_until_dropped(tenants):
    with tenants["academy"].context(), transaction.atomic():
        name = bulk.temp_table({"n": "bigint", "word": "text"}, [(1, "하나"), (2, "둘"), (3, None)])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT n, word FROM {name} ORDER BY n")
            assert cursor.fetchall() == [(1, "하나"), (2, "둘"), (3, None)]
        bulk.drop_temp(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [f"pg_temp.{name}"])
            assert cursor.fetchone()[0] is None


@pytest.mark.timeout(30)  # a COPY left open would hold the connection: this would hang
@pytest.mark.django_db
def test_a_statement_past_django_s_wrappers_runs_once_the_pipeline_is_idle(tenants):
    with tenants["academy"].context(), transaction.atomic():
        ids = bulk.reserve_ids(Family, 10)
        with bulk.pipeline():
            bulk.copy_insert(Family, [{"id": i, "name": "first"} for i in ids[:5]])
            time.sleep(bulk.IDLE_COPY_SECONDS * 3)
            with connection.connection.cursor() as raw:  # psycopg's own cursor: no drain first
                raw.execute("SELECT count(*) FROM academy_family WHERE id = ANY(%s)", [ids])
                assert raw.fetchone() == (5,)
            bulk.copy_insert(Family, [{"id": i, "name": "second"} for i in ids[5:]])
        assert Family.objects.filter(pk__in=ids).count() == 10


@pytest.mark.django_db
def test_copy_now_inside_the_pipeline_runs_after_the_rows_queued_before_it(tenants):
    """copy_now uses the connection itself: the queued COPYs go first, so rows land in the
    order they were issued (each row's physical position, ctid, shows it)."""
    sql = "COPY academy_family (id, name, created_at, updated_at) FROM STDIN"
    with tenants["academy"].context(), transaction.atomic():
        queued, now = bulk.reserve_ids(Family, 2)
        cursor = connection.cursor()
        with bulk.pipeline():
            bulk.copy_insert(Family, [{"id": queued, "name": "queued"}])
            bulk.copy_now(cursor, sql, [(now, "now", timezone.now(), timezone.now())])
        with connection.cursor() as check:
            check.execute("SELECT name FROM academy_family WHERE id = ANY(%s) ORDER BY ctid", [[queued, now]])
            assert [name for (name,) in check.fetchall()] == ["queued", "now"]


@pytest.mark.django_db
def test_write_together_inserts_rows_of_several_tables_and_updates_in_one_statement(tenants):
    from django.test.utils import CaptureQueriesContext

    from apps.audit.models import AuditEntry

    with tenants["academy"].context(), transaction.atomic():
        existing = Family.objects.create(name="before")
        rows = [Family(name="one"), Family(name="two"), AuditEntry(action="test.together", details={"n": 1})]
        with CaptureQueriesContext(connection) as queries:
            bulk.write_together(rows, Family.objects.filter(pk=existing.pk), name="after")
        assert len(queries) == 1
        assert Family.objects.filter(name__in=["one", "two"]).count() == 2
        written = Family.objects.get(name="one")
        assert abs((written.updated_at - written.created_at).total_seconds()) < 1  # auto_now_add, auto_now
        assert AuditEntry.objects.get(action="test.together").details == {"n": 1}
        assert Family.objects.get(pk=existing.pk).name == "after"


@pytest.mark.django_db
def test_write_together_writes_nothing_when_a_part_fails(tenants):
    from apps.audit.models import AuditEntry

    with tenants["academy"].context():
        taken = Family.objects.create(name="taken")
        with pytest.raises(IntegrityError), transaction.atomic():
            bulk.write_together(
                [AuditEntry(action="test.never"), Family(pk=taken.pk, name="the same id")],
                Family.objects.filter(pk=taken.pk),
                name="never",
            )
        assert not AuditEntry.objects.filter(action="test.never").exists()
        assert Family.objects.get(pk=taken.pk).name == "taken"


@pytest.mark.django_db
def test_update_rows_writes_what_bulk_update_would_in_one_statement_whatever_the_rows(tenants):
    from django.test.utils import CaptureQueriesContext

    from apps.academy.models import Student

    with tenants["academy"].context(), transaction.atomic():
        first, second = Family.objects.create(name="first"), Family.objects.create(name="second")
        students = [Student.objects.create(family=first, name=f"학생 {n}", person_index=f"p{n}") for n in range(3)]
        untouched = Student.objects.create(family=first, name="그대로", person_index="p9", identity_id=7)
        for n, student in enumerate(students):
            student.name = f"바뀐 이름 {n}"
            student.family = second if n else first
            student.identity_id = None if n == 1 else 2**40 + n  # a NULL among bigints
        statements = []
        for rows in (students[:1], students):
            with CaptureQueriesContext(connection) as queries:
                assert bulk.update_rows(rows, ["name", "family", "identity_id"]) == len(rows)
            statements.append(len(queries))
        assert statements == [1, 1]
        got = {
            s.pk: (s.name, s.family_id, s.identity_id) for s in Student.objects.filter(pk__in=[s.pk for s in students])
        }
        assert got == {s.pk: (s.name, s.family_id, s.identity_id) for s in students}
        assert Student.objects.get(pk=untouched.pk).identity_id == 7
        # timestamps and an all-NULL column
        moment = timezone.now().replace(microsecond=0)
        for family in (first, second):
            family.updated_at = moment
        bulk.update_rows([first, second], ["updated_at"])
        assert set(Family.objects.filter(pk__in=[first.pk, second.pk]).values_list("updated_at", flat=True)) == {moment}
        for student in students:
            student.identity_id = None
        bulk.update_rows(students, ["identity_id"])
        assert not Student.objects.filter(pk__in=[s.pk for s in students], identity_id__isnull=False).exists()
        assert bulk.update_rows([], ["name"]) == 0
        with pytest.raises(ValueError):
            bulk.update_rows(students, ["id"])


@pytest.mark.django_db
def test_an_insert_written_once_per_model_is_what_the_compiler_writes(tenants):
    """write_together's INSERTs come from a statement built once per model; each must be the
    compiler's own, value for value (JSON, encrypted and timestamp fields, an explicit id,
    an expression falling back to the compiler)."""
    import time_machine
    from django.db.models import Value
    from django.db.models.functions import Upper

    from apps.academy.models import Student
    from apps.audit.models import AuditEntry
    from apps.core.pii import decrypt
    from apps.ledger.models import Event

    def plain(params):
        # psycopg's Jsonb wrapper has no __eq__; each encryption has its own IV
        params = [getattr(p, "obj", p) for p in params]
        return [decrypt(p) if isinstance(p, str) and p.startswith("fernet:") else p for p in params]

    with tenants["academy"].context(), time_machine.travel("2026-12-06 10:00:00+09:00", tick=False):
        family = Family.objects.create(name="가족")
        rows = [
            Family(name="새 가족"),
            Family(pk=10**9, name="정한 번호"),
            Student(family=family, name="학생", person_index="p1", phone="010-1234-5678"),
            AuditEntry(action="test.insert", details={"한": [1, 2]}),
            Event(kind="test.insert", subject_type="x", subject_id="1", data={"n": 1}),
        ]
        for obj in rows:
            fast, compiled = bulk._insert_sql(obj), bulk._compiled_insert_sql(obj)
            assert fast[0] == compiled[0]
            assert plain(fast[1]) == plain(compiled[1]), type(obj).__name__
        assert bulk._insert_statement(Family, False) is bulk._insert_statement(Family, False)  # built once
        with_expression = Family(name=Upper(Value("식")))
        assert bulk._insert_sql(with_expression)[0] == bulk._compiled_insert_sql(with_expression)[0]
        assert "UPPER(" in bulk._insert_sql(with_expression)[0]
