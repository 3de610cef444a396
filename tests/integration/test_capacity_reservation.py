"""A supplier's capacity reservation: more units a week inside its window and not outside it,
a fee billed every reserved week whether anything is bought or not, and requests the offer
does not allow refused — worked out by hand on a two-supplier company.

``acme`` makes at most 100 ``part`` a week and offers to reserve up to 50 more a week, for
0.50 per reserved unit and week, with a week's notice and for at least two weeks; it hands
over an order the day it is placed (then a day by truck) and is paid 10 days after it bills.
``bolt`` sells ``screw`` without a weekly limit. Nothing is sold or made: what is bought, when
it leaves the supplier and what it costs is all there is to see.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import ledger as rec
from sim.config import ConfigError, WorldConfig, validate_model, world_references
from sim.ledger import EXPENSES, INCOME, Account
from sim.messages import DecisionError, PurchaseOrder, ReserveCapacity
from sim.metrics import company_kpis
from sim.rng import Streams
from sim.source import parse_yaml
from sim.world import CompanyOutcome, ReservationOffer, World

TWO_SUPPLIERS = """\
name: two_suppliers
horizon_days: 70
strict_audit: true
products:
  widget:
    price: 20.0
    bom: {part: 1, screw: 1}
    demand: {base_per_day: 0}
components:
  part: {standard_cost: 5.0}
  screw: {standard_cost: 1.0}
suppliers:
  acme:
    components:
      part:
        price: 5.0
        capacity_per_week: 100
        reservation: {extra_per_week: 50, fee_per_unit_per_week: 0.5, lead_days: 7, min_weeks: 2}
      screw: {price: 1.0, capacity_per_week: 100}
    lead_time_days: {distribution: constant, value: 0}
    modes: [truck]
    payment_terms_days: 10
  bolt:
    components:
      screw: {price: 1.0}
    modes: [truck]
transport_modes:
  truck: {lead_time_days: {distribution: constant, value: 1}, cost_per_unit: 0.0}
plant:
  lines:
    line_1: {products: [widget], capacity_per_day: 100}
finance:
  opening_cash: 100000.0
