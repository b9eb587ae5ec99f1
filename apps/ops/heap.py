"""The garbage collector in a server process.

A full collection walks every object the collector tracks: in a web process, once Django,
every app, DRF, pokerkit and the URLconfs are loaded, about 250,000 of them, 0.3–0.5 s with
the GIL held — every thread and the event loop stop meanwhile. bench/club measured one such
pause per server in each 15 s stage (470 and 520 ms under load): the worst event-loop lag
of the run, in every latency percentile near the top. Nearly all of those objects are the
process's own code and settings, alive until it exits; `gc.freeze()` moves them out of the
collector's reach, so later collections walk only what was made since.
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
