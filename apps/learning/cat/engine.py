"""The item bank, the exam's CAT configuration, the serialisable attempt state and the engine
that selects, scores, stops and reports. See the package docstring for the API walk-through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from . import irt
from .irt import DEFAULT_D, MAX_SE, Quadrature

ItemId = int | str
Method = Literal["eap", "map", "ml"]
Exposure = Literal["none", "randomesque", "sympson-hetter"]

STATE_VERSION = 1


# --------------------------------------------------------------------------- the bank


class _ItemIndex(dict):
    """id → bank position. A state restored against a bank that lost one of its items (retired
    while an attempt was open) fails with the item named, not with a bare KeyError: the caller
    must keep an attempt's administered items in the bank it builds for that attempt."""

    def __missing__(self, item: object) -> int:
        raise ValueError(f"item: {item!r} is not in the bank")


class ItemBank:
    """The items a CAT may draw from, as parallel numpy arrays (index i = item ``ids[i]``).

    ``areas``: each item's content area (a string; None = one area ""); ``pretest``: items
    being pretested (administered unscored at the configured positions, never chosen for
    scoring); ``exposure_k``: Sympson–Hetter exposure-control parameters K_i in (0, 1]
    (1 = no control; from :func:`apps.learning.cat.exposure.calibrate_sympson_hetter`).

    Build it once per process and exam and reuse it: the log P / log Q of every item at the
    quadrature points are computed on first use and cached on the bank, so that an answer
    updates the ability posterior in O(grid points).
    """

    def __init__(
        self,
        ids: Sequence[ItemId],
        a: Sequence[float] | np.ndarray,
        b: Sequence[float] | np.ndarray,
        c: Sequence[float] | np.ndarray | None = None,
        *,
        areas: Sequence[str | None] | None = None,
        pretest: Sequence[bool] | np.ndarray | None = None,
        exposure_k: Sequence[float] | np.ndarray | None = None,
        D: float = DEFAULT_D,
    ) -> None:
        n = len(ids)
        self.ids: list[ItemId] = list(ids)
        self.a = np.asarray(a, dtype=float)
        self.b = np.asarray(b, dtype=float)
        self.c = np.zeros(n) if c is None else np.asarray(c, dtype=float)
        self.D = float(D)
        self.areas: list[str] = ["" if x is None else str(x) for x in areas] if areas is not None else [""] * n
        self.pretest = np.zeros(n, dtype=bool) if pretest is None else np.asarray(pretest, dtype=bool)
        self.exposure_k = np.ones(n) if exposure_k is None else np.asarray(exposure_k, dtype=float)
        for name, arr in (
            ("a", self.a),
            ("b", self.b),
            ("c", self.c),
            ("pretest", self.pretest),
            ("exposure_k", self.exposure_k),
        ):
            if arr.shape != (n,):
                raise ValueError(f"{name}: {arr.shape[0] if arr.ndim else 0} values for {n} items")
        if len(self.areas) != n:
            raise ValueError(f"areas: {len(self.areas)} values for {n} items")
        if not np.all(np.isfinite(self.a)) or np.any(self.a <= 0):
            raise ValueError("a: every discrimination must be a positive number")
        if not np.all(np.isfinite(self.b)):
            raise ValueError("b: every difficulty must be a finite number")
        if np.any(self.c < 0) or np.any(self.c >= 1):
            raise ValueError("c: every guessing parameter must be in [0, 1)")
        if np.any(self.exposure_k <= 0) or np.any(self.exposure_k > 1):
            raise ValueError("exposure_k: every K must be in (0, 1]")
        self.index: dict[ItemId, int] = _ItemIndex((item, i) for i, item in enumerate(self.ids))
        if len(self.index) != n:
            raise ValueError("ids: an item id appears twice")
        self.area_names: list[str] = sorted(set(self.areas))
        self.area_codes = np.array([self.area_names.index(x) for x in self.areas], dtype=int)
        self._grids: dict[tuple[float, float, int], tuple[np.ndarray, np.ndarray]] = {}
        # for information(): I = D²a²(1 − c) · e / ((1 + e)² (1 + c e)), e = exp(−Da(θ − b))
        self._da = self.D * self.a
        self._dab = self._da * self.b
        self._info_coef = self._da**2 * (1.0 - self.c)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]], *, D: float = DEFAULT_D) -> ItemBank:
        """From dicts with keys id, a, b, c (optional), area, pretest, exposure_k (optional)."""
        rows = list(records)
        return cls(
            [r["id"] for r in rows],
            [r["a"] for r in rows],
            [r["b"] for r in rows],
            [r.get("c", 0.0) or 0.0 for r in rows],
            areas=[r.get("area") for r in rows],
            pretest=[bool(r.get("pretest", False)) for r in rows],
            exposure_k=[r.get("exposure_k", 1.0) or 1.0 for r in rows],
            D=D,
        )

    def grid_logs(self, quad: Quadrature) -> tuple[np.ndarray, np.ndarray]:
        """log P and log Q of every item at the quadrature points, shape (items, points)."""
        key = quad.grid_key()
        if key not in self._grids:
            p = irt.probability(quad.points[None, :], self.a[:, None], self.b[:, None], self.c[:, None], self.D)
            p = np.clip(p, 1e-12, 1.0 - 1e-12)
            self._grids[key] = (np.log(p), np.log1p(-p))
        return self._grids[key]

    def information(self, theta: float) -> np.ndarray:
        """Every item's Fisher information at θ: irt.information rewritten with
        e = exp(−Da(θ − b)) (P − c = (1 − c)/(1 + e), Q = (1 − c) e/(1 + e)), which needs a
        third of the array operations; the selection runs it once per step."""
        e = np.exp(np.minimum(self._dab - self._da * theta, 50.0))
        one_e = 1.0 + e
        return self._info_coef * e / (one_e * one_e * (1.0 + self.c * e))


