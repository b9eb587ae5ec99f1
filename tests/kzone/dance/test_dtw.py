"""The banded DTW against a plain O(N·M) dynamic programme written the textbook way."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from apps.kzone.dance.dtw import band_limits, dtw


def textbook(cost: np.ndarray, allowed: np.ndarray) -> float:
    n, m = cost.shape
    total = np.full((n + 1, m + 1), math.inf)
    total[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            if allowed[i - 1, j - 1]:
                best = min(total[i - 1, j - 1], total[i - 1, j], total[i, j - 1])
                total[i, j] = cost[i - 1, j - 1] + best
    return total[n, m]


def allowed_cells(n: int, m: int, band: float) -> np.ndarray:
    low, high = band_limits(n, m, band)
    allowed = np.zeros((n, m), dtype=bool)
    for i in range(n):
        allowed[i, low[i] : high[i]] = True
    return allowed


@pytest.mark.parametrize(("n", "m", "band"), [(12, 12, 1.0), (17, 9, 1.0), (30, 45, 0.2), (40, 25, 0.1), (1, 7, 0.2)])
def test_banded_dtw_finds_the_textbook_optimum(n, m, band):
    rng = np.random.default_rng(n * 100 + m)
    cost = rng.random((n, m))
    path, mean = dtw(n, m, lambda i, lo, hi: cost[i, lo:hi], band=band)
    allowed = allowed_cells(n, m, band)
    best = textbook(cost, allowed)
    assert sum(cost[i, j] for i, j in path) == pytest.approx(best)
    assert mean == pytest.approx(best / len(path))
    # A valid warping path: from corner to corner, inside the band, one step at a time.
    assert path[0] == (0, 0) and path[-1] == (n - 1, m - 1)
    assert all(allowed[i, j] for i, j in path)
    steps = {(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(path)}
    assert steps <= {(1, 1), (1, 0), (0, 1)}


def test_the_band_follows_the_diagonal_of_unequal_lengths_and_stays_connected():
    low, high = band_limits(100, 150, 0.1)
    assert low[0] == 0 and high[-1] == 150
    assert all(low[i + 1] <= high[i] for i in range(99))  # consecutive rows overlap
    centre = (low + high - 1) / 2
    assert np.allclose(centre[10:-10], np.arange(100)[10:-10] * 149 / 99, atol=1.0)
    assert (high - low).max() <= 2 * 15 + 2  # radius ceil(0.1 * 150) = 15 either side


def test_a_time_stretched_signal_aligns_onto_the_original():
    reference = np.sin(np.linspace(0, 3 * np.pi, 40)) + np.linspace(0, 1, 40)
    stretched = np.interp(np.linspace(0, 39, 60), np.arange(40), reference)  # 1.5 times as long
    path, mean = dtw(40, 60, lambda i, lo, hi: np.abs(reference[i] - stretched[lo:hi]), band=0.2)
    # Stretched samples fall between the reference's: half a step (about 0.12) at most.
    assert mean < 0.06
    _, backwards = dtw(40, 60, lambda i, lo, hi: np.abs(reference[i] - stretched[::-1][lo:hi]), band=0.2)
    assert backwards > 5 * mean
    for i, j in path:
        assert abs(i - j / 1.5) <= 1.5


def test_without_the_band_a_warp_beyond_it_is_found_and_with_it_refused():
    # The take starts 12 frames late (a long lead-in): a 10% band cannot reach that far.
    reference = np.sin(np.linspace(0, 4 * np.pi, 60))
    take = np.concatenate([np.full(12, reference[0]), reference])
    cost = lambda i, lo, hi: np.abs(reference[i] - take[lo:hi])  # noqa: E731
    _, free = dtw(60, 72, cost, band=1.0)
    _, banded = dtw(60, 72, cost, band=0.1)
    assert free == pytest.approx(0.0, abs=1e-12)
    assert banded > 0.05
