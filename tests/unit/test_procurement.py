"""Procurement chooses supplier, mode, lot and rushes by its own objective."""

from __future__ import annotations

import numpy as np
import pytest
from company_views import changed, model, observation, shared_view

from agents.config import ProcurementAgent
from agents.messages import ForApproval, ForecastReport, Review
from agents.procurement import Procurement
from sim.rng import Streams
from sim.world import World

DAY = 70


@pytest.fixture(scope="module")
def seen(baseline):
    return observation(baseline, DAY)


def procurement(config, *, adaptation=False, **knobs) -> Procurement:
    knobs = ProcurementAgent.model_validate({**config.agents.procurement.model_dump(), **knobs})
    topology = World(config, Streams(1), lambda obs: [], horizon_days=1).topology
    books = config.finance
    return Procurement(
        model(),
        knobs,
        topology,
        config.suppliers,
        config.transport_modes,
        books.capital_charge_rate_per_year,
        books.storage_cost_rate_per_year,
        adaptation,
    )


def motors_choice(agent: Procurement, view):
    c = agent.components.index("motor")
    need = np.cumsum(agent.need(view), axis=1)[c]
    position = float(view.state("component_on_hand")[c] + view.state("component_on_order")[c])
    rate = need[27] / 28
    lateness = agent.expected_lateness(view)
    return agent.choose(c, need, position, rate, lateness)


def official(seen, factor=1.0):
    rate = factor * np.asarray(seen.demand_history)[-28:].mean(axis=0)
    return ForecastReport("sales", DAY, np.repeat(rate[:, None], 400, axis=1), True)


def short_of_motors(seen):
    """Motors on hand for a day, nothing on order."""
    c = seen.topology.components.index("motor")
    on_hand = np.array(seen.component_on_hand, dtype=float)
    on_hand[c] = 200
    on_order = np.array(seen.component_on_order, dtype=float)
    on_order[c] = 0
    arrivals = np.array(seen.component_arrivals, dtype=float)
    arrivals[:, c] = 0
    return changed(
        seen, component_on_hand=on_hand, component_on_order=on_order, component_arrivals=arrivals
    )


def test_paid_on_purchase_price_it_buys_larger_lots_of_the_cheap_far_supplier(baseline, seen):
    view = shared_view(short_of_motors(seen))
    chosen = {}
    for pay in ("purchase_price", "operating_profit"):
        agent = procurement(baseline, incentive=pay)
        agent.decide(view, [official(seen)])
        chosen[pay] = motors_choice(agent, view)
    price_paid, profit_paid = chosen["purchase_price"], chosen["operating_profit"]
    assert {s.name for s, _ in price_paid["orders"]} == {"asia_motors"}
    assert price_paid["bought"] >= 3000  # it rounds up to the volume discount
    assert price_paid["weeks"] >= profit_paid["weeks"]
    assert price_paid["bought"] > profit_paid["bought"]  # holding stock costs it little


def test_a_supplier_with_orders_overdue_loses_the_next_order(baseline, seen):
    """Procurement sees what is overdue at each supplier. Motors stuck at the cheap supplier
    for a month, longer than its worst quoted lateness: paid on operating profit, it weighs
    the margin at risk and moves orders to the dependable one."""
    s, c = seen.topology.suppliers.index("asia_motors"), seen.topology.components.index("motor")
    overdue = np.zeros_like(np.asarray(seen.supplier_overdue))
    overdue[s, c] = 6000
    days = np.zeros(len(seen.topology.suppliers))
    days[s] = 30
    agent = procurement(baseline, incentive="operating_profit")
    usual = shared_view(short_of_motors(seen))
    agent.decide(usual, [official(seen)])
    before = motors_choice(agent, usual)
    stuck = shared_view(
        changed(short_of_motors(seen), supplier_overdue=overdue, supplier_days_overdue=days)
    )
    after = motors_choice(agent, stuck)

    def share_of_euro(choice):
        return sum(q for s, q in choice["orders"] if s.name == "euro_motors") / choice["bought"]

    assert agent.expected_lateness(usual)[s] < 3 < agent.expected_lateness(stuck)[s] == 30
    assert share_of_euro(after) > share_of_euro(before)
    assert share_of_euro(after) >= 0.5


def test_paid_on_operating_profit_it_rushes_what_would_run_out(baseline, seen):
    view = shared_view(short_of_motors(seen))
    rushes = {}
    for pay in ("purchase_price", "operating_profit"):
        agent = procurement(baseline, incentive=pay)
        out = agent.decide(view, [official(seen), Review(DAY)])
        rushes[pay] = [m for m in out if isinstance(m, ForApproval) and m.rush]
    assert not rushes["purchase_price"]  # air freight is a cost, a shortage is not its own
    (request,) = rushes["operating_profit"]
    (order,) = [o for o in request.orders if o.component == "motor"]
    assert order.quantity > 0 and order.supplier == "euro_motors"  # the fastest source


def test_it_buys_to_the_official_forecast_or_to_what_production_used(baseline, seen):
    view = shared_view(seen)
    buyers = {plan: procurement(baseline, plans_to=plan) for plan in ("official", "own")}
    for agent in buyers.values():
        agent.decide(view, [official(seen, 1.5)])
    c = seen.topology.components.index("motor")
    assert buyers["official"].need(view)[c, :28].mean() > buyers["own"].need(view)[c, :28].mean()


def test_with_adaptation_it_learns_a_supplier_is_late(baseline):
    """Deliveries that arrive late make Procurement expect lateness from that supplier."""
    config = baseline.model_copy(update={"protocol": "silo"})
    agent = procurement(config, adaptation=True)
    before = agent.lateness.value.copy()
    seen = observation(config.model_copy(update={"horizon_days": 200}), 150)
    late = np.array(seen.state_history["supplier_late_unit_days"], dtype=float)
    late[-7:, 0] = 10 * np.asarray(seen.state_history["supplier_received"])[-7:, 0]
    history = dict(seen.state_history, supplier_late_unit_days=late)
    import dataclasses

    view = shared_view(dataclasses.replace(seen, state_history=history))
    agent._learn(view)
    assert agent.lateness.value[0] > before[0]
