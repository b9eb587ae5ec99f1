"""Simulated CATs, exposure statistics and the Sympson–Hetter calibration.

:func:`simulate` runs the engine step by step (the same calls a web process makes) for a set
of simulees with known θ; :func:`calibrate_sympson_hetter` iterates simulations to find the
exposure-control parameters K_i that keep every item's exposure rate at or under a target.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np

from . import irt
from .engine import CATConfig, CATEngine, ItemBank


@dataclass
class SimulationResult:
    true_theta: np.ndarray
    theta: np.ndarray
    se: np.ndarray
    lengths: np.ndarray  # scored items per simulee
    administered: np.ndarray  # per item: simulees it was administered to (scored or pretest)
    selected: np.ndarray  # per item: times it won the selection (Sympson–Hetter's lottery entries)
    steps: int
    seconds: float  # in next_item + answer only (select + estimate), not the simulated response
    stop_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def rmse(self) -> float:
        return float(np.sqrt(np.mean((self.theta - self.true_theta) ** 2)))

    @property
    def bias(self) -> float:
        return float(np.mean(self.theta - self.true_theta))

    @property
    def exposure(self) -> np.ndarray:
        return self.administered / len(self.true_theta)

    @property
    def overlap(self) -> float:
        """Mean test overlap over all pairs of simulees: Σ_pairs |A ∩ B| over Σ_pairs of the
        mean length of the two tests, i.e. Σ_i n_i (n_i − 1) / ((N − 1) Σ_j L_j)."""
        n = self.administered
        total_length = float(self.administered.sum())
        people = len(self.true_theta)
        if people < 2 or total_length == 0:
            return 0.0
        return float((n * (n - 1)).sum() / ((people - 1) * total_length))

    @property
    def ms_per_step(self) -> float:
        return 1000.0 * self.seconds / max(self.steps, 1)


def simulate(
    engine: CATEngine,
    true_theta: np.ndarray,
    *,
    rng: np.random.Generator,
    uniforms: np.ndarray | None = None,
) -> SimulationResult:
    """Run one CAT per simulee. A response is correct when uniforms[j, i] < P_i(θ_j):
    pass the same (simulees × items) uniforms to compare engines on common random numbers;
    drawn from ``rng`` when omitted."""
    bank = engine.bank
    people = len(true_theta)
    if uniforms is None:
        uniforms = rng.random((people, len(bank)))
    theta = np.empty(people)
    se = np.empty(people)
    lengths = np.empty(people, dtype=int)
    administered = np.zeros(len(bank))
    selected = np.zeros(len(bank))
    reasons: dict[str, int] = {}
    steps = 0
    seconds = 0.0
    index = bank.index
    for j in range(people):
        state = engine.start()
        t = float(true_theta[j])
        while True:
            start = time.perf_counter()
            item = engine.next_item(state, rng=rng)
            seconds += time.perf_counter() - start
            if item is None:
                break
            i = index[item]
            correct = uniforms[j, i] < irt.probability(t, bank.a[i], bank.b[i], bank.c[i], bank.D)
            start = time.perf_counter()
            engine.answer(state, item, int(correct))
            seconds += time.perf_counter() - start
            steps += 1
        theta[j], se[j], lengths[j] = state.theta, state.se, state.n_scored
        for item in state.items:
            administered[index[item]] += 1
            selected[index[item]] += 1
        for item in state.rejected:
            selected[index[item]] += 1
        reasons[state.stop_reason or ""] = reasons.get(state.stop_reason or "", 0) + 1
    return SimulationResult(true_theta, theta, se, lengths, administered, selected, steps, seconds, reasons)


@dataclass
class ExposureCalibration:
    exposure_k: np.ndarray
    max_exposure: float  # of the last simulation (with the K before the last update)
    iterations: int
    history: list[float]  # largest exposure rate observed in each iteration's simulation


def calibrate_sympson_hetter(
    bank: ItemBank,
    config: CATConfig,
    *,
    target: float = 0.25,
    simulees: int = 1000,
    iterations: int = 16,
    margin: float = 0.04,
    rng: np.random.Generator | None = None,
    population: tuple[float, float] = (0.0, 1.0),
) -> ExposureCalibration:
    """Sympson & Hetter (1985): start with K_i = 1; simulate ``simulees`` CATs
    (θ ~ N(population)) with the current K; with P(S_i) the share of simulees for whom item
    i won the selection, set K_i = 1 if P(S_i) ≤ r else r / P(S_i); repeat ``iterations``
    times. The K returned is the mean of the K of the second half of the iterations: each
    iteration's K carries the sampling noise of its simulation, and the procedure keeps
    oscillating around its fixed point rather than settling on it.

    r is the target less a ``margin``: the rates of a simulation are estimates (their SD is
    about sqrt(r (1 − r) / N), 0.013 for N = 1,000 examinees), and the largest observed rate
    among the tens of items held at r exceeds r by two to three SDs; the default 0.04 keeps
    the largest rate observed among 1,000 examinees at or under ``target``.

    The bank is not modified: store the returned ``exposure_k`` with the items and pass it to
    ItemBank(exposure_k=...). Pretest items keep K = 1.
    """
    rng = rng if rng is not None else np.random.default_rng()
    if not 0 < target <= 1:
        raise ValueError("target: an exposure rate in (0, 1]")
    r = target - margin
    if r <= 0:
        raise ValueError("margin: must be smaller than the target")
    if iterations < 1 or simulees < 1:
        raise ValueError("iterations, simulees: at least 1")
    work = copy.copy(bank)
    work.exposure_k = np.ones(len(bank))
    cfg = CATConfig.from_dict({**config.to_dict(), "exposure": "sympson-hetter"})
    scored = ~bank.pretest
    history: list[float] = []
    kept: list[np.ndarray] = []
    for iteration in range(iterations):
        sim = simulate(CATEngine(work, cfg), rng.normal(population[0], population[1], simulees), rng=rng)
        history.append(float(sim.exposure[scored].max()) if scored.any() else 0.0)
        p_selected = sim.selected / simulees
        new_k = np.where(p_selected > r, r / np.maximum(p_selected, 1e-12), 1.0)
        new_k[bank.pretest] = 1.0
        work.exposure_k = np.clip(new_k, 1e-3, 1.0)
        if iteration >= iterations // 2:
            kept.append(work.exposure_k)
    return ExposureCalibration(np.mean(kept, axis=0), history[-1], iterations, history)