# --------------------------------------------------------------------------- the exam's configuration


@dataclass
class CATConfig:
    """How one exam runs its CATs. JSON-able through to_dict/from_dict.

    Lengths count scored items; pretest items come on top of them, at ``pretest_positions``
    (1-based positions in the whole sequence, e.g. [5, 12]).
    """

    method: Method = "eap"
    prior_mean: float = 0.0
    prior_sd: float = 1.0
    grid_lo: float = -4.0
    grid_hi: float = 4.0
    grid_points: int = 81
    start_theta: float | None = None  # None: the prior mean
    # stopping
    se_target: float | None = 0.3  # None: fixed length (max_length)
    min_length: int = 5
    max_length: int = 30
    time_limit_seconds: float | None = None
    # selection
    exposure: Exposure = "none"
    randomesque_k: int = 5
    content_targets: dict[str, float] | None = None  # area → proportion (normalised)
    pretest_positions: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.method not in ("eap", "map", "ml"):
            raise ValueError(f"method: {self.method!r} is not one of eap, map, ml")
        if self.exposure not in ("none", "randomesque", "sympson-hetter"):
            raise ValueError(f"exposure: {self.exposure!r} is not one of none, randomesque, sympson-hetter")
        if self.prior_sd <= 0:
            raise ValueError("prior_sd: must be positive")
        if not (self.grid_lo < self.grid_hi) or self.grid_points < 3:
            raise ValueError("grid_lo, grid_hi, grid_points: need lo < hi and at least 3 points")
        if self.min_length < 0 or self.max_length < 1 or self.min_length > self.max_length:
            raise ValueError("min_length, max_length: need 0 ≤ min_length ≤ max_length and max_length ≥ 1")
        if self.se_target is not None and self.se_target <= 0:
            raise ValueError("se_target: must be positive (or None for a fixed length)")
        if self.randomesque_k < 1:
            raise ValueError("randomesque_k: must be at least 1")
        if self.content_targets is not None:
            if not self.content_targets or any(v < 0 for v in self.content_targets.values()):
                raise ValueError("content_targets: proportions must be non-negative, at least one area")
            total = sum(self.content_targets.values())
            if total <= 0:
                raise ValueError("content_targets: proportions must not all be zero")
            self.content_targets = {str(k): v / total for k, v in self.content_targets.items()}
        if any(p < 1 for p in self.pretest_positions):
            raise ValueError("pretest_positions: positions are 1-based")
        self.pretest_positions = sorted(set(self.pretest_positions))

    @property
    def quadrature(self) -> Quadrature:
        return Quadrature(self.grid_lo, self.grid_hi, self.grid_points, self.prior_mean, self.prior_sd)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CATConfig:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown CAT setting(s): {', '.join(sorted(unknown))}")
        return cls(**dict(data))


