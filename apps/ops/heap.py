"""The garbage collector in a server process.

A full collection walks every object the collector tracks: in a web process, once Django,
every app, DRF, pokerkit and the URLconfs are loaded, about 250,000 of them, 0.3–0.5 s with
the GIL held — every thread and the event loop stop meanwhile. bench/club measured one such
pause per server in each 15 s stage (470 and 520 ms under load): the worst event-loop lag
of the run, in every latency percentile near the top. Nearly all of those objects are the
process's own code and settings, alive until it exits; `gc.freeze()` moves them out of the
collector's reach, so later collections walk only what was made since.

What a server makes after start-up — each socket's consumer, protocol and tasks, each hand's
pokerkit state, each request's objects — is collected as usual, and at 400–500 sockets per
process a full pass over it still stopped a server for 100–375 ms, two or three times in a
20 s stage (bench/club). GC_THRESHOLD sets the collector's thresholds (`gc.set_threshold`);
the default, (700, 10, 100), keeps Python's young collections as they are and lets ten
times as many middle ones pass before a full one (which also waits, as always, until a
quarter of the old generation is new): the full pauses became rare (none in a 20 s stage at
300 or 500 players, back to back with one to three per server before), the short ones
unchanged. Raising the young threshold instead (20,000 objects) made every young pass longer — p50
55–127 ms, the middle ones 385–515 ms, with hundreds of sockets' objects surviving them —
and was not kept. What it costs: cyclic garbage that reached the old generation waits
longer for its pass (memory, not time).

Then requests, not sockets, showed the cost of that choice (bench/load, 2026-12-06, with
REQUEST_PHASE_LOG): a request's objects — the request, its session, its rows with their
prefetched relations, DRF's bound fields — hang together in reference cycles, so they are
freed only by the collector; a young pass every 700 allocations runs many times while a list
request is still alive, promoting its objects, and the middle passes carry them into the old
generation, where only a full pass frees them. With (700, 10, 100) a full pass came every
10–20 s of load and freed 250,000–1,000,000 dead requests' objects in 0.2–3.5 s — every list
endpoint's p99 at 10 users (380–560 ms, against p50 25–45 ms). The default is now
(10,000, 10, 10): a request mostly ends between two young passes and its cycles die young.
Back to back on the same code, 10 users: no full pass at all, young passes p50 2.7 ms (max
14), middle ones p50 20 ms (max 47), the lists' p99 71–82 ms; bench/club at 100 and 500
players no worse (broadcast and API p99 lower in both pairs); bench/cat-http at 2 s think
time the same within its noise (p95 10.6 and 13.6 ms at the old default, 11.6 and 13.2 ms at
the new, alternated).

At 100 closed-loop users (2026-12-06, bench/load with the phase log) the middle passes were
100-400 ms again, each freeing ~70,000 objects: nearly every request survived the young passes.
A request that waits for its lane (apps/core/asgi.py) while a young pass runs has its handler's
closure cells promoted, and one of them held the finished response (and through it the view,
serializer, rows and request) in a cycle kept by the disconnect listener's RequestAborted
traceback. The handler now empties that holder when the request ends; the middle passes fell to
13-29 ms and free ~16,000 objects (tests/core/test_asgi_lanes.py counts the responses that
outlive a young pass: 19 of 100 before, 0 after).
"""

from __future__ import annotations

import gc
from importlib import import_module

from django.conf import settings

# Loaded by the first request or socket of each kind anyway: loaded here, they are frozen too.
WARM_UP = [
    *(f"config.urls.{name}" for name in ("public", "academy", "zone", "store", "club")),
    *(f"config.routing.{name}" for name in ("public", "academy", "zone", "store", "club")),
]


def apply_gc_threshold() -> tuple[int, int, int]:
    """Set the collector's thresholds from GC_THRESHOLD (empty: Python's own, 700, 10, 10).
    Returns them."""
    if settings.GC_THRESHOLD:
        gc.set_threshold(*settings.GC_THRESHOLD)
    return gc.get_threshold()


def freeze_after_startup() -> int:
    """Collect the start-up's garbage once, then freeze what is left (GC_FREEZE; on by
    default). Returns how many objects were frozen."""
    if not settings.GC_FREEZE:
        return 0
    for module in WARM_UP:
        import_module(module)
    gc.collect()  # the start-up's cycles, freed rather than frozen for good
    gc.freeze()
    return gc.get_freeze_count()
