"""Speed of the value-of-S&OP attribution: ``oneplan attribute configs/baseline.yaml`` with its
default replications on two worker processes, the whole command timed (start-up included).

The target is three minutes on a two-core machine. Usage:
``python benchmarks/attribution.py [--repeats N]``; prints the median wall time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 180.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    command = [
        str(Path(sys.executable).with_name("oneplan")),
        "attribute",
        str(ROOT / "configs" / "baseline.yaml"),
        "--jobs",
        "2",
        "--format",
        "json",
    ]
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    verdict = "meets" if median <= TARGET_SECONDS else "misses"
    print(
        f"oneplan attribute configs/baseline.yaml --jobs 2: {median:.0f} s (median of "
        f"{len(times)}); {verdict} the {TARGET_SECONDS:.0f} s target"
    )


if __name__ == "__main__":
    main()
