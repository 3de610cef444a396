"""Every protocol reproduces its recorded reference runs bit for bit.

``tests/golden/baseline_one_year.json`` holds, for the reference company over one year under
every protocol and two seeds, each KPI as the exact float it was and a digest of the run's
daily records and books (``benchmarks/record_golden.py`` writes it). A change that only makes
the code faster leaves every run identical; one that changes behaviour must rewrite the file on
purpose, in the same commit, and say why.

The daily records and books must match exactly. A KPI may differ in its last bits and no more
(a relative 1e-12): some KPIs add up dot products that numpy hands to OpenBLAS, whose kernel is
chosen by the CPU (AVX-512 machines add in a different order than AVX2 ones), so the same code
on another machine type gives the same run and KPIs a few units in the last place apart.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "record_golden", ROOT / "benchmarks" / "record_golden.py"
)
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)
RECORDED = json.loads(golden.GOLDEN.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def now() -> dict:
    return golden.record()


@pytest.mark.parametrize("run", sorted(RECORDED))
def test_a_recorded_run_is_reproduced_bit_for_bit(now, run):
    assert now[run]["daily"] == RECORDED[run]["daily"]
    assert set(now[run]["kpis"]) == set(RECORDED[run]["kpis"])
    moved = {
        name: (value, RECORDED[run]["kpis"][name])
        for name, value in now[run]["kpis"].items()
        if not _same(float(value), float(RECORDED[run]["kpis"][name]))
    }
    assert not moved, f"KPIs moved (now, recorded): {moved}"


def _same(now: float, recorded: float) -> bool:
    """Equal but for the last bits of a sum (both NaN counts as equal)."""
    if math.isnan(now) or math.isnan(recorded):
        return math.isnan(now) and math.isnan(recorded)
    return math.isclose(now, recorded, rel_tol=1e-12, abs_tol=1e-9)


def test_every_protocol_is_recorded():
    from agents.config import PROTOCOL_NAMES

    assert {run.split("/")[0] for run in RECORDED} == set(PROTOCOL_NAMES)
