"""Speed against its targets: one table, each row measured on this machine.

Every time is the median of ``--repeats`` repetitions (after a warm-up, for what runs in this
process); ratios are measured side by side in the same run. Rows:

- the reference company (``configs/baseline.yaml``, three years) under ``sop`` and ``ibp``,
  simulated in this process, construction included (ibp's derived budget, made once per
  config and process, is made before the timing);
- whole processes, as a user starts them: ``oneplan --help``, ``oneplan validate``,
  ``oneplan run`` (with its peak memory);
- how the time grows: ten times the horizon (30 years) and ten times the products (30, each
  of the three split in ten with a tenth of its demand), each run between two reference
  runs (the ratio to their mean, median of at least three);
- paired replications: ``oneplan compare --protocols silo,sop`` on two workers, whole
  process: its start-up and what each pair adds, from ``--pairs`` and twice as many, give
  the time of 1,000 (``--pairs 1000`` measures them all);
- the peers' reference system (``configs/chain/single_stage_base_stock.yaml``: one stock
  point, ten years), against a bare SimPy loop with two events a day in the same process.

Usage: ``python benchmarks/run.py [--repeats 5] [--pairs 40]``; prints the table, keeps
nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import simpy
import yaml

from agents.budget import budget_for
from agents.config import load_config
from experiments.run import simulate

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "configs" / "baseline.yaml"
CLI = [sys.executable, "-c", "from experiments.cli import main; main()"]


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


def ratio(function, reference, repeats: int) -> float:
    """Median over ``repeats`` of the time of ``function`` against that of ``reference``,
    run just before and just after it: side by side, so that the machine's drift over the
    minutes a table takes does not enter the ratio."""
    function()

    def once(call) -> float:
        start = time.perf_counter()
        call()
        return time.perf_counter() - start

    samples = []
    before = once(reference)
    for _ in range(repeats):
        took = once(function)
        after = once(reference)
        samples.append(took / ((before + after) / 2))
        before = after
    return statistics.median(samples)


# Starts a command and reports its wall time and peak memory. It runs as a small process of its
# own because Linux carries a process's peak resident memory across exec: a command started
# straight from this benchmark, which has loaded everything and run companies, would report
# this process's size as its own.
LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - start
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit(child.stderr.read().decode())
print(seconds, usage.ru_maxrss / 1024)
"""


def process(args: list[str], repeats: int) -> tuple[float, float]:
    """Median wall seconds and peak resident memory (MB) of ``oneplan args`` as a process."""
    seconds, peaks = [], []
    for _ in range(repeats):
        launched = subprocess.run(
            [sys.executable, "-c", LAUNCHER, *CLI, *args], cwd=ROOT, capture_output=True, text=True
        )
        if launched.returncode != 0:
            raise SystemExit(f"oneplan {' '.join(args)} failed: {launched.stderr}")
        wall, peak = map(float, launched.stdout.split())
        seconds.append(wall)
        peaks.append(peak)
    return statistics.median(seconds), statistics.median(peaks)


