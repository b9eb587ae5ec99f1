"""Test banks."""

from __future__ import annotations

import numpy as np

from apps.learning.cat import ItemBank


def make_bank(n: int, seed: int, **kwargs) -> ItemBank:
    """The issue's bank distribution: a ~ N(1.2, 0.25) truncated positive, b ~ N(0, 1),
    c ~ N(0.2, 0.02)."""
    rng = np.random.default_rng(seed)
    a = np.abs(rng.normal(1.2, 0.25, n)) + 0.05
    b = rng.normal(0.0, 1.0, n)
    c = np.clip(rng.normal(0.2, 0.02, n), 0.0, 0.5)
    return ItemBank([f"i{k}" for k in range(n)], a, b, c, **kwargs)
