"""Finance's projection of a fixed plan, on a deterministic world, equals the books it produces.

The company: two products from shared parts on one line, sold in two markets with different
payment terms and patience; demand is exactly known (no noise), lead times are constant, the
supplier always ships on time. The plan is fixed: production every day (once a week beyond the
line's regular capacity, so overtime is paid), parts ordered every day, a starved stretch in
which orders wait and are lost. The world runs the plan; the projection, made from day 0 and again
from a mid-run meeting out of what the company observes that day, must give the books'
monthly statements line by line, to rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.config import validate
from agents.projection import (
    BookTerms,
    Capex,
    FlowPlan,
    Opening,
    Purchase,
    projected_statements,
)
from sim.ledger import Account
from sim.messages import (
    CapacityChange,
    ProductionOrder,
    Promotion,
    PurchaseOrder,
    ReserveCapacity,
)
from sim.rng import Streams
from sim.source import parse_yaml
from sim.statements import books_statements
from sim.world import World

DAYS = 150
COMPANY = """\
name: projection_case
horizon_days: 150
strict_audit: true
protocol: silo              # validated as a company; the test drives the world itself
allocation: priority
markets:
  shops: {share: 0.5, priority: 0, patience_days: 3, payment_terms_days: 30,
          lost_sale_penalty_per_unit: 2.0}
  web: {share: 0.5, priority: 1, patience_days: 1, payment_terms_days: 2}
products:
  small:
    price: 40.0
    conversion_cost_per_unit: 4.0
    bom: {part: 2}
    initial_on_hand: 60
    demand: {base_per_day: 10, noise: {distribution: none}}
  large:
    price: 70.0
    conversion_cost_per_unit: 6.0
    bom: {part: 3}
    initial_on_hand: 30
    demand: {base_per_day: 6, noise: {distribution: none}}
components:
  part: {standard_cost: 5.0, initial_on_hand: 400}
suppliers:
  acme:
    components:
      part: {price: 5.5, capacity_per_week: 1000,
             reservation: {extra_per_week: 50, fee_per_unit_per_week: 0.2, lead_days: 14}}
    lead_time_days: {distribution: constant, value: 3}
    modes: [truck]
    payment_terms_days: 20
transport_modes:
  truck: {lead_time_days: {distribution: constant, value: 2}, cost_per_unit: 0.3}
plant:
  production_lead_time_days: 2
  lines:
    line_1: {products: [small, large], capacity_per_day: 16, overtime_max_fraction: 0.5,
             overtime_premium_per_unit: 1.5}
finance:
  opening_cash: -3000.0          # opens in overdraft, so interest is charged
  fixed_assets: 36500.0
  depreciation_years: 5.0
  overhead_per_year: 36500.0
  capital_charge_rate_per_year: 0.12
  storage_cost_rate_per_year: 0.06
  overdraft_interest_rate_per_year: 0.09
