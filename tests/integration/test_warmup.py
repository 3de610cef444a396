"""A warm-up leaves the opening transient out of every KPI: a worked case.

Two companies differ only in their opening stock of finished goods: ``lean`` opens at its
base-stock level, ``stocked`` with 2,000 units more. Production and purchasing follow base-stock
policies reviewed daily, lead times are constant and the line never binds, so ``stocked`` makes
nothing until its excess has been sold (about 2,000 / 10 = 200 days); from then on it orders
each day's demand exactly as ``lean`` does. Once the goods, the parts and the money in flight
have caught up (a production lead time, a purchase lead time and the payment terms later), the
two companies are in the same state on the same demand and stay so: what is left between them
is the cash the excess brought in.

So, with a warm-up past that day, every KPI of the two runs must agree but the closing cash
(which carries the whole run by definition); without it, the opening stock shows in the
inventory, the holding cost and the profit, by the amount worked out below. A KPI that ignored
the warm-up would keep the transient and fail the first test.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from agents.config import load_config, validate
from experiments.run import simulate
from sim import ledger as rec
from sim.calendar import month_start
from sim.ledger import DEBIT_NORMAL, EXPENSES, INCOME, INVENTORY, Account, Books, Ledger
from sim.metrics import COMPANY_KPIS, KPI_WINDOWS, WINDOWS, chain_kpis, kpis, warmup_periods
from sim.source import SourceError, parse_yaml

DAYS, WARMUP = 600, 300
EXCESS, DEMAND, STANDARD_COST = 2000, 10.0, 12.0
LEVEL = 12  # the widget's base-stock level, and the lean company's opening stock

COMPANY = f"""\
name: warm_up
horizon_days: {DAYS}
markets:
  all: {{share: 1.0, patience_days: 7, payment_terms_days: 5}}
products:
  widget:
    price: 20.0
    conversion_cost_per_unit: 2.0
    bom: {{part: 2}}
    initial_on_hand: {LEVEL}
    demand:
      base_per_day: {DEMAND}
      noise: {{distribution: poisson}}
components:
  part: {{standard_cost: 5.0, initial_on_hand: 200}}
suppliers:
  acme:
    components:
      part: {{price: 5.5}}
    lead_time_days: {{distribution: constant, value: 2}}
    modes: [truck]
    payment_terms_days: 10
transport_modes:
  truck: {{lead_time_days: {{distribution: constant, value: 1}}, cost_per_unit: 0.25}}
plant:
  production_lead_time_days: 1
  lines:
    line_1: {{products: [widget], capacity_per_day: 100}}
finance:
  opening_cash: 100000.0
  fixed_assets: 3650.0
  overhead_per_year: 3650.0
  overdraft_interest_rate_per_year: 0.0
policies:
  production:
    default: {{policy: base_stock, level: {LEVEL}}}
  purchasing:
    default: {{policy: base_stock, level: 200}}
    mode: truck
