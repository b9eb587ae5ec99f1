"""A server process hands the GIL back to threads returning from a round trip within
GIL_SWITCH_INTERVAL (apps/ops/gil.py)."""

from __future__ import annotations

import sys
import threading
import time

import pytest
from django_redis import get_redis_connection

from apps.ops.gil import apply_switch_interval


@pytest.fixture(autouse=True)
def _restored():
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)  # the rest of the suite runs with Python's interval


def test_a_set_interval_is_applied(settings):
    sys.setswitchinterval(0.005)
    settings.GIL_SWITCH_INTERVAL = 0.001
    assert apply_switch_interval() == pytest.approx(0.001) == sys.getswitchinterval()


def test_empty_leaves_pythons_interval(settings):
    sys.setswitchinterval(0.005)
    settings.GIL_SWITCH_INTERVAL = None
    assert apply_switch_interval() == pytest.approx(0.005)


def _round_trips_beside_a_busy_thread(count: int) -> float:
    """Seconds for `count` Redis round trips while another thread runs pure Python."""
    redis = get_redis_connection("default")
    redis.ping()
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            sum(range(1000))

    busy = threading.Thread(target=spin)
    busy.start()
    try:
        time.sleep(0.05)
        started = time.perf_counter()
        for _ in range(count):
            redis.ping()
        return time.perf_counter() - started
    finally:
        stop.set()
        busy.join()


def test_a_thread_back_from_redis_waits_less_for_the_gil(settings):
    # What the interval is for: each round trip gives the GIL away and waits for it back
    # while the busy thread runs; at Python's 5 ms that is ~5 ms a trip, at 1 ms ~1 ms.
    sys.setswitchinterval(0.005)
    slow = min(_round_trips_beside_a_busy_thread(40) for _ in range(2))
    settings.GIL_SWITCH_INTERVAL = 0.001
    apply_switch_interval()
    fast = min(_round_trips_beside_a_busy_thread(40) for _ in range(2))
    assert slow > 40 * 0.003  # each trip waited for most of an interval
    assert fast < slow / 2
