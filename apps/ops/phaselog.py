"""Where a server process's time goes, written down for a benchmark (REQUEST_PHASE_LOG).

With REQUEST_PHASE_PROBE on, apps.core.asgi keeps each HTTP request's phases in memory
(arrived, body read, lane taken, view started, view ended, view CPU, done). bench/club drains
them into Redis from the club's driver; a server with no club tables (bench/cat-http) has no
driver, so with REQUEST_PHASE_LOG set to a directory this module drains them into
`<directory>/<pid>.csv` once a second, with the two things that stop every thread of the
process at once and are not a request's own: the garbage collector's passes and the event
loop running late (a lane thread or the collector holding the GIL while the loop should be
reading sockets). Every time is a `time.perf_counter()` reading — CLOCK_MONOTONIC, the same
clock in every process of the machine — so a client can line its own readings up with them.

Lines: `req,<arrived>,<body read>,<lane taken>,<view started>,<view ended>,<view CPU s>,<done>`,
`gc,<started>,<ms>,<generation>`, `lag,<due>,<ms late>` (only when over 2 ms late).
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from pathlib import Path

LOOP_TICK = 0.01  # seconds between the loop's lateness readings
LATE_ENOUGH = 0.002  # lateness under this is the loop's own scheduling, not recorded

_started: list[bool] = []
_collections: list[tuple[float, float, int]] = []
_late: list[tuple[float, float]] = []
_collection_began = [0.0]


def _on_collection(phase: str, info: dict) -> None:
    if phase == "start":
        _collection_began[0] = time.perf_counter()
    else:
        began = _collection_began[0]
        _collections.append((began, (time.perf_counter() - began) * 1000, info["generation"]))


async def _watch_loop() -> None:
    while True:
        due = time.perf_counter() + LOOP_TICK
        await asyncio.sleep(LOOP_TICK)
        late = time.perf_counter() - due
        if late > LATE_ENOUGH:
            _late.append((due, late * 1000))


def _take(rows: list) -> list:
    taken = rows[:]
    del rows[: len(taken)]  # appends from other threads after the copy stay for the next pass
    return taken


def _drain(path: Path, phases: list) -> None:
    with path.open("a", buffering=1) as out:
        while True:
            time.sleep(1)
            lines = [f"req,{','.join(f'{t:.6f}' for t in row)}" for row in _take(phases)]
            lines += [f"gc,{began:.6f},{ms:.3f},{generation}" for began, ms, generation in _take(_collections)]
            lines += [f"lag,{due:.6f},{ms:.3f}" for due, ms in _take(_late)]
            if lines:
                out.write("\n".join(lines) + "\n")


def start(directory: str, phases: list) -> None:
    """Called from the server's event loop on its first request; once per process."""
    if _started:
        return
    _started.append(True)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    gc.callbacks.append(_on_collection)
    asyncio.get_running_loop().create_task(_watch_loop())
    threading.Thread(target=_drain, args=(folder / f"{os.getpid()}.csv", phases), name="phase-log", daemon=True).start()


def read(directory: str | Path) -> dict[str, list[tuple[float, ...]]]:
    """Every process's lines in `directory`, by kind ("req", "gc", "lag")."""
    rows: dict[str, list[tuple[float, ...]]] = {"req": [], "gc": [], "lag": []}
    for path in sorted(Path(directory).glob("*.csv")):
        for line in path.read_text().splitlines():
            kind, *values = line.split(",")
            if kind in rows and values:
                rows[kind].append(tuple(float(v) for v in values))
    return rows