"""


def company(opening: float, warmup: int = 0, **extra):
    data = parse_yaml(COMPANY, "warm_up.yaml")
    data.data["products"]["widget"]["initial_on_hand"] = opening
    data.data["warmup_days"] = warmup
    data.data.update(extra)
    return validate(data)


@pytest.fixture(scope="module")
def runs():
    """(lean, stocked) without a warm-up and with one, on the same seed."""
    return {
        warmup: tuple(simulate(company(o, warmup), seed=3) for o in (LEVEL, LEVEL + EXCESS))
        for warmup in (0, WARMUP)
    }


def agree(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def test_the_two_companies_meet_before_the_warm_up_ends(runs):
    lean, stocked = (r.outcome for r in runs[0])
    on_hand = [o.daily["finished_on_hand"][:, 0] for o in (lean, stocked)]
    met = int(np.flatnonzero(np.abs(on_hand[1] - on_hand[0]) > 1e-9).max()) + 1
    # The excess sells at the rate of demand: about EXCESS / DEMAND days.
    assert 0.8 * EXCESS / DEMAND < met < 1.2 * EXCESS / DEMAND
    assert met + 30 < WARMUP  # lead times and payment terms fit in what is left
    for key in ("backlog", "component_on_hand", "component_in_transit", "production_in_process"):
        a, b = lean.daily[key][WARMUP:], stocked.daily[key][WARMUP:]
        assert np.allclose(a, b, rtol=0, atol=1e-9), key


def test_after_the_warm_up_every_kpi_but_the_closing_cash_agrees(runs):
    lean, stocked = runs[WARMUP]
    differ = {
        name: (lean.kpis[name], stocked.kpis[name])
        for name in COMPANY_KPIS
        if not agree(lean.kpis[name], stocked.kpis[name])
    }
    assert set(differ) == {"ending_cash"}, differ
    # The excess was sold for cash during the warm-up: that is the one difference left.
    assert stocked.kpis["ending_cash"] > lean.kpis["ending_cash"] + 0.5 * EXCESS * 20.0


def test_without_a_warm_up_the_opening_stock_shows_by_the_amount_worked_out(runs):
    lean, stocked = runs[0]
    differ = {name for name in COMPANY_KPIS if not agree(lean.kpis[name], stocked.kpis[name])}
    assert {"avg_inventory_value", "holding_cost", "operating_profit", "dio_days"} <= differ
    # The excess drains from EXCESS units to none at DEMAND a day: on average over the run it
    # adds STANDARD_COST · EXCESS · (EXCESS / DEMAND) / 2 / DAYS = 4,000 of inventory value
    # (the parts and goods in process, which the stocked company holds less of while it makes
    # nothing, take a little off).
    worked = STANDARD_COST * EXCESS * (EXCESS / DEMAND) / 2 / DAYS
    extra = stocked.kpis["avg_inventory_value"] - lean.kpis["avg_inventory_value"]
    assert extra == pytest.approx(worked, rel=0.02)
    # With the warm-up it is gone, and what is measured is the lean company's steady state.
    warm_lean, warm_stocked = runs[WARMUP]
    assert warm_stocked.kpis["avg_inventory_value"] == pytest.approx(
        warm_lean.kpis["avg_inventory_value"], rel=1e-9
    )


def test_each_kind_of_kpi_counts_what_follows_the_warm_up(runs):
    run = runs[WARMUP][1]
    o = run.outcome
    k = run.kpis
    facts = o.ledger.facts
    # Orders placed after the warm-up, and what of them shipped on their day.
    demanded = o.demand[WARMUP:].sum()
    on_time = sum(
        f.quantity
        for f in facts
        if isinstance(f, rec.OrderShipped) and f.order_day >= WARMUP and f.day == f.order_day
    )
    assert k["fill_rate"] == pytest.approx(on_time / demanded, rel=1e-12)
    lost = sum(f.quantity for f in facts if isinstance(f, rec.SaleLost) and f.day >= WARMUP)
    assert k["lost_sales_units"] == pytest.approx(lost, abs=1e-9)
    # Amounts booked after the warm-up.
    revenue, cogs = booked(o, Account.REVENUE), booked(o, Account.COGS)
    assert revenue > 0 and cogs > 0
    assert k["revenue"] == pytest.approx(revenue, rel=1e-12)
    assert k["cogs"] == pytest.approx(cogs, rel=1e-12)
    assert k["overhead_cost"] == pytest.approx(booked(o, Account.OVERHEAD), rel=1e-12)
    assert k["overhead_cost"] == pytest.approx(3650.0 * (DAYS - WARMUP) / 365, rel=1e-12)
    # Days closed after the warm-up, and rates per day or year over those days.
    days, years = DAYS - WARMUP, (DAYS - WARMUP) / 365
    value = o.daily["balances"][WARMUP:, list(INVENTORY)].sum(axis=1)
    assert k["avg_inventory_value"] == pytest.approx(value.mean(), rel=1e-12)
    assert k["inventory_turns"] == pytest.approx(cogs / years / value.mean(), rel=1e-12)
    assert k["dio_days"] == pytest.approx(value.mean() / (cogs / days), rel=1e-12)
    receivables = o.daily["balances"][WARMUP:, Account.RECEIVABLES].mean()
    assert k["dso_days"] == pytest.approx(receivables / (revenue / days), rel=1e-12)
    bought = sum(
        e.amount for e in o.ledger.books.journal if e.day >= WARMUP and e.credit == Account.PAYABLES
    )
    payables = o.daily["balances"][WARMUP:, Account.PAYABLES].mean()
    assert k["dpo_days"] == pytest.approx(payables / (bought / days), rel=1e-12)
    employed = (
        value
        + o.daily["balances"][WARMUP:, Account.RECEIVABLES]
        - o.daily["balances"][WARMUP:, Account.PAYABLES]
        + o.daily["balances"][WARMUP:, Account.FIXED_ASSETS]
    ).mean()
    assert k["roi"] == pytest.approx(k["operating_profit"] / years / employed, rel=1e-12)
    # The close of the last day, whatever the warm-up.
    assert k["ending_cash"] == runs[0][1].kpis["ending_cash"]


def booked(outcome, account: Account) -> float:
    """What the journal booked to ``account`` on the days after the warm-up, in its natural
    sign."""
    debits = sum(
        e.amount for e in outcome.ledger.books.journal if e.day >= WARMUP and e.debit == account
    )
    credits = sum(
        e.amount for e in outcome.ledger.books.journal if e.day >= WARMUP and e.credit == account
    )
    return debits - credits if account in DEBIT_NORMAL else credits - debits


def test_every_kpi_says_what_it_counts_after_a_warm_up():
    assert set(KPI_WINDOWS) == set(COMPANY_KPIS)
    assert set(KPI_WINDOWS.values()) <= set(WINDOWS)
    from sim.metrics import kpi_reference

    reference = kpi_reference()
    assert "after a warm-up, counts" in reference
    for name in COMPANY_KPIS:
        row = next(line for line in reference.splitlines() if line.startswith(f"| `{name}` |"))
        assert row.rstrip(" |").endswith(WINDOWS[KPI_WINDOWS[name]])


# ------------------------------------------------------------------ the functions' KPIs

BASELINE = Path(__file__).resolve().parents[2] / "configs" / "baseline.yaml"


def forgotten(outcome, warmup: int):
    """``outcome`` with everything before day ``warmup`` made unreadable: the facts and journal
    entries dropped, the demand and daily records NaN, except the books' balances at the
    warm-up's last close, where income and expense accounts now stand at zero. IBP's reviews
    of a warm-up month stay in the decision log: what they score is left out by its month."""
    books = Books()
    books.__dict__.update(outcome.ledger.books.__dict__)
    books.journal = [e for e in outcome.ledger.books.journal if e.day >= warmup]
    # Income and expense accounts forget what the warm-up booked: their totals and their
    # daily balances from the warm-up's last close on start from there.
    opening = outcome.daily["balances"][warmup - 1]
    books._raw = list(books._raw)
    for account in (*INCOME, *EXPENSES):
        sign = 1.0 if account in DEBIT_NORMAL else -1.0
        books._raw[account] -= sign * opening[account]
    ledger = Ledger()
    ledger.facts = [f for f in outcome.ledger.facts if f.day >= warmup]
    ledger.books = books
    daily = {}
    for key, records in outcome.daily.items():
        records = np.array(records, dtype=float)
        if key == "balances":
            flows = list(map(int, (*INCOME, *EXPENSES)))
            records[warmup - 1 :, flows] -= opening[flows]
        records[: warmup - 1 if key == "balances" else warmup] = np.nan
        daily[key] = records
    demand, consumption = outcome.demand.astype(float), outcome.consumption.astype(float)
    demand[:warmup] = consumption[:warmup] = np.nan
    return dataclasses.replace(
        outcome, ledger=ledger, daily=daily, demand=demand, consumption=consumption
    )


@pytest.mark.parametrize("protocol", ["sop", "ibp"])
def test_no_kpi_reads_anything_of_the_warm_up(protocol):
    # The functions plan, forecast, review orders and meet: every planning KPI has something
    # to count. If any KPI read a fact, an entry or a day of the warm-up, it would change (or
    # turn NaN) once they are gone.
    config = load_config(BASELINE, {"horizon_days": 365, "warmup_days": 120})
    run = simulate(config, protocol=protocol)
    nan = {name for name, value in run.kpis.items() if math.isnan(value)}
    # Only IBP projects the month ahead.
    projections = {"projection_error_revenue", "projection_error_operating_profit"}
    assert nan == (projections if protocol == "sop" else set())
    if protocol == "ibp":
        # A meeting reviews the month before it: the first one after the warm-up scores a
        # warm-up month, which the projection errors leave out.
        reviews = [
            (f.day, f.entry["ibp"]["plan_vs_actual"])
            for f in run.outcome.ledger.facts
            if isinstance(f, rec.DecisionRecorded)
            and "actual" in f.entry.get("ibp", {}).get("plan_vs_actual", {})
        ]
        held = [r for day, r in reviews if day >= 120]
        kept = [r for r in held if month_start(r["month"]) >= 120]
        assert 0 < len(kept) < len(held)
        errors = [abs(r["projected"]["revenue"] / r["actual"]["revenue"] - 1) for r in kept]
        assert run.kpis["projection_error_revenue"] == pytest.approx(np.mean(errors), rel=1e-9)
    again = kpis(forgotten(run.outcome, 120))
    moved = {n: (run.kpis[n], again[n]) for n in run.kpis if not agree(run.kpis[n], again[n])}
    assert not moved
    # And the warm-up mattered to the run's figures: without it they are other numbers.
    whole = kpis(
        dataclasses.replace(run.outcome, config=config.model_copy(update={"warmup_days": 0}))
    )
    assert sum(not agree(whole[n], run.kpis[n]) for n in run.kpis) >= 30


# ------------------------------------------------------------------ a serial chain

CHAIN = """\
kind: serial_chain
horizon_days: 400
period_days: 7
demand: {base_per_period: 70, noise: {distribution: poisson}, whole_units: true}
stages:
  shop:
    lead_time_periods: 2
    initial_on_hand: 210
    holding_cost_per_unit_per_period: 1.0
    backorder_cost_per_unit_per_period: 9.0
    policy: {policy: base_stock, level: 240}
