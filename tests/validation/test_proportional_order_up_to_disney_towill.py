"""Proportional order-up-to with a known mean: Disney & Towill, "On the bullwhip and inventory
variance produced by an ordering policy", *Omega* 31(3), 2003, 157–167, and Disney, Towill &
van de Velde, "Variance amplification and the golden ratio in production and inventory
control", *International Journal of Production Economics* 90, 2004, 295–309.

The policy: every period order ``mean + (TNS − NS)/Ti + (DWIP − WIP)/Ti`` (the inventory and
pipeline gaps closed at the same rate 1/Ti), with the desired pipeline DWIP = Tp × mean and
the demand forecast fixed at the known mean. In the chain it is ``anchor_and_adjust`` with
θ = 0, ``initial_expectation`` = mean, β = 1, α_S = 1/Ti and S′ = TNS + Tp × mean, on one stage
whose ``lead_time_periods`` is Tp + 1.

Inputs: i.i.d. demand N(100, 10²) (truncated at zero: P(D < 0) ≈ 8e-24), Tp = 2, target net
stock TNS = 50, Ti = 2 and 4. Published: Var(orders)/Var(demand) = 1/(2Ti − 1) (1/3 and 1/7),
and net stock variance amplification Tp + 1 + (Ti − 1)²/(2Ti − 1) (3.3333 and 4.2857).

Why, in the chain's terms (L = Tp + 1): with x_t = S′ − position at the review of period t,
x_t = (1 − 1/Ti) x_{t−1} + (D_t − mean), so orders mean + x_t/Ti vary as σ²/(2Ti − 1); net stock
at the end of period t + L is the position after ordering in t less the demand of t + 1..t + L,
so it averages S′ − (L − 1) × mean = TNS and varies as σ²(L + (Ti − 1)²/(2Ti − 1)). Its time
average over T periods has standard deviation σ(Ti − 1 + L)/√T (the filter's coefficients sum
to −(Ti − 1 + L)): replications spread by that much and no more, whatever their seeds. With the
anchor at the first demand seen instead of the known mean, every replication's net stock is
off by Ti × (first demand − mean), a spread of about Ti × σ.

Timing convention: the order placed after period t's demand arrives before period t + L's
demand (it protects L periods); the supply line at a review holds the L − 1 orders still on
the road, which is the WIP Disney & Towill hold against DWIP = Tp × mean.
"""

from __future__ import annotations

from functools import cache
from math import sqrt

import numpy as np
import pytest

from agents.config import ChainConfig
from experiments.run import simulate
from sim.chain import ChainOutcome
from sim.metrics import chain_kpis
from sim.rng import replication_seeds

MEAN, SD, TP, TARGET_NET_STOCK = 100.0, 10.0, 2, 50.0
PERIODS, REPLICATIONS, WARMUP = 4_000, 6, 100
SEEDS = replication_seeds(2003, REPLICATIONS)  # the same demand for every Ti: CRN


def proportional_order_up_to(ti: float, known_mean: bool = True) -> ChainConfig:
    """Disney & Towill's (Ti, Tp) as a one-stage chain; without ``known_mean`` the anchor
    starts at the first demand seen."""
    lead_time = TP + 1
    policy = {
        "policy": "anchor_and_adjust",
        "theta": 0.0,
        "alpha_s": 1 / ti,
        "beta": 1.0,
        "s_prime": TARGET_NET_STOCK + TP * MEAN,
    }
    if known_mean:
        policy["initial_expectation"] = MEAN
    return ChainConfig.model_validate(
        {
            "kind": "serial_chain",
            "name": f"proportional_order_up_to_ti{ti:g}",
            "horizon_days": PERIODS,
            "demand": {
                "base_per_period": MEAN,
                "noise": {"distribution": "normal", "cv": SD / MEAN},
            },
            "stages": {
                "retailer": {
                    "lead_time_periods": lead_time,
                    "initial_on_hand": TARGET_NET_STOCK + MEAN,
                    "initial_pipeline_per_period": MEAN,
                    "policy": policy,
                }
            },
        }
    )


@cache
def runs(ti: float, known_mean: bool = True) -> tuple[ChainOutcome, ...]:
    config = proportional_order_up_to(ti, known_mean)
    return tuple(simulate(config, seed).outcome for seed in SEEDS)


def net_stock(o: ChainOutcome) -> np.ndarray:
    return o.on_hand[WARMUP:, 0] - o.backlog[WARMUP:, 0]


@pytest.mark.parametrize("ti", [2, 4])
def test_orders_vary_as_one_over_two_ti_minus_one(check, ti):
    expected = 1 / (2 * ti - 1)
    check.replications(
        f"Disney & Towill, Ti = {ti}: Var(orders)/Var(demand)",
        expected,
        [chain_kpis(o, warmup_periods=WARMUP)["bullwhip_retailer"] for o in runs(ti)],
    )


@pytest.mark.parametrize("ti", [2, 4])
def test_net_stock_variance_grows_with_the_lead_time_and_ti(check, ti):
    expected = TP + 1 + (ti - 1) ** 2 / (2 * ti - 1)
    check.replications(
        f"Disney & Towill, Ti = {ti}, Tp = {TP}: Var(net stock)/Var(demand)",
        expected,
        [net_stock(o).var(ddof=1) / o.customer_demand[WARMUP:].var(ddof=1) for o in runs(ti)],
    )


@pytest.mark.parametrize("ti", [2, 4])
def test_mean_net_stock_is_the_target_whatever_the_seed(check, ti):
    means = [float(net_stock(o).mean()) for o in runs(ti)]
    check.replications(f"Disney & Towill, Ti = {ti}: mean net stock", TARGET_NET_STOCK, means)
    sd_of_average = SD * (ti - 1 + TP + 1) / sqrt(PERIODS - WARMUP)
    check.spread_at_most(
        f"Disney & Towill, Ti = {ti}: mean net stock from seed to seed", sd_of_average, means
    )
    # The same check fails for an anchor that starts at the first demand seen.
    anchored_on_first = [float(net_stock(o).mean()) for o in runs(ti, known_mean=False)]
    offsets = [ti * (o.customer_demand[0] - MEAN) for o in runs(ti, known_mean=False)]
    np.testing.assert_allclose(
        np.array(anchored_on_first) - TARGET_NET_STOCK, offsets, atol=4 * sd_of_average
    )
    with pytest.raises(AssertionError):
        check.spread_at_most(
            f"Ti = {ti}, anchored on the first demand (must break the bound)",
            sd_of_average,
            anchored_on_first,
        )
