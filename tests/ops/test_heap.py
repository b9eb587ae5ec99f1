"""A server process freezes its start-up heap out of the collector's full passes."""

from __future__ import annotations

import gc

import pytest

from apps.ops.heap import apply_gc_threshold, freeze_after_startup


@pytest.fixture(autouse=True)
def _thawed():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the suite runs with the collector as it found it


def test_the_start_up_heap_is_frozen_and_a_full_collection_then_walks_only_what_came_after(settings):
    settings.GC_FREEZE = True
    assert gc.get_freeze_count() == 0
    frozen = freeze_after_startup()
    assert frozen > 10_000  # Django, the apps, the URLconfs
    # Frozen objects still die by reference count — the suite's background threads free
    # a few between the two reads — but nothing new joins them.
    assert frozen - 1_000 < gc.get_freeze_count() <= frozen
    assert len(gc.get_objects()) < frozen / 10  # what a full pass still walks


def test_gc_freeze_off_leaves_the_collector_alone(settings):
    settings.GC_FREEZE = False
    assert freeze_after_startup() == 0
    assert gc.get_freeze_count() == 0


def test_gc_threshold_sets_the_collectors_thresholds_and_empty_leaves_pythons(settings):
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        settings.GC_THRESHOLD = [20_000, 10, 10]
        assert apply_gc_threshold() == (20_000, 10, 10) == gc.get_threshold()
        gc.set_threshold(700, 10, 10)
        settings.GC_THRESHOLD = []
        assert apply_gc_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)
