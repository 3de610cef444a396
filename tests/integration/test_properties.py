"""Property: every valid config runs cleanly — drawn at random across the valid ranges.

Hypothesis draws configs the gate accepts: the reference company with its numbers drawn
anywhere in their valid ranges (the bounds themselves, zero, tiny and huge values included),
every protocol and allocation rule, scenarios of every kind, short horizons; and serial
chains of one to four stages with every policy, returns allowed or not. Each runs under strict
audit (the world raises on the first day units or money stop balancing) and must:

- raise nothing;
- never hold negative stock, backlog, pipeline or shipments;
- keep its books balanced;
- give every KPI as a finite number, or NaN where the KPI's definition says when it is NaN;
- give identical results for the same seed.

The default budget keeps the test run short; ``pytest -m slow`` runs the long variant.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agents.config import PROTOCOL_NAMES, ChainConfig, CompanyConfig, load_config, validate
from experiments.run import simulate
from sim.config import ConfigError
from sim.metrics import COMPANY_KPIS, chain_kpis
from sim.schema import MAX_MONEY, MAX_UNITS, MIN_CV, MIN_PRICE, MIN_UNITS
from sim.source import Located

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


QUICK = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,  # the default run checks the same configs every time
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)
LONG = settings(QUICK, max_examples=2000, derandomize=False)


def number(low: float, high: float, *, above: bool = False) -> st.SearchStrategy[float]:
    """Floats in [low, high] (``above``: (low, high]), the edges and round values weighted."""
    smallest = math.nextafter(low, math.inf) if above else low
    edges = [x for x in (smallest, high, 1.0, 0.5, 10.0, 100.0) if smallest <= x <= high]
    return st.one_of(
        st.sampled_from(edges),
        st.floats(smallest, high, allow_nan=False, allow_infinity=False),
    )


def units(*, positive: bool = False, high: float = MAX_UNITS) -> st.SearchStrategy[float]:
    return number(MIN_UNITS if positive else 0.0, high)


def money(*, positive: bool = False) -> st.SearchStrategy[float]:
    return number(MIN_PRICE if positive else 0.0, MAX_MONEY)


def days(high: int = 400) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 1, high]), st.integers(0, high))


def delay() -> st.SearchStrategy[dict]:
    span = number(0.0, 60.0)
    return st.one_of(
        st.builds(lambda v: {"distribution": "constant", "value": v}, number(0.0, 36_500.0)),
        st.builds(lambda m, s: {"distribution": "normal", "mean": m, "sd": s}, span, span),
        st.builds(
            lambda a, b: {"distribution": "uniform", "low": min(a, b), "high": max(a, b)},
            span,
            span,
        ),
        st.builds(
            lambda m, s: {"distribution": "lognormal", "mean": m, "sd": s},
            number(0.001, 60.0),
            span,
        ),
        st.builds(
            lambda m, s: {"distribution": "gamma", "mean": m, "sd": s},
            number(0.001, 60.0),
            span,
        ),
    )


def noise() -> st.SearchStrategy[dict]:
    cv = number(MIN_CV, 10.0)
    return st.one_of(
        st.just({"distribution": "none"}),
        st.just({"distribution": "poisson"}),
        st.builds(
            lambda kind, c: {"distribution": kind, "cv": c},
            st.sampled_from(["normal", "gamma", "lognormal", "negative_binomial"]),
            cv,
        ),
    )


def policy(review: bool = True) -> st.SearchStrategy[dict]:
    level = number(-MAX_UNITS, MAX_UNITS)
    period = st.integers(1, 14) if review else st.just(1)
    forecaster = st.one_of(
        st.builds(
            lambda n: {"method": "moving_average", "periods": n},
            st.integers(1, 60),
        ),
        st.builds(
            lambda a: {"method": "exponential_smoothing", "alpha": a},
            number(0.0, 1.0, above=True),
        ),
        st.just({"method": "naive"}),
    )
    return st.one_of(
        st.builds(
            lambda f, z, r, lead: {
                "policy": "order_up_to",
                "forecaster": f,
                "safety_factor": z,
                "review_period": r,
                **({} if lead is None else {"lead_time": lead}),
            },
            forecaster,
            number(-10.0, 10.0),
            period,
            st.none() | number(0.0, 60.0),
        ),
        st.builds(
            lambda s, r: {"policy": "base_stock", "level": s, "review_period": r}, level, period
        ),
        st.builds(
            lambda a, b, r: {
                "policy": "s_S",
                "reorder_point": min(a, b),
                "order_up_to": max(a, b),
                "review_period": r,
            },
            level,
            level,
            period,
        ),
        st.builds(
            lambda s, q, r: {
                "policy": "r_Q",
                "reorder_point": s,
                "quantity": q,
                "review_period": r,
            },
            level,
            units(positive=True),
            period,
        ),
        st.builds(
            lambda q, r: {"policy": "fixed_plan", "quantity": q, "review_period": r},
            units(),
            period,
        ),
    )


# ------------------------------------------------------------------------------ company

PRODUCTS = ("compact", "classic", "pro")
COMPONENTS = ("motor", "housing_small", "housing_large", "control_board", "blade_set")
SUPPLIERS = ("asia_motors", "euro_motors", "parts_direct")
MODES = ("ocean", "air", "truck")


LINES = ("line_1", "line_2")


@st.composite
def scenario(draw: st.DrawFn, horizon: int, i: int = 0) -> dict[str, Any]:
    """A scenario of any kind (sim.scenarios), on the reference company's names, starting in
    the run; every parameter drawn across its valid range."""
    start = draw(st.integers(0, max(0, horizon - 1)))
    window: dict[str, Any] = {"start_day": start}
    if draw(st.booleans()):
        window["end_day"] = start + draw(st.integers(1, 80))
    kind = draw(
        st.sampled_from(
            [
                "demand_surge",
                "market_decline",
                "demand_shift",
                "promotion",
                "supplier_failure",
                "supplier_capacity",
                "supplier_lead_time_shock",
                "lane_disruption",
                "cost_inflation",
                "new_line",
                "line_breakdown",
                "line_capacity",
            ]
        )
    )
    products = st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=3, unique=True)
    fraction = number(0.0, 0.999)
    item: dict[str, Any] = {"kind": kind, **window}
    match kind:
        case "demand_surge":
            item |= {"pct": draw(number(-100.0, 1000.0)), "ramp_weeks": draw(st.integers(0, 8))}
            if draw(st.booleans()):
                item["products"] = draw(products)
        case "market_decline":
            item |= {"pct_per_year": draw(number(0.01, 99.9))}
        case "demand_shift":
            a, b = draw(st.permutations(PRODUCTS))[:2]
            item |= {"away_from": a, "toward": b, "pct": draw(number(0.01, 100.0))}
        case "promotion":
            item |= {
                "product": draw(st.sampled_from(PRODUCTS)),
                "price_discount": draw(fraction),
                "cost": draw(money()),
            }
        case "supplier_failure":
            item |= {
                "supplier": draw(st.sampled_from(SUPPLIERS)),
                "capacity_fraction": draw(fraction),
                "in_flight": draw(st.sampled_from(["stuck", "lost"])),
            }
        case "supplier_capacity":
            item["supplier"] = draw(st.sampled_from(SUPPLIERS))
            if draw(st.booleans()):
                item["pct"] = draw(number(-100.0, 1000.0))
            else:
                item["capacity_per_week"] = draw(units(high=1e9))
        case "supplier_lead_time_shock":
            item |= {
                "supplier": draw(st.sampled_from(SUPPLIERS)),
                "extra_days": draw(st.integers(1, 400)),
            }
        case "lane_disruption":
            item["mode"] = draw(st.sampled_from(MODES))
            if draw(st.booleans()):
                item["closed"] = True
            else:
                item["extra_days"] = draw(st.integers(1, 400))
        case "cost_inflation":
            item |= {
                "cost": draw(st.sampled_from(["component", "freight", "overtime"])),
                "pct": draw(number(-100.0, 1000.0)),
            }
        case "new_line":
            item.pop("end_day", None)
            item |= {
                "line": f"line_new{i}",
                "products": draw(products),
                "capacity_per_day": draw(units(positive=True, high=1e6)),
                "capex": draw(money()),
                "install_days": draw(st.integers(1, 60)),
                "ramp_days": draw(days(60)),
            }
        case "line_breakdown":
            item |= {"line": draw(st.sampled_from(LINES)), "capacity_fraction": draw(fraction)}
        case "line_capacity":
            item |= {"pct": draw(number(-99.0, 300.0))}
            if draw(st.booleans()):
                item["lines"] = draw(st.lists(st.sampled_from(LINES), min_size=1, unique=True))
    return item


@st.composite
def company_overrides(draw: st.DrawFn) -> dict[str, Any]:
    """Dotted-path overrides of the reference company, every value within its valid range."""
    o: dict[str, Any] = {
        "strict_audit": True,
        "horizon_days": draw(st.one_of(st.sampled_from([1, 2, 7, 35]), st.integers(1, 60))),
        "protocol": draw(st.sampled_from(PROTOCOL_NAMES)),
        "allocation": draw(st.sampled_from(["fifo", "priority", "fair_share"])),
        "information_delay_days": draw(st.integers(0, 90)),
    }
    for p in draw(st.sets(st.sampled_from(PRODUCTS))):
        base = f"products.{p}"
        o[f"{base}.price"] = draw(money(positive=True))
        o[f"{base}.conversion_cost_per_unit"] = draw(money())
        o[f"{base}.initial_on_hand"] = draw(units())
        o[f"{base}.demand.base_per_day"] = draw(units())
        o[f"{base}.demand.trend_per_year"] = draw(number(-1.0, 10.0, above=True))
        o[f"{base}.demand.whole_units"] = draw(st.booleans())
        o[f"{base}.demand.noise"] = draw(noise())
        if draw(st.booleans()):
            o[f"{base}.demand.promotions"] = [
                {
                    "start_day": draw(days(80)),
                    "duration_days": draw(st.integers(1, 30)),
                    "uplift": draw(number(-1.0, 100.0, above=True)),
                    "cost": draw(money()),
                }
            ]
        o[f"{base}.bom.motor"] = draw(units(positive=True, high=1e3))
    for c in draw(st.sets(st.sampled_from(COMPONENTS))):
        o[f"components.{c}.standard_cost"] = draw(money())
        o[f"components.{c}.initial_on_hand"] = draw(units())
    for s in draw(st.sets(st.sampled_from(SUPPLIERS))):
        o[f"suppliers.{s}.lead_time_days"] = draw(delay())
        o[f"suppliers.{s}.late_by_days"] = draw(delay())
        o[f"suppliers.{s}.reliability"] = draw(number(0.0, 1.0))
        o[f"suppliers.{s}.payment_terms_days"] = draw(days(36_500))
    if draw(st.booleans()):
        motor = "suppliers.asia_motors.components.motor"
        o[f"{motor}.capacity_per_week"] = capacity = draw(st.none() | number(1.0, MAX_UNITS))
        if capacity is None:
            o[f"{motor}.reservation"] = None  # nothing to reserve without a weekly limit
        else:
            o[f"{motor}.reservation.extra_per_week"] = draw(units(positive=True))
            o[f"{motor}.reservation.fee_per_unit_per_week"] = draw(money())
        o[f"{motor}.price"] = draw(money())
    for m in draw(st.sets(st.sampled_from(MODES))):
        o[f"transport_modes.{m}.lead_time_days"] = draw(delay())
        o[f"transport_modes.{m}.cost_per_unit"] = draw(money())
    for line in draw(st.sets(st.sampled_from(["line_1", "line_2"]))):
        o[f"plant.lines.{line}.capacity_per_day"] = draw(units())
        o[f"plant.lines.{line}.overtime_max_fraction"] = draw(number(0.0, 10.0))
        o[f"plant.lines.{line}.overtime_premium_per_unit"] = draw(money())
    o["plant.production_lead_time_days"] = draw(days(60))
    if draw(st.booleans()):
        o["finance.opening_cash"] = draw(number(-MAX_MONEY, MAX_MONEY))
        o["finance.fixed_assets"] = draw(money())
        o["finance.overhead_per_year"] = draw(money())
        o["finance.capital_charge_rate_per_year"] = draw(number(0.0, 10.0))
        o["finance.overdraft_interest_rate_per_year"] = draw(number(0.0, 10.0))
        o["finance.depreciation_years"] = draw(number(0.01, 1000.0))
    if draw(st.booleans()):
        share = draw(number(0.0, 1.0, above=True))
        if share < 1.0:
            o["markets.retail.share"] = share
            o["markets.online.share"] = 1.0 - share
        o["markets.retail.patience_days"] = draw(days(36_500))
        o["markets.online.priority"] = draw(st.integers(0, 1_000_000))
        o["markets.retail.lost_sale_penalty_per_unit"] = draw(money())
    horizon = o["horizon_days"]
    o["scenarios"] = [draw(scenario(horizon, i)) for i in range(draw(st.integers(0, 3)))]
    if o["protocol"] == "classic":
        o["policies.production.default"] = draw(policy())
        o["policies.purchasing.default"] = draw(policy())
        o["policies.purchasing.sourcing"] = draw(st.sampled_from(["cheapest", "fastest", "split"]))
        o["policies.purchasing.mode"] = draw(st.sampled_from(MODES))
    else:
        o["agents.adaptation"] = draw(st.booleans())
        o["agents.sales.optimism_bias"] = draw(number(-0.5, 2.0))
        o["agents.sales.incentive"] = draw(
            st.sampled_from(["revenue", "volume", "operating_profit"])
        )
        o["agents.sales.plan_adherence"] = draw(number(0.0, 1.0))
        o["agents.operations.incentive"] = draw(st.sampled_from(["unit_cost", "operating_profit"]))
        o["agents.operations.trust_in_official"] = draw(number(0.0, 1.0))
        o["agents.operations.lot_size"] = draw(st.just(0.0) | units(positive=True, high=1e6))
        o["agents.operations.frozen_weeks"] = draw(st.integers(0, 12))
        o["agents.procurement.incentive"] = draw(
            st.sampled_from(["purchase_price", "operating_profit"])
        )
        o["agents.procurement.plans_to"] = draw(st.sampled_from(["official", "own"]))
        o["agents.procurement.safety_days"] = draw(number(0.0, 60.0))
        o["agents.finance.incentive"] = draw(
            st.sampled_from(["working_capital", "operating_profit"])
        )
        o["agents.finance.inventory_cap_days"] = draw(number(0.01, 365.0))
        o["agents.finance.cut_order"] = draw(
            st.sampled_from(["purchases_first", "production_first", "across_the_board"])
        )
        o["agents.finance.skepticism"] = draw(number(0.0, 0.99))
        o["protocol_options.horizon_months"] = draw(st.integers(1, 24))
        if draw(st.booleans()):  # product families, any grouping
            groups = draw(st.lists(st.integers(0, 2), min_size=3, max_size=3))
            o["families.consumer"] = None
            o["families.professional"] = None
            for p, g in zip(PRODUCTS, groups, strict=True):
                o.setdefault(f"families.f{g}", []).append(p)
        if draw(st.booleans()):  # capacity on offer: soon in service, ramped, at any price
            o["capacity_options.0.lead_days"] = draw(st.integers(1, 60))
            o["capacity_options.0.ramp_days"] = draw(days(60))
            o["capacity_options.0.capex"] = draw(money())
            o["capacity_options.0.delta_per_day"] = draw(units(positive=True))
        if draw(st.booleans()):  # a stated budget, any numbers
            o["budget"] = {
                "years": [
                    {
                        "revenue": draw(money()),
                        "gross_margin": draw(number(-MAX_MONEY, MAX_MONEY)),
                        "operating_profit": draw(number(-MAX_MONEY, MAX_MONEY)),
                        "average_inventory": draw(money()),
                        "ending_cash": draw(number(-MAX_MONEY, MAX_MONEY)),
                    }
                ]
            }
    return o


def valid[C](overrides: dict[str, Any], path) -> C:
    """The config ``overrides`` make, or reject the example if the gate refuses it (a drawn
    combination can break a cross-field rule, e.g. an under-dispersed negative binomial)."""
    try:
        return load_config(path, overrides)
    except ConfigError as error:
        # A key the schema does not know is a stale strategy, not a rare combination: were it
        # rejected quietly, every example drawing it would be thrown away unseen.
        assert "unknown key" not in str(error), str(error)
        assume(False)
        raise  # unreachable: assume(False) stops the example


def not_negative(values: np.ndarray, scale: float) -> bool:
    """No value below zero beyond float rounding at the run's scale (a billion units a day
    leaves dust of about 1e-7 after a subtraction)."""
    return bool((values >= -1e-12 * max(1.0, scale)).all())


def check_kpis(kpis: dict[str, float], documented_nan) -> None:
    for name, value in kpis.items():
        assert not math.isinf(value), f"{name} is {value}"
        if math.isnan(value):
            assert documented_nan(name), f"{name} is NaN, and its definition does not say when"


def company_nan_documented(name: str) -> bool:
    return "NaN" in (COMPANY_KPIS[name].__doc__ or "")


def same(first: dict[str, float], second: dict[str, float]) -> bool:
    return first.keys() == second.keys() and all(
        (math.isnan(a) and math.isnan(b)) or a == b
        for a, b in ((first[k], second[k]) for k in first)
    )


def check_company(overrides: dict[str, Any]) -> None:
    config: CompanyConfig = valid(overrides, CONFIGS / "baseline.yaml")
    first = simulate(config)  # strict audit: raises WorldAuditError on the first bad day
    daily = first.outcome.daily
    stocks = (
        "finished_on_hand",
        "backlog",
        "production_queued",
        "production_in_process",
        "component_on_hand",
        "component_in_transit",
        "component_on_order",
    )
    scale = max(float(np.abs(daily[name]).max(initial=0.0)) for name in stocks)
    for name in stocks:
        assert not_negative(daily[name], scale), name
    for fact in first.outcome.ledger.facts:
        quantity = getattr(fact, "quantity", None)
        assert quantity is None or quantity > 0, fact
    books = first.outcome.ledger.books
    scale = max(1.0, float(np.abs(books.balances()).max()))
    assert abs(books.equation_gap()) <= 1e-9 * scale
    check_kpis(first.kpis, company_nan_documented)
    second = simulate(config)
    assert same(first.kpis, second.kpis)
    for name, values in daily.items():
        np.testing.assert_array_equal(values, second.outcome.daily[name], err_msg=name)


# ------------------------------------------------------------------------------ chain


@st.composite
def chains(draw: st.DrawFn) -> dict[str, Any]:
    """A serial chain of one to four stages, every value within its valid range."""
    names = ["retailer", "wholesaler", "distributor", "factory"][: draw(st.integers(1, 4))]
    period = draw(st.sampled_from([1, 1, 7]))
    stages = {}
    for name in names:
        stage: dict[str, Any] = {
            "lead_time_periods": draw(st.one_of(st.integers(1, 6), st.sampled_from([1, 10_000]))),
            "order_delay_periods": draw(st.integers(0, 3)),
            "initial_on_hand": draw(units()),
            "initial_pipeline_per_period": draw(units(high=1e6)),
            "initial_orders_per_period": draw(units(high=1e6)),
            "holding_cost_per_unit_per_period": draw(money()),
            "backorder_cost_per_unit_per_period": draw(money()),
            "visibility": draw(st.sampled_from(["local", "shared"])),
            "fixed_orders_until_period": draw(st.integers(0, 5)),
            "fixed_order_quantity": draw(units()),
        }
        stage["policy"] = draw(
            st.one_of(
                policy(review=False),
                st.builds(
                    lambda t, a, b, s: {
                        "policy": "anchor_and_adjust",
                        "theta": t,
                        "alpha_s": a,
                        "beta": b,
                        "s_prime": s,
                    },
                    number(0.0, 1.0),
                    number(0.0, 1.0),
                    number(0.0, 1.0),
                    units(),
                ),
            )
        )
        stages[name] = stage
    demand: dict[str, Any] = {
        "base_per_period": draw(units()),
        "noise": draw(noise()),
        "whole_units": draw(st.booleans()),
    }
    if draw(st.booleans()):
        demand["steps"] = [
            {"from_period": draw(st.integers(0, 40)), "base_per_period": draw(units())}
        ]
    return {
        "kind": "serial_chain",
        "name": "drawn",
        "seed": draw(st.integers(0, 2**63 - 1)),
        "strict_audit": True,
        "period_days": period,
        "horizon_days": draw(st.integers(1, 200)),
        "allow_negative_orders": draw(st.booleans()),
        "customer_patience_days": draw(st.none() | st.integers(0, 30)),
        "demand": demand,
        "stages": stages,
    }


def chain_nan_documented(name: str) -> bool:
    doc = chain_kpis.__doc__ or ""
    family = name.split("_")[0] + "_<stage>" if name.startswith("bullwhip_") else name
    entry = next((part for part in doc.split("- ``")[1:] if part.startswith(family)), "")
    return "NaN" in entry


def check_chain(data: dict[str, Any]) -> None:
    try:
        config: ChainConfig = validate(Located(data))
    except ConfigError:
        assume(False)
        raise
    first = simulate(config)
    o = first.outcome
    flows = (o.on_hand, o.backlog, o.shipped, o.received, o.supply_line, o.incoming)
    scale = max(float(np.abs(x).max(initial=0.0)) for x in flows)
    for name in ("on_hand", "backlog", "shipped", "received", "supply_line"):
        assert not_negative(getattr(o, name), scale), name
    books = o.ledger.books
    scale = max(1.0, float(np.abs(books.balances()).max()))
    assert abs(books.equation_gap()) <= 1e-9 * scale
    check_kpis(first.kpis, chain_nan_documented)
    second = simulate(config)
    assert same(first.kpis, second.kpis)
    np.testing.assert_array_equal(o.ordered, second.outcome.ordered)


# ------------------------------------------------------------------------------ the tests


@QUICK
@given(company_overrides())
def test_every_valid_company_runs_cleanly(overrides):
    check_company(overrides)


@QUICK
@given(chains())
def test_every_valid_chain_runs_cleanly(data):
    check_chain(data)


@pytest.mark.slow
@LONG
@given(company_overrides())
def test_every_valid_company_runs_cleanly_long(overrides):
    check_company(overrides)


@pytest.mark.slow
@LONG
@given(chains())
def test_every_valid_chain_runs_cleanly_long(data):
    check_chain(data)
