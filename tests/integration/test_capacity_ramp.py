"""A capacity expansion comes into service after its lead time, ramps up in equal daily steps,
and is depreciated from the day it is in service — worked out by hand on a one-line company.

The company makes a ``widget`` (no purchased parts) on one line of 100 units a day with up to
50% more on overtime; a production order far larger than capacity waits from day 0, so the
line makes exactly its capacity every day and the capacity a change adds shows up in what is
made. The plant (3,650 of fixed assets over one year) depreciates 10 a day. On day 2 the
company approves 30 units a day more, in service on day 10, for a capex of 7,300 (20 a day
over one year once in service).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import ledger as rec
from sim.config import WorldConfig, validate_model, world_references
from sim.ledger import Account
from sim.messages import CapacityChange, DecisionError, ProductionOrder
from sim.rng import Streams
from sim.source import parse_yaml
from sim.world import CompanyOutcome, World

ONE_LINE = """\
name: one_line
horizon_days: 30
strict_audit: true
products:
  widget:
    price: 20.0
    demand: {base_per_day: 0}
plant:
  production_lead_time_days: 1
  lines:
    line_1: {products: [widget], capacity_per_day: 100, overtime_max_fraction: 0.5}
finance:
  opening_cash: 100000.0
  fixed_assets: 3650.0
  depreciation_years: 1.0
