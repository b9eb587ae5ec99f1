"""The 3PL model, item information, the quadrature grid and the three ability estimators.

Everything here is vectorised numpy and free of Django. The model is

    P_i(θ) = c_i + (1 − c_i) / (1 + exp(−D · a_i · (θ − b_i)))

with the scaling constant D a parameter everywhere (``DEFAULT_D`` = 1.0: the logistic
metric, the one catsim, girth and mirt use; pass D = 1.702 for parameters in the normal-ogive
metric).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

DEFAULT_D = 1.0
# SE reported when the test information is (numerically) zero: no items yet under ML.
MAX_SE = 10.0
# P is kept away from 0 and 1 so that logs stay finite (c = 0 items far from θ).
_EPS = 1e-12

FloatArray = np.ndarray


def probability(
    theta: float | FloatArray, a: FloatArray, b: FloatArray, c: FloatArray, D: float = DEFAULT_D
) -> FloatArray:
    """P(correct) of each item at θ. With a scalar θ: shape of a; with θ an array of
    shape (m,) and item arrays of shape (n,): broadcast by the caller (e.g. θ[:, None])."""
    return c + (1.0 - c) / (1.0 + np.exp(-D * a * (theta - b)))


def information(
    theta: float | FloatArray, a: FloatArray, b: FloatArray, c: FloatArray, D: float = DEFAULT_D
) -> FloatArray:
    """Fisher information of each item at θ (Birnbaum's closed form for the 3PL):

    I_i(θ) = D² a_i² · (Q_i / P_i) · ((P_i − c_i) / (1 − c_i))²
    """
    p = np.clip(probability(theta, a, b, c, D), _EPS, 1.0 - _EPS)
    return (D * a) ** 2 * ((1.0 - p) / p) * ((p - c) / (1.0 - c)) ** 2


def test_information(theta: float, a: FloatArray, b: FloatArray, c: FloatArray, D: float = DEFAULT_D) -> float:
    return float(information(theta, a, b, c, D).sum())


@dataclass(frozen=True)
class Quadrature:
    """Equally spaced points on [lo, hi] (the EAP integral is the rectangle/trapezoid sum,
    identical here because the prior is negligible at the ends) and a normal prior on them."""

    lo: float = -4.0
    hi: float = 4.0
    n: int = 81
    prior_mean: float = 0.0
    prior_sd: float = 1.0

    @cached_property
    def points(self) -> FloatArray:
        return np.linspace(self.lo, self.hi, self.n)

    @cached_property
    def log_prior(self) -> FloatArray:
        z = (self.points - self.prior_mean) / self.prior_sd
        return -0.5 * z * z

    def grid_key(self) -> tuple[float, float, int]:
        return (self.lo, self.hi, self.n)


# --------------------------------------------------------------------- estimators


def eap(log_likelihood: FloatArray, quad: Quadrature) -> tuple[float, float]:
    """Expected a posteriori θ and the posterior SD, from the log-likelihood at the
    quadrature points (sum over the administered scored items of log P or log Q)."""
    log_post = log_likelihood + quad.log_prior
    w = np.exp(log_post - log_post.max())
    total = w.sum()
    x = quad.points
    mean = float((w * x).sum() / total)
    var = float((w * (x - mean) ** 2).sum() / total)
    return mean, math.sqrt(max(var, 0.0))


def _refine(
    theta: float,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    x: FloatArray,
    D: float,
    lo: float,
    hi: float,
    prior: tuple[float, float] | None,
    steps: int = 25,
) -> float:
    """Fisher scoring on the log-likelihood (plus a normal log prior for MAP), kept inside
    [lo, hi]. Started from the grid maximum, which avoids the 3PL's local maxima."""
    for _ in range(steps):
        p = np.clip(probability(theta, a, b, c, D), _EPS, 1.0 - _EPS)
        grad = float((D * a * (x - p) * (p - c) / (p * (1.0 - c))).sum())
        info = float(((D * a) ** 2 * ((1.0 - p) / p) * ((p - c) / (1.0 - c)) ** 2).sum())
        if prior is not None:
            mean, sd = prior
            grad -= (theta - mean) / sd**2
            info += 1.0 / sd**2
        if info <= 0.0:
            break
        step = max(-1.0, min(1.0, grad / info))
        new = min(hi, max(lo, theta + step))
        if abs(new - theta) < 1e-7:
            theta = new
            break
        theta = new
    return theta


def map_estimate(
    log_likelihood: FloatArray,
    quad: Quadrature,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    x: FloatArray,
    D: float = DEFAULT_D,
) -> tuple[float, float]:
    """Maximum a posteriori θ (normal prior of the quadrature) and its SE,
    1 / sqrt(test information + 1/σ²)."""
    start = float(quad.points[int(np.argmax(log_likelihood + quad.log_prior))])
    if len(a) == 0:
        return quad.prior_mean, quad.prior_sd
    prior = (quad.prior_mean, quad.prior_sd)
    theta = _refine(start, a, b, c, x, D, quad.lo, quad.hi, prior)
    info = test_information(theta, a, b, c, D) + 1.0 / quad.prior_sd**2
    return theta, 1.0 / math.sqrt(info)


def ml_estimate(
    log_likelihood: FloatArray,
    quad: Quadrature,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    x: FloatArray,
    D: float = DEFAULT_D,
) -> tuple[float, float]:
    """Maximum likelihood θ bounded to the grid's [lo, hi] (an all-correct pattern gives hi,
    an all-wrong one lo: the likelihood is monotone there) and its SE 1/sqrt(I(θ)),
    at most MAX_SE. With no items: the prior mean and MAX_SE."""
    if len(a) == 0:
        return quad.prior_mean, MAX_SE
    start = float(quad.points[int(np.argmax(log_likelihood))])
    theta = _refine(start, a, b, c, x, D, quad.lo, quad.hi, None)
    info = test_information(theta, a, b, c, D)
    se = MAX_SE if info <= 1.0 / MAX_SE**2 else 1.0 / math.sqrt(info)
    return theta, se


def log_likelihood_grid(
    quad: Quadrature, a: FloatArray, b: FloatArray, c: FloatArray, x: FloatArray, D: float = DEFAULT_D
) -> FloatArray:
    """Σ_i x_i log P_i(q) + (1 − x_i) log Q_i(q) at each quadrature point q."""
    if len(a) == 0:
        return np.zeros(quad.n)
    p = np.clip(probability(quad.points[None, :], a[:, None], b[:, None], c[:, None], D), _EPS, 1.0 - _EPS)
    xs = np.asarray(x, dtype=float)[:, None]
    return (xs * np.log(p) + (1.0 - xs) * np.log1p(-p)).sum(axis=0)


def normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
