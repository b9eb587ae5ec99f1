"""The CAT engine: computerised adaptive testing on the 3PL, pure numpy (no Django).

Model. P_i(θ) = c_i + (1 − c_i) / (1 + exp(−D a_i (θ − b_i))). D is a property of the bank,
``DEFAULT_D = 1.0`` (the logistic metric of catsim, girth and mirt; use 1.702 when a and b
are in the normal-ogive metric). Store D with the exam's items and pass it to ItemBank.

Walk-through (what a web process does)::

    from apps.learning.cat import CATConfig, CATEngine, CATState, ItemBank, Population, ScoreScale

    bank = ItemBank(ids, a, b, c, areas=areas, pretest=is_pretest, exposure_k=k, D=1.0)
    config = CATConfig.from_dict(exam.cat_settings)      # JSON-able; CATConfig() = defaults
    engine = CATEngine(bank, config)                      # cheap once the bank is cached

    state = engine.start()                                # new attempt
    item = engine.next_item(state, elapsed_seconds=t)     # an id, or None: finished
    # ... store state.to_dict() (DB + Redis), show the item; later, in any process:
    state = CATState.from_dict(saved)
    engine.next_item(state)                               # same item again while pending
    engine.answer(state, item, 1)                         # 1 correct / 0 wrong; θ̂, SE updated
    ...
    state.stop_reason                                     # "se", "max_length", "time",
                                                          # "bank_exhausted", or finish()'s reason
    engine.finish(state, "submitted")                     # early submit / time-out
    result = engine.result(state, scale=ScoreScale(100, 500), population=Population(0, 1))
    result.to_dict()  # theta, se, scaled_score, percentile, n_scored, n_pretest,
                      # stop_reason, areas (per-area breakdown), log (item, response, θ̂, SE)

Bank (:class:`ItemBank`). Parallel arrays: ids, a, b, c, areas (content area names),
pretest (bool), exposure_k (Sympson–Hetter K_i, 1 = uncontrolled), D. Only pass the items
that may be administered (live + pretest). Build it once per process and exam: it caches
log P / log Q of every item at the quadrature points (``grid_logs``), so recording an answer
updates the posterior in O(grid points) instead of recomputing it over all answers.

Configuration (:class:`CATConfig`, per exam, ``to_dict``/``from_dict``):

- ``method``: "eap" (default; quadrature on ``grid_points`` equally spaced points of
  [grid_lo, grid_hi], 81 on [−4, 4], prior N(prior_mean, prior_sd²), SE = posterior SD),
  "map" (same prior; Fisher scoring from the grid maximum; SE = 1/sqrt(I(θ) + 1/σ²)) or
  "ml" (bounded to [grid_lo, grid_hi], so all-correct and all-wrong patterns give the bounds;
  SE = 1/sqrt(I(θ)), at most MAX_SE = 10).
- Selection: maximum Fisher information at θ̂ among items not yet administered (never an
  item twice; pretest items never selected for scoring). ``exposure``: "none",
  "randomesque" (uniformly among the ``randomesque_k`` most informative) or
  "sympson-hetter" (the best item is given with probability K_i, otherwise withheld from
  this examinee and the next best tried; K from :func:`calibrate_sympson_hetter`).
  ``content_targets`` {area: share}: Kingsbury–Zara content balancing, each item comes from
  the area with the largest deficit target·(n+1) − count among areas with items left.
- Stopping (checked in ``next_item``): ``max_length`` scored items; SE ≤ ``se_target``
  once ``min_length`` items are scored (``se_target=None``: fixed length); the
  ``time_limit_seconds`` when the caller passes ``elapsed_seconds``.
- Pretest: at the 1-based ``pretest_positions`` a random unseen pretest item is served;
  its answer is logged (``scored`` False) and does not change θ̂ or count toward lengths.

State (:class:`CATState`): items (ids), responses, scored, thetas and ses after each answer,
θ̂, SE, the pending item, Sympson–Hetter's withheld items, stop_reason. ``to_dict`` gives
plain JSON types; ``from_dict`` checks the version and the list lengths.

Calibration: :func:`calibrate` (MMLE by EM, 2PL/3PL, NaN = not administered; see
``calibration.py``) and :func:`calibrate_sympson_hetter` (exposure parameters by
simulation; ``exposure.py``). :func:`simulate` runs simulated CATs (used by both and by
``bench/cat``).
"""

from .calibration import CalibrationResult, calibrate
from .engine import CATConfig, CATEngine, CATResult, CATState, ItemBank, Population, ScoreScale
from .exposure import ExposureCalibration, SimulationResult, calibrate_sympson_hetter, simulate
from .irt import DEFAULT_D, MAX_SE, Quadrature, information, probability

__all__ = [
    "DEFAULT_D",
    "MAX_SE",
    "CATConfig",
    "CATEngine",
    "CATResult",
    "CATState",
    "CalibrationResult",
    "ExposureCalibration",
    "ItemBank",
    "Population",
    "Quadrature",
    "ScoreScale",
    "SimulationResult",
    "calibrate",
    "calibrate_sympson_hetter",
    "information",
    "probability",
    "simulate",
]