# --------------------------------------------------------------------------- the attempt's state


@dataclass
class CATState:
    """One attempt in progress. ``to_dict()`` is JSON-able (store it in the database and in
    Redis); ``CATState.from_dict`` restores it in any process. Items are kept by id, so the
    state survives a bank rebuilt in another order.

    Parallel lists, one entry per administered item (scored and pretest): ``items``,
    ``responses`` (0/1), ``scored``, ``thetas`` and ``ses`` (θ̂ and SE after that answer).
    ``pending`` is the item served and not yet answered (served again on resume).
    ``rejected``: items Sympson–Hetter's lottery withheld from this examinee.
    """

    theta: float
    se: float
    items: list[ItemId] = field(default_factory=list)
    responses: list[int] = field(default_factory=list)
    scored: list[bool] = field(default_factory=list)
    thetas: list[float] = field(default_factory=list)
    ses: list[float] = field(default_factory=list)
    rejected: list[ItemId] = field(default_factory=list)
    pending: ItemId | None = None
    pending_scored: bool = True
    stop_reason: str | None = None
    version: int = STATE_VERSION
    # the log-likelihood on the quadrature grid: a cache, rebuilt from the responses
    _loglik: np.ndarray | None = field(default=None, repr=False, compare=False)
    # items still selectable for scoring (not administered, not withheld): a cache too
    _open: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def n_scored(self) -> int:
        return sum(self.scored)

    @property
    def finished(self) -> bool:
        return self.stop_reason is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "theta": self.theta,
            "se": self.se,
            "items": list(self.items),
            "responses": list(self.responses),
            "scored": list(self.scored),
            "thetas": list(self.thetas),
            "ses": list(self.ses),
            "rejected": list(self.rejected),
            "pending": self.pending,
            "pending_scored": self.pending_scored,
            "stop_reason": self.stop_reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CATState:
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"CAT state version {data.get('version')!r}, expected {STATE_VERSION}")
        lists = [len(data[k]) for k in ("items", "responses", "scored", "thetas", "ses")]
        if len(set(lists)) != 1:
            raise ValueError("CAT state: items, responses, scored, thetas and ses differ in length")
        return cls(
            theta=float(data["theta"]),
            se=float(data["se"]),
            items=list(data["items"]),
            responses=[int(x) for x in data["responses"]],
            scored=[bool(x) for x in data["scored"]],
            thetas=[float(x) for x in data["thetas"]],
            ses=[float(x) for x in data["ses"]],
            rejected=list(data.get("rejected", [])),
            pending=data.get("pending"),
            pending_scored=bool(data.get("pending_scored", True)),
            stop_reason=data.get("stop_reason"),
        )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ScoreScale:
    """The exam's reported score: slope · θ + intercept, rounded, optionally clamped."""

    slope: float = 100.0
    intercept: float = 500.0
    lo: float | None = None
    hi: float | None = None
    decimals: int = 0

    def score(self, theta: float) -> float:
        value = self.slope * theta + self.intercept
        if self.lo is not None:
            value = max(self.lo, value)
        if self.hi is not None:
            value = min(self.hi, value)
        return round(value, self.decimals)