"""

DAYS = 30
APPROVED, START, DELTA, CAPEX = 2, 10, 30.0, 7300.0


@pytest.fixture(scope="module")
def config() -> WorldConfig:
    return validate_model(WorldConfig, parse_yaml(ONE_LINE, "one_line.yaml"), [world_references])


def run(config: WorldConfig, *changes: tuple[int, CapacityChange]) -> CompanyOutcome:
    """Run the company with a production order on day 0 that no line could finish, and the
    capacity ``changes`` approved on their days."""

    def decide(obs):
        if obs.day == 0:
            yield ProductionOrder("widget", 1e6)
        for day, change in changes:
            if obs.day == day:
                yield change

    return World(config, Streams(1), decide).run()


def change(ramp_days: int) -> tuple[int, CapacityChange]:
    return APPROVED, CapacityChange("line_1", DELTA, START, CAPEX, ramp_days)


def per_day(outcome: CompanyOutcome, account: Account) -> np.ndarray:
    """What was posted to ``account`` each day (its balance's daily change)."""
    return np.diff(outcome.daily["balances"][:, int(account)], prepend=0.0)


def test_capacity_ramps_up_in_equal_daily_steps_from_the_day_it_is_in_service(config):
    outcome = run(config, change(ramp_days=6))
    # Days 0-9: 100. Day 10 (first day in service): 100 + 30 × 1/6 = 105; then 110, 115, 120,
    # 125, and the full 130 on day 15, the sixth day in service, and after.
    expected = np.array([100.0] * 10 + [105, 110, 115, 120, 125] + [130.0] * 15)
    np.testing.assert_allclose(outcome.daily["line_capacity"][:, 0], expected, rtol=1e-15)
    assert outcome.daily["line_capacity"][-1, 0] == 130.0  # the last step lands exactly
    # Overtime stays half of regular capacity through the ramp.
    np.testing.assert_allclose(outcome.daily["line_overtime_capacity"][:, 0], expected * 0.5)
    # The line makes what the ramp allows, no more: every unit of it, regular and overtime.
    made = np.zeros(DAYS)
    for f in outcome.ledger.of_type(rec.ProductionStarted):
        made[f.day] += f.quantity
    np.testing.assert_allclose(made, np.floor(expected * 1.5 + 1e-9))


def test_a_ramp_of_zero_is_the_step_it_always_was(config):
    step = np.array([100.0] * START + [130.0] * (DAYS - START))
    for ramp in (0, 1):
        outcome = run(config, change(ramp_days=ramp))
        np.testing.assert_array_equal(outcome.daily["line_capacity"][:, 0], step)
        np.testing.assert_array_equal(outcome.daily["line_overtime_capacity"][:, 0], step * 0.5)
    fact = run(config, change(ramp_days=0)).ledger.of_type(rec.CapacityChanged)
    assert fact == [rec.CapacityChanged(APPROVED, 0, DELTA, START, CAPEX, 0)]


def test_capex_is_paid_on_approval_and_depreciated_from_the_day_in_service(config):
    # Strict audit: the world checks every close that the books balance and that fixed assets
    # are the book values of the assets in service plus the capex not yet in service.
    outcome = run(config, change(ramp_days=6))
    cash_out = -per_day(outcome, Account.CASH)
    assert cash_out[APPROVED] == pytest.approx(CAPEX)
    assert np.count_nonzero(cash_out[1:]) == 1  # nothing else moves cash after the opening
    depreciation = per_day(outcome, Account.DEPRECIATION)
    # Before day 10 only the plant depreciates: 3,650 / 365 = 10 a day; from day 10 the new
    # asset adds 7,300 / 365 = 20 a day, ramp or not.
    np.testing.assert_allclose(depreciation[:START], 10.0, rtol=1e-12)
    np.testing.assert_allclose(depreciation[START:], 30.0, rtol=1e-12)
    # Fixed assets: 3,650 + 7,300 from day 2, less what was depreciated.
    fixed = outcome.daily["balances"][:, int(Account.FIXED_ASSETS)]
    assert fixed[-1] == pytest.approx(3650 + CAPEX - 10 * DAYS - 20 * (DAYS - START))
    assert outcome.ledger.books.equation_gap() == pytest.approx(0.0, abs=1e-6)


def test_an_expansion_in_service_after_the_run_is_paid_for_and_never_depreciated(config):
    outcome = run(config, (APPROVED, CapacityChange("line_1", DELTA, DAYS + 5, CAPEX, 6)))
    np.testing.assert_allclose(per_day(outcome, Account.DEPRECIATION), 10.0, rtol=1e-12)
    assert (outcome.daily["line_capacity"][:, 0] == 100.0).all()
    fixed = outcome.daily["balances"][-1, int(Account.FIXED_ASSETS)]
    assert fixed == pytest.approx(3650 + CAPEX - 10 * DAYS)


def test_two_ramps_on_one_line_add_up(config):
    outcome = run(
        config,
        change(ramp_days=6),
        (3, CapacityChange("line_1", 10.0, 12, 0.0, 2)),
    )
    capacity = outcome.daily["line_capacity"][:, 0]
    # Day 12: the first ramp at 115, the second at 5; day 13: 120 + 10; from day 15: 140.
    np.testing.assert_allclose(capacity[[11, 12, 13, 15, 29]], [110, 120, 130, 140, 140])


@pytest.mark.parametrize(
    ("requested", "message"),
    [
        (CapacityChange("line_1", DELTA, START, CAPEX, -1), "ramp_days"),
        (CapacityChange("line_1", DELTA, START, CAPEX, 2.5), "ramp_days"),  # type: ignore[arg-type]
        (CapacityChange("line_1", DELTA, APPROVED, CAPEX, 3), "after today"),
        (CapacityChange("line_1", -200.0, START, 0.0, 3), "negative capacity"),
        (CapacityChange("line_1", DELTA, START, float("nan"), 3), "capex"),
    ],
)
def test_a_bad_capacity_change_is_a_decision_error(config, requested, message):
    with pytest.raises(DecisionError, match=message):
        run(config, (APPROVED, requested))


def test_a_reduction_cannot_take_a_line_below_zero_once_pending_changes_are_in(config):
    # 100 − 60 and then − 60 more: the second is refused even though neither is in service.
    with pytest.raises(DecisionError, match="negative capacity"):
        run(
            config,
            (1, CapacityChange("line_1", -60.0, START, 0.0)),
            (APPROVED, CapacityChange("line_1", -60.0, START + 1, 0.0)),
        )


def test_the_ramp_of_a_capacity_option_is_read_from_the_config_and_bounded(configs_dir):
    from agents.config import load_config
    from sim.config import ConfigError

    baseline = configs_dir / "baseline.yaml"
    assert load_config(baseline).capacity_options[0].ramp_days == 30
    with pytest.raises(ConfigError) as caught:
        load_config(baseline, ["capacity_options.0.ramp_days=-3"])
    [problem] = caught.value.problems
    assert problem.path == "capacity_options.0.ramp_days"
    assert problem.location.file == "--set capacity_options.0.ramp_days=-3"
    assert problem.message.startswith("Input should be greater than or equal to 0")
