"""oneplan against a peer simulator on the peers' reference system: first the same answer,
then the time.

The reference system (``configs/chain/single_stage_base_stock.yaml``): one stock point, daily
demand N(100, 20) truncated at zero, lead time 5 days, full backordering, holding 1 and
backorder 9 per unit-day, base stock 557.31, 3,650 days. Every simulator is given the same
demand path — the one oneplan draws for the config's seed — and must give the same cost per
day and fill rate before it is timed; a disagreement stops the benchmark.

- stockpyl 1.0.2 (``stockpyl.sim.simulation``) orders after the period's demand; its order
  covers the lead time, as oneplan's does, so both run the same base-stock level.

SupplyNetPy 0.5.1 is installed beside it; its comparison (review timing and backorder cost
paired by hand, see the project's peer notes) is not written yet.

Peers are never project dependencies: ``make bench`` installs them in ``.venv-bench`` and runs
this there. Usage: ``python benchmarks/peers.py [--repeats 5]``; prints a table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from run import bare_simpy, timed  # this directory's speed benchmark

from agents.classic import ChainPlanner
from agents.config import load_config
from sim.chain import Chain
from sim.metrics import chain_kpis
from sim.rng import Streams

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "chain" / "single_stage_base_stock.yaml"
AGREE = 1e-9  # relative difference allowed between simulators on the same path


def oneplan_run(config, path: np.ndarray) -> tuple[float, float]:
    """Cost per day and fill rate of oneplan's chain on ``path``."""
    chain = Chain(config, Streams(config.seed), ChainPlanner(config))
    chain.customer_demand = path
    kpis = chain_kpis(chain.run())
    return kpis["total_cost"] / len(path), kpis["fill_rate"]


def stockpyl_run(config, path: np.ndarray) -> tuple[float, float]:
    """Cost per day and fill rate of stockpyl's simulator on ``path``."""
    from stockpyl.sim import simulation
    from stockpyl.supply_chain_network import single_stage_system

    stage = next(iter(config.stages.values()))
    network = single_stage_system(
        holding_cost=stage.holding_cost_per_unit_per_period,
        stockout_cost=stage.backorder_cost_per_unit_per_period,
        demand_type="D",
        demand_list=list(path),
        policy_type="BS",
        base_stock_level=stage.policy.level,
        shipment_lead_time=stage.lead_time_periods,
        initial_inventory_level=stage.initial_on_hand,
    )
    cost = simulation(network, num_periods=len(path), rand_seed=1, progress_bar=False)
    node = network.nodes[0]
    (fill,) = node.state_vars[len(path) - 1].fill_rate.values()
    return cost / len(path), float(fill)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    config = load_config(CONFIG)
    path = np.asarray(Chain(config, Streams(config.seed), ChainPlanner(config)).customer_demand)
    years = len(path) / 365
    runs = {"oneplan": oneplan_run, "stockpyl 1.0.2": stockpyl_run}
    answers = {name: run(config, path) for name, run in runs.items()}
    cost, fill = answers["oneplan"]
    print(f"the same demand path ({len(path)} days): cost per day and fill rate")
    for name, (c, f) in answers.items():
        print(f"  {name:<16} {c:>10.4f} {f:>9.5f}")
        if abs(c - cost) > AGREE * cost or abs(f - fill) > AGREE:
            raise SystemExit(f"{name} disagrees with oneplan on the same path: not timed")
    floor = timed(lambda: bare_simpy(len(path)), args.repeats) / years * 1000
    print(f"ms per simulated year (medians of {args.repeats}), and x a bare SimPy loop")
    print(f"  {'bare SimPy':<16} {floor:>10.2f} {1.0:>9.1f}")
    for name, run in runs.items():
        per_year = timed(lambda run=run: run(config, path), args.repeats) / years * 1000
        print(f"  {name:<16} {per_year:>10.2f} {per_year / floor:>9.1f}")


if __name__ == "__main__":
    main()
