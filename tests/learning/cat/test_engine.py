"""Selection, exposure control, content balance, stopping, pretest items, state and results."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from apps.learning.cat import (
    CATConfig,
    CATEngine,
    CATState,
    ItemBank,
    Population,
    ScoreScale,
    calibrate_sympson_hetter,
    probability,
    simulate,
)

from .banks import make_bank


def run(engine: CATEngine, theta: float, rng: np.random.Generator, **kwargs) -> CATState:
    state = engine.start()
    bank = engine.bank
    while (item := engine.next_item(state, rng=rng, **kwargs)) is not None:
        i = bank.index[item]
        engine.answer(state, item, int(rng.random() < probability(theta, bank.a[i], bank.b[i], bank.c[i], bank.D)))
    return state


# ------------------------------------------------------------------ selection


def test_maximum_information_item_is_selected() -> None:
    bank = make_bank(200, seed=1)
    engine = CATEngine(bank, CATConfig())
    state = engine.start()
    rng = np.random.default_rng(0)
    for _ in range(10):
        item = engine.next_item(state, rng=rng)
        info = bank.information(state.theta)
        info[[bank.index[i] for i in state.items]] = -1
        assert bank.index[item] == int(np.argmax(info))
        engine.answer(state, item, int(rng.random() < 0.5))


@pytest.mark.parametrize("exposure", ["none", "randomesque", "sympson-hetter"])
def test_never_an_item_twice_even_to_the_end_of_the_bank(exposure: str) -> None:
    bank = make_bank(40, seed=2, exposure_k=np.full(40, 0.5), areas=["x", "y"] * 20)
    config = CATConfig(se_target=None, max_length=40, exposure=exposure, content_targets={"x": 0.7, "y": 0.3})
    engine = CATEngine(bank, config)
    rng = np.random.default_rng(1)
    for theta in (-2.0, 0.0, 1.5):
        state = run(engine, theta, rng)
        assert len(state.items) == len(set(state.items))
        assert set(state.items) <= set(bank.ids)
        assert state.stop_reason in ("max_length", "bank_exhausted")
        # Sympson–Hetter withholds items, so it may run out before 40
        assert len(state.items) == 40 or exposure == "sympson-hetter"


def test_randomesque_picks_among_the_k_most_informative() -> None:
    bank = make_bank(300, seed=3)
    engine = CATEngine(bank, CATConfig(exposure="randomesque", randomesque_k=5))
    first = Counter()
    rng = np.random.default_rng(2)
    for _ in range(500):
        first[engine.next_item(engine.start(), rng=rng)] += 1
    top5 = {bank.ids[i] for i in np.argsort(-bank.information(0.0))[:5]}
    assert set(first) == top5
    assert max(first.values()) < 0.3 * 500  # about 1/5 each


def test_sympson_hetter_keeps_maximum_exposure_under_its_target_in_simulation() -> None:
    bank = make_bank(150, seed=4)
    config = CATConfig(se_target=None, max_length=10)
    target = 0.3
    plain = simulate(CATEngine(bank, config), np.random.default_rng(5).normal(size=400), rng=np.random.default_rng(6))
    assert plain.exposure.max() > 0.9  # unconstrained: the best items go to everybody

    calibration = calibrate_sympson_hetter(
        bank, config, target=target, simulees=600, iterations=12, rng=np.random.default_rng(7)
    )
    assert np.all(bank.exposure_k == 1.0)  # the bank given is left alone
    assert calibration.exposure_k.min() < 0.5 and calibration.exposure_k.max() == 1.0
    controlled = ItemBank(bank.ids, bank.a, bank.b, bank.c, exposure_k=calibration.exposure_k)
    engine = CATEngine(controlled, CATConfig.from_dict({**config.to_dict(), "exposure": "sympson-hetter"}))
    # fresh simulees, not the calibration's
    sim = simulate(engine, np.random.default_rng(8).normal(size=1000), rng=np.random.default_rng(9))
    assert sim.exposure.max() <= target
    assert sim.rmse < plain.rmse + 0.05


def test_content_balance_stays_within_one_item_of_the_targets() -> None:
    areas = ["algebra"] * 100 + ["geometry"] * 60 + ["stats"] * 40
    rng = np.random.default_rng(10)
    order = rng.permutation(200)
    base = make_bank(200, seed=5)
    bank = ItemBank(base.ids, base.a, base.b, base.c, areas=[areas[k] for k in order])
    targets = {"algebra": 0.5, "geometry": 0.3, "stats": 0.2}
    engine = CATEngine(bank, CATConfig(se_target=None, max_length=25, content_targets=targets))
    for theta in rng.normal(size=60):
        state = run(engine, float(theta), rng)
        counts = Counter()
        for n, item in enumerate(state.items, start=1):
            counts[bank.areas[bank.index[item]]] += 1
            for area, share in targets.items():
                assert abs(counts[area] - share * n) <= 1.0, (n, dict(counts))
    result = engine.result(state)
    assert all(abs(row["items"] - targets[row["area"]] * 25) <= 1 for row in result.areas)


# ------------------------------------------------------------------ stopping


def test_se_rule_waits_for_the_minimum_length_and_stops_at_the_maximum() -> None:
    bank = make_bank(500, seed=6)
    rng = np.random.default_rng(11)
    loose = CATEngine(bank, CATConfig(se_target=0.9, min_length=7, max_length=30))
    state = run(loose, 0.0, rng)
    assert state.stop_reason == "se" and state.n_scored == 7  # SE < 0.9 long before item 7

    tight = CATEngine(bank, CATConfig(se_target=0.05, min_length=3, max_length=12))
    state = run(tight, 0.0, rng)
    assert state.stop_reason == "max_length" and state.n_scored == 12

    target = CATEngine(bank, CATConfig(se_target=0.3, min_length=3, max_length=60))
    state = run(target, 0.5, rng)
    assert state.stop_reason == "se" and state.se <= 0.3 < state.ses[-2]


def test_time_limit_stops_and_finish_drops_the_pending_item() -> None:
    bank = make_bank(100, seed=7)
    engine = CATEngine(bank, CATConfig(time_limit_seconds=600))
    state = engine.start()
    rng = np.random.default_rng(12)
    item = engine.next_item(state, elapsed_seconds=10, rng=rng)
    engine.answer(state, item, 1)
    assert engine.next_item(state, elapsed_seconds=600, rng=rng) is None
    assert state.stop_reason == "time"

    state = engine.start()
    assert engine.next_item(state, elapsed_seconds=5, rng=rng) is not None
    engine.finish(state, "timeout")
    assert state.pending is None and state.stop_reason == "timeout"
    assert engine.next_item(state, rng=rng) is None


# ------------------------------------------------------------------ pretest


def test_pretest_items_are_served_at_their_positions_and_leave_theta_alone() -> None:
    base = make_bank(120, seed=8)
    pretest = np.zeros(120, dtype=bool)
    pretest[100:] = True
    bank = ItemBank(base.ids, base.a, base.b, base.c, pretest=pretest)
    engine = CATEngine(bank, CATConfig(se_target=None, max_length=10, pretest_positions=[2, 5]))
    rng = np.random.default_rng(13)
    state = engine.start()
    while (item := engine.next_item(state, rng=rng)) is not None:
        before = (state.theta, state.se)
        engine.answer(state, item, 1)  # all correct: a scored answer always moves θ̂ up
        if bank.pretest[bank.index[item]]:
            assert (state.theta, state.se) == before
        else:
            assert state.theta > before[0]
    assert [bank.pretest[bank.index[i]] for i in state.items] == [
        False, True, False, False, True, False, False, False, False, False, False, False,
    ]  # fmt: skip
    assert state.scored == [not bank.pretest[bank.index[i]] for i in state.items]
    assert state.n_scored == 10 and len(state.items) == 12
    scored = [i for i, s in zip(state.items, state.scored, strict=True) if s]
    assert (state.theta, state.se) == pytest.approx(engine.estimate(scored, [1] * 10), abs=1e-12)
    result = engine.result(state)
    assert result.n_pretest == 2 and result.n_scored == 10
    assert [row["scored"] for row in result.log] == state.scored


# ------------------------------------------------------------------ state


def test_state_round_trips_through_json_and_continues_identically() -> None:
    bank = make_bank(300, seed=9, areas=["a", "b", "c"] * 100, exposure_k=np.full(300, 0.7))
    config = CATConfig(exposure="sympson-hetter", content_targets={"a": 1, "b": 1, "c": 2}, pretest_positions=[])
    config = CATConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    engine = CATEngine(bank, config)
    answers = np.random.default_rng(14).integers(0, 2, 40)

    def go(serialise: bool) -> CATState:
        rng = np.random.default_rng(15)
        state = engine.start()
        n = 0
        while True:
            if serialise:
                state = CATState.from_dict(json.loads(json.dumps(state.to_dict())))
            item = engine.next_item(state, rng=rng)
            if item is None:
                return state
            if serialise:  # a lost connection: another process serves the pending item again
                state = CATState.from_dict(json.loads(json.dumps(state.to_dict())))
                assert engine.next_item(state, rng=rng) == item
            engine.answer(state, item, int(answers[n]))
            n += 1

    straight, resumed = go(False), go(True)
    assert straight.to_dict() == resumed.to_dict()
    assert straight.stop_reason is not None


def test_answer_must_be_for_the_pending_item_and_state_checks_its_shape() -> None:
    bank = make_bank(50, seed=10)
    engine = CATEngine(bank)
    state = engine.start()
    item = engine.next_item(state, rng=np.random.default_rng(0))
    other = next(i for i in bank.ids if i != item)
    with pytest.raises(ValueError, match="item"):
        engine.answer(state, other, 1)
    with pytest.raises(ValueError, match="response"):
        engine.answer(state, item, 2)
    engine.answer(state, item, 0)
    with pytest.raises(ValueError, match="item"):
        engine.answer(state, item, 0)  # answered once: immutable
    data = state.to_dict()
    data["ses"] = []
    with pytest.raises(ValueError, match="length"):
        CATState.from_dict(data)
    with pytest.raises(ValueError, match="version"):
        CATState.from_dict({**state.to_dict(), "version": 99})
    with pytest.raises(ValueError, match="method"):
        CATConfig(method="wle")
    with pytest.raises(ValueError, match="unknown"):
        CATConfig.from_dict({"speed": 3})
    with pytest.raises(ValueError, match="a:"):
        ItemBank(["x"], [-1.0], [0.0], [0.2])
    # restored against a bank without one of its items: the item is named
    smaller = ItemBank(bank.ids[1:], bank.a[1:], bank.b[1:], bank.c[1:])
    saved = state.to_dict()
    saved["items"] = [bank.ids[0]]
    with pytest.raises(ValueError, match=f"item: '{bank.ids[0]}' is not in the bank"):
        CATEngine(smaller).next_item(CATState.from_dict(saved))


# ------------------------------------------------------------------ results


def test_result_scaled_score_percentile_areas_and_log() -> None:
    bank = make_bank(200, seed=11, areas=["x", "y"] * 100)
    engine = CATEngine(bank, CATConfig(se_target=None, max_length=12, content_targets={"x": 0.5, "y": 0.5}))
    state = run(engine, 1.0, np.random.default_rng(16))
    result = engine.result(
        state, scale=ScoreScale(slope=50, intercept=200, lo=0, hi=400), population=Population(0.5, 2.0)
    )
    assert result.scaled_score == round(50 * state.theta + 200)
    assert result.percentile == pytest.approx(100 * 0.5 * (1 + math.erf((state.theta - 0.5) / 2.0 / 2**0.5)))
    assert sum(row["items"] for row in result.areas) == 12
    assert sum(row["correct"] for row in result.areas) == sum(state.responses)
    assert [row["item"] for row in result.log] == state.items
    assert [row["theta"] for row in result.log] == state.thetas
    assert result.log[-1]["se"] == state.se
    json.dumps(result.to_dict())
    assert ScoreScale(slope=100, intercept=500, hi=800).score(4.0) == 800
    empirical = Population(thetas=(-1.0, 0.0, 0.0, 1.0))
    assert empirical.percentile(0.0) == 50.0 and empirical.percentile(2.0) == 100.0


def test_the_engine_imports_without_django() -> None:
    code = "import sys, apps.learning.cat; assert not any(m.startswith('django') for m in sys.modules), 'django'"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[3], env=env)