"""
STARVED = range(60, 70)  # days the plan makes nothing: stock runs out, orders wait, some lost
# Besides: a promotion of small (10% off on days 30-39, $500), capacity bought on day 10 (+2 a
# day on line_1 from day 60, $3,650 depreciated from then), and six weeks of the supplier's
# capacity reserved from day 14 (50 a week at $0.20: a $10 bill each week, paid in 20 days).
PROMOTION = Promotion("small", start_day=30, duration_days=10, price_discount=0.1, cost=500.0)
EXPANSION = CapacityChange("line_1", 2.0, start_day=60, capex=3650.0)
RESERVATION = ReserveCapacity("acme", "part", 50.0, start_day=14, weeks=6)


def _make(day: int) -> np.ndarray:
    """Units of each product the plan starts on ``day``: a day's demand, and on the last day
    of each week five more of ``small`` than the line's regular 16 a day can make (overtime,
    worked then since no later day of the week is left to make them)."""
    if day in STARVED:
        return np.zeros(2)
    return np.array([15.0 if day % 7 == 6 else 10.0, 6.0])


BUY = 38.0  # parts ordered every day: 2 × 10 + 3 × 6


def _run(lead_days: int = 2):
    text = COMPANY.replace(
        "production_lead_time_days: 2", f"production_lead_time_days: {lead_days}"
    )
    config = validate(parse_yaml(text, "projection_case.yaml"))
    seen = {}

    def decider(obs):
        seen[obs.day] = obs
        small, large = _make(obs.day)
        orders = [PurchaseOrder("part", BUY, "acme", "truck")]
        orders += {0: [RESERVATION], 10: [EXPANSION], 20: [PROMOTION]}.get(obs.day, [])
        if small:
            orders += [ProductionOrder("small", small), ProductionOrder("large", large)]
        return orders

    outcome = World(config, Streams(1), decider).run()
    return config, outcome, seen


def _plan(first: int, days: int, premium_per_unit: float) -> FlowPlan:
    span = np.arange(first, first + days)
    starts = np.column_stack([_make(d) for d in span])
    regular = np.where(span >= EXPANSION.start_day, 18.0, 16.0)
    overtime = np.maximum(starts.sum(axis=0) - regular, 0.0) * premium_per_unit
    dispatch = np.array([BUY if d - 3 >= 0 else 0.0 for d in span])
    price_factor = np.ones((2, days))
    price_factor[0, (span >= 30) & (span < 40)] = 0.9
    promotion_cost = np.where(span == PROMOTION.start_day, PROMOTION.cost, 0.0)
    paid = first <= 10
    capex = (Capex(10 - first if paid else 0, 3650.0, 60 - first, paid=paid),)
    fees = tuple((d - first, 10.0, 20) for d in range(14, 14 + 42, 7) if d >= first)
    return FlowPlan(
        demand=np.repeat([[10.0], [6.0]], days, axis=1),
        starts=starts,
        overtime_premium=overtime,
        purchases=(Purchase(0, dispatch, 5.5, 0.3, False, 2, 20),),
        price_factor=price_factor,
        promotion_cost=promotion_cost,
        capex=capex,
        fees=fees,
    )


@pytest.fixture(scope="module")
def case():
    return _run()


@pytest.fixture(scope="module", params=[0, 1, 2, 3], ids=lambda d: f"production lead {d}")
def lead_case(request):
    return _run(request.param)


@pytest.mark.parametrize("first", [0, 45])
def test_the_projection_of_a_fixed_plan_equals_the_books(lead_case, first):
    config, outcome, seen = lead_case
    days = DAYS - first
    books = outcome.ledger.books
    before = outcome.daily["balances"][first - 1] if first else np.zeros(len(Account))
    actual = books_statements(books, before, first, days)
    depreciation = 36500.0 / (5.0 * 365)
    opening = Opening.of(seen[first], depreciation)
    projected = projected_statements(
        BookTerms.of(config), opening, _plan(first, days, premium_per_unit=1.5)
    )
    assert np.array_equal(projected.month, actual.month)
    assert set(actual.lines) <= set(projected.lines) | {
        key for key, values in actual.lines.items() if not values.any()
    }
    for key, values in actual.lines.items():
        np.testing.assert_allclose(
            projected.line(*key), values, rtol=1e-9, atol=1e-6, err_msg=f"{key}"
        )


def test_the_case_exercises_every_line_it_claims(case):
    """The plan pays overtime, runs out of stock (orders lost with a fine), goes into
    overdraft, runs a promotion, buys capacity and reserves a supplier's, and lasts several
    months: else the equality above would prove less."""
    _, outcome, _ = case
    actual = books_statements(outcome.ledger.books, np.zeros(len(Account)), 0, DAYS)
    lines = (
        "overtime",
        "penalties",
        "interest",
        "purchase_price_variance",
        "transport",
        "promotion",
        "depreciation",
        "capacity_reservation",
    )
    for name in lines:
        assert actual.line("pnl", name).sum() > 0, name
    assert actual.line("cash", "capex").sum() == -3650.0
    assert len(actual.month) == 5
