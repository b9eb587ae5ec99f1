"""Ability estimation and item information against values computed here by hand, with plain
Python loops and math (not the engine's numpy code)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from apps.learning.cat import CATConfig, CATEngine, ItemBank, information, probability

# a small bank: (a, b, c)
ITEMS = [(1.0, -1.0, 0.2), (1.5, 0.0, 0.25), (0.8, 0.5, 0.1), (2.0, 1.0, 0.2), (1.2, -0.5, 0.0)]
PATTERN = [1, 1, 0, 1, 0]


def bank(D: float = 1.0) -> ItemBank:
    return ItemBank(
        ["q1", "q2", "q3", "q4", "q5"],
        [i[0] for i in ITEMS],
        [i[1] for i in ITEMS],
        [i[2] for i in ITEMS],
        D=D,
    )


def p_hand(theta: float, a: float, b: float, c: float, D: float) -> float:
    return c + (1 - c) / (1 + math.exp(-D * a * (theta - b)))


def likelihood_hand(theta: float, D: float, pattern: list[int] = PATTERN) -> float:
    value = 1.0
    for (a, b, c), x in zip(ITEMS, pattern, strict=True):
        p = p_hand(theta, a, b, c, D)
        value *= p if x else 1 - p
    return value


def eap_hand(points: list[float], mean: float, sd: float, D: float) -> tuple[float, float]:
    num = den = 0.0
    for q in points:
        w = math.exp(-0.5 * ((q - mean) / sd) ** 2) * likelihood_hand(q, D)
        num += q * w
        den += w
    theta = num / den
    var = 0.0
    for q in points:
        w = math.exp(-0.5 * ((q - mean) / sd) ** 2) * likelihood_hand(q, D)
        var += (q - theta) ** 2 * w
    return theta, math.sqrt(var / den)


@pytest.mark.parametrize(("D", "mean", "sd"), [(1.0, 0.0, 1.0), (1.702, 0.0, 1.0), (1.0, 0.5, 0.8)])
def test_eap_matches_the_quadrature_sum_done_by_hand(D: float, mean: float, sd: float) -> None:
    engine = CATEngine(bank(D), CATConfig(method="eap", prior_mean=mean, prior_sd=sd))
    theta, se = engine.estimate(["q1", "q2", "q3", "q4", "q5"], PATTERN)
    # the engine's grid: 81 points from −4 to 4
    points = [-4.0 + 0.1 * k for k in range(81)]
    want_theta, want_se = eap_hand(points, mean, sd, D)
    assert theta == pytest.approx(want_theta, abs=1e-10)
    assert se == pytest.approx(want_se, abs=1e-10)
    # and the integral itself: a much finer grid on a wider range agrees to 1e-3
    fine = [-8.0 + 0.002 * k for k in range(8001)]
    fine_theta, fine_se = eap_hand(fine, mean, sd, D)
    assert theta == pytest.approx(fine_theta, abs=1e-3)
    assert se == pytest.approx(fine_se, abs=1e-3)


def test_eap_known_value() -> None:
    """The posterior mean and SD of PATTERN under N(0, 1), computed once by adaptive
    quadrature (scipy.integrate.quad on (−12, 12)): −0.0254593, 0.8483121. The 81-point
    grid is within 2e-4 of them (guards the hand sum above as well)."""
    engine = CATEngine(bank(), CATConfig(method="eap"))
    theta, se = engine.estimate(["q1", "q2", "q3", "q4", "q5"], PATTERN)
    assert theta == pytest.approx(-0.0254593, abs=2e-4)
    assert se == pytest.approx(0.8483121, abs=2e-4)


def test_map_is_the_posterior_mode_and_ml_the_likelihood_maximum() -> None:
    items = ["q1", "q2", "q3", "q4", "q5"]
    map_theta, map_se = CATEngine(bank(), CATConfig(method="map")).estimate(items, PATTERN)
    ml_theta, ml_se = CATEngine(bank(), CATConfig(method="ml")).estimate(items, PATTERN)

    def log_post(t: float) -> float:
        return math.log(likelihood_hand(t, 1.0)) - 0.5 * t * t

    def log_lik(t: float) -> float:
        return math.log(likelihood_hand(t, 1.0))

    dense = [-4.0 + 0.0005 * k for k in range(16001)]
    assert map_theta == pytest.approx(max(dense, key=log_post), abs=1e-3)
    assert ml_theta == pytest.approx(max(dense, key=log_lik), abs=1e-3)
    # SEs from the test information at the estimate (closed form below), plus the prior for MAP
    info_map = sum(info_hand(map_theta, *item, 1.0) for item in ITEMS)
    info_ml = sum(info_hand(ml_theta, *item, 1.0) for item in ITEMS)
    assert map_se == pytest.approx(1 / math.sqrt(info_map + 1.0), rel=1e-6)
    assert ml_se == pytest.approx(1 / math.sqrt(info_ml), rel=1e-6)


def test_ml_bounds_all_correct_and_all_wrong_patterns() -> None:
    engine = CATEngine(bank(), CATConfig(method="ml", grid_lo=-4, grid_hi=4))
    items = ["q1", "q2", "q3", "q4", "q5"]
    assert engine.estimate(items, [1, 1, 1, 1, 1])[0] == 4.0
    assert engine.estimate(items, [0, 0, 0, 0, 0])[0] == -4.0
    # EAP stays finite and inside, pulled by the prior
    eap = CATEngine(bank(), CATConfig(method="eap"))
    assert 0.5 < eap.estimate(items, [1, 1, 1, 1, 1])[0] < 3.0
    assert -3.0 < eap.estimate(items, [0, 0, 0, 0, 0])[0] < -0.5


def info_hand(theta: float, a: float, b: float, c: float, D: float) -> float:
    """Information as P'(θ)² / (P Q), P' by a central difference."""
    h = 1e-5
    dp = (p_hand(theta + h, a, b, c, D) - p_hand(theta - h, a, b, c, D)) / (2 * h)
    p = p_hand(theta, a, b, c, D)
    return dp * dp / (p * (1 - p))


@pytest.mark.parametrize("D", [1.0, 1.702])
def test_item_information_matches_the_closed_form(D: float) -> None:
    a = np.array([i[0] for i in ITEMS])
    b = np.array([i[1] for i in ITEMS])
    c = np.array([i[2] for i in ITEMS])
    for theta in (-2.5, -1.0, 0.0, 0.3, 1.7):
        got = information(theta, a, b, c, D)
        for k, item in enumerate(ITEMS):
            assert got[k] == pytest.approx(info_hand(theta, *item, D), rel=1e-6)
            assert probability(theta, a, b, c, D)[k] == pytest.approx(p_hand(theta, *item, D), rel=1e-12)
    # the bank's faster form used by the selection
    small = bank(D)
    for theta in (-6.0, -1.0, 0.0, 2.2, 6.0):
        assert small.information(theta) == pytest.approx(
            [info_hand(theta, *item, D) for item in ITEMS], rel=1e-6, abs=1e-9
        )
    # 2PL: maximum information D² a² / 4 at θ = b
    assert information(0.5, np.array([1.3]), np.array([0.5]), np.array([0.0]), D)[0] == pytest.approx(
        D * D * 1.3 * 1.3 / 4
    )


def test_answers_update_theta_incrementally_as_the_full_pattern_does() -> None:
    engine = CATEngine(bank(), CATConfig(method="eap", se_target=None, max_length=5))
    state = engine.start()
    rng = np.random.default_rng(0)
    answered = []
    for _ in range(5):
        item = engine.next_item(state, rng=rng)
        x = PATTERN[int(item[1]) - 1]
        engine.answer(state, item, x)
        answered.append((item, x))
        want = engine.estimate([i for i, _ in answered], [x for _, x in answered])
        assert (state.theta, state.se) == pytest.approx(want, abs=1e-12)