def thirty_products(directory: Path) -> Path:
    """The reference company with each product split in ten (a tenth of its demand and
    opening stock each, gamma noise where a tenth is too little for a negative binomial):
    thirty products on the same lines, components and suppliers."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    split = {name: [f"{name}_{k}" for k in range(10)] for name in data["products"]}
    products = {}
    for name, product in data["products"].items():
        for new in split[name]:
            copy = yaml.safe_load(yaml.safe_dump(product))
            copy["initial_on_hand"] = product["initial_on_hand"] / 10
            copy["demand"]["base_per_day"] = product["demand"]["base_per_day"] / 10
            noise = copy["demand"]["noise"]
            if noise.get("distribution") == "negative_binomial":  # too little demand for it
                copy["demand"]["noise"] = {"distribution": "gamma", "cv": noise["cv"]}
            products[new] = copy
    data["products"] = products
    data["families"] = {f: [n for p in ps for n in split[p]] for f, ps in data["families"].items()}
    for line in data["plant"]["lines"].values():
        line["products"] = [n for p in line["products"] for n in split[p]]
    intelligence = data["agents"]["sales"].get("market_intelligence", {})
    data["agents"]["sales"]["market_intelligence"] = {
        n: prior for p, prior in intelligence.items() for n in split[p]
    }
    policies = (data.get("policies") or {}).get("products")
    if policies:
        data["policies"]["products"] = {n: v for p, v in policies.items() for n in split[p]}
    data.pop("budget", None)
    path = directory / "thirty_products.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=40)
    args = parser.parse_args()
    r = args.repeats
    company = load_config(BASELINE)
    sop = company.model_copy(update={"protocol": "sop"})
    ibp = company.model_copy(update={"protocol": "ibp"})
    budget_for(ibp)
    rows = []

    def row(what, measured, target, met, note=""):
        rows.append((what, measured, target, "yes" if met else "no", note))

    t_sop = timed(lambda: simulate(sop), r)
    row("baseline company, 3 years, sop, in process", f"{t_sop:.2f} s", "<= 0.12 s", t_sop <= 0.12)
    t_ibp = timed(lambda: simulate(ibp), r)
    row("same, ibp", f"{t_ibp:.2f} s", "<= 0.20 s", t_ibp <= 0.20)
    t_help, _ = process(["--help"], r)
    row("oneplan --help (whole process)", f"{t_help:.2f} s", "<= 0.30 s", t_help <= 0.30)
    t_validate, _ = process(["validate", str(BASELINE)], r)
    row(
        "oneplan validate baseline (whole process)",
        f"{t_validate:.2f} s",
        "<= 0.30 s",
        t_validate <= 0.30,
    )
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory)
        t_run, peak = process(["run", str(BASELINE)], r)
        row(
            "oneplan run baseline (whole process)",
            f"{t_run:.2f} s, {peak:.0f} MB",
            "<= 0.6 s, <= 150 MB",
            t_run <= 0.6 and peak <= 150,
        )
        long = sop.model_copy(update={"horizon_days": 10 * company.horizon_days})
        x_long = ratio(lambda: simulate(long), lambda: simulate(sop), max(3, r // 2))
        row(
            "horizon x10 (30 years), sop",
            f"{x_long:.1f}x the 3-year time",
            "<= 10.5x",
            x_long <= 10.5,
        )
        wide = load_config(thirty_products(out)).model_copy(update={"protocol": "sop"})
        x_wide = ratio(lambda: simulate(wide), lambda: simulate(sop), max(3, r // 2))
        row(
            "30 products, sop",
            f"{x_wide:.1f}x the 3-product time",
            "<= 3x",
            x_wide <= 3,
        )
        compare = ["compare", str(BASELINE), "--protocols", "silo,sop", "--reps"]
        n = args.pairs
        t_n, _ = process([*compare, str(n), "--jobs", "2"], 1)
        if n >= 1000:
            per_thousand, note = t_n * 1000 / n, ""
        else:  # start-up once, then what each further pair adds
            t_2n, _ = process([*compare, str(2 * n), "--jobs", "2"], 1)
            per_thousand = t_n + (1000 - n) * (t_2n - t_n) / n
            note = f"from {n} and {2 * n} pairs: {t_n:.0f} s and {t_2n:.0f} s"
        row(
            "1,000 paired replications silo + sop, 2 workers",
            f"{per_thousand / 60:.1f} min",
            "<= 2 min",
            per_thousand <= 120,
            note,
        )
    chain = load_config(ROOT / "configs" / "chain" / "single_stage_base_stock.yaml")
    chain_years = chain.horizon_days / 365
    t_chain = timed(lambda: simulate(chain), r) / chain_years * 1000
    t_bare = timed(lambda: bare_simpy(chain.horizon_days), r) / chain_years * 1000
    row(
        "single stock point, 10 years",
        f"{t_chain:.1f} ms per simulated year",
        "<= 2.5 ms",
        t_chain <= 2.5,
        f"bare SimPy {t_bare:.2f} ms ({t_chain / t_bare:.1f}x)",
    )
    print(f"oneplan speed on {os.cpu_count()} cores; medians of {r}")
    widths = [max(len(str(x[i])) for x in rows) for i in range(5)]
    header = ("what", "measured", "target", "met", "")
    for line in (header, *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
