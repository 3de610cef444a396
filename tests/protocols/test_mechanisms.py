"""The value of S&OP comes from mechanisms, not from names.

- ``sop`` given silo visibility and no reconciliation *is* ``silo``, to the last cent;
- with the conflicts switched off (no bias and no learning, no promotions, no inventory cap,
  ample capacity, no information delay, punctual suppliers, stable demand) silo and sop give
  nearly the same company.
"""

from __future__ import annotations

import numpy as np

from agents.config import load_config
from experiments.compare import compare
from experiments.run import simulate

PIECES_OF_SILO = {
    "protocol_options.visibility": "own",
    "protocol_options.demand_review": False,
    "protocol_options.supply_review": False,
    "protocol_options.financial_reconciliation": False,
}


def test_sop_with_silo_pieces_reproduces_silo_exactly(configs_dir):
    path = configs_dir / "baseline.yaml"
    silo = simulate(load_config(path, {"protocol": "silo"}), seed=3, days=500)
    disguised = simulate(load_config(path, {"protocol": "sop", **PIECES_OF_SILO}), seed=3, days=500)
    np.testing.assert_equal(disguised.kpis, silo.kpis)
    np.testing.assert_array_equal(
        disguised.outcome.daily["balances"], silo.outcome.daily["balances"]
    )


NO_CONFLICT = {
    "agents.adaptation": False,
    "agents.sales.incentive": "operating_profit",
    "agents.operations.incentive": "operating_profit",
    "agents.procurement.incentive": "operating_profit",
    "agents.finance.incentive": "operating_profit",
    "agents.sales.optimism_bias": 0.0,
    "agents.sales.promotion.enabled": False,
    "agents.finance.skepticism": 0.0,
    "agents.finance.inventory_cap_days": 1000.0,
    "information_delay_days": 0,
    "suppliers.asia_motors.reliability": 1.0,
    "suppliers.euro_motors.reliability": 1.0,
    "suppliers.parts_direct.reliability": 1.0,
    "plant.lines.line_1.capacity_per_day": 600,
    "plant.lines.line_2.capacity_per_day": 300,
    "suppliers.asia_motors.components.motor.capacity_per_week": 100000,
    "suppliers.parts_direct.components.control_board.capacity_per_week": 100000,
    "products.compact.demand.seasonality.amplitude": 0.0,
    "products.classic.demand.seasonality.amplitude": 0.0,
    "products.pro.demand.seasonality.amplitude": 0.0,
    "products.compact.demand.trend_per_year": 0.0,
    "products.classic.demand.trend_per_year": 0.0,
    "products.pro.demand.trend_per_year": 0.0,
}


def _advantage(config, reps=4, days=730):
    summary = compare(
        config.model_copy(update={"horizon_days": days}), ["silo", "sop"], reps, seed=5
    ).summary()
    return summary["kpis"]


def test_without_conflicts_silo_and_sop_converge(configs_dir):
    path = configs_dir / "baseline.yaml"
    calm = _advantage(load_config(path, NO_CONFLICT))
    stormy = _advantage(load_config(path))
    calm_gap = (
        calm["operating_profit"]["diff"]["sop"]["mean"] / calm["operating_profit"]["silo"]["mean"]
    )
    stormy_gap = (
        stormy["operating_profit"]["diff"]["sop"]["mean"]
        / stormy["operating_profit"]["silo"]["mean"]
    )
    assert abs(calm_gap) < 0.01  # within 1% of each other
    assert abs(calm["fill_rate"]["diff"]["sop"]["mean"]) < 0.01
    assert stormy_gap > 5 * abs(calm_gap)


def test_ibp_buys_a_paying_expansion_once(configs_dir):
    from sim import ledger as rec

    path = configs_dir / "baseline.yaml"
    config = load_config(
        path,
        {
            "protocol": "ibp",
            "capacity_options": [
                {"line": "line_2", "delta_per_day": 25, "capex": 100000, "lead_days": 400},
                {"line": "line_2", "delta_per_day": 30, "capex": 100000, "lead_days": 30},
            ],
            "scenarios": [{"kind": "demand_surge", "start_day": 200, "pct": 60}],
        },
    )
    outcome = simulate(config, seed=2, days=600).outcome
    changes = [f for f in outcome.ledger.facts if type(f) is rec.CapacityChanged]
    assert changes, "a cheap expansion facing a lasting demand surge should be bought"
    bought = [(f.delta_per_day, f.capex) for f in changes]
    assert len(bought) == len(set(bought)) <= 2  # each option at most once
    assert outcome.daily["line_capacity"][-1, 1] == 95 + sum(d for d, _ in bought)
