"""Throughput of a study: replications per second with 1 and 2 workers, and the speed-up.

A study of the reference company (``configs/baseline.yaml``, its full three-year horizon, one
protocol) with ``--reps`` replications is run end to end — results written to a fresh store —
in this process (``--jobs 1``) and on a local pool of two worker processes (``--jobs 2``,
worker start-up included). Each is repeated ``--repeats`` times; the medians are printed.

Usage: ``python benchmarks/study_throughput.py [--reps 24] [--repeats 3] [--protocol silo]``;
prints a table and keeps nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from experiments.engines import make_engine
from experiments.study import load_study, run_study

ROOT = Path(__file__).resolve().parents[1]


def study_file(directory: Path, reps: int, protocol: str, days: int | None) -> Path:
    path = directory / "throughput.yaml"
    horizon = f"days: {days}\n" if days else ""
    path.write_text(
        f"name: throughput\nbase: {ROOT / 'configs' / 'baseline.yaml'}\n"
        f"protocols: [{protocol}]\nreplications: {reps}\nseed: 1\n{horizon}"
        "keep: {kpis: all}\n",
        encoding="utf-8",
    )
    return path


def throughput(path: Path, jobs: int) -> float:
    """Replications per second of one run of the whole study into a fresh store."""
    study = load_study(path)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        summary = run_study(study, out, make_engine("local", jobs), progress=False)
        seconds = time.perf_counter() - start
    if summary.failures:
        raise SystemExit(f"{len(summary.failures)} jobs failed: {summary.failures[0].error}")
    return summary.ran / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--protocol", default="silo")
    parser.add_argument("--days", type=int, default=None, help="default: the config's horizon")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = study_file(Path(directory), args.reps, args.protocol, args.days)
        study = load_study(path)
        days = next(iter(study.configs.values())).horizon_days
        print(
            f"study: {args.reps} replications of the reference company, {args.protocol}, "
            f"{days} days; median of {args.repeats} runs, results store included"
        )
        medians = {}
        print(f"{'workers':>8} {'replications/s':>16} {'runs (replications/s)':>40}")
        for jobs in (1, 2):
            samples = [throughput(path, jobs) for _ in range(args.repeats)]
            medians[jobs] = statistics.median(samples)
            runs = ", ".join(f"{s:.2f}" for s in samples)
            print(f"{jobs:>8} {medians[jobs]:>16.2f} {runs:>40}")
    print(f"parallel speed-up with 2 workers: {medians[2] / medians[1]:.2f}x")


if __name__ == "__main__":
    main()
