"""The pieces of the planning meeting, one at a time."""

from __future__ import annotations

import numpy as np
import pytest

from agents.config import ExecutiveAgent, load_config
from agents.executive import Mandate
from agents.messages import ComponentSupply
from agents.protocols import make_protocol
from agents.protocols.meeting import Meeting, MeetingContext, Plan, _Table, allocate, chase, level
from agents.valuation import OptionValue, Valuation

# Two lines: line 0 makes products 0 and 1, line 1 makes products 1 and 2 (the reference plant).
MAKES = np.array([[True, True, False], [False, True, True]])


def test_a_product_runs_only_on_the_lines_that_make_it():
    made = allocate(np.array([100.0, 50.0, 80.0]), np.array([120.0, 60.0]), MAKES)
    assert made[2] == 60  # product 2 has only line 1, and gets it first
    assert made[0] == 100 and made[1] == 20  # line 0's room goes to product 0, then to 1
    assert made.sum() <= 180


def test_products_sharing_their_only_line_share_it_in_proportion():
    makes = np.array([[True, True]])
    np.testing.assert_allclose(allocate(np.array([60.0, 20.0]), np.array([40.0]), makes), [30, 10])


def test_building_ahead_moves_what_a_week_cannot_make_into_earlier_weeks():
    need = np.array([[10.0, 10.0, 90.0]])
    capacity = np.full((1, 3), 50.0)
    plan, lost = level(need, capacity, np.array([[True]]))
    np.testing.assert_allclose(plan, [[10, 50, 50]])
    assert lost[0] == 0
    chased, chased_lost = chase(need, capacity, np.array([[True]]))
    np.testing.assert_allclose(chased, [[10, 10, 50]])
    assert chased_lost[0] == 40


def test_finance_values_an_option_with_the_cost_terms_of_the_books():
    rates = Valuation(0.12, 0.06, receivable_days=30, payable_days=45)
    value = rates.value(
        np.array([100.0]),
        np.array([50.0]),
        np.array([30.0]),
        penalty_per_unit=4.0,
        cost=500.0,
        stock_dollar_days=36_500.0,
    )
    assert value.margin == 2000 and value.penalties == 400 and value.cost == 500
    assert value.capital_charge == pytest.approx(12.0) and value.storage == pytest.approx(6.0)
    assert value.timing == pytest.approx((5000 * 30 - 500 * 45) * 0.12 / 365)
    assert value.profit == pytest.approx(2000 + 400 - 500 - 12 - 6 - value.timing)


def test_the_executive_decides_on_operating_profit_unless_told_to_grow():
    losing_growth = OptionValue(revenue=50_000, margin=2_000, cost=3_000)
    assert not Mandate(ExecutiveAgent()).decide(losing_growth)[0]
    assert Mandate(ExecutiveAgent(growth_weight=0.2)).decide(losing_growth)[0]


def test_alternatives_to_one_gap_are_decided_together():
    table = _Table(Mandate(ExecutiveAgent()))
    chosen = table.choose(
        "build_and_overtime",
        "operations",
        [
            ("nothing", [OptionValue()]),
            ("build ahead", [OptionValue(margin=1_000, capital_charge=100)]),
            ("overtime", [OptionValue(margin=1_500, cost=300)]),
            ("both", [OptionValue(margin=1_600, cost=300, capital_charge=150)]),
        ],
    )
    assert chosen == 2  # the best score, not the first that pays
    assert [row["chosen"] for row in table.rows] == [False, False, True, False]
    assert all(row["proposed_by"] == "operations" for row in table.rows)


@pytest.fixture(scope="module")
def meeting_parts(configs_dir):
    config = load_config(configs_dir / "baseline.yaml")
    from sim.rng import Streams
    from sim.world import World

    top = World(config, Streams(1), lambda obs: [], horizon_days=1).topology
    return config, top


def _context(top, demand_history, day=140):
    return MeetingContext(
        day=day,
        plan_start=day,
        weeks=13,
        demand_history=demand_history,
        products=top.products,
        components=top.components,
        lines=top.lines,
        bom=np.asarray(top.bom),
        price=np.asarray(top.price),
        unit_cost=np.asarray(top.product_standard_cost),
        capacity_options=(),
        depreciation_years=10.0,
        expected_uplift=np.full(3, 0.3),
    )


def test_the_demand_review_weighs_sales_by_the_value_its_number_adds(meeting_parts):
    """A Sales forecast that only adds noise to what the orders show gets no weight; one that
    knows more than the baseline gets weight."""
    config, top = meeting_parts
    rng = np.random.default_rng(0)
    days = 400
    truth = (
        np.tile([120.0, 80.0, 30.0], (days, 1)) * (1 + 0.3 * np.sin(np.arange(days) / 20))[:, None]
    )
    orders = rng.gamma(10, truth / 10)
    weights = {}
    for name, error in (("noisy", 0.3), ("knowing", 0.0)):
        meeting = Meeting(make_protocol("sop"), top.products, config.agents.sales.forecaster, {})
        for made in range(0, days - 40, 28):
            context = _context(top, orders[: made + 1], day=made)
            sales = truth[made + 1 : made + 1 + 28].mean(axis=0) * (1 + error * rng.normal(size=3))
            meeting.record.append((made, sales, meeting.baseline.ahead(made, 28).mean(axis=1)))
            meeting._observe(context)
        weights[name] = meeting.sales_record(_context(top, orders, day=days - 1))[1]
    assert (weights["knowing"] > 0.3).all()
    assert (weights["noisy"] < weights["knowing"]).all()


def test_a_failing_supplier_is_on_the_table_and_what_is_stuck_counts_for_nothing(meeting_parts):
    """The materials check counts nothing stuck at a failing supplier as on its way: the
    shortage shows, and a rush and an alternate supplier are offered for it."""
    config, top = meeting_parts
    from types import SimpleNamespace

    from agents.protocols.meeting import _SupplyReview

    context = _context(top, np.full((141, 3), 100.0))

    def supply(stuck: float) -> ComponentSupply:
        return ComponentSupply(
            "asia_motors",
            34.0,
            "euro_motors",
            "truck",
            9.0,
            0.8,
            4.5,
            "euro_motors",
            4.5,
            2500.0,
            available=15000.0,
            overdue=stuck,
            stuck=stuck,
        )

    chosen = {}
    for stuck in (0.0, 8000.0):
        plan = Plan(start_day=140, demand=np.full((3, 211), 100.0))
        plan.production = np.full((3, 13), 700.0)
        plan.component_need = np.asarray(top.bom).T @ np.full((3, 91), 100.0)
        review = _SupplyReview.__new__(_SupplyReview)
        review.plan, review.context = plan, context
        review.meeting = Meeting(
            make_protocol("sop"), top.products, config.agents.sales.forecaster, {}
        )
        review.table = _Table(Mandate(ExecutiveAgent()))
        parts = tuple(supply(stuck if c == "motor" else 0.0) for c in top.components)
        review.proposals = SimpleNamespace(materials=SimpleNamespace(components=parts))
        review._materials()
        chosen[stuck] = {
            row["option"]
            for row in review.table.rows
            if row["chosen"] and " motor " in f" {row['description']} "
        }
    assert not chosen[0.0]  # fifteen thousand motors on their way: no gap
    assert chosen[8000.0] == {"air_freight", "alternate_supplier"}
