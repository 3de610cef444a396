"""Newsvendor / base stock: Snyder & Shen, *Fundamentals of Supply Chain Theory* (2nd ed., Wiley
2019), Example 4.3.

Inputs: holding cost h = 0.18 and stockout (backorder) cost p = 0.70 per unit and period;
demand per period N(50, 8²). Published: S* = μ + σ Φ⁻¹(p / (p + h)) = 56.604 and expected cost
g(S*) = (p + h) σ φ(z*) = 1.9976 per period.

Timing convention: one stage, lead time 1 period. The order placed after period t's demand
arrives before period t + 1's demand, so each order protects exactly one period: end-of-period
net stock is S* − D, the newsvendor's. Costs accrue on end-of-period stock and backlog.

Demand is truncated at zero (P(D < 0) ≈ 2e-10: no effect at this precision).
"""

from __future__ import annotations

from scipy import stats

from agents.config import ChainConfig
from experiments.run import simulate
from sim.rng import replication_seeds

H, P, MU, SIGMA = 0.18, 0.70, 50.0, 8.0
S_STAR, COST_STAR = 56.604, 1.9976
PERIODS, REPLICATIONS = 5_000, 10


def newsvendor(level: float) -> ChainConfig:
    return ChainConfig.model_validate(
        {
            "kind": "serial_chain",
            "name": "snyder_shen_example_4_3",
            "horizon_days": PERIODS,
            "demand": {
                "base_per_period": MU,
                "noise": {"distribution": "normal", "cv": SIGMA / MU},
            },
            "stages": {
                "newsvendor": {
                    "lead_time_periods": 1,
                    "initial_on_hand": level,
                    "holding_cost_per_unit_per_period": H,
                    "backorder_cost_per_unit_per_period": P,
                    "policy": {"policy": "base_stock", "level": level},
                }
            },
        }
    )


def test_published_optimum_follows_from_the_critical_ratio():
    z = stats.norm.ppf(P / (P + H))
    assert abs(MU + SIGMA * z - S_STAR) < 5e-4
    assert abs((P + H) * SIGMA * stats.norm.pdf(z) - COST_STAR) < 5e-4


def test_simulated_cost_per_period_at_s_star_matches(check):
    config = newsvendor(S_STAR)
    costs = [
        simulate(config, seed).kpis["cost_per_period"]
        for seed in replication_seeds(43, REPLICATIONS)
    ]
    check.replications("Snyder & Shen Ex. 4.3: cost per period at S* = 56.604", COST_STAR, costs)
