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
