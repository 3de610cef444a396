"""Bullwhip with a moving-average forecast: Chen, Drezner, Ryan & Simchi-Levi, "Quantifying the
bullwhip effect in a simple supply chain: the impact of forecasting, lead times, and
information", *Management Science* 46(3), 2000, 436–443.

Inputs: one stage with an order-up-to policy whose level is L times the moving average of the
last p periods of demand, safety factor z = 0; i.i.d. demand N(100, 10²) (mean/σ = 10, so
orders are practically never negative; returns are allowed anyway, as in the paper).
Published: Var(orders) / Var(demand) = 1 + 2L/p + 2L²/p² (with z = 0 the paper's lower bound
is exact), e.g. L = 2, p = 5 ⇒ 2.12 and L = 1, p = 5 ⇒ 1.48; the ratio grows with L and falls
with p.

Timing convention: the paper's lead time L counts the periods of demand an order must cover
(ordered at the end of period t, received at the start of period t + L). In the chain an order
placed after period t's demand with ``lead_time_periods = L`` arrives before period t + L's
demand and the ``order_up_to`` level covers L + R − 1 = L periods (R = 1): the same L. The
moving average includes the period just observed, as the paper's forecast made at the end of
a period does.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.config import ChainConfig
from experiments.run import simulate
from sim.metrics import chain_kpis
from sim.rng import replication_seeds

PERIODS, REPLICATIONS, WARMUP = 4_000, 6, 50
SEEDS = replication_seeds(2000, REPLICATIONS)  # the same demand for every (L, p): CRN


def chen(lead_time: int, periods: int) -> float:
    return 1 + 2 * lead_time / periods + 2 * lead_time**2 / periods**2


def moving_average_order_up_to(lead_time: int, periods: int) -> ChainConfig:
    return ChainConfig.model_validate(
        {
            "kind": "serial_chain",
            "name": f"chen_L{lead_time}_p{periods}",
            "horizon_days": PERIODS,
            "allow_negative_orders": True,
            "demand": {"base_per_period": 100.0, "noise": {"distribution": "normal", "cv": 0.1}},
            "stages": {
                "retailer": {
                    "lead_time_periods": lead_time,
                    "initial_on_hand": 100.0 * lead_time,
                    "policy": {
                        "policy": "order_up_to",
                        "forecaster": {"method": "moving_average", "periods": periods},
                        "safety_factor": 0.0,
                    },
                }
            },
        }
    )


def bullwhip(lead_time: int, periods: int) -> list[float]:
    config = moving_average_order_up_to(lead_time, periods)
    outcomes = [simulate(config, seed).outcome for seed in SEEDS]
    return [chain_kpis(o, warmup_periods=WARMUP)["bullwhip_retailer"] for o in outcomes]


@pytest.mark.parametrize(("lead_time", "periods"), [(1, 5), (2, 5)])
def test_variance_amplification_matches_the_published_examples(check, lead_time, periods):
    expected = chen(lead_time, periods)
    assert round(expected, 2) == {(1, 5): 1.48, (2, 5): 2.12}[lead_time, periods]
    check.replications(
        f"Chen et al. 2000, L = {lead_time}, p = {periods}: Var(orders)/Var(demand)",
        expected,
        bullwhip(lead_time, periods),
    )


def test_amplification_grows_with_the_lead_time_and_falls_with_the_forecast_window(check):
    grid = {(L, p): bullwhip(L, p) for L, p in [(1, 10), (2, 10), (4, 10), (2, 20)]}
    for (L, p), samples in grid.items():
        check.replications(
            f"Chen et al. 2000, L = {L}, p = {p}: Var(orders)/Var(demand)", chen(L, p), samples
        )
    mean = {key: float(np.mean(samples)) for key, samples in grid.items()}
    assert mean[1, 10] < mean[2, 10] < mean[4, 10]
    assert mean[2, 20] < mean[2, 10]
