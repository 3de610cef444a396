"""The generated references in docs/ match the code, and the README names every KPI."""

from __future__ import annotations

from pathlib import Path

from experiments.reference import config_reference
from sim.metrics import COMPANY_KPIS, kpi_reference

ROOT = Path(__file__).resolve().parents[2]


def test_kpi_reference_is_current():
    assert (ROOT / "docs" / "kpis.md").read_text(encoding="utf-8") == kpi_reference(), (
        "docs/kpis.md is stale: run `oneplan kpis > docs/kpis.md`"
    )


def test_config_reference_is_current():
    assert (ROOT / "docs" / "config.md").read_text(encoding="utf-8") == config_reference(), (
        "docs/config.md is stale: run `oneplan schema > docs/config.md`"
    )


def test_every_kpi_has_a_definition():
    for name, function in COMPANY_KPIS.items():
        assert function.__doc__ and len(function.__doc__.split()) >= 5, name


def test_readme_points_to_every_kpi():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in COMPANY_KPIS if f"`{name}`" not in readme]
    assert not missing, f"README does not mention {missing}"
