"""Bulk inserts by COPY: the fastest way into PostgreSQL, for imports of 100,000 rows.

Django's bulk_create spends most of an import's time preparing values field by field and
quoting them into one huge statement; COPY streams rows in psycopg's C code. Primary keys
are reserved from the table's sequence first, so related rows can point at each other
before anything is written. Values must be ready for the database (encrypted fields
encrypted: see `apps.core.pii.encrypt_many`)."""

from __future__ import annotations

import functools
import itertools
import operator
import queue
import threading
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from datetime import datetime

from django.db import connection, models
from django.utils import timezone


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        # Numbers drawn in one statement are consecutive unless another session drew some in
        # between: then (only then) the numbers themselves come back, not just the range. The
        # sequence is looked up once (a sub-select), not once per number: 8× faster.
        cursor.execute(
            "SELECT min(v), max(v), CASE WHEN max(v) - min(v) + 1 = count(*) THEN NULL ELSE array_agg(v) END "
            "FROM (SELECT nextval((SELECT pg_get_serial_sequence(%s, %s)::regclass)) AS v "
            "FROM generate_series(1, %s)) drawn",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        low, high, drawn = cursor.fetchone()
    return sorted(drawn) if drawn is not None else list(range(low, high + 1))


def timestamp(value: datetime) -> str:
    """A datetime as COPY takes it: psycopg formats a datetime object in about 2 µs, a
    string in 0.1 µs, and an import writes a timestamp or two on each of a million rows."""
    return value.isoformat()


def _defaults(model: type[models.Model]) -> dict[str, object]:
    now = timestamp(timezone.now())
    defaults: dict[str, object] = {}
    for field in model._meta.concrete_fields:
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            defaults[field.attname] = now
        elif field.has_default():
            defaults[field.attname] = field.get_db_prep_save(field.get_default(), connection)
            if isinstance(defaults[field.attname], datetime):
                defaults[field.attname] = timestamp(defaults[field.attname])
        elif field.null:
            defaults[field.attname] = None
        else:
            defaults[field.attname] = ""
    return defaults


def copy_insert(model: type[models.Model], rows: Iterable[dict], *, with_pk: bool = True) -> int:
    """COPY rows (dicts of attname → database value; the rest take the field defaults).
    Without `with_pk` the database numbers the rows. Inside `pipeline()` the rows are
    handed to its writer thread and this returns at once."""
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    defaults = _defaults(model)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    names = [field.attname for field in fields]
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    pick = operator.itemgetter(*names)  # the columns in order, in C: a million rows pass here
    if len(names) == 1:
        values = ((pick({**defaults, **row}),) for row in rows)  # itemgetter of one name: not a tuple
    else:
        values = (pick({**defaults, **row}) for row in rows)
    writer = getattr(connection, "_copy_pipeline", None)
    if writer is not None:
        batch = list(values)
        writer.send(sql, batch)
        return len(batch)
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in values:
            copy.write_row(row)
            count += 1
    return count


_FLUSH = object()  # drain(): end the open COPY and report
_IDLE = object()  # the writer ended its COPY for want of rows: wait for the next item
IDLE_COPY_SECONDS = 0.5


class _Writer:
    """The thread behind `pipeline()`: runs the queued COPYs in order on the connection.
    Consecutive batches for the same table go into one COPY, so the server inserts rows
    while later ones are still being sent rather than waiting for each batch to end. After
    a failed COPY the transaction is aborted: the rest of the queue is dropped."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.queue: queue.Queue = queue.Queue(maxsize=16)  # bounds the rows held in memory
        self.error: BaseException | None = None
        self.failed = False
        self.thread = threading.Thread(target=self._run, name="copy-pipeline", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        item = self.queue.get()
        while item is not None:
            if item is _IDLE:
                item = self.queue.get()
                continue
            if item is _FLUSH or self.failed:
                self.queue.task_done()
                item = self.queue.get()
                continue
            sql, rows = item
            in_hand = True  # the item held has not been marked done
            try:
                with self.raw.cursor() as cursor, cursor.copy(sql) as copy:
                    while True:
                        for row in rows:
                            copy.write_row(row)
                        self.queue.task_done()
                        in_hand = False
                        try:
                            # The next batch of the same table joins this COPY; an open COPY
                            # holds the connection, so it is not kept open for long idle.
                            item = self.queue.get(timeout=IDLE_COPY_SECONDS)
                        except queue.Empty:
                            item = _IDLE
                            break
                        if item is None or item is _FLUSH or item[0] != sql:
                            break
                        rows, in_hand = item[1], True
            except BaseException as exc:  # re-raised in the caller's thread
                self.error, self.failed = exc, True
                if in_hand:
                    self.queue.task_done()
                    item = self.queue.get()
        self.queue.task_done()

    def send(self, sql: str, rows: list) -> None:
        self.raise_error()
        self.queue.put((sql, rows))

    def drain(self) -> None:
        """Wait until every queued row is in (the open COPY ended)."""
        self.queue.put(_FLUSH)
        self.queue.join()
        self.raise_error()

    def raise_error(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            with connection.wrap_database_errors:  # IntegrityError etc., as from any other query
                raise error

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join()


@contextmanager
def pipeline():
    """COPYs stream to PostgreSQL from a second thread while this one builds the next rows:
    the server inserts (and checks indexes) while Python prepares, instead of each waiting
    for the other. Any other statement on the connection first waits for the queued COPYs,
    so statements still run in the order they were issued; an error in a COPY is raised by
    the next statement, or on leaving the block."""
    connection.ensure_connection()
    if getattr(connection, "_copy_pipeline", None) is not None:
        yield  # already streaming
        return
    writer = _Writer(connection.connection)

    def after_queued(execute, sql, params, many, context):
        writer.drain()
        return execute(sql, params, many, context)

    connection._copy_pipeline = writer
    try:
        with connection.execute_wrapper(after_queued):
            yield
            writer.drain()
    finally:
        connection._copy_pipeline = None
        writer.stop()
        writer.error = None


_temp_names = itertools.count()


def temp_table(columns: dict[str, str], rows: Iterable[Sequence]) -> str:
    """A temporary table of `columns` (name → SQL type) filled by COPY, for joining many
    values in one statement: COPY formats rows in psycopg's C code, where an array
    parameter of 100,000 strings is dumped value by value in Python. Dropped at commit
    (`drop_temp` drops it sooner)."""
    name = f"bulk_tmp_{next(_temp_names)}"
    definition = ", ".join(f"{column} {kind}" for column, kind in columns.items())
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({definition}) ON COMMIT DROP")
        copy_now(cursor, f"COPY {name} ({', '.join(columns)}) FROM STDIN", rows)
        cursor.execute(f"ANALYZE {name}")  # a plan for its real size, not a guess
    return name


def copy_now(cursor, sql: str, rows: Iterable[Sequence]) -> None:
    """One COPY of ready tuples on a Django cursor, synchronously, even inside `pipeline()`
    (its queued COPYs go first): for a COPY whose failure the caller handles on the spot,
    in a savepoint."""
    writer = getattr(connection, "_copy_pipeline", None)
    if writer is not None:
        writer.drain()
    with cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def drop_temp(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


# ---------------------------------------------------------------------------- one statement


def _insert_sql(obj: models.Model) -> tuple[str, list]:
    """The INSERT of one unsaved instance as Model.save() would issue it (defaults and
    pre_save values such as auto_now_add included), without reading anything back. The
    statement is written once per model (compiling an InsertQuery per row was most of a
    CAT answer's write); each value is prepared as the compiler prepares it. A value that
    is an expression, or a field with its own placeholder, takes the compiler's path."""
    statement = _insert_statement(type(obj), obj.pk is not None)
    if statement is not None:
        sql, fields = statement
        values = [field.pre_save(obj, True) for field in fields]
        if not any(hasattr(value, "resolve_expression") for value in values):
            return sql, [field.get_db_prep_save(v, connection) for field, v in zip(fields, values, strict=True)]
    return _compiled_insert_sql(obj)


def _insert_fields(model: type[models.Model], with_pk: bool) -> list:
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated]
    return fields if with_pk else [f for f in fields if f is not meta.auto_field]


@functools.cache
def _insert_statement(model: type[models.Model], with_pk: bool) -> tuple[str, tuple] | None:
    fields = _insert_fields(model, with_pk)
    if any(hasattr(f, "get_placeholder") for f in fields):
        return None
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    return sql, tuple(fields)


def _compiled_insert_sql(obj: models.Model) -> tuple[str, list]:
    from django.db.models.sql import InsertQuery

    query = InsertQuery(type(obj))
    query.insert_values(_insert_fields(type(obj), obj.pk is not None), [obj])
    [(sql, params)] = query.get_compiler(connection=connection).as_sql()
    return sql, list(params)


def write_together(inserts: Sequence[models.Model], update: models.QuerySet | None = None, **values) -> None:
    """INSERT the unsaved instances `inserts` and, if given, `update.update(**values)`, in
    ONE statement (PostgreSQL data-modifying CTEs: each runs exactly once, all in the
    caller's transaction): one round trip instead of one per row, for a hot path writing a
    few rows of different tables. The instances get no primary key back; no signals are
    sent (use it only for models nobody listens to), and an error in any part fails all."""
    statements = [_insert_sql(obj) for obj in inserts]
    if update is not None:
        from django.db.models.sql import UpdateQuery

        query = update.query.chain(UpdateQuery)
        query.add_update_values(values)
        sql, params = query.get_compiler(connection=connection).as_sql()
        statements.append((sql, list(params)))
    if not statements:
        return
    *ctes, (main, params) = statements
    sql = main
    if ctes:
        sql = "WITH " + ", ".join(f"w{i} AS ({s})" for i, (s, _p) in enumerate(ctes)) + " " + main
        params = [p for _s, ps in ctes for p in ps] + params
    for obj in inserts:
        obj._state.adding, obj._state.db = False, connection.alias
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def update_rows(objs: Sequence[models.Model], fields: Sequence[str]) -> int:
    """`QuerySet.bulk_update(objs, fields)` in one statement that does not grow with the
    rows: `UPDATE … FROM unnest(<one array per field>)`. bulk_update compiles a CASE WHEN per
    field and row (an exam's finish spent most of its progress recompute there). Values go
    through each field's `get_db_prep_save`, as save() sends them; no signals (as
    bulk_update). Returns the rows updated."""
    if not objs:
        return 0
    model = type(objs[0])
    meta = model._meta
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    if any(not f.concrete or f.primary_key or f.many_to_many for f in columns):
        raise ValueError("update_rows: only concrete, non-key fields")
    quote = connection.ops.quote_name
    every = [pk, *columns]
    arrays = [[field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objs] for field in every]
    casts = ", ".join(
        f"%s::{field.rel_db_type(connection) if field is pk else field.db_type(connection)}[]" for field in every
    )
    names = ", ".join(quote(f"v{n}") for n in range(len(every)))
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f'v{n}')}" for n, f in enumerate(columns, start=1))
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
        f"FROM unnest({casts}) AS v({names}) WHERE t.{quote(pk.column)} = v.{quote('v0')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return cursor.rowcount
