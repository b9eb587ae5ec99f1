"""The one module that speaks to the CAT engine (apps/learning/cat): an exam's bank,
configuration, score scale and population, and a per-process cache of built engines.

A built engine holds the bank's quadrature tables, so it is kept per process and exam and
rebuilt when the exam changes or any item does (the bank revision, bumped after commit by
services/items.py). The bank's Item rows and their rendered stems are kept with it: an
answer scores the item being asked and shows the next one without reading either row
again or rendering Markdown per request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Q

from .cat import CATConfig, CATEngine, ItemBank, Population, ScoreScale
from .models import ITEM_D, Attempt, Exam, Item
from .rendering import markdown
from .services.items import revision


@dataclass
class BuiltBank:
    """An exam's engine and the Item rows of its bank (read-only: shared by the process's
    threads), with each stem's HTML rendered once."""

    engine: CATEngine
    items: dict[int, Item]
    stems: dict[int, str] = field(default_factory=dict)

    def item(self, pk: int) -> Item:
        """The bank's row, or the database's for an item no longer in it (retired while an
        attempt was being asked it)."""
        item = self.items.get(pk)
        return item if item is not None else Item.objects.get(pk=pk)

    def stem_html(self, item: Item) -> str:
        if self.items.get(item.pk) is not item:
            return markdown(item.stem)
        html = self.stems.get(item.pk)
        if html is None:
            html = self.stems[item.pk] = markdown(item.stem)
        return html


_cache: OrderedDict[tuple, BuiltBank] = OrderedDict()
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
    return _build(exam, bank_items(exam))


def _build(exam: Exam, items: list[Item]) -> CATEngine:
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
    return bank_for(exam).engine


def bank_for(exam: Exam) -> BuiltBank:
    """The exam's built engine and bank rows, from this process's cache when neither the
    exam nor any item changed since they were built."""
    key = (connection.schema_name, exam.pk, exam.updated_at.isoformat(), revision())
    with _lock:
        built = _cache.get(key)
        if built is not None:
            _cache.move_to_end(key)
            return built
    items = bank_items(exam)
    built = BuiltBank(_build(exam, items), {item.pk: item for item in items})
    with _lock:
        _cache[key] = built
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return built


def scale_for(exam: Exam) -> ScoreScale:
    return ScoreScale(slope=exam.score_slope, intercept=exam.score_intercept, decimals=0)


@dataclass(frozen=True)
class CountedPopulation:
    """The exam's finished attempts counted around one θ by the database: the percentile
    Population's empirical form gives (the percentage below plus half the percentage
    equal), without reading every θ into the process at every finish."""

    below: int
    equal: int
    total: int

    def percentile(self, theta: float) -> float:
        return 100.0 * (self.below + 0.5 * self.equal) / self.total


def population_for(exam: Exam, engine: CATEngine, theta: float) -> Population | CountedPopulation:
    """For the percentile of `theta`: the exam's finished attempts, once there are
    POPULATION_MIN of them (one aggregate query); before that the CAT prior."""
    counts = (
        Attempt.objects.filter(exam=exam)
        .exclude(status=Attempt.Status.ACTIVE)
        .exclude(theta=None)
        .aggregate(
            below=Count("pk", filter=Q(theta__lt=theta)),
            equal=Count("pk", filter=Q(theta=theta)),
            total=Count("pk"),
        )
    )
    if counts["total"] >= POPULATION_MIN:
        return CountedPopulation(**counts)
    return Population(engine.config.prior_mean, engine.config.prior_sd)
