"""Units are conserved, stock and shipments never go negative, and the books balance, every day.

Checked on the reference company and on variants that stress other paths: every allocation
rule, scenarios of every kind, a buyer paid on operating profit,
promotions, and a shelf life that scraps stock.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.config import load_config
from experiments.run import simulate
from sim import ledger as rec
from sim.ledger import ASSETS, EQUITY, EXPENSES, INCOME, LIABILITIES, Account

VARIANTS = {
    "baseline": {},
    "classic": {"protocol": "classic"},
    "sop": {"protocol": "sop"},
    "fifo": {"allocation": "fifo"},
    "fair_share": {"allocation": "fair_share"},
    "scenarios": {
        "scenarios": [
            {
                "kind": "supplier_failure",
                "supplier": "asia_motors",
                "start_day": 100,
                "end_day": 160,
            },
            {"kind": "supplier_failure", "supplier": "parts_direct", "start_day": 600},
            {
                "kind": "lane_disruption",
                "mode": "ocean",
                "start_day": 200,
                "end_day": 260,
                "extra_days": 14,
            },
            {"kind": "demand_surge", "start_day": 300, "end_day": 400, "pct": 40},
            {
                "kind": "lane_disruption",
                "mode": "truck",
                "closed": True,
                "start_day": 420,
                "end_day": 440,
            },
            {
                "kind": "supplier_failure",
                "supplier": "euro_motors",
                "start_day": 450,
                "end_day": 500,
                "capacity_fraction": 0.5,
                "in_flight": "lost",
            },
            {"kind": "supplier_capacity", "supplier": "asia_motors", "pct": -50, "start_week": 70},
            {
                "kind": "supplier_lead_time_shock",
                "supplier": "parts_direct",
                "extra_days": 9,
                "start_day": 520,
                "end_day": 560,
            },
            {"kind": "cost_inflation", "cost": "component", "pct": 25, "start_day": 100},
            {"kind": "cost_inflation", "cost": "freight", "pct": 50, "start_day": 100},
            {"kind": "cost_inflation", "cost": "overtime", "pct": 30, "start_day": 100},
            {
                "kind": "new_line",
                "line": "line_3",
                "products": ["compact", "pro"],
                "capacity_per_day": 40,
                "capex": 400000,
                "start_day": 150,
                "install_days": 60,
                "ramp_days": 20,
            },
            {
                "kind": "line_breakdown",
                "line": "line_1",
                "start_day": 610,
                "end_day": 625,
                "capacity_fraction": 0.3,
            },
            {
                "kind": "demand_shift",
                "away_from": "classic",
                "toward": "pro",
                "pct": 20,
                "start_day": 640,
            },
            {"kind": "market_decline", "pct_per_year": 10, "start_day": 700},
            {
                "kind": "promotion",
                "product": "compact",
                "price_discount": 0.1,
                "cost": 5000,
                "start_day": 660,
            },
        ]
    },
    "split_air": {
        "protocol": "classic",
        "policies.purchasing.sourcing": "split",
        "policies.purchasing.mode": "air",
    },
    "profit_paid_buyer_sop": {
        "protocol": "sop",
        "agents.procurement.incentive": "operating_profit",
    },
    "short_shelf_life_silo": {
        "products.compact.shelf_life_days": 12,
        "products.pro.shelf_life_days": 20,
        "agents.sales.optimism_bias": 0.5,
    },
    "promotion_no_overtime": {
        "products.compact.demand.promotions": [
            {"start_day": 50, "duration_days": 14, "uplift": 0.5, "cost": 20000}
        ],
        "protocol": "classic",
        "policies.production.allow_overtime": False,
        "markets.online.patience_days": 0,
    },
}


def _per_day(facts, kind, days, width, index_field, quantity_field="quantity"):
    out = np.zeros((days, width))
    for f in facts:
        if type(f) is kind:
            out[f.day, getattr(f, index_field)] += getattr(f, quantity_field)
    return out


@pytest.fixture(scope="module", params=list(VARIANTS))
def outcome(request, configs_dir):
    overrides = VARIANTS[request.param]
    config = load_config(configs_dir / "baseline.yaml", {**overrides, "strict_audit": True})
    return simulate(config, days=730).outcome


def test_customer_orders_are_shipped_lost_or_waiting(outcome):
    days, P = outcome.demand.shape
    facts = outcome.ledger.facts
    shipped = _per_day(facts, rec.OrderShipped, days, P, "product").cumsum(axis=0)
    lost = _per_day(facts, rec.SaleLost, days, P, "product").cumsum(axis=0)
    ordered = outcome.demand.cumsum(axis=0)
    np.testing.assert_allclose(ordered, shipped + lost + outcome.daily["backlog"], atol=1e-6)


def test_finished_goods_are_conserved(outcome):
    days, P = outcome.demand.shape
    facts = outcome.ledger.facts
    initial = np.array([p.initial_on_hand for p in outcome.config.products.values()])
    made = _per_day(facts, rec.ProductionCompleted, days, P, "product").cumsum(axis=0)
    shipped = _per_day(facts, rec.OrderShipped, days, P, "product").cumsum(axis=0)
    scrapped = _per_day(facts, rec.StockScrapped, days, P, "product").cumsum(axis=0)
    np.testing.assert_allclose(
        outcome.daily["finished_on_hand"], initial + made - shipped - scrapped, atol=1e-6
    )


def test_production_is_conserved(outcome):
    days, P = outcome.demand.shape
    facts = outcome.ledger.facts
    ordered = _per_day(facts, rec.ProductionOrdered, days, P, "product").cumsum(axis=0)
    started = _per_day(facts, rec.ProductionStarted, days, P, "product").cumsum(axis=0)
    completed = _per_day(facts, rec.ProductionCompleted, days, P, "product").cumsum(axis=0)
    np.testing.assert_allclose(ordered, started + outcome.daily["production_queued"], atol=1e-6)
    np.testing.assert_allclose(
        started, completed + outcome.daily["production_in_process"], atol=1e-6
    )


def test_components_are_conserved(outcome):
    days, C = outcome.consumption.shape
    facts = outcome.ledger.facts
    initial = np.array([c.initial_on_hand for c in outcome.config.components.values()])
    received = _per_day(facts, rec.ShipmentReceived, days, C, "component").cumsum(axis=0)
    consumed = outcome.consumption.cumsum(axis=0)
    np.testing.assert_allclose(
        outcome.daily["component_on_hand"], initial + received - consumed, atol=1e-6
    )
    # What production consumed is exactly what the BOM says for what it started.
    started = _per_day(
        facts, rec.ProductionStarted, days, len(outcome.topology.products), "product"
    )
    np.testing.assert_allclose(outcome.consumption, started @ outcome.topology.bom, atol=1e-6)


def test_purchase_orders_are_received_in_transit_open_or_cancelled(outcome):
    days, C = outcome.consumption.shape
    facts = outcome.ledger.facts
    placed = _per_day(facts, rec.PurchaseOrderPlaced, days, C, "component").cumsum(axis=0)
    dispatched = _per_day(facts, rec.ShipmentDispatched, days, C, "component").cumsum(axis=0)
    received = _per_day(facts, rec.ShipmentReceived, days, C, "component").cumsum(axis=0)
    cancelled = _per_day(facts, rec.PurchaseOrderCancelled, days, C, "component").cumsum(axis=0)
    d = outcome.daily
    np.testing.assert_allclose(dispatched - received, d["component_in_transit"], atol=1e-6)
    np.testing.assert_allclose(placed - received - cancelled, d["component_on_order"], atol=1e-6)


def test_no_negative_stock_or_shipments(outcome):
    d = outcome.daily
    for name in (
        "finished_on_hand",
        "component_on_hand",
        "backlog",
        "component_in_transit",
        "production_queued",
    ):
        assert (d[name] >= -1e-9).all(), name
    for f in outcome.ledger.facts:
        if hasattr(f, "quantity"):
            assert f.quantity > 0, f


def test_books_balance_every_day(outcome):
    b = outcome.daily["balances"]

    def total(accounts):
        return b[:, [int(a) for a in accounts]].sum(axis=1)

    gap = total(ASSETS) - total(LIABILITIES) - total(EQUITY) - (total(INCOME) - total(EXPENSES))
    assert np.abs(gap).max() < 1e-6 * total(EQUITY).max()


def test_inventory_accounts_match_units_at_standard_cost(outcome):
    d, top = outcome.daily, outcome.topology
    b = d["balances"]
    np.testing.assert_allclose(
        b[:, Account.INVENTORY_FINISHED],
        d["finished_on_hand"] @ top.product_standard_cost,
        rtol=1e-9,
        atol=1e-4,
    )
    np.testing.assert_allclose(
        b[:, Account.INVENTORY_COMPONENTS],
        d["component_on_hand"] @ top.component_standard_cost,
        rtol=1e-9,
        atol=1e-4,
    )
    np.testing.assert_allclose(
        b[:, Account.INVENTORY_IN_TRANSIT],
        d["component_in_transit"] @ top.component_standard_cost,
        rtol=1e-9,
        atol=1e-4,
    )
    np.testing.assert_allclose(
        b[:, Account.INVENTORY_WIP],
        d["production_in_process"] @ top.product_standard_cost,
        rtol=1e-9,
        atol=1e-4,
    )


def test_line_capacity_is_respected(outcome):
    d = outcome.daily
    assert (d["line_regular_used"] <= d["line_capacity"] + 1e-9).all()
    assert (d["line_overtime_used"] <= d["line_overtime_capacity"] + 1e-9).all()


def test_strict_audit_runs_clean_and_catches_a_lost_unit(configs_dir):
    from sim.rng import Streams
    from sim.world import World, WorldAuditError

    config = load_config(configs_dir / "baseline.yaml", {"strict_audit": True})
    result = simulate(config, days=200)  # raises WorldAuditError on the first day anything is off
    assert result.outcome.days == 200
    world = World(config.model_copy(update={"protocol": "classic"}), Streams(1), lambda _: [], 5)
    world.run()
    world.warehouse.on_hand[0] -= 1  # a unit vanishes without a posting
    with pytest.raises(WorldAuditError, match="finished goods"):
        world.audit(4)


def test_fair_share_of_stock_holding_a_fraction_of_a_unit_ships_only_what_is_there(configs_dir):
    # Whole-unit shares of 300.5 units used to round the remainder up: 301 shipped, -0.5 left.
    config = load_config(
        configs_dir / "baseline.yaml",
        {
            "allocation": "fair_share",
            "products.compact.initial_on_hand": 300.5,
            "strict_audit": True,
        },
    )
    outcome = simulate(config, seed=6, days=5).outcome  # strict audit: raises on the day
    assert (outcome.daily["finished_on_hand"] >= 0).all()
    assert outcome.daily["finished_on_hand"][:, 0].min() == 0.5  # the fraction stays
