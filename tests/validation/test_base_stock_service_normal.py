"""Base-stock service levels under normal demand: the cycle-service and fill-rate formulas of the
periodic-review order-up-to system (Silver, Pyke & Thomas, *Inventory and Production
Management in Supply Chains*, 4th ed., CRC Press 2017, the (R, S) system with normal demand;
also Snyder & Shen, *Fundamentals of Supply Chain Theory*, 2nd ed. 2019, ch. 4).

Inputs: demand per period N(100, 30²), review every period, R + L = 3 periods of protection, so
the demand an order must cover is N(300, (30√3)²). With S = 300 + z·30√3:

- cycle service level (share of periods ending with no backlog) = Φ(z);
- fill rate (share of demand shipped from stock in its own period) = 1 − 30√3·G(z) / 100,
  G the standard normal loss function.

Published: 90% cycle service needs S = 366.59 and gives a fill rate of 0.9754; 95% needs
S = 385.47 and gives 0.9891.

Timing convention: one stage, lead time 3 periods. The order placed after period t's demand
arrives before period t + 3's demand, so each order protects 3 periods (t + 1 .. t + 3): the
end-of-period net stock is S minus three periods of demand. Backlog is served before new demand.
The fill-rate formula counts expected units short per period, E[(D₃ − S)⁺]; the simulated fill
rate counts this period's demand not shipped in the period, whose mean differs from it by
E[(D₂ − S)⁺] ≈ 7e-6 (negligible here).
"""

from __future__ import annotations

import pytest

from agents.config import ChainConfig
from experiments.run import simulate
from sim.metrics import chain_kpis
from sim.rng import replication_seeds

MU, SIGMA, PROTECTION = 100.0, 30.0, 3
PERIODS, REPLICATIONS, WARMUP = 15_000, 6, 10
PUBLISHED = {  # cycle service: (S, fill rate)
    0.90: (366.59, 0.9754),
    0.95: (385.47, 0.9891),
}


def base_stock(level: float) -> ChainConfig:
    return ChainConfig.model_validate(
        {
            "kind": "serial_chain",
            "name": "base_stock_service",
            "horizon_days": PERIODS,
            "demand": {
                "base_per_period": MU,
                "noise": {"distribution": "normal", "cv": SIGMA / MU},
            },
            "stages": {
                "store": {
                    "lead_time_periods": PROTECTION,
                    "initial_on_hand": level,
                    "policy": {"policy": "base_stock", "level": level},
                }
            },
        }
    )


@pytest.mark.parametrize("cycle_service", sorted(PUBLISHED))
def test_cycle_service_and_fill_rate_match(check, cycle_service):
    level, fill_rate = PUBLISHED[cycle_service]
    config = base_stock(level)
    runs = [simulate(config, seed).outcome for seed in replication_seeds(7, REPLICATIONS)]
    kpis = [chain_kpis(outcome, warmup_periods=WARMUP) for outcome in runs]
    check.replications(
        f"base stock S = {level}: cycle service level",
        cycle_service,
        [k["cycle_service_level"] for k in kpis],
    )
    check.replications(
        f"base stock S = {level}: fill rate", fill_rate, [k["fill_rate"] for k in kpis]
    )
