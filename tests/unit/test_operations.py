"""Operations plans production by its own objective, from the forecast it trusts."""

from __future__ import annotations

import numpy as np
import pytest
from company_views import changed, model, observation, shared_view

from agents.messages import ForApproval, ForecastReport, PlanIssued, Review
from agents.operations import Operations
from agents.protocols.meeting import Plan
from sim.messages import ProductionOrder

DAY = 70  # a review day with ten weeks of orders seen


@pytest.fixture(scope="module")
def seen(baseline):
    return observation(baseline, DAY)


def operations(baseline, **knobs) -> Operations:
    config = baseline.agents.operations.model_copy(update=knobs)
    penalty = 0.7 * 4.0
    return Operations(model(), config, _topology(baseline), 0.18, penalty)


def _topology(config):
    from sim.rng import Streams
    from sim.world import World

    return World(config, Streams(1), lambda obs: [], horizon_days=1).topology


def released(agent: Operations, view, inbox=()) -> tuple[np.ndarray, bool]:
    out = agent.decide(view, [*inbox, Review(view.day)])
    (request,) = [m for m in out if isinstance(m, ForApproval)]
    quantities = np.zeros(len(agent.products))
    overtime = False
    for order in request.orders:
        assert isinstance(order, ProductionOrder)
        quantities[agent.products.index(order.product)] += order.quantity
        overtime = overtime or order.overtime
    return quantities, overtime


def short_of_stock(seen):
    """Customers wait for two weeks of orders and the warehouse is empty."""
    demand = np.asarray(seen.demand_history)[-28:].mean(axis=0)
    return changed(seen, finished_on_hand=np.zeros(3), backlog=14 * demand)


def test_paid_on_operating_profit_it_buys_overtime_when_customers_wait(baseline, seen):
    view = shared_view(short_of_stock(seen))
    _, cost_paid = released(operations(baseline, incentive="unit_cost"), view)
    _, profit_paid = released(operations(baseline, incentive="operating_profit"), view)
    assert not cost_paid  # overtime is a cost it is paid to avoid; a shortage hardly counts
    assert profit_paid  # a unit short loses its margin: overtime pays


def well_stocked(seen):
    """A week of orders on hand, nobody waiting, nothing in the plant."""
    demand = np.asarray(seen.demand_history)[-28:].mean(axis=0)
    return changed(
        seen,
        finished_on_hand=7 * demand,
        backlog=np.zeros(3),
        production_queued=np.zeros(3),
        production_in_process=np.zeros(3),
    )


def test_paid_on_operating_profit_it_holds_more_safety_stock(baseline, seen):
    view = shared_view(well_stocked(seen))
    cost_paid = operations(baseline, incentive="unit_cost", pay={"utilization": 0.0})
    profit_paid = operations(baseline, incentive="operating_profit")
    for agent in (cost_paid, profit_paid):
        agent.decide(view, [])  # it reads the orders it has not seen yet
        agent.choose(view)
    assert profit_paid.chosen[0] > cost_paid.chosen[0]  # safety factor, in standard deviations


def test_a_price_on_schedule_changes_makes_it_move_slowly(baseline, seen):
    view = shared_view(short_of_stock(seen))
    steady = operations(baseline, pay={"schedule_changes": 50.0})
    nimble = operations(baseline, pay={"schedule_changes": 0.0})
    for agent in (steady, nimble):
        agent.decide(view, [])
        agent.choose(view)
    assert steady.chosen[1] < nimble.chosen[1]  # pace: share of the way to what is needed


def test_trusting_the_official_forecast_it_builds_to_sales_number(baseline, seen):
    view = shared_view(seen)
    inflated = 1.5 * np.asarray(seen.demand_history)[-28:].mean(axis=0)
    report = ForecastReport("sales", DAY, np.repeat(inflated[:, None], 200, axis=1), True)
    trusting = operations(baseline, trust_in_official=1.0)
    doubting = operations(baseline, trust_in_official=0.0)
    built, _ = released(trusting, view, [report])
    own, _ = released(doubting, view, [report])
    assert built.sum() > own.sum()
    assert trusting.belief(view, 7).mean(axis=1) == pytest.approx(inflated)


def test_under_an_agreed_plan_it_makes_the_agreed_quantities_by_its_adherence(baseline, seen):
    view = shared_view(seen)
    agent = operations(baseline, plan_adherence=1.0, lot_size=0.0)
    position = agent.position(view)
    agreed = np.array([[700.0], [300.0], [90.0]])
    plan = Plan(
        start_day=DAY,
        demand=np.ones((3, 300)),
        production=agreed,
        position=position[:, None],
    )
    quantities, _ = released(agent, view, [PlanIssued(plan)])
    np.testing.assert_allclose(quantities, agreed[:, 0])


def test_within_the_frozen_horizon_it_releases_what_it_decided_before(baseline, seen):
    agent = operations(baseline, frozen_weeks=1)
    first, _ = released(agent, shared_view(seen))
    assert first.sum() == 0  # the first week's decision waits a week
    later = changed(seen, day=DAY + 7)
    second, _ = released(agent, shared_view(later))
    assert second.sum() > 0
