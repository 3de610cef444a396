"""Speed of one run: milliseconds per simulated year, medians of repeated runs in one process.

Measured (construction included, after a warm-up run):

- the reference company (``configs/baseline.yaml``, three years, three products);
- the peer benchmarks' reference system (``configs/chain/single_stage_base_stock.yaml``: one
  stock point, N(100, 20) daily demand, lead time 5, base stock 557.31, 3,650 days);
- a bare SimPy model with two events per day, the engine's floor, so results can be quoted
  as ratios that survive a noisy machine.

Usage: ``python benchmarks/run.py [--repeats N]``; prints a table and writes nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import simpy

from agents.budget import budget_for
from agents.config import load_config
from experiments.run import simulate

ROOT = Path(__file__).resolve().parents[1]


def bare_simpy(days: int) -> None:
    env = simpy.Environment()
    stock = [557.0]

    def day_process():
        for _ in range(days):
            yield env.timeout(0.5)
            stock[0] -= 100
            yield env.timeout(0.5)
            stock[0] += 100

    env.process(day_process())
    env.run()


def timed(function, repeats: int) -> float:
    """Median seconds of ``repeats`` calls after one warm-up call."""
    function()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    company = load_config(ROOT / "configs" / "baseline.yaml")
    chain = load_config(ROOT / "configs" / "chain" / "single_stage_base_stock.yaml")
    cases = {
        "bare SimPy, 2 events/day": (lambda: bare_simpy(3650), 10.0),
        "single stage, base stock": (lambda: simulate(chain), chain.horizon_days / 365),
        "baseline company, classic": (
            lambda: simulate(company, protocol="classic"),
            company.horizon_days / 365,
        ),
        "baseline company, silo": (
            lambda: simulate(company, protocol="silo"),
            company.horizon_days / 365,
        ),
        "baseline company, sop": (
            lambda: simulate(company, protocol="sop"),
            company.horizon_days / 365,
        ),
        # Its derived budget is made once per config and process, before the timing.
        "baseline company, ibp": (
            lambda: simulate(company, protocol="ibp"),
            company.horizon_days / 365,
        ),
    }
    budget_for(company.model_copy(update={"protocol": "ibp"}))
    floor = None
    print(f"{'case':<28} {'ms per simulated year':>22} {'x bare SimPy':>14}")
    for name, (function, years) in cases.items():
        per_year = 1000 * timed(function, args.repeats) / years
        floor = floor or per_year
        print(f"{name:<28} {per_year:>22.1f} {per_year / floor:>14.1f}")


if __name__ == "__main__":
    main()
