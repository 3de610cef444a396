"""The IBP pieces of the meeting, one at a time: scenarios from observed errors, and capacity
valued only within the horizon (families: ``test_families``)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import norm

from agents.config import ExecutiveAgent, load_config
from agents.executive import Mandate
from agents.messages import SupplyProposal
from agents.protocols import make_protocol
from agents.protocols.ibp import ForecastErrors, scenario_levels
from agents.protocols.meeting import Meeting, MeetingContext, Plan, _SupplyReview, _Table
from sim.config import CapacityOption


def _errors_from(truth: np.ndarray, months_ahead: int) -> ForecastErrors:
    """A record in which every forecast was 100 a month, and the months came in at ``truth``."""
    record = ForecastErrors(families=1, prior_error_cv=0.15, min_errors=6)
    for month in range(len(truth)):
        record.record(month, np.full((1, months_ahead), 100.0))
    actual = {m: np.array([truth[m]]) for m in range(len(truth))}
    record.score(len(truth), actual)
    return record


def test_scenarios_are_the_quantiles_of_the_errors_observed():
    """Demand that runs 15% over the forecast with a lognormal spread of 0.2: the scenarios are
    that distribution's quantiles, not fixed multipliers around the forecast."""
    rng = np.random.default_rng(3)
    sigma, bias = 0.2, 1.15
    truth = 100 * bias * np.exp(rng.normal(0, sigma, size=2000))
    record = _errors_from(truth, months_ahead=1)
    levels = scenario_levels(11)
    multipliers = record.multipliers(levels, 1)[:, 0]
    expected = bias * np.exp(sigma * norm.ppf(levels))
    np.testing.assert_allclose(multipliers, expected, rtol=0.03)
    assert np.median(multipliers) == pytest.approx(bias, rel=0.02)


def test_before_any_error_the_prior_stands_in_and_lags_borrow_from_shorter_ones():
    record = ForecastErrors(families=2, prior_error_cv=0.2, min_errors=6)
    prior = record.multipliers(scenario_levels(5), 18)
    assert prior.mean(axis=0) == pytest.approx(np.ones(18), rel=0.02)  # a mean of one
    assert (np.diff(prior[:, 0]) > 0).all()
    truth = np.full(12, 130.0)  # every month 30% above a forecast made one month ahead
    record = _errors_from(truth, months_ahead=2)
    seen = record.multipliers(scenario_levels(5), 12)
    np.testing.assert_allclose(seen[:, :3], 1.3)  # lags 0-2 observed, 3+ borrow from them
    np.testing.assert_allclose(seen[:, 11], 1.3)


@pytest.fixture(scope="module")
def baseline(configs_dir):
    config = load_config(configs_dir / "baseline.yaml")
    from sim.rng import Streams
    from sim.world import World

    return config, World(config, Streams(1), lambda obs: [], horizon_days=1).topology


def _expansion_review(config, top, demand: np.ndarray, run_end_day: int) -> _Table:
    """A supply review on day 0 with one capacity option (+50 a day on line_2 for $300k,
    in service after 28 days) and the given demand per day [P, days]."""
    option = CapacityOption(line="line_2", delta_per_day=50, capex=300_000, lead_days=28)
    context = MeetingContext(
        day=0,
        plan_start=0,
        weeks=52,
        demand_history=np.zeros((1, 3)),
        products=top.products,
        components=top.components,
        lines=top.lines,
        bom=np.asarray(top.bom),
        price=np.asarray(top.price),
        unit_cost=np.asarray(top.product_standard_cost),
        capacity_options=(option,),
        depreciation_years=10.0,
        expected_uplift=np.zeros(3),
        run_end_day=run_end_day,
    )
    supply = SupplyProposal(
        "operations",
        capacity_per_day=np.array([190.0, 95.0]),
        capacity_coming=np.zeros(2),
        overtime_fraction=np.zeros(2),
        overtime_premium=np.zeros(2),
        line_makes=np.asarray(top.line_makes),
        position=np.zeros(3),
        lead_time_days=0.0,
        safety_days=0.0,
    )
    finance = SimpleNamespace(
        capital_rate_per_year=0.12,
        storage_rate_per_year=0.06,
        receivable_days=30.0,
        payable_days=45.0,
        hurdle_rate=0.15,
    )
    plan = Plan(start_day=0, demand=demand)
    table = _Table(Mandate(ExecutiveAgent()))
    meeting = Meeting(make_protocol("ibp"), top.products, config.agents.sales.forecaster, {})
    proposals = SimpleNamespace(supply=supply, finance=finance)
    factors = np.ones((1, 3, demand.shape[1]))
    review = _SupplyReview(meeting, proposals, context, plan, table, {}, factors)
    review._expansions(review.regular, prebuild=True, overtime=False)
    return table


def test_capacity_that_pays_only_after_the_run_ends_is_not_bought(baseline):
    """The pro blender's demand jumps far past line_2's capacity from week 30, beyond what
    building ahead can cover. With the run going on, the extra capacity pays for itself within
    the year and is bought; if the run ends at week 30, every sale it would add comes after the
    end and it is declined: it is not valued on time the run does not have."""
    config, top = baseline
    days = 52 * 7 + 120
    demand = np.tile(np.array([[100.0], [40.0], [30.0]]), (1, days))
    demand[2, 30 * 7 :] = 250.0
    bought = _expansion_review(config, top, demand, run_end_day=10**6).rows[0]
    assert bought["chosen"], bought["reason"]
    late = _expansion_review(config, top, demand, run_end_day=30 * 7).rows[0]
    assert not late["chosen"]
    assert late["value"]["margin"] == 0 and late["value"]["depreciation"] > 0
    assert late["valued_days"] == 30 * 7


def test_the_budget_gap_counts_only_whole_months_the_run_reaches():
    """Budget minus plan over the months projected from their first day to their last within
    the run: a month the projection enters mid-way or leaves early, or one after the run's
    end, is left out rather than compared, in part, with a whole month's budget."""
    from agents.protocols.ibp import FinancialPlanning

    budget = {
        name: np.full(24, value)
        for name, value in (
            ("revenue", 100.0),
            ("gross_margin", 40.0),
            ("operating_profit", 10.0),
            ("inventory", 50.0),
            ("cash", 1000.0),
        )
    }
    planning = FinancialPlanning(
        SimpleNamespace(prior_error_cv=0.1, min_errors=6, scenarios=3),
        np.zeros(1, dtype=int),
        ("all",),
        None,
        budget,
        np.full((1, 24), np.nan),
    )
    projection = {
        "month": np.array([3, 4, 5, 6]),
        "whole": np.array([False, True, True, False]),  # entered mid-way; cut short
        "revenue": np.array([20.0, 90.0, 120.0, 5.0]),
        "gross_margin": np.array([8.0, 36.0, 48.0, 2.0]),
        "operating_profit": np.array([1.0, 9.0, 12.0, 0.5]),
        "inventory": np.array([55.0, 60.0, 40.0, 45.0]),
        "cash": np.array([900.0, 950.0, 1100.0, 1110.0]),
    }
    gap = planning.gap(projection)
    assert gap["months"] == 2
    assert gap["revenue"] == pytest.approx(200 - 210)  # above budget: negative
    assert gap["operating_profit"] == pytest.approx(20 - 21)
    assert gap["inventory"] == pytest.approx(50 - 50)
    assert gap["cash"] == pytest.approx(1000 - 1100)  # at the last whole month
