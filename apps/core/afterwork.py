"""Work a commit leaves behind that the response need not wait for.

`transaction.on_commit` runs its callbacks in the request, after the commit and before the
response. A CAT answer's two such callbacks — sealing its ledger event into the chain (six
statements) and adding to its items' counters (an UPDATE of the exam's most popular rows,
on whose locks concurrent answers wait for each other) — were a third of its time
(`bench/cat-http --cpu --cprofile`). `defer()` hands such work to one background thread per
process instead, and merges what is deferred while that thread is busy: under load, the
seals of many answers become one seal and their counters one UPDATE.

Only for work that may be lost if the process dies in the milliseconds between the commit
and the thread's run, because something repairs it (the ledger's `seal_pending` task, the
`recompute_progress` command for a student's progress, which is derived from rows already
committed) or because it is a statistic (an item's counters). Never money, never anything
the response reads, and nothing the next request could not do without for a moment.
AFTERWORK_THREAD=false runs everything in the request, as on_commit did.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable, Hashable
from typing import Any

from django.conf import settings
from django.db import connection, transaction

log = logging.getLogger(__name__)

Run = Callable[[list[Any]], None]


def defer(key: Hashable, run: Run, item: Any = None) -> None:
    """Once the current transaction commits (at once outside one), call `run(items)` on this
    process's background thread, in the current schema, with the items of every `defer()`
    under the same key and schema since its last call (in the order deferred)."""
    schema = connection.schema_name
    transaction.on_commit(lambda: post(schema, key, run, item))


def post(schema: str, key: Hashable, run: Run, item: Any = None) -> None:
    """`defer()`'s second half, for a caller already past its commit."""
    if connection.in_atomic_block or not settings.AFTERWORK_THREAD:
        # Still inside a transaction (a test's, around the whole test): what it wrote is
        # visible to this connection only, not to the thread's. Or the thread is off.
        run_in(schema, run, [item])
    else:
        WORKER.post(schema, key, run, item)


def drain(timeout: float = 10.0) -> bool:
    """Wait until this process's thread has run everything deferred; whether it did in time."""
    return WORKER.drain(timeout)


def run_in(schema: str, run: Run, items: list[Any]) -> None:
    from django_tenants.utils import schema_context

    try:
        if connection.schema_name == schema:
            run(items)
        else:
            with schema_context(schema):
                run(items)
    except Exception:  # committed work stays committed; its repair (if any) runs later
        name = getattr(run, "__qualname__", run)
        log.exception("afterwork: %s failed in %s for %d item(s)", name, schema, len(items))


class Worker:
    """The background thread and its queue: one per process, started by the first post (a
    forked child starts its own; its parent's thread did not come with it)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._cond = threading.Condition()
        self._pending: dict[tuple[str, Hashable], tuple[Run, list[Any]]] = {}
        self._busy = False
        self._thread: threading.Thread | None = None

    def post(self, schema: str, key: Hashable, run: Run, item: Any) -> None:
        with self._cond:
            queued = self._pending.get((schema, key))
            if queued is None:
                self._pending[(schema, key)] = (run, [item])
            else:
                queued[1].append(item)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="afterwork", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def drain(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending)
                batch, self._pending = self._pending, {}
                self._busy = True
            try:
                for (schema, _key), (run, items) in batch.items():
                    run_in(schema, run, items)
            finally:
                connection.close()  # back to the pool: a thread that waits holds none
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


WORKER = Worker()
# What a parent process had queued, and its lock, stay with the parent.
os.register_at_fork(after_in_child=WORKER.reset)
# A server stopping normally runs what its last requests left (uvicorn's graceful shutdown
# ends in an ordinary interpreter exit).
atexit.register(drain, 5.0)
