"""Dynamic time warping with a Sakoe–Chiba band, in numpy.

Cost: for a reference of N frames and a take of M frames, with the band r frames wide on
each side of the (scaled) diagonal, the cost matrix is computed only inside the band,
O(N·(2r+1)·K) for K features per frame, and the accumulated costs in O(N·(2r+1)) — one
vectorised numpy step per reference frame (the in-row dependency is a running minimum, see
`_row`). Memory is O(N·M) for the accumulated-cost table used by the backtrack (900 x 900
frames: 6.5 MB). Without a band (band=1) it is the classic O(N·M).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def band_limits(n: int, m: int, band: float) -> tuple[np.ndarray, np.ndarray]:
    """Per row i of an n x m table, the first and one-past-last column inside the band.

    The band follows the line from (0, 0) to (n-1, m-1), so sequences of different lengths
    (a slower take) keep their whole diagonal, and is ceil(band · max(n, m)) columns wide
    on each side (at least one, so consecutive rows always overlap and a path exists)."""
    if n < 1 or m < 1:
        raise ValueError("both sequences need at least one frame")
    radius = max(1, math.ceil(band * max(n, m)))
    slope = (m - 1) / (n - 1) if n > 1 else 0.0
    radius = max(radius, math.ceil(slope))  # a steep diagonal must not leave gaps between rows
    centre = np.arange(n) * slope
    low = np.clip(np.floor(centre - radius), 0, m - 1).astype(int)
    high = np.clip(np.ceil(centre + radius) + 1, 1, m).astype(int)
    if n == 1:
        low[:], high[:] = 0, m
    return low, high


def dtw(
    n: int,
    m: int,
    cost_rows: Callable[[int, int, int], np.ndarray],
    *,
    band: float = 0.2,
) -> tuple[list[tuple[int, int]], float]:
    """The cheapest monotonic alignment of n reference frames with m take frames.

    `cost_rows(i, lo, hi)` returns the costs of reference frame i against take frames lo..hi-1
    (non-negative). Returns the path as (reference index, take index) pairs from (0, 0) to
    (n-1, m-1), each step advancing one or both, and its mean cost per step."""
    low, high = band_limits(n, m, band)
    total = np.full((n, m), np.inf)
    for i in range(n):
        lo, hi = int(low[i]), int(high[i])
        cost = np.asarray(cost_rows(i, lo, hi), dtype=float)
        if i == 0:
            total[0, lo:hi] = np.cumsum(cost)  # the first row is reached only from its left
            continue
        previous = total[i - 1]
        up = previous[lo:hi]
        diagonal = np.concatenate(([previous[lo - 1] if lo > 0 else np.inf], previous[lo : hi - 1]))
        total[i, lo:hi] = _row(cost, np.minimum(up, diagonal))
    path = _backtrack(total)
    return path, float(total[n - 1, m - 1]) / len(path)


def _row(cost: np.ndarray, from_above: np.ndarray) -> np.ndarray:
    """D[j] = cost[j] + min(from_above[j], D[j-1]) for a whole row at once.

    Unrolled, D[j] = min over k ≤ j of (from_above[k] + cost[k] + … + cost[j]); with S the
    running sum of cost that is S[j] + min over k ≤ j of (from_above[k] + cost[k] − S[k]):
    a cumulative sum and a cumulative minimum instead of a Python loop over the row."""
    running = np.cumsum(cost)
    return running + np.minimum.accumulate(from_above + cost - running)


def _backtrack(total: np.ndarray) -> list[tuple[int, int]]:
    i, j = total.shape[0] - 1, total.shape[1] - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            steps = ((i - 1, j - 1), (i - 1, j), (i, j - 1))
            i, j = min(steps, key=lambda step: total[step])
        path.append((i, j))
    path.reverse()
    return path
