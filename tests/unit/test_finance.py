"""Finance budgets from its own skeptical view and cuts orders in proportion to the excess."""

from __future__ import annotations

import numpy as np
import pytest
from company_views import changed, model, observation, shared_view

from agents.config import FinanceAgent
from agents.finance import Finance
from agents.messages import ForApproval, ForecastReport, OrdersReleased, Review
from sim.messages import OrdersReview, ProductionOrder, PurchaseOrder
from sim.rng import Streams
from sim.world import World

DAY = 70


@pytest.fixture(scope="module")
def seen(baseline):
    """Day 70 of the reference company with $350k of inventory on the books (about 29 days of
    what it sells)."""
    return changed(observation(baseline, DAY), inventory_value=350_000.0)


def finance(config, **knobs) -> Finance:
    knobs = FinanceAgent.model_validate({**config.agents.finance.model_dump(), **knobs})
    world = World(config, Streams(1), lambda obs: [], horizon_days=1)
    return Finance(
        model(),
        knobs,
        world.topology,
        config.finance,
        config.transport_modes,
        world.conversion_cost,
        adaptation=False,
    )


def sales_number(seen):
    rate = np.asarray(seen.demand_history)[-28:].mean(axis=0)
    return ForecastReport("sales", DAY, np.repeat(rate[:, None], 400, axis=1), True)


ORDERS = (
    ForApproval("operations", (ProductionOrder("compact", 900.0), ProductionOrder("pro", 200.0))),
    ForApproval(
        "procurement",
        (
            PurchaseOrder("motor", 3000.0, "asia_motors", "ocean"),
            PurchaseOrder("control_board", 2500.0, "parts_direct", "truck"),
        ),
    ),
)


def reviewed(agent: Finance, view, seen) -> OrdersReview:
    agent.decide(view, [sales_number(seen)])  # it hears Sales' number, then budgets
    out = agent.decide(view, [*ORDERS, Review(DAY)])
    (review,) = [m for m in out if isinstance(m, OrdersReview)]
    return review


@pytest.mark.parametrize("pay", ["working_capital", "operating_profit"])
def test_the_cut_grows_with_the_excess_over_the_cap(baseline, seen, pay):
    view = shared_view(seen)
    cuts = [
        reviewed(finance(baseline, incentive=pay, inventory_cap_days=cap), view, seen)
        for cap in (35, 25, 15)
    ]
    excess = [r.excess_value for r in cuts]
    assert excess[0] < excess[1] < excess[2]  # a tighter cap, more projected over it
    values = [r.cut_value for r in cuts]
    assert values == sorted(values)
    if pay == "working_capital":
        assert values[0] < values[1] < values[2]  # in proportion, not a switch


def test_paid_on_working_capital_it_cuts_the_excess_and_on_profit_only_what_it_doubts(
    baseline, seen
):
    """Over its cap, Finance paid on working capital cuts what takes stock out of inventory:
    all the purchases here, and no production it believes will sell (making goods that sell
    does not add to inventory; without them the components would stay). Paid on operating
    profit, it cuts only the part of the purchases it doubts was needed."""
    view = shared_view(seen)
    on_capital = reviewed(finance(baseline, inventory_cap_days=15), view, seen)
    on_profit = reviewed(
        finance(baseline, inventory_cap_days=15, incentive="operating_profit"), view, seen
    )
    purchases = 3000 * 18.0 + 2500 * 12.0
    assert on_capital.excess_value > purchases
    assert on_capital.cut_value == pytest.approx(purchases)
    assert 0 < on_profit.cut_value < on_capital.cut_value


def test_skepticism_changes_the_cut_not_only_a_recorded_number(baseline, seen):
    view = shared_view(seen)
    trusting = reviewed(
        finance(baseline, incentive="operating_profit", inventory_cap_days=15, skepticism=0.0),
        view,
        seen,
    )
    doubting = reviewed(
        finance(baseline, incentive="operating_profit", inventory_cap_days=15, skepticism=0.3),
        view,
        seen,
    )
    assert trusting.cut_value == 0  # it believes every order is needed: a cut loses margin
    assert doubting.cut_value > 0  # what it does not believe in can go


def test_purchases_are_cut_before_production(baseline, seen):
    agent = finance(baseline, inventory_cap_days=25)
    view = shared_view(seen)
    agent.decide(view, [sales_number(seen)])
    out = agent.decide(view, [*ORDERS, Review(DAY)])
    released = {m.owner: m.orders for m in out if isinstance(m, OrdersReleased)}
    made = sum(o.quantity for o in released["operations"])
    bought = sum(o.quantity for o in released["procurement"])
    assert made == 1100  # production untouched...
    assert bought < 5500  # ...while purchases took the cut


def test_rush_orders_are_released_within_the_expediting_budget(baseline, seen):
    agent = finance(baseline, expedite_budget_per_month=1000.0)
    view = shared_view(seen)
    rush = ForApproval("procurement", (PurchaseOrder("motor", 1000, "asia_motors", "air"),), True)
    out = agent.decide(view, [rush, Review(DAY)])
    (order,) = [m for m in out if isinstance(m, PurchaseOrder)]
    assert order.quantity * 3.5 <= 1000 < (order.quantity + 1) * 3.5  # air at $3.50 a unit