"""


def chain(opening: float, warmup: int):
    data = parse_yaml(CHAIN, "chain.yaml")
    data.data["stages"]["shop"]["initial_on_hand"] = opening
    data.data["warmup_days"] = warmup
    return validate(data)


def test_a_chain_leaves_out_every_period_that_starts_in_its_warm_up():
    # 100 days of 7-day periods: periods 0..14 start in the warm-up (period 14 on day 98).
    run = simulate(chain(210, 100), seed=5)
    assert warmup_periods(run.outcome) == 15
    assert run.kpis == chain_kpis(run.outcome, warmup_periods=15)
    assert run.kpis == kpis(run.outcome)
    assert run.kpis["holding_cost"] == pytest.approx(run.outcome.on_hand[15:, 0].sum())
    # A chain opening with 2,000 units more meets the lean one in about 2,000 / 70 periods.
    lean, stocked = (simulate(chain(o, 7 * 40), seed=5) for o in (210, 2210))
    assert {n for n in lean.kpis if not agree(lean.kpis[n], stocked.kpis[n])} == set()
    lean0, stocked0 = (simulate(chain(o, 0), seed=5) for o in (210, 2210))
    assert stocked0.kpis["holding_cost"] > lean0.kpis["holding_cost"] + 2000


# ------------------------------------------------------------------ bad input


def test_a_warm_up_as_long_as_the_run_is_refused_where_it_is_written():
    with pytest.raises(SourceError) as error:
        validate(parse_yaml(COMPANY + "warmup_days: 600\n", "warm_up.yaml"))
    (problem,) = error.value.problems
    assert str(problem).startswith("warm_up.yaml:")
    assert "warmup_days: a warm-up of 600 days leaves nothing of the 600-day run" in str(problem)
    with pytest.raises(ValueError, match="leaves nothing of a 200-day run"):
        simulate(company(LEVEL, 300), days=200)


def test_a_report_puts_a_year_of_the_days_measured():
    from experiments.report import executive_summary

    # $275k over the 275 days after a 90-day warm-up of a 365-day run is $365k a year.
    diff = {"sop": {"mean": 275_000.0, "ci": [175_000.0, 375_000.0]}}
    summary = {
        "protocols": ["silo", "sop"],
        "reps": 5,
        "kpis": {
            "operating_profit": {"diff": diff},
            "fill_rate": {"diff": {"sop": {"mean": 0.01, "ci": [0.0, 0.02]}}},
        },
    }
    profit, service = executive_summary(summary, 365, 90)
    assert profit.startswith("sop adds $365k ± $133k of operating profit a year")
    assert service.endswith("over the 275 days after a 90-day warm-up.")
    assert executive_summary(summary, 365)[0].startswith("sop adds $275k ± $100k")


def test_the_reports_pictures_average_the_weeks_measured():
    from experiments.figures.over_time import money_figure, operations_figure
    from experiments.figures.series import WeeklySeries

    def series(fill_in_warmup: float, first_week: int) -> WeeklySeries:
        weeks = np.arange(20)
        fill = np.where(weeks < 5, fill_in_warmup, 0.95)
        flat = np.full(20, 1000.0)
        return WeeklySeries(flat, fill, flat, flat / 1000, flat, flat, first_week=first_week)

    # Two protocols that differ only in the first five weeks, the warm-up.
    for first, headline in ((5, "+0.0 points"), (0, "+19.0 points")):
        runs = {"silo": [series(0.0, first)], "sop": [series(0.76, first)]}
        title = operations_figure(runs)._suptitle.get_text()
        assert f"sop serves {headline} of fill rate on average" in title
    shaded = operations_figure({"silo": [series(0.0, 5)], "sop": [series(0.76, 5)]})
    assert any(p.get_label() == "warm-up, not measured" for p in shaded.axes[0].patches)

    def money(working_capital_in_warmup: float, first_week: int) -> WeeklySeries:
        flat = np.full(20, 1000.0)
        working = np.where(np.arange(20) < 5, working_capital_in_warmup, 1000.0)
        return WeeklySeries(
            flat, flat / 1000, flat, flat / 1000, flat, working, first_week=first_week
        )

    for first, zero in ((5, True), (0, False)):
        runs = {"silo": [money(5000.0, first)], "sop": [money(1000.0, first)]}
        title = money_figure(runs)._suptitle.get_text()
        assert ("ties up \\$0 less working capital" in title) is zero, title
