"""oneplan against a peer simulator on the peers' reference system: first the same answer,
then the time.

The reference system (``configs/chain/single_stage_base_stock.yaml``): one stock point, daily
demand N(100, 20) truncated at zero, lead time 5 days, full backordering, holding 1 and
backorder 9 per unit-day, base stock 557.31, 3,650 days. Every simulator is given the same
demand path — the one oneplan draws for the config's seed — and must give the same cost per
day and fill rate before it is timed; a disagreement stops the benchmark.

- stockpyl 1.0.2 (``stockpyl.sim.simulation``) orders after the period's demand; its order
  covers the lead time, as oneplan's does, so both run the same base-stock level.
- SupplyNetPy 0.5.1 (``SupplyNetPy.Components``) has no base-stock policy: it runs (s, S)
  with s a hair below S, reviewed after each drop in stock, so it too orders after the day's
  demand and its order covers the lead time. Customers wait for ever and take partial
  deliveries, as backorders. It has no backorder cost, and its own fill rate serves a
  customer who arrives as a shipment does before those already waiting; both are worked out
  here from its end-of-day stock and backorders (see ``supplynetpy_run``).

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


def supplynetpy_run(config, path: np.ndarray) -> tuple[float, float]:
    """Cost per day and fill rate of SupplyNetPy's simulator on ``path``, both from its
    end-of-day stock on hand and backorders.

    Day ``t`` runs at time ``t``: the shipments due arrive, then one customer orders
    ``path[t]``; a monitor reads stock and backorders at ``t + 0.5``, when the day is over.
    The cost charges holding and backorder per unit-day on those levels, as oneplan does
    (SupplyNetPy's own holding cost is weighted by time within the day, and it has no
    backorder cost). The fill rate is oneplan's, backorders served first: what is still owed
    at the day's end is the day's own demand before any older, so the part of day ``t``'s
    demand met from stock that day is ``max(0, path[t] - backorders[t])``; these are summed
    over days and divided by total demand. SupplyNetPy itself serves a customer who arrives
    as a shipment does before those already waiting, so its own count (1 - shortage at
    arrival / demand) is higher. The end-of-day backorders do not depend on that order:
    waiting customers take any part that is there, so each day ships all the stock it can,
    whoever gets it.
    """
    import simpy
    import SupplyNetPy.Components as scm

    stage = next(iter(config.stages.values()))
    level = stage.policy.level
    env = simpy.Environment()
    source = scm.Supplier(
        env=env, ID="source", name="source", node_type="infinite_supplier", logging=False
    )
    store = scm.InventoryNode(
        env=env,
        ID="store",
        name="store",
        node_type="store",
        capacity=float("inf"),
        initial_level=stage.initial_on_hand,
        inventory_holding_cost=stage.holding_cost_per_unit_per_period,
        replenishment_policy=scm.SSReplenishment,
        # Base stock as (s, S): any demand takes the position to s or below. With no review
        # period the policy reviews after each drop, so after the day's demand.
        policy_param={"s": level - 1e-6, "S": level},
        product_sell_price=0.0,
        product_buy_price=0.0,
        logging=False,
    )
    scm.Link(
        env=env, ID="lane", source=source, sink=store, cost=0.0, lead_time=stage.lead_time_periods
    )
    scm.Demand(
        env=env,
        ID="customers",
        name="customers",
        order_arrival_model=1,
        # Read by the clock, not drawn in turn: SupplyNetPy calls this twice when it checks
        # it, before the run. It refuses an order of 0 units; the reference path has none.
        order_quantity_model=lambda: float(path[int(env.now)]),
        demand_node=store,
        tolerance=float("inf"),
        order_min_split_ratio=1e-9,  # a waiting customer takes any part that is there
        logging=False,
    )
    on_hand, backorders = np.empty(len(path)), np.empty(len(path))

    def close_process():
        yield env.timeout(0.5)
        for t in range(len(path)):
            on_hand[t] = store.inventory.level
            backorders[t] = store.stats.backorder[1]
            yield env.timeout(1)

    env.process(close_process())
    env.run(until=len(path))
    cost = (
        on_hand.sum() * stage.holding_cost_per_unit_per_period
        + backorders.sum() * stage.backorder_cost_per_unit_per_period
    )
    met_on_its_day = np.maximum(path - backorders, 0.0).sum()
    return cost / len(path), float(met_on_its_day / path.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    config = load_config(CONFIG)
    path = np.asarray(Chain(config, Streams(config.seed), ChainPlanner(config)).customer_demand)
    years = len(path) / 365
    runs = {
        "oneplan": oneplan_run,
        "SupplyNetPy 0.5.1": supplynetpy_run,
        "stockpyl 1.0.2": stockpyl_run,
    }
    answers = {name: run(config, path) for name, run in runs.items()}
    cost, fill = answers["oneplan"]
    print(f"the same demand path ({len(path)} days): cost per day and fill rate")
    for name, (c, f) in answers.items():
        print(f"  {name:<18} {c:>10.4f} {f:>9.5f}")
        if abs(c - cost) > AGREE * cost or abs(f - fill) > AGREE:
            raise SystemExit(f"{name} disagrees with oneplan on the same path: not timed")
    floor = timed(lambda: bare_simpy(len(path)), args.repeats) / years * 1000
    print(f"ms per simulated year (medians of {args.repeats}), and x a bare SimPy loop")
    print(f"  {'bare SimPy':<18} {floor:>10.2f} {1.0:>9.1f}")
    for name, run in runs.items():
        per_year = timed(lambda run=run: run(config, path), args.repeats) / years * 1000
        print(f"  {name:<18} {per_year:>10.2f} {per_year / floor:>9.1f}")


if __name__ == "__main__":
    main()
