"""Classic policies and forecasters answer as the textbook says."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter

from agents.config import Forecaster, PolicySpec
from agents.forecasting import make_forecaster
from agents.policies import POLICIES, StockView, make_policy

SPEC = TypeAdapter(PolicySpec)


def policy(**spec):
    return make_policy(SPEC.validate_python(spec))


def view(position, history=(10.0,) * 30, lead=4.0, period=0):
    return StockView(period, position, np.array(history, dtype=float), lead)


def test_every_policy_is_registered_by_its_spelled_out_name():
    assert set(POLICIES) >= {"order_up_to", "base_stock", "s_S", "r_Q", "fixed_plan"}


def test_base_stock_orders_up_to_its_level():
    assert policy(policy="base_stock", level=100).order(view(64)) == 36
    assert (
        policy(policy="base_stock", level=100).order(view(120)) == -20
    )  # the world may refuse returns


def test_s_S_orders_only_at_or_below_s():
    p = policy(policy="s_S", reorder_point=40, order_up_to=100)
    assert p.order(view(41)) == 0
    assert p.order(view(40)) == 60


def test_r_Q_orders_whole_batches_until_above_r():
    p = policy(policy="r_Q", reorder_point=50, quantity=30)
    assert p.order(view(51)) == 0
    assert p.order(view(50)) == 30
    assert p.order(view(-15)) == 90  # three batches bring the position to 75 > 50


def test_review_period_orders_only_on_review_periods():
    p = policy(policy="fixed_plan", quantity=7, review_period=7)
    assert [p.order(view(0, period=t)) for t in range(8)] == [7, 0, 0, 0, 0, 0, 0, 7]


def test_order_up_to_covers_lead_time_plus_review_minus_one():
    history = [8.0, 12.0] * 14  # mean 10, sample sd of the 28 values
    p = policy(
        policy="order_up_to",
        forecaster={"method": "moving_average", "periods": 28},
        safety_factor=2.0,
        review_period=7,
    )
    sd = np.std(history, ddof=1)
    cover = 4 + 7 - 1
    assert p.order(view(30, history=history, lead=4)) == pytest.approx(
        10 * cover + 2.0 * sd * np.sqrt(cover) - 30
    )


def test_order_up_to_lead_time_override():
    p = policy(policy="order_up_to", forecaster={"method": "naive"}, safety_factor=0, lead_time=3)
    assert p.order(view(0, history=[5.0] * 10, lead=99)) == pytest.approx(15)


def test_moving_average_uses_the_last_p_values():
    f = make_forecaster(Forecaster(method="moving_average", periods=3))
    f.update(np.array([100.0, 1, 2, 3]))
    assert f.forecast()[0] == pytest.approx(2.0)


def test_exponential_smoothing_is_incremental_and_matches_the_recursion():
    f = make_forecaster(Forecaster(method="exponential_smoothing", alpha=0.5))
    history = np.array([10.0, 20.0, 20.0])
    f.update(history[:2])
    f.update(history)  # only the new value is consumed
    assert f.forecast()[0] == pytest.approx(10 + 0.5 * 10 + 0.5 * 5)


def test_constant_forecaster_knows_the_mean_whatever_it_sees():
    f = make_forecaster(Forecaster(method="constant", mean=100.0, sd=10.0))
    assert f.forecast() == (100.0, 10.0)
    f.update(np.array([3.0, 500.0, 0.0]))
    assert f.forecast() == (100.0, 10.0)


def test_order_up_to_with_a_known_mean_sets_its_level_from_the_mean():
    p = policy(
        policy="order_up_to",
        forecaster={"method": "constant", "mean": 10.0, "sd": 2.0},
        safety_factor=1.5,
    )
    for history in ([1.0] * 5, [40.0, 2.0, 90.0]):
        assert p.order(view(12, history=history, lead=4)) == pytest.approx(
            10 * 4 + 1.5 * 2.0 * np.sqrt(4) - 12
        )


def stock_view(history, on_hand, backlog, supply_line):
    position = on_hand + supply_line - backlog
    return StockView(
        len(history) - 1,
        position,
        np.array(history, dtype=float),
        3.0,
        on_hand=on_hand,
        backlog=backlog,
        supply_line=supply_line,
    )


def test_anchor_and_adjust_with_a_known_mean_is_proportional_order_up_to():
    """θ = 0, β = 1, α = 1/Ti: order = mean + (target − position) / Ti, whatever demand was."""
    rule = policy(
        policy="anchor_and_adjust",
        theta=0,
        alpha_s=0.25,
        beta=1,
        s_prime=300,
        initial_expectation=100,
    )
    assert rule.forecast() == 100
    # position = 120 − 10 + 150 = 260
    assert rule.order(stock_view([130.0], 120, 10, 150)) == pytest.approx(100 + (300 - 260) / 4)
    assert rule.order(stock_view([130.0, 60.0, 85.0], 80, 0, 150)) == pytest.approx(
        100 + (300 - 230) / 4
    )
    assert rule.forecast() == 100


def test_anchor_and_adjust_smooths_from_its_initial_expectation():
    rule = policy(
        policy="anchor_and_adjust", theta=0.5, alpha_s=0, beta=0, s_prime=0, initial_expectation=8
    )
    assert rule.order(stock_view([4.0], 0, 0, 0)) == pytest.approx(0.5 * 4 + 0.5 * 8)
    unanchored = policy(policy="anchor_and_adjust", theta=0.5, alpha_s=0, beta=0, s_prime=0)
    assert unanchored.order(stock_view([4.0], 0, 0, 0)) == 4  # starts at the first demand
