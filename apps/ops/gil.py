"""The GIL's switch interval in a server process.

A server process runs its event loop and a dozen worker threads (the HTTP lanes, the club's
action, booking and handshake threads, the shared pool) on one GIL. A thread back from a
Redis or PostgreSQL round trip must get the GIL again before it can read the reply; while
another thread runs Python, it waits until that thread is asked to let go, which Python
does only after `sys.getswitchinterval()` (5 ms by default), and may lose the race to yet
another thread. A request with ten round trips (its session, the tables version, the cached
view, the pool's connection, its queries) then waited 5 ms or more at each: bench/club
measured the club's lobby and table views at 14–16 ms of their thread's CPU and 100–160 ms
of wall time at 100 players, the difference spent in `recv` returns waiting for the GIL
(py-spy: 45 % of the view's samples in redis-py's socket read, 30 % in psycopg's wait,
with Redis answering in 0.2 ms). A shorter interval hands the GIL back sooner to threads
that only need it for a moment; what it costs is more switches for the threads that run
long stretches of Python (each a few µs) and, on a machine whose cores are all busy, a
thread told to take the GIL may wait for a core while the GIL stays idle. GIL_SWITCH_INTERVAL
(seconds; empty, the default: Python's own): 1 ms measured better in one bench/club pair and
worse in the next on a loaded machine (README "Club tables"), so it is not the default.
"""

from __future__ import annotations

import sys

from django.conf import settings


def apply_switch_interval() -> float:
    """Set the switch interval from GIL_SWITCH_INTERVAL (None: Python's own). Returns it."""
    if settings.GIL_SWITCH_INTERVAL:
        sys.setswitchinterval(settings.GIL_SWITCH_INTERVAL)
    return sys.getswitchinterval()
