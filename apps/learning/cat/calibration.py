"""Item calibration: marginal maximum likelihood (Bock & Aitkin's EM) for the 2PL and 3PL.

Responses: a (persons × items) array of 1.0 / 0.0 with NaN where a person did not see the
item (a CAT leaves most cells missing; missing cells simply drop out of the likelihood,
which is ignorable because CAT selection depends only on observed responses).

The ability distribution is fixed to N(0, 1) on ``nodes`` equally spaced quadrature points
on [−5, 5] (this identifies the scale). Each EM cycle:

- E step: for every person, the posterior over the nodes given the current items,
  w_jq ∝ N(q) · Π_i P_i(q)^x (1 − P_i(q))^(1 − x) over the items the person saw;
  expected counts n_iq = Σ_j m_ij w_jq (people at node q who saw item i) and
  r_iq = Σ_j m_ij x_ij w_jq (of them, correct).
- M step: for every item at once, Fisher-scoring steps on
  Σ_q r_iq log P_i(q) + (n_iq − r_iq) log(1 − P_i(q)) + log priors,
  in the parameters (log a, d, logit c) with P = c + (1 − c) σ(D (a q + d)), b = −d / a.

Priors (MAP in the M step, as BILOG-MG and mirt do for the 3PL): log a ~ N(0, 0.5) and
c ~ Beta(5, 17) (mean 0.2, five options), both configurable, ``a_prior=None`` to drop it.
Stops when no parameter moves more than ``tolerance`` in a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .irt import DEFAULT_D


@dataclass
class CalibrationResult:
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    responses: np.ndarray  # per item: number of observed responses
    log_likelihood: float  # marginal, of the final parameters
    iterations: int
    converged: bool


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def calibrate(
    responses: np.ndarray,
    *,
    model: Literal["2pl", "3pl"] = "3pl",
    D: float = DEFAULT_D,
    nodes: int = 41,
    a_prior: tuple[float, float] | None = (0.0, 0.5),
    c_prior: tuple[float, float] = (5.0, 17.0),
    max_iterations: int = 500,
    tolerance: float = 1e-4,
    newton_steps: int = 2,
) -> CalibrationResult:
    """Estimate a, b (and c) of every item (column) from the response matrix."""
    x = np.asarray(responses, dtype=float)
    if x.ndim != 2:
        raise ValueError("responses: a 2-D (persons × items) array")
    observed = ~np.isnan(x)
    values = x[observed]
    if np.any((values != 0) & (values != 1)):
        raise ValueError("responses: entries must be 0, 1 or NaN")
    counts = observed.sum(axis=0)
    if np.any(counts == 0):
        raise ValueError(f"responses: item column(s) {np.flatnonzero(counts == 0).tolist()} have no responses")
    if model not in ("2pl", "3pl"):
        raise ValueError(f"model: {model!r} is not 2pl or 3pl")
    three = model == "3pl"
    m = observed.astype(float)
    xc = np.where(observed, x, 0.0)  # correct and observed
    xw = m - xc  # wrong and observed

    q = np.linspace(-5.0, 5.0, nodes)
    log_prior_nodes = -0.5 * q * q
    log_prior_nodes -= np.log(np.exp(log_prior_nodes).sum())

    # starting values: a = 1, d from the proportion correct, c at the prior mean
    c = np.full(x.shape[1], c_prior[0] / (c_prior[0] + c_prior[1]) if three else 0.0)
    p = np.clip(np.nansum(x, axis=0) / counts, 0.02, 0.98)
    p_adj = np.clip((p - c) / (1.0 - c), 0.02, 0.98)
    alpha = np.zeros(x.shape[1])
    d = np.log(p_adj / (1.0 - p_adj)) / D
    g = np.log(c / (1.0 - c)) if three else np.zeros(x.shape[1])

    def item_p(alpha: np.ndarray, d: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = np.exp(alpha)[:, None]
        s = _sigmoid(D * (a * q[None, :] + d[:, None]))
        cc = _sigmoid(g)[:, None] if three else np.zeros((len(d), 1))
        prob = np.clip(cc + (1.0 - cc) * s, 1e-10, 1.0 - 1e-10)
        return prob, s, cc

    converged = False
    loglik = -np.inf
    iteration = 0
    for iteration in range(1, max_iterations + 1):  # noqa: B007 (reported below)
        prob, _, _ = item_p(alpha, d, g)
        # E step
        log_l = xc @ np.log(prob) + xw @ np.log1p(-prob) + log_prior_nodes[None, :]
        top = log_l.max(axis=1, keepdims=True)
        w = np.exp(log_l - top)
        total = w.sum(axis=1, keepdims=True)
        loglik = float((np.log(total) + top).sum())
        w /= total
        n_iq = m.T @ w
        r_iq = xc.T @ w
        old = np.stack([np.exp(alpha), -d / np.exp(alpha), _sigmoid(g) if three else np.zeros_like(d)])
        # M step: Fisher scoring, all items at once
        for _ in range(newton_steps):
            prob, s, cc = item_p(alpha, d, g)
            a = np.exp(alpha)[:, None]
            ds = (1.0 - cc) * s * (1.0 - s) * D  # dP/dz' with z' = a q + d
            jac = [ds * q[None, :] * a, ds]  # d/dlog a, d/dd
            if three:
                jac.append(cc * (1.0 - cc) * (1.0 - s))  # d/dlogit c
            j = np.stack(jac, axis=-1)  # items × nodes × k
            pq = prob * (1.0 - prob)
            grad = np.einsum("iq,iqk->ik", (r_iq - n_iq * prob) / pq, j)
            info = np.einsum("iq,iqk,iql->ikl", n_iq / pq, j, j)
            if a_prior is not None:
                mu, sd = a_prior
                grad[:, 0] -= (alpha - mu) / sd**2
                info[:, 0, 0] += 1.0 / sd**2
            if three:
                ca = _sigmoid(g)
                alpha_c, beta_c = c_prior
                grad[:, 2] += (alpha_c - 1.0) * (1.0 - ca) - (beta_c - 1.0) * ca
                info[:, 2, 2] += max(alpha_c + beta_c - 2.0, 0.0) * ca * (1.0 - ca)
            k = info.shape[-1]
            info += 1e-8 * np.eye(k)[None, :, :]
            step = np.linalg.solve(info, grad[:, :, None])[:, :, 0]
            step = np.clip(step, -1.0, 1.0)
            alpha = np.clip(alpha + step[:, 0], np.log(0.05), np.log(6.0))
            d = np.clip(d + step[:, 1], -20.0, 20.0)
            if three:
                g = np.clip(g + step[:, 2], -9.0, 2.0)
        new = np.stack([np.exp(alpha), -d / np.exp(alpha), _sigmoid(g) if three else np.zeros_like(d)])
        if np.max(np.abs(new - old)) < tolerance:
            converged = True
            break
    a_hat = np.exp(alpha)
    return CalibrationResult(
        a=a_hat,
        b=-d / a_hat,
        c=_sigmoid(g) if three else np.zeros_like(d),
        responses=counts,
        log_likelihood=loglik,
        iterations=iteration,
        converged=converged,
    )
