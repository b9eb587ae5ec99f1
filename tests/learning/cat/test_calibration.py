"""MMLE/EM calibration recovers known parameters from simulated responses with missing cells."""

from __future__ import annotations

import numpy as np
import pytest

from apps.learning.cat import calibrate, probability


def simulated(model: str, persons: int, items: int, missing: float, seed: int, D: float = 1.0):
    rng = np.random.default_rng(seed)
    a = np.abs(rng.normal(1.2, 0.25, items)) + 0.05
    b = rng.normal(0.0, 1.0, items)
    c = np.clip(rng.normal(0.2, 0.02, items), 0, 0.5) if model == "3pl" else np.zeros(items)
    theta = rng.normal(0.0, 1.0, persons)
    x = (rng.random((persons, items)) < probability(theta[:, None], a, b, c, D)).astype(float)
    x[rng.random((persons, items)) < missing] = np.nan
    return x, a, b, c


def rmse(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(np.mean((x - y) ** 2)))


def test_2pl_recovers_known_parameters() -> None:
    x, a, b, _ = simulated("2pl", persons=3000, items=30, missing=0.3, seed=1)
    result = calibrate(x, model="2pl", a_prior=None)
    assert result.converged
    assert rmse(result.a, a) < 0.12 and rmse(result.b, b) < 0.12
    assert np.all(result.c == 0)
    assert result.responses.min() > 1900  # about 70 % of 3,000 saw each item


def test_3pl_recovers_known_parameters_with_a_prior_on_c() -> None:
    x, a, b, c = simulated("3pl", persons=4000, items=40, missing=0.3, seed=2)
    result = calibrate(x, model="3pl")
    assert result.converged
    assert rmse(result.a, a) < 0.25
    assert rmse(result.b, b) < 0.2
    assert rmse(result.c, c) < 0.05
    assert np.corrcoef(result.b, b)[0, 1] > 0.97


def test_d_is_respected() -> None:
    """Data generated with D = 1.702: calibrating with D = 1.702 gives the generating a;
    with D = 1 the same curves need a 1.702 times larger."""
    x, a, b, _ = simulated("2pl", persons=3000, items=20, missing=0.0, seed=3, D=1.702)
    normal = calibrate(x, model="2pl", D=1.702, a_prior=None)
    logistic = calibrate(x, model="2pl", D=1.0, a_prior=None)
    assert rmse(normal.a, a) < 0.12
    assert rmse(logistic.a / 1.702, a) < 0.12
    assert rmse(normal.b, b) < 0.12
    assert rmse(normal.b, logistic.b) < 0.02


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="0, 1 or NaN"):
        calibrate(np.array([[0.0, 2.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match=r"column\(s\) \[1\]"):
        calibrate(np.array([[0.0, np.nan], [1.0, np.nan]]))
    with pytest.raises(ValueError, match="model"):
        calibrate(np.array([[0.0, 1.0], [1.0, 0.0]]), model="4pl")
