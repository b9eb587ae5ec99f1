"""A server process's GIL switch interval (GIL_SWITCH_INTERVAL, apps/ops/gil.py). Its effect
is timed by bench/club, not here: on a shared, loaded machine a busy thread may not get a core
at all, and a timing assertion would pass or fail with the machine."""

from __future__ import annotations

import sys

import pytest

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
