"""A Clark–Scarf serial system: Snyder & Shen, *Fundamentals of Supply Chain Theory* (2nd ed.,
Wiley 2019), Example 6.1 (after Clark & Scarf, *Management Science* 6(4), 1960).

Inputs: three stages in series, stage 1 serving customers and stage 3 supplied by an unlimited
source; lead times 1, 1 and 2 periods; echelon holding costs 3, 2, 2, so local holding costs
7, 4 and 2 per unit and period; backorder cost 37.12 per unit and period at stage 1 only;
demand per period N(5, 1). Published: optimal echelon base-stock levels 6.49, 12.02 and 22.71,
that is installation (local) base-stock levels 6.49, 5.53 and 10.69, and an expected cost of
47.65 per period.

The Clark–Scarf cost charges holding on stock on hand and on goods in transit between stages,
at the local holding rate of the stage that shipped them (the echelon holding costs of every
stage the goods have passed), and nothing on goods coming from the outside source: the
chain's default in-transit rate. In steady state 5 units a period are on the road to stage 1
(lead time 1) at stage 2's rate 4, and 5 to stage 2 at stage 3's rate 2: 30 of the 47.65.

Timing convention: every stage orders after the period's demand has reached it, an order
placed in period t with lead time L arrives before period t + L's demand, and the stage
upstream ships in the period it reads the order (no order delay); each stage's order protects
its own L periods, as in the book. Demand is truncated at zero (P(D < 0) ≈ 3e-7). The same
system on a common demand path gives stockpyl's cost period by period.
"""

from __future__ import annotations

import pytest

from agents.config import ChainConfig
from experiments.run import simulate
from sim.rng import replication_seeds

LOCAL_HOLDING = {"stage_1": 7.0, "stage_2": 4.0, "stage_3": 2.0}
LEAD_TIME = {"stage_1": 1, "stage_2": 1, "stage_3": 2}
LOCAL_BASE_STOCK = {"stage_1": 6.49, "stage_2": 5.53, "stage_3": 10.69}
ECHELON_BASE_STOCK = (6.49, 12.02, 22.71)
BACKORDER, MEAN, SD = 37.12, 5.0, 1.0
COST_STAR = 47.65
PERIODS, REPLICATIONS = 10_000, 8


def serial_system() -> ChainConfig:
    return ChainConfig.model_validate(
        {
            "kind": "serial_chain",
            "name": "snyder_shen_example_6_1",
            "horizon_days": PERIODS,
            "demand": {
                "base_per_period": MEAN,
                "noise": {"distribution": "normal", "cv": SD / MEAN},
            },
            "stages": {
                name: {
                    "lead_time_periods": LEAD_TIME[name],
                    "initial_on_hand": LOCAL_BASE_STOCK[name],
                    "holding_cost_per_unit_per_period": LOCAL_HOLDING[name],
                    "backorder_cost_per_unit_per_period": BACKORDER if name == "stage_1" else 0.0,
                    "policy": {"policy": "base_stock", "level": LOCAL_BASE_STOCK[name]},
                }
                for name in LOCAL_HOLDING
            },
        }
    )


@pytest.fixture(scope="module")
def runs() -> list[dict[str, float]]:
    config = serial_system()
    return [simulate(config, seed).kpis for seed in replication_seeds(61, REPLICATIONS)]


def test_the_local_levels_are_the_published_echelon_levels():
    levels = list(LOCAL_BASE_STOCK.values())
    echelon = [sum(levels[: j + 1]) for j in range(len(levels))]
    assert echelon == pytest.approx(ECHELON_BASE_STOCK, abs=5e-3)


def test_simulated_cost_per_period_matches_clark_scarf(check, runs):
    check.replications(
        "Snyder & Shen Ex. 6.1: cost per period at the optimal base-stock levels",
        COST_STAR,
        [k["cost_per_period"] for k in runs],
    )


def test_goods_on_the_road_cost_the_shipping_stage_rate(check, runs):
    """Little's law on each link: L × mean demand units in transit, at the shipper's rate."""
    expected = {
        "stage_1": LEAD_TIME["stage_1"] * MEAN * LOCAL_HOLDING["stage_2"],
        "stage_2": LEAD_TIME["stage_2"] * MEAN * LOCAL_HOLDING["stage_3"],
    }
    for stage, per_period in expected.items():
        check.replications(
            f"Snyder & Shen Ex. 6.1: in-transit holding per period on the way to {stage}",
            per_period,
            [k[f"in_transit_holding_cost_{stage}"] / PERIODS for k in runs],
        )
    assert all(k["in_transit_holding_cost_stage_3"] == 0.0 for k in runs)  # from the source
