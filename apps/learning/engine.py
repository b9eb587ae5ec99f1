"""The one module that speaks to the CAT engine (apps/learning/cat): an exam's bank,
configuration, score scale and population, and a per-process cache of built engines.

A built engine holds the bank's quadrature tables, so it is kept per process and exam and
rebuilt when the exam changes or any item does (the bank revision, bumped after commit by
services/items.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.db import connection

from .cat import CATConfig, CATEngine, ItemBank, Population, ScoreScale
from .models import ITEM_D, Attempt, Exam, Item
from .services.items import revision

_cache: OrderedDict[tuple, CATEngine] = OrderedDict()
_lock = threading.Lock()
CACHE_SIZE = 64
# Percentiles come from the exam's own finished attempts once there are this many;
# before that, from the CAT prior N(prior_mean, prior_sd).
POPULATION_MIN = 30


def bank_items(exam: Exam) -> list[Item]:
    """The items the exam may give: a fixed form's own items in their order; for an
    adaptive exam, the live and pretest items of its content areas."""
    if exam.kind == Exam.Kind.FIXED:
        return [row.item for row in exam.exam_items.select_related("item").order_by("position")]
    rows = Item.objects.filter(status__in=[Item.Status.LIVE, Item.Status.PRETEST])
    if exam.areas:
        rows = rows.filter(area__in=exam.areas)
    return list(rows.order_by("pk"))


def config_for(exam: Exam, n_items: int | None = None) -> CATConfig:
    """The exam's CAT settings (a fixed form: EAP after every answer, every item given)."""
    settings = dict(exam.cat_settings or {})
    if exam.kind == Exam.Kind.FIXED:
        n = n_items if n_items is not None else exam.exam_items.count()
        settings.update(
            se_target=None,
            min_length=0,
            max_length=max(n, 1),
            exposure="none",
            content_targets=None,
            pretest_positions=[],
        )
    settings.pop("time_limit_seconds", None)  # the attempt's deadline is the timer
    return CATConfig.from_dict(settings)


def build(exam: Exam) -> CATEngine:
    items = bank_items(exam)
    adaptive = exam.kind == Exam.Kind.ADAPTIVE
    bank = ItemBank(
        [item.pk for item in items],
        [item.a for item in items],
        [item.b for item in items],
        [item.c for item in items],
        areas=[item.area for item in items],
        pretest=[adaptive and item.status == Item.Status.PRETEST for item in items],
        exposure_k=[item.exposure_k if adaptive else 1.0 for item in items],
        D=ITEM_D,
    )
    return CATEngine(bank, config_for(exam, len(items)))


def engine_for(exam: Exam) -> CATEngine:
    key = (connection.schema_name, exam.pk, exam.updated_at.isoformat(), revision())
    with _lock:
        engine = _cache.get(key)
        if engine is not None:
            _cache.move_to_end(key)
            return engine
    engine = build(exam)
    with _lock:
        _cache[key] = engine
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return engine


def scale_for(exam: Exam) -> ScoreScale:
    return ScoreScale(slope=exam.score_slope, intercept=exam.score_intercept, decimals=0)


def population_for(exam: Exam, engine: CATEngine) -> Population:
    thetas = list(
        Attempt.objects.filter(exam=exam)
        .exclude(status=Attempt.Status.ACTIVE)
        .exclude(theta=None)
        .values_list("theta", flat=True)[:100_000]
    )
    if len(thetas) >= POPULATION_MIN:
        return Population(thetas=tuple(thetas))
    return Population(engine.config.prior_mean, engine.config.prior_sd)
