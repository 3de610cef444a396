"""Sales forecasts from what it sees, submits its number raised by its inflation, and runs the
promotions its own objective prefers."""

from __future__ import annotations

import numpy as np
import pytest
from company_views import model, observation, observations, shared_view

from agents.config import SalesAgent
from agents.messages import DemandProposal, ForecastReport, MeetingCalled, PlanIssued, Review
from agents.protocols.meeting import Plan
from agents.sales import Sales
from sim.messages import DemandForecast, Promotion
from sim.rng import Streams
from sim.world import World


def topology(config):
    return World(config, Streams(1), lambda obs: [], horizon_days=1).topology


def sales(config, *, demand_review=False, adaptation=False, **knobs) -> Sales:
    knobs = SalesAgent.model_validate({**config.agents.sales.model_dump(), **knobs})
    return Sales(model(), knobs, topology(config), adaptation, demand_review, 0.18)


def week(agent: Sales, view) -> list[object]:
    return agent.decide(view, [Review(view.day)])


def test_it_submits_what_it_expects_raised_by_its_inflation(baseline):
    view = shared_view(observation(baseline, 63))
    agent = sales(baseline, optimism_bias=0.2)
    (report,) = [m for m in week(agent, view) if isinstance(m, ForecastReport)]
    expected = agent.expected(view.day, report.per_day.shape[1])
    np.testing.assert_allclose(report.per_day, 1.2 * expected)
    assert report.official  # with no demand review, its number is the company's
    records = [m for m in week(agent, view) if isinstance(m, DemandForecast)]
    assert all(r.official and r.acted_on for r in records)


def test_paid_on_revenue_a_promotion_pays_and_paid_on_profit_it_does_not(baseline):
    """8% off for two weeks, +35% expected lift, $15k of media: revenue rises, margin net of
    the discount and the media does not cover the cost for the reference products."""
    revenue_paid = sales(baseline, incentive="revenue")
    profit_paid = sales(baseline, incentive="operating_profit")
    base = np.array([1700.0, 1100.0, 420.0])  # two weeks of demand per product
    fill = np.ones(3)
    for agent, sign in ((revenue_paid, 1), (profit_paid, -1)):
        terms = agent.promotion_terms(base, fill)
        assert (np.sign(agent.objective.score(terms)) == sign).all()


def test_with_one_promotion_left_it_waits_for_the_best_slot_of_the_quarter(baseline):
    """Paid on revenue, the best slot is where demand is highest: through the fourth quarter
    Sales keeps its one promotion for the peak it expects, and runs it there."""
    seen = observations(baseline, 365)
    play = _with(baseline, per_quarter=1, min_days_between=1)
    run_on, best = None, None
    for day in range(273, 358, 7):
        agent = sales(baseline, incentive="revenue", promotion=play)
        view = shared_view(seen[day])
        agent.decide(view, [])  # it reads the orders it has not seen
        if best is None:  # the slot Sales itself expects to be best, seen from early October
            lead, length = agent.knobs.promotion.lead_days, agent.knobs.promotion.duration_days
            expected = agent.forecaster.ahead(day, 120).sum(axis=0)
            starts = [s for s in range(day + lead, 365 - length, 7)]
            best = max(starts, key=lambda s: expected[s - day - 1 : s - day - 1 + length].sum())
        if agent._promotion(view) is not None:
            run_on = day + agent.knobs.promotion.lead_days
            break
    assert run_on is not None and abs(run_on - best) <= 7


def _play(config) -> dict:
    return config.agents.sales.promotion.model_dump()


def _with(config, **play):
    return {**_play(config), **play}


def test_in_silo_it_runs_its_promotion_and_under_a_demand_review_it_proposes_it(baseline):
    view = shared_view(observation(baseline, 308))
    alone = sales(baseline, demand_review=False)
    assert any(isinstance(m, Promotion) for m in week(alone, view))
    reviewed = sales(baseline, demand_review=True)
    assert not any(isinstance(m, Promotion) for m in week(reviewed, view))
    call = MeetingCalled(315, 315, 13, 211)
    (proposal,) = reviewed.decide(view, [call])
    assert isinstance(proposal, DemandProposal) and len(proposal.promotions) == 1


def test_under_a_demand_review_it_works_to_the_consensus_by_its_adherence(baseline):
    view = shared_view(observation(baseline, 63))
    agent = sales(baseline, demand_review=True, optimism_bias=0.3, plan_adherence=0.75)
    consensus = np.full((3, 400), 50.0)
    plan = Plan(start_day=63, demand=consensus)
    out = agent.decide(view, [PlanIssued(plan), Review(63)])
    (report,) = [m for m in out if isinstance(m, ForecastReport)]
    submitted = report.per_day[:, :28].mean(axis=1)
    recorded = np.array([m.per_day for m in out if isinstance(m, DemandForecast)])
    np.testing.assert_allclose(recorded, 0.75 * 50.0 + 0.25 * submitted)
    assert not report.official  # the consensus is the company's number, not Sales'


@pytest.mark.parametrize("amplitude", [0.0, 0.6])
def test_it_knows_the_season_only_as_far_as_its_market_intelligence_says(baseline, amplitude):
    """Before it has seen a year, Sales' season is its belief, not the generator's."""
    belief = {"seasonality": {"amplitude": amplitude, "peak_day": 150}}
    intelligence = {name: belief for name in baseline.products}
    agent = sales(baseline, market_intelligence=intelligence)
    week(agent, shared_view(observation(baseline, 7)))
    path = agent.expected(7, 365)
    swing = path.max(axis=1) / path.min(axis=1)
    if amplitude == 0.0:
        assert (swing < 1.15).all()  # a little trend, no season
    else:
        assert (swing > 2.5).all()
        assert np.abs(np.argmax(path, axis=1) + 8 - 150).max() <= 10  # its peak, not the market's
