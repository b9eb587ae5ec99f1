"""Work a commit leaves for the process's background thread (apps.core.afterwork): run after
the commit, never after a rollback, in the schema that deferred it, merged while the thread
is busy, and a failure does not stop the thread."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection, transaction

from apps.core import afterwork


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, list]] = []  # (thread name, schema, items)
        self.lock = threading.Lock()

    def __call__(self, items: list) -> None:
        with self.lock:
            self.calls.append((threading.current_thread().name, connection.schema_name, list(items)))


def test_deferred_work_runs_on_the_thread_after_the_commit_and_never_after_a_rollback(live_tenant):
    t = live_tenant("zone")
    run = Recorder()
    with t.context():
        with transaction.atomic():
            afterwork.defer("test.commit", run, 1)
            afterwork.defer("test.commit", run, 2)
            assert run.calls == []  # not before the commit
        with pytest.raises(RuntimeError), transaction.atomic():
            afterwork.defer("test.commit", run, "rolled back")
            raise RuntimeError
    assert afterwork.drain()
    items = [item for _thread, _schema, batch in run.calls for item in batch]
    assert items == [1, 2]
    assert {(thread, schema) for thread, schema, _ in run.calls} == {("afterwork", t.schema)}


def test_inside_an_enclosing_transaction_the_work_runs_in_place(tenants, db, django_capture_on_commit_callbacks):
    """A test's transaction around everything: the thread's connection could not see what it
    wrote, so the work runs in the request's thread, on its connection."""
    run = Recorder()
    with tenants["academy"].context(), django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        afterwork.defer("test.inline", run, "x")
    assert run.calls == [(threading.current_thread().name, tenants["academy"].schema, ["x"])]


def test_what_is_deferred_while_the_thread_is_busy_is_merged_into_one_run_per_key_and_schema(tenants, live_db):
    started, release = threading.Event(), threading.Event()
    run = Recorder()

    def blocker(_items: list) -> None:
        started.set()
        release.wait(10)

    academy, zone = tenants["academy"].schema, tenants["zone"].schema
    afterwork.post(academy, "test.block", blocker)
    assert started.wait(10)
    for n in range(3):
        afterwork.post(academy, "test.merge", run, n)
        afterwork.post(zone, "test.merge", run, f"z{n}")
    release.set()
    assert afterwork.drain()
    # One run per schema, each in its own schema with only its own items, in order.
    assert sorted(run.calls) == [("afterwork", academy, [0, 1, 2]), ("afterwork", zone, ["z0", "z1", "z2"])]


def test_a_failing_run_is_logged_and_the_thread_goes_on(tenants, live_db):
    import logging

    run = Recorder()
    logged: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = logged.append
    logging.getLogger("apps.core.afterwork").addHandler(handler)

    def broken(_items: list) -> None:
        raise ValueError("boom")

    schema = tenants["store"].schema
    afterwork.post(schema, "test.broken", broken, 1)
    assert afterwork.drain()
    afterwork.post(schema, "test.after", run, 2)
    assert afterwork.drain()
    logging.getLogger("apps.core.afterwork").removeHandler(handler)
    assert run.calls == [("afterwork", schema, [2])]
    assert [(r.levelname, r.exc_info[0]) for r in logged] == [("ERROR", ValueError)]
    assert schema in logged[0].getMessage()


def test_a_forked_child_starts_its_own_thread(tenants, live_db):
    """A Celery prefork child: its parent's thread did not come with it."""
    afterwork.post(tenants["club"].schema, "test.parent", Recorder(), 0)
    assert afterwork.drain()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether its own thread ran the work, then leave at once
        ran = []
        afterwork.post(tenants["club"].schema, "test.child", lambda items: ran.extend(items), "child")
        ok = afterwork.drain(10) and ran == ["child"]
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"1"
    os.waitpid(pid, 0)


def test_with_the_thread_off_the_work_runs_in_place(tenants, live_db, settings):
    settings.AFTERWORK_THREAD = False
    run = Recorder()
    afterwork.post(tenants["academy"].schema, "test.off", run, 1)
    assert run.calls == [(threading.current_thread().name, tenants["academy"].schema, [1])]


def test_a_cache_write_from_the_thread_lands_in_the_deferring_tenant_only(tenants, live_db):
    """The attempt's Redis copy (learning.services.attempts.write_copies) is written by the
    thread: its cache key carries the schema that deferred it, and another tenant reading
    the same attempt id finds nothing."""
    from django.core.cache import cache
    from django_tenants.utils import schema_context

    from apps.learning.services.attempts import write_copies

    zone, academy = tenants["zone"].schema, tenants["academy"].schema
    pk = 987_654_321
    afterwork.post(zone, "test.copies", write_copies, (pk, 3, "active", {"cat": {"n": 3}}))
    assert afterwork.drain()
    try:
        with schema_context(zone):
            assert cache.get(f"learning:attempt:{pk}")["version"] == 3
        with schema_context(academy):
            assert cache.get(f"learning:attempt:{pk}") is None
    finally:
        with schema_context(zone):
            cache.delete(f"learning:attempt:{pk}")
