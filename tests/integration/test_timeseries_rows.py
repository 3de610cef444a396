"""The time series' rows per line, supplier and transport mode add up to what the books and
the records say: findings about capacity, suppliers and lanes can be read from them."""

from __future__ import annotations

import pytest

from agents.config import load_config
from experiments.run import simulate
from sim import ledger as rec
from sim.timeseries import timeseries

FAILURE = {"kind": "supplier_failure", "supplier": "asia_motors", "start_day": 60, "end_day": 90}


@pytest.fixture(scope="module")
def run(configs_dir):
    config = load_config(configs_dir / "baseline.yaml", {"scenarios": [FAILURE]})
    result = simulate(config, seed=3, days=150, protocol="sop")
    return result, timeseries(result.outcome)


def _rows(frame, kind: str):
    return frame[frame["entity_kind"] == kind]


def test_a_lines_rows_hold_what_it_made_against_its_capacity(run):
    result, frame = run
    lines = _rows(frame, "line")
    started = sum(f.quantity for f in result.outcome.ledger.of_type(rec.ProductionStarted))
    assert lines["production"].sum() == pytest.approx(started)
    overtime = sum(
        f.overtime_quantity for f in result.outcome.ledger.of_type(rec.ProductionStarted)
    )
    assert lines["overtime_used"].sum() == pytest.approx(overtime)
    assert (lines["production"] <= lines["capacity"] + lines["overtime_capacity"] + 1e-6).all()
    assert set(lines["entity"]) == {"line_1", "line_2"}


def test_a_suppliers_rows_hold_its_orders_deliveries_and_status(run):
    result, frame = run
    suppliers = _rows(frame, "supplier")
    facts = result.outcome.ledger
    assert suppliers["orders_placed"].sum() == pytest.approx(
        sum(f.quantity for f in facts.of_type(rec.PurchaseOrderPlaced))
    )
    assert suppliers["received"].sum() == pytest.approx(
        sum(f.quantity for f in facts.of_type(rec.ShipmentReceived))
    )
    asia = suppliers[suppliers["entity"] == "asia_motors"].set_index("period")
    assert (asia.loc[60:89, "shipping"] == 0).all() and (asia.loc[:59, "shipping"] == 1).all()
    assert (asia.loc[60:89, "dispatched"] == 0).all()  # a failed supplier ships nothing
    assert asia["capacity"].iloc[0] == 2500  # its weekly motors
    assert (suppliers[suppliers["entity"] == "euro_motors"]["capacity"] == 1200).all()


def test_a_modes_rows_hold_the_freight_the_books_post(run):
    result, frame = run
    modes = _rows(frame, "mode")
    freight = result.kpis["transport_cost"] + result.kpis["expedite_cost"]
    assert modes["freight"].sum() == pytest.approx(freight)
    assert modes["dispatched"].sum() == pytest.approx(
        sum(f.quantity for f in result.outcome.ledger.of_type(rec.ShipmentDispatched))
    )


def test_a_suppliers_capacity_row_follows_a_capacity_scenario(configs_dir):
    squeeze = {
        "kind": "supplier_capacity",
        "supplier": "asia_motors",
        "pct": -40,
        "start_week": 4,
        "end_week": 8,
    }
    config = load_config(configs_dir / "baseline.yaml", {"scenarios": [squeeze]})
    frame = timeseries(simulate(config, seed=3, days=84, protocol="silo").outcome)
    asia = _rows(frame, "supplier").query("entity == 'asia_motors'").set_index("period")
    assert (asia.loc[:27, "capacity"] == 2500).all()
    assert (asia.loc[28:55, "capacity"] == 1500).all()
    assert (asia.loc[56:, "capacity"] == 2500).all()
    components = _rows(frame, "component")
    assert {"short"} <= set(components.columns) and (components["short"] >= 0).all()
