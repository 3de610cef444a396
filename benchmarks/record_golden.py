"""Record the reference results that optimisations must reproduce bit for bit.

Runs the reference company one year under every protocol on two seeds and writes, per run, each
KPI (as the exact float it printed) and a digest of its daily records and books, to
``tests/golden/baseline_one_year.json``. ``tests/integration/test_golden.py`` compares every
later run against it: a change meant to make the code faster must leave it untouched; a change
meant to change behaviour rewrites it here, on purpose, in the same commit.

Usage: ``python benchmarks/record_golden.py``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from agents.config import PROTOCOL_NAMES, load_config
from experiments.run import simulate

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "baseline_one_year.json"
SEEDS = (5, 11)
DAYS = 365


def digest(outcome) -> str:
    """A digest of everything a run recorded day by day: demand, the daily state, the books."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(outcome.demand).tobytes())
    for name in sorted(outcome.daily):
        h.update(name.encode())
        h.update(np.ascontiguousarray(outcome.daily[name]).tobytes())
    return h.hexdigest()


def record() -> dict:
    config = load_config(ROOT / "configs" / "baseline.yaml")
    out = {}
    for protocol in PROTOCOL_NAMES:
        for seed in SEEDS:
            result = simulate(config, seed=seed, days=DAYS, protocol=protocol)
            out[f"{protocol}/{seed}"] = {
                "kpis": {k: repr(v) for k, v in result.kpis.items()},
                "daily": digest(result.outcome),
            }
    return out


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(record(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"written {GOLDEN.relative_to(ROOT)}")
