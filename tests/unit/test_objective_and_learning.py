"""What a function is paid on, and how it learns from what its pay rewarded."""

from __future__ import annotations

import numpy as np
import pytest

from agents.learning import HillClimb, RecencyWeighted, TargetTracker
from agents.objective import PRESETS, objective_for


def test_an_incentive_is_a_set_of_weights_and_pay_overrides_them():
    paid = objective_for("operations", "unit_cost", {"shortage": 40.0})
    assert paid.weights == {**PRESETS["operations"]["unit_cost"], "shortage": 40.0}
    terms = {"shortage": np.array([-10.0, -2.0]), "overtime": np.array([0.0, -100.0])}
    np.testing.assert_allclose(paid.score(terms), [-400.0, -180.0])
    assert objective_for("operations", "operating_profit", {}).score(terms) == 0.0


def test_every_preset_names_only_terms_its_function_knows():
    from agents.config import FinanceAgent, OperationsAgent, ProcurementAgent, SalesAgent

    knobs = {
        "sales": SalesAgent,
        "operations": OperationsAgent,
        "procurement": ProcurementAgent,
        "finance": FinanceAgent,
    }
    for function, presets in PRESETS.items():
        pay = knobs[function].model_fields["pay"].annotation
        allowed = set(pay.__args__[0].__args__)  # dict[Literal[...], float]
        incentives = set(knobs[function].model_fields["incentive"].annotation.__args__)
        assert set(presets) == incentives, function
        for weights in presets.values():
            assert set(weights) <= allowed, (function, weights)


def _climb(slope: float, seed: int, periods: int = 40) -> float:
    rng = np.random.default_rng(seed)
    noise = np.random.default_rng(seed + 1000)
    climb = HillClimb(np.array([0.0]), step=0.1, rate=0.5, low=-1.0, high=1.0, rng=rng)
    for _ in range(periods):
        knob = climb.trial()
        climb.learn(slope * knob + 0.05 * noise.normal(size=1))
    return float(climb.value[0])


def test_the_hill_climb_follows_the_slope_of_its_reward():
    up = [_climb(+0.2, s) for s in range(30)]
    down = [_climb(-0.2, s) for s in range(30)]
    assert np.mean(up) > 0.3 and np.mean(down) < -0.3


def test_without_a_slope_the_hill_climb_wanders_without_drift():
    flat = np.array([_climb(0.0, s) for s in range(60)])
    half_width = 2.0 * flat.std(ddof=1) / np.sqrt(len(flat))
    assert abs(flat.mean()) < half_width + 1e-9


def test_the_hill_climb_stays_within_its_bounds():
    rng = np.random.default_rng(3)
    climb = HillClimb(np.array([0.9]), step=0.2, rate=5.0, low=0.0, high=1.0, rng=rng)
    for _ in range(20):
        knob = climb.trial()
        assert 0.0 <= knob[0] <= 1.0
        climb.learn(knob)  # the more the better: it runs to the upper bound and stays
    assert climb.value[0] == pytest.approx(1.0)


def test_a_target_tracker_tightens_when_over_and_loosens_when_under():
    cap = TargetTracker(30.0, rate=0.5, low=10.0, high=60.0)
    cap.learn(actual=45.0, target=30.0)
    assert cap.value < 30.0
    tighter = cap.value
    cap.learn(actual=15.0, target=30.0)
    assert cap.value > tighter
    for _ in range(100):
        cap.learn(actual=1000.0, target=30.0)
    assert cap.value == 10.0


def test_a_recency_weighted_estimate_moves_toward_what_it_sees():
    estimate = RecencyWeighted(np.array([1.0, 1.0]), weight=0.25)
    estimate.learn(np.array([5.0, 5.0]), mask=np.array([True, False]))
    np.testing.assert_allclose(estimate.value, [2.0, 1.0])