"""

WEEKS = 10
FEE = 50 * 0.5  # a week of the full reservation


def config(text: str = TWO_SUPPLIERS) -> WorldConfig:
    return validate_model(WorldConfig, parse_yaml(text, "two_suppliers.yaml"), [world_references])


def run(*decisions: tuple[int, object], seen: list | None = None) -> CompanyOutcome:
    """Run the company with ``decisions`` made on their days (in the order given)."""

    def decide(obs):
        if seen is not None:
            seen.append(obs)
        return [decision for day, decision in decisions if day == obs.day]

    return World(config(), Streams(1), decide).run()


def dispatched_per_week(outcome: CompanyOutcome) -> np.ndarray:
    weeks = np.zeros(WEEKS)
    for f in outcome.ledger.of_type(rec.ShipmentDispatched):
        weeks[f.day // 7] += f.quantity
    return weeks


def per_day(outcome: CompanyOutcome, account: Account) -> np.ndarray:
    return np.diff(outcome.daily["balances"][:, int(account)], prepend=0.0)


RESERVE = ReserveCapacity("acme", "part", 50.0, start_day=14, weeks=2)
BUY = PurchaseOrder("part", 1000.0, "acme", "truck")


def test_a_reservation_lets_the_supplier_ship_more_in_its_window_and_only_there():
    without = run((0, BUY))
    np.testing.assert_array_equal(dispatched_per_week(without), [100.0] * WEEKS)
    reserved = run((0, RESERVE), (0, BUY))
    # Weeks 2 and 3 (days 14-27) make 150; the 1,000 are done in week 8 instead of week 9.
    expected = [100.0, 100.0, 150.0, 150.0, 100.0, 100.0, 100.0, 100.0, 100.0, 0.0]
    np.testing.assert_array_equal(dispatched_per_week(reserved), expected)
    # A window after the run's weeks of need changes nothing before it.
    later = run((0, ReserveCapacity("acme", "part", 50.0, start_day=56, weeks=2)), (0, BUY))
    np.testing.assert_array_equal(dispatched_per_week(later), [100.0] * 8 + [150.0, 50.0])


def test_the_fee_is_billed_every_reserved_week_whether_anything_is_bought_or_not():
    for decisions in ([(0, RESERVE)], [(0, RESERVE), (0, BUY)]):
        outcome = run(*decisions)  # strict audit: the books balance at every close
        fees = per_day(outcome, Account.CAPACITY_RESERVATION)
        billed = np.zeros(70)
        billed[[14, 21]] = FEE  # on the first day of each week of the window
        np.testing.assert_allclose(fees, billed)
        assert company_kpis(outcome)["capacity_reservation_cost"] == pytest.approx(2 * FEE)
    # Nothing bought: the only cash out is the fee, paid on acme's 10-day terms.
    idle = run((0, RESERVE))
    cash_out = -per_day(idle, Account.CASH)
    cash_out[0] = 0.0  # the opening cash
    paid = np.zeros(70)
    paid[[24, 31]] = FEE
    np.testing.assert_allclose(cash_out, paid)
    assert idle.ledger.books.equation_gap() == pytest.approx(0.0, abs=1e-9)


def test_operating_profit_counts_every_expense_but_interest():
    outcome = run((0, RESERVE), (0, BUY))
    k = company_kpis(outcome)
    books = outcome.ledger.books
    income = sum(books.balance(a) for a in INCOME)
    costs = sum(books.balance(a) for a in EXPENSES if a is not Account.INTEREST)
    assert k["operating_profit"] == pytest.approx(income - costs)
    assert k["capacity_reservation_cost"] == pytest.approx(2 * FEE)
    assert k["operating_profit"] < 0  # here nothing is sold


def test_weeks_after_the_run_are_not_billed_in_it():
    outcome = run((0, ReserveCapacity("acme", "part", 20.0, start_day=63, weeks=4)))
    fees = per_day(outcome, Account.CAPACITY_RESERVATION)
    assert fees.sum() == pytest.approx(20 * 0.5)  # only the week from day 63
    assert fees[63] == pytest.approx(10.0)


def test_the_offers_and_the_reservations_in_force_are_visible():
    seen: list = []
    run((3, ReserveCapacity("acme", "part", 30.0, start_day=14, weeks=2)), seen=seen)
    top = seen[0].topology
    assert top.reservation_offers == (ReservationOffer("acme", "part", 50.0, 0.5, 7, 2),)
    np.testing.assert_array_equal(
        top.supplier_capacity_per_week, [[100.0, 100.0], [np.nan, np.inf]]
    )
    days_in_force = [obs.day for obs in seen if obs.reservations]
    # Made on day 3 (seen from day 4 on), over once its window ends with day 27.
    assert days_in_force == list(range(4, 28))
    [held] = seen[10].reservations
    assert held == rec.CapacityReserved(3, 0, 0, 30.0, 14, 2, 15.0)
    assert held.end_day == 28


def test_two_reservations_may_share_a_week_up_to_the_offer():
    outcome = run(
        (0, ReserveCapacity("acme", "part", 30.0, start_day=14, weeks=2)),
        (0, ReserveCapacity("acme", "part", 20.0, start_day=21, weeks=2)),
        (0, BUY),
    )
    expected = [100.0, 100.0, 130.0, 150.0, 120.0, 100.0, 100.0, 100.0, 100.0, 0.0]
    np.testing.assert_array_equal(dispatched_per_week(outcome), expected)


@st.composite
def requests(draw) -> list[tuple[int, object]]:
    """Purchase orders and reservations the offer allows, on random days (at most three
    reservations of at most a third of the offer each, so that they never exceed it)."""
    decisions: list[tuple[int, object]] = []
    for _ in range(draw(st.integers(0, 3))):
        day = draw(st.integers(0, 60))
        earliest_week = -(-(day + 7) // 7)
        start = 7 * draw(st.integers(earliest_week, earliest_week + 4))
        extra = draw(st.floats(0.5, 50 / 3))
        decisions.append(
            (day, ReserveCapacity("acme", "part", extra, start, draw(st.integers(2, 6))))
        )
    for _ in range(draw(st.integers(1, 4))):
        quantity = float(draw(st.integers(1, 600)))
        decisions.append(
            (draw(st.integers(0, 60)), PurchaseOrder("part", quantity, "acme", "truck"))
        )
    return sorted(decisions, key=lambda d: d[0])


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(requests())
def test_reservations_only_ever_add_capacity_and_bill_what_they_reserve(decisions):
    # Strict audit: units and money balance at every close.
    outcome = run(*decisions)
    reserved = np.zeros(WEEKS)
    fees = 0.0
    for f in outcome.ledger.of_type(rec.CapacityReserved):
        weeks = [w for w in range(f.start_day // 7, f.end_day // 7) if w < WEEKS]
        reserved[weeks] += f.extra_per_week
        fees += f.fee_per_week * len(weeks)
    # The supplier never makes more in a week than its capacity and what is reserved in it.
    assert (dispatched_per_week(outcome) <= 100.0 + reserved + 1e-9).all()
    assert company_kpis(outcome)["capacity_reservation_cost"] == pytest.approx(fees)
    # And the same orders without the reservations leave the supplier no sooner, day by day.
    bare = run(*[(day, d) for day, d in decisions if isinstance(d, PurchaseOrder)])

    def shipped_by_day(o: CompanyOutcome) -> np.ndarray:
        days = np.zeros(70)
        for f in o.ledger.of_type(rec.ShipmentDispatched):
            days[f.day] += f.quantity
        return np.cumsum(days)

    assert (shipped_by_day(outcome) >= shipped_by_day(bare) - 1e-9).all()


@pytest.mark.parametrize(
    ("decisions", "message"),
    [
        ([(0, ReserveCapacity("nobody", "part", 10.0, 14, 2))], "unknown supplier 'nobody'"),
        ([(0, ReserveCapacity("acme", "gear", 10.0, 14, 2))], "unknown component 'gear'"),
        ([(0, ReserveCapacity("bolt", "part", 10.0, 14, 2))], "'bolt' does not sell 'part'"),
        (
            [(0, ReserveCapacity("acme", "screw", 10.0, 14, 2))],
            "'acme' offers no capacity reservation of 'screw'",
        ),
        ([(0, ReserveCapacity("acme", "part", 60.0, 14, 2))], "more than offered"),
        (
            [
                (0, ReserveCapacity("acme", "part", 30.0, 14, 2)),
                (1, ReserveCapacity("acme", "part", 30.0, 21, 2)),
            ],
            "30 is already reserved in the week from day 21",
        ),
        (
            [(3, ReserveCapacity("acme", "part", 10.0, 7, 2))],
            "needs 7 days' notice .* the earliest start is day 14",
        ),
        ([(0, ReserveCapacity("acme", "part", 10.0, 15, 2))], "first day of a week"),
        ([(0, ReserveCapacity("acme", "part", 10.0, 14, 1))], "at least 2 weeks, not 1"),
        ([(0, ReserveCapacity("acme", "part", 0.0, 14, 2))], "finite and > 0"),
        ([(0, ReserveCapacity("acme", "part", float("nan"), 14, 2))], "finite and > 0"),
        ([(0, ReserveCapacity("acme", "part", 10.0, 14, 2.5))], "whole number"),  # type: ignore[arg-type]
    ],
)
def test_a_request_the_offer_does_not_allow_is_a_decision_error(decisions, message):
    with pytest.raises(DecisionError, match=message):
        run(*decisions)


# ------------------------------------------------------------------ the config gate


def test_a_reservation_needs_a_weekly_capacity_to_add_to():
    text = TWO_SUPPLIERS.replace(
        "      screw: {price: 1.0}\n",
        "      screw:\n        price: 1.0\n"
        "        reservation: {extra_per_week: 10, fee_per_unit_per_week: 0.1}\n",
    )
    with pytest.raises(ConfigError) as caught:
        config(text)
    [problem] = caught.value.problems
    assert problem.path == "suppliers.bolt.components.screw.reservation"
    line = text[: text.index("reservation: {extra_per_week: 10")].count("\n") + 1
    assert (problem.location.file, problem.location.line) == ("two_suppliers.yaml", line)
    assert problem.message.startswith("a reservation adds to the supplier's weekly capacity")
    assert "set capacity_per_week" in problem.message


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("min_weeks", "0", "greater than or equal to 1"),
        ("extra_per_week", "0", "greater than or equal to 0.000001"),
        ("fee_per_unit_per_week", "-1", "greater than or equal to 0"),
        ("lead_days", "1.5", "valid integer"),
        ("extra_per_week", ".inf", "finite number"),
    ],
)
def test_a_reservation_offer_out_of_bounds_is_located(configs_dir, key, value, message):
    from agents.config import load_config

    path = f"suppliers.asia_motors.components.motor.reservation.{key}"
    with pytest.raises(ConfigError) as caught:
        load_config(configs_dir / "baseline.yaml", [f"{path}={value}"])
    [problem] = caught.value.problems
    assert problem.path == path
    assert problem.location.file == f"--set {path}={value}"
    assert message in problem.message


def test_the_baseline_offers_a_reservation_of_motors_and_does_not_take_it(configs_dir):
    from agents.config import load_config

    baseline = load_config(configs_dir / "baseline.yaml")
    offer = baseline.suppliers["asia_motors"].components["motor"].reservation
    assert offer is not None and offer.extra_per_week == 800
    topology = World(baseline, Streams(1), lambda _: [], horizon_days=1).topology
    assert [(o.supplier, o.component) for o in topology.reservation_offers] == [
        ("asia_motors", "motor")
    ]