@dataclass(frozen=True)
class Population:
    """The exam's population for percentiles: normal(mean, sd), or the θ values given
    (empirical: the percentage below plus half the percentage equal)."""

    mean: float = 0.0
    sd: float = 1.0
    thetas: tuple[float, ...] | None = None

    def percentile(self, theta: float) -> float:
        if self.thetas:
            values = np.asarray(self.thetas, dtype=float)
            below = float((values < theta).sum()) + 0.5 * float((values == theta).sum())
            return 100.0 * below / len(values)
        return 100.0 * irt.normal_cdf((theta - self.mean) / self.sd)


class Percentiles(Protocol):
    """What a result needs of a population (Population, or a caller's own counts)."""

    def percentile(self, theta: float) -> float: ...


@dataclass
class CATResult:
    theta: float
    se: float
    scaled_score: float
    percentile: float
    n_scored: int
    n_pretest: int
    stop_reason: str | None
    areas: list[dict[str, Any]]
    log: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- the engine


class CATEngine:
    """Selection, scoring and stopping for one exam (a bank and a configuration).

    Stateless between calls apart from the bank's caches: everything about an attempt is
    in its :class:`CATState`, so any process can serve the next step.
    """

    def __init__(self, bank: ItemBank, config: CATConfig | None = None) -> None:
        self.bank = bank
        self.config = config or CATConfig()
        self.quad = self.config.quadrature
        self._logp, self._logq = bank.grid_logs(self.quad)
        self._scorable = ~bank.pretest
        targets = self.config.content_targets
        if targets is not None:
            self._targets = np.array([targets.get(name, 0.0) for name in bank.area_names])
        else:
            self._targets = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> CATState:
        """A fresh attempt: θ̂ at the start value, SE the prior SD (ML: MAX_SE)."""
        cfg = self.config
        theta = cfg.prior_mean if cfg.start_theta is None else cfg.start_theta
        se = MAX_SE if cfg.method == "ml" else cfg.prior_sd
        return CATState(theta=theta, se=se, _loglik=np.zeros(self.quad.n), _open=self._scorable.copy())

    def next_item(
        self, state: CATState, *, elapsed_seconds: float | None = None, rng: np.random.Generator | None = None
    ) -> ItemId | None:
        """The item to show now, or None when the attempt stops (``state.stop_reason`` says
        why). Idempotent while an item is pending: a resumed client gets the same item."""
        if state.pending is not None:
            return state.pending
        if state.finished:
            return None
        reason = self.stop_reason(state, elapsed_seconds=elapsed_seconds)
        if reason is not None:
            state.stop_reason = reason
            return None
        rng = rng if rng is not None else np.random.default_rng()
        position = len(state.items) + 1
        index: int | None = None
        if position in self.config.pretest_positions:
            index = self._pick_pretest(state, rng)
        scored = index is None
        if index is None:
            index = self.select(state, rng)
        if index is None:
            state.stop_reason = "bank_exhausted"
            return None
        state.pending = self.bank.ids[index]
        state.pending_scored = scored
        return state.pending

    def answer(self, state: CATState, item: ItemId, response: int | bool) -> None:
        """Record the response (1 correct, 0 wrong) to the pending item and update θ̂ and SE
        (pretest items leave them unchanged)."""
        if state.pending is None or item != state.pending:
            raise ValueError(f"item: {item!r} is not the item served ({state.pending!r})")
        if response not in (0, 1, True, False):
            raise ValueError(f"response: {response!r} is not 0 or 1")
        x = int(response)
        index = self.bank.index[item]
        scored = state.pending_scored
        loglik = self._loglik(state)
        if scored:
            loglik += self._logp[index] if x else self._logq[index]
        self._available(state)[index] = False
        state.items.append(item)
        state.responses.append(x)
        state.scored.append(scored)
        state.pending = None
        state.pending_scored = True
        if scored:
            state.theta, state.se = self._estimate(state, loglik)
        state.thetas.append(state.theta)
        state.ses.append(state.se)

    def stop_reason(self, state: CATState, *, elapsed_seconds: float | None = None) -> str | None:
        """Why the attempt stops now ("time", "max_length", "se"), or None to continue."""
        cfg = self.config
        if (
            cfg.time_limit_seconds is not None
            and elapsed_seconds is not None
            and elapsed_seconds >= cfg.time_limit_seconds
        ):
            return "time"
        n = state.n_scored
        if n >= cfg.max_length:
            return "max_length"
        if cfg.se_target is not None and n >= cfg.min_length and n > 0 and state.se <= cfg.se_target:
            return "se"
        return None

    def finish(self, state: CATState, reason: str = "submitted") -> None:
        """End the attempt now (the student submits, the timer ran out): a pending item is
        dropped unanswered."""
        state.pending = None
        if state.stop_reason is None:
            state.stop_reason = reason

    # ------------------------------------------------------------------ estimation

    def _loglik(self, state: CATState) -> np.ndarray:
        if state._loglik is None:
            idx = [self.bank.index[i] for i, s in zip(state.items, state.scored, strict=True) if s]
            xs = [x for x, s in zip(state.responses, state.scored, strict=True) if s]
            ll = np.zeros(self.quad.n)
            for i, x in zip(idx, xs, strict=True):
                ll += self._logp[i] if x else self._logq[i]
            state._loglik = ll
        return state._loglik

    def _estimate(self, state: CATState, loglik: np.ndarray) -> tuple[float, float]:
        method = self.config.method
        if method == "eap":
            return irt.eap(loglik, self.quad)
        idx = np.array([self.bank.index[i] for i, s in zip(state.items, state.scored, strict=True) if s], dtype=int)
        xs = np.array([x for x, s in zip(state.responses, state.scored, strict=True) if s], dtype=float)
        a, b, c = self.bank.a[idx], self.bank.b[idx], self.bank.c[idx]
        if method == "map":
            return irt.map_estimate(loglik, self.quad, a, b, c, xs, self.bank.D)
        return irt.ml_estimate(loglik, self.quad, a, b, c, xs, self.bank.D)

    def estimate(self, items: Sequence[ItemId], responses: Sequence[int]) -> tuple[float, float]:
        """θ̂ and SE of a whole response pattern (all scored), with the configured method."""
        state = self.start()
        state.items = list(items)
        state.responses = [int(x) for x in responses]
        state.scored = [True] * len(state.items)
        state._loglik = None
        if not state.items:
            return state.theta, state.se
        return self._estimate(state, self._loglik(state))

    # ------------------------------------------------------------------ selection

    def _available(self, state: CATState) -> np.ndarray:
        """The state's mask of selectable items, rebuilt from its lists after a restore."""
        if state._open is None:
            mask = self._scorable.copy()
            index = self.bank.index
            for item in state.items:
                mask[index[item]] = False
            for item in state.rejected:
                mask[index[item]] = False
            state._open = mask
        return state._open

    def _content_area(self, state: CATState, available: np.ndarray) -> np.ndarray:
        """Kingsbury–Zara: restrict to the area furthest below its target share, measured
        against the count it should have after this item (target · (n + 1) − count), among
        the areas that still have an available item."""
        if self._targets is None:
            return available
        counts = np.zeros(len(self._targets))
        codes = self.bank.area_codes
        index = self.bank.index
        for item, scored in zip(state.items, state.scored, strict=True):
            if scored:
                counts[codes[index[item]]] += 1
        deficit = self._targets * (counts.sum() + 1.0) - counts
        has_items = np.bincount(codes[available], minlength=len(self._targets)) > 0
        if not has_items.any():
            return available
        deficit[~has_items] = -np.inf
        # ties: the larger target first, then the bank's area order
        best = np.flatnonzero(deficit == deficit.max())
        area = best[np.argmax(self._targets[best])]
        return available & (codes == area)

    def select(self, state: CATState, rng: np.random.Generator) -> int | None:
        """The bank index of the next scored item: maximum information at θ̂ among the
        available items of the chosen content area, under the configured exposure control.
        None when no item is left."""
        available = self._available(state)
        if not available.any():
            return None
        eligible = self._content_area(state, available)
        info = self.bank.information(state.theta)
        info[~eligible] = -np.inf
        mode = self.config.exposure
        if mode == "randomesque":
            k = min(self.config.randomesque_k, int(eligible.sum()))
            top = np.argpartition(-info, k - 1)[:k]
            return int(top[rng.integers(k)])
        if mode == "sympson-hetter":
            return self._sympson_hetter(state, info, rng)
        return int(np.argmax(info))

    def _sympson_hetter(self, state: CATState, info: np.ndarray, rng: np.random.Generator) -> int:
        """The most informative item is administered with probability K_i; otherwise it is
        withheld from this examinee for the rest of the test and the next one is tried. If
        every candidate is withheld, the last one is administered (the test must go on).

        Drawn in one pass: every eligible item gets its lottery u_i ≤ K_i at once; the item
        given is the most informative winner, and the eligible items more informative than it
        are the losers the sequential procedure would have tried first (same distribution)."""
        k = self.bank.exposure_k
        eligible = np.isfinite(info)
        wins = eligible & (rng.random(len(info)) <= k)
        if wins.any():
            chosen = int(np.argmax(np.where(wins, info, -np.inf)))
        else:
            chosen = int(np.argmin(np.where(eligible, info, np.inf)))
        losers = np.flatnonzero(eligible & (info > info[chosen]))
        if len(losers):
            mask = self._available(state)
            mask[losers] = False
            ids = self.bank.ids
            # most informative first, as the sequential lottery would have met them
            state.rejected.extend(ids[i] for i in losers[np.argsort(-info[losers])])
        return chosen

    def _pick_pretest(self, state: CATState, rng: np.random.Generator) -> int | None:
        """A pretest item not yet seen, at random (spreads responses over the new items)."""
        candidates = self.bank.pretest.copy()
        for item in state.items:
            candidates[self.bank.index[item]] = False
        pool = np.flatnonzero(candidates)
        if len(pool) == 0:
            return None
        return int(pool[rng.integers(len(pool))])

    # ------------------------------------------------------------------ results

    def result(
        self, state: CATState, *, scale: ScoreScale | None = None, population: Percentiles | None = None
    ) -> CATResult:
        """θ, SE, scaled score, percentile, per-area breakdown and the item log."""
        scale = scale or ScoreScale()
        population = population or Population(self.config.prior_mean, self.config.prior_sd)
        areas = []
        by_area: dict[str, list[tuple[int, int]]] = {}
        for item, x, scored in zip(state.items, state.responses, state.scored, strict=True):
            if scored:
                i = self.bank.index[item]
                by_area.setdefault(self.bank.areas[i], []).append((i, x))
        for name in sorted(by_area):
            rows = by_area[name]
            idx = np.array([i for i, _ in rows])
            xs = np.array([x for _, x in rows], dtype=float)
            ll = (np.where(xs[:, None] > 0, self._logp[idx], self._logq[idx])).sum(axis=0)
            theta, se = irt.eap(ll, self.quad)
            expected = irt.probability(state.theta, self.bank.a[idx], self.bank.b[idx], self.bank.c[idx], self.bank.D)
            target = None if self.config.content_targets is None else self.config.content_targets.get(name, 0.0)
            areas.append(
                {
                    "area": name,
                    "items": len(rows),
                    "correct": int(xs.sum()),
                    "proportion_correct": float(xs.mean()),
                    "expected_correct": float(expected.sum()),
                    "target_share": target,
                    "theta": theta,
                    "se": se,
                }
            )
        log = [
            {
                "position": n + 1,
                "item": item,
                "area": self.bank.areas[self.bank.index[item]],
                "response": x,
                "scored": scored,
                "theta": theta,
                "se": se,
            }
            for n, (item, x, scored, theta, se) in enumerate(
                zip(state.items, state.responses, state.scored, state.thetas, state.ses, strict=True)
            )
        ]
        return CATResult(
            theta=state.theta,
            se=state.se,
            scaled_score=scale.score(state.theta),
            percentile=population.percentile(state.theta),
            n_scored=state.n_scored,
            n_pretest=len(state.items) - state.n_scored,
            stop_reason=state.stop_reason,
            areas=areas,
            log=log,
        )
