"""A server process freezes its start-up heap out of the collector's full passes."""

from __future__ import annotations

import gc

from apps.ops.heap import freeze_after_startup


def test_the_start_up_heap_is_frozen_and_a_full_collection_then_walks_only_what_came_after(settings):
    settings.GC_FREEZE = True
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    frozen = freeze_after_startup()
    assert frozen == gc.get_freeze_count() > 10_000  # Django, the apps, the URLconfs
    assert len(gc.get_objects()) < frozen / 10  # what a full pass still walks


def test_gc_freeze_off_leaves_the_collector_alone(settings):
    settings.GC_FREEZE = False
    gc.unfreeze()
    assert freeze_after_startup() == 0
    assert gc.get_freeze_count() == 0
