"""Every registered protocol keeps the world's laws: units conserved, books balanced,
deterministic, and a well-formed decision log.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from agents.protocols import PROTOCOLS
from experiments.run import simulate
from sim import ledger as rec
from sim.ledger import ASSETS, EQUITY, EXPENSES, INCOME, LIABILITIES

DAYS = 400


@pytest.fixture(scope="module", params=sorted(PROTOCOLS))
def run(request, baseline):
    config = baseline.model_copy(update={"protocol": request.param, "strict_audit": True})
    return request.param, simulate(config, seed=11, days=DAYS)


def _per_day(facts, kind, days, width, field="product"):
    out = np.zeros((days, width))
    for f in facts:
        if type(f) is kind:
            out[f.day, getattr(f, field)] += f.quantity
    return out


def test_units_are_conserved(run):
    _, result = run
    o = result.outcome
    facts, days, P = o.ledger.facts, o.days, len(o.topology.products)
    shipped = _per_day(facts, rec.OrderShipped, days, P).cumsum(axis=0)
    lost = _per_day(facts, rec.SaleLost, days, P).cumsum(axis=0)
    np.testing.assert_allclose(
        o.demand.cumsum(axis=0), shipped + lost + o.daily["backlog"], atol=1e-6
    )
    made = _per_day(facts, rec.ProductionCompleted, days, P).cumsum(axis=0)
    initial = np.array([p.initial_on_hand for p in o.config.products.values()])
    np.testing.assert_allclose(o.daily["finished_on_hand"], initial + made - shipped, atol=1e-6)
    C = len(o.topology.components)
    received = _per_day(facts, rec.ShipmentReceived, days, C, "component").cumsum(axis=0)
    start = np.array([c.initial_on_hand for c in o.config.components.values()])
    np.testing.assert_allclose(
        o.daily["component_on_hand"], start + received - o.consumption.cumsum(axis=0), atol=1e-6
    )
    assert (o.daily["finished_on_hand"] >= 0).all() and (
        o.daily["component_on_hand"] >= -1e-9
    ).all()


def test_books_balance_every_day(run):
    _, result = run
    b = result.outcome.daily["balances"]

    def total(accounts):
        return b[:, [int(a) for a in accounts]].sum(axis=1)

    gap = total(ASSETS) - total(LIABILITIES) - total(EQUITY) - (total(INCOME) - total(EXPENSES))
    assert np.abs(gap).max() < 1e-6 * total(EQUITY).max()


def test_same_seed_same_result(run, baseline):
    name, result = run
    config = baseline.model_copy(update={"protocol": name, "strict_audit": True})
    np.testing.assert_equal(simulate(config, seed=11, days=DAYS).kpis, result.kpis)


def test_decision_log_is_well_formed(run):
    name, result = run
    entries = [f.entry for f in result.outcome.ledger.facts if type(f) is rec.DecisionRecorded]
    cycles = [e for e in entries if e.get("kind") == "sop_cycle"]
    protocol = PROTOCOLS[name]
    months = sum(1 for d in range(DAYS) if d in _month_starts())
    assert len(cycles) == (months if protocol.meets else 0)
    for entry in cycles:
        json.dumps(entry)  # JSON lines: every entry serialises
        assert entry["protocol"] == name and entry["day"] in _month_starts()
        assert set(entry["demand_review"]["next_4_weeks_units"]) == set(
            result.outcome.topology.products
        )
        for option in entry.get("options", []):
            # Who proposed it, its dollars by cost term, what decided it, and why.
            assert {
                "option",
                "proposed_by",
                "description",
                "value",
                "score",
                "chosen",
                "decided_by",
                "reason",
            } <= set(option)
            assert option["proposed_by"] in {"sales", "operations", "procurement", "finance"}
            assert set(option["value"]) == {
                "revenue",
                "margin",
                "penalties",
                "cost",
                "depreciation",
                "capital_charge",
                "storage",
                "timing",
                "working_capital",
                "capex",
                "profit",
            }
            if option["decided_by"] == "the executive's weights" and option["chosen"]:
                assert option["score"] >= 0
            if protocol.financial_reconciliation:
                # Each decision shows the gap to budget and what it moves toward it.
                assert set(option["closes_gap"]) == {
                    "revenue",
                    "gross_margin",
                    "operating_profit",
                    "inventory",
                    "cash",
                }
                assert "revenue" in option["gap_to_budget"]
        if protocol.financial_reconciliation and entry.get("kind") == "sop_cycle":
            months = entry["ibp"]["months"]
            assert entry["ibp"]["horizon_months"] == protocol.horizon_months
            assert len(months) >= protocol.horizon_months
            assert {"revenue", "gross_margin", "operating_profit", "inventory", "cash"} <= set(
                months[0]["projected"]
            )
    if protocol.supply_review:
        assert any(e.get("options") for e in cycles)


def _month_starts() -> set[int]:
    from sim.calendar import is_month_start

    return {d for d in range(DAYS) if is_month_start(d)}


def test_protocol_pieces_can_be_overridden():
    from agents.config import ProtocolOptions
    from agents.protocols import make_protocol

    p = make_protocol("sop", ProtocolOptions(visibility="own", horizon_months=6))
    assert (p.visibility, p.demand_review, p.supply_review, p.horizon_months) == (
        "own",
        True,
        True,
        6,
    )
    with pytest.raises(ValueError, match="unknown protocol"):
        make_protocol("anarchy")
