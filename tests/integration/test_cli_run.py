"""``oneplan run``: a readable table, machine-readable JSON, tidy time series, overrides."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from experiments.cli import main
from sim.metrics import COMPANY_KPIS

BIN = Path(sys.executable).parent


def run(*args):
    result = CliRunner().invoke(main, list(args))
    return result


def test_table_shows_grouped_kpis_in_dollars_and_percent(configs_dir):
    result = run("run", str(configs_dir / "baseline.yaml"), "--days", "200")
    assert result.exit_code == 0, result.output
    for heading in ("Service", "Profit and loss", "Working capital and cash", "Planning"):
        assert heading in result.output
    assert "fill_rate" in result.output and "%" in result.output
    assert "operating_profit" in result.output and "$" in result.output


def test_json_is_the_only_output_and_has_every_kpi(configs_dir):
    path = str(configs_dir / "baseline.yaml")
    result = run("run", path, "--format", "json", "--seed", "3", "--days", "365")
    payload = json.loads(result.output)
    assert payload["config"] == path and payload["seed"] == 3 and payload["days"] == 365
    assert set(payload["kpis"]) == set(COMPANY_KPIS)


def test_set_overrides_change_the_run(configs_dir):
    path = str(configs_dir / "baseline.yaml")
    base = json.loads(run("run", path, "--format", "json", "--days", "200").output)["kpis"]
    dearer = json.loads(
        run(
            "run", path, "--format", "json", "--days", "200", "--set", "products.compact.price=178"
        ).output
    )["kpis"]
    assert dearer["revenue"] > base["revenue"]
    # Customers order the same: the demand draws do not depend on the price list.
    assert dearer["demand_plan_mape"] == pytest.approx(base["demand_plan_mape"], rel=0.5)


def test_bad_override_is_a_clear_error(configs_dir):
    result = run(
        "run", str(configs_dir / "baseline.yaml"), "--set", "plant.lines.line_1.capacity_per_day=-3"
    )
    assert result.exit_code == 2
    assert "--set plant.lines.line_1.capacity_per_day=-3" in result.output
    assert "greater than or equal to 0" in result.output


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_timeseries_is_tidy(tmp_path, configs_dir, suffix):
    out = tmp_path / f"series{suffix}"
    result = run(
        "run", str(configs_dir / "baseline.yaml"), "--days", "60", "--timeseries", str(out)
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    products = frame[frame.entity_kind == "product"]
    assert len(products) == 60 * 3
    assert {
        "period",
        "entity",
        "demand",
        "shipped",
        "backlog",
        "lost",
        "on_hand",
        "production",
        "orders_placed",
    } <= set(frame.columns)
    assert not products.duplicated(["period", "entity"]).any()
    components = frame[frame.entity_kind == "component"]
    assert len(components) == 60 * 5 and components.orders_placed.sum() > 0


def test_chain_timeseries_has_each_stage_demand_and_orders(tmp_path, configs_dir):
    out = tmp_path / "chain.csv"
    result = run(
        "run",
        str(configs_dir / "chain" / "four_stage.yaml"),
        "--days",
        "100",
        "--timeseries",
        str(out),
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert sorted(frame.entity.unique()) == ["distributor", "factory", "retailer", "wholesaler"]
    # What a stage ordered reaches the stage upstream as its demand (no order delay here).
    wide = frame.pivot(index="period", columns="entity", values=["demand", "orders_placed"])
    pd.testing.assert_series_equal(
        wide["orders_placed"]["retailer"], wide["demand"]["wholesaler"], check_names=False
    )


def test_console_script_runs_the_baseline(configs_dir):
    done = subprocess.run(
        [
            str(BIN / "oneplan"),
            "run",
            str(configs_dir / "baseline.yaml"),
            "--days",
            "100",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["days"] == 100


def test_plot_draws_a_picture(tmp_path, configs_dir):
    out = tmp_path / "run.png"
    result = run("run", str(configs_dir / "baseline.yaml"), "--days", "120", "--plot", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000
