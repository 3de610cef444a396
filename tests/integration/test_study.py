"""Running a study: the same results on any engine, resumable, failures kept, tidy tables.

One small study (2 protocols × 2 points × 3 replications of 120 days = 12 jobs) is run in this
process, on a pool of two processes, on a Dask cluster and in three shards; every way gives
the same table to the last bit (wall-clock columns aside).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import experiments.study as study_module
from experiments.cli import main
from experiments.compare import compare
from experiments.engines import Dask, InProcess, LocalPool
from experiments.results import WALL_CLOCK, load_results
from experiments.store import Store
from experiments.study import Shard, load_study, run_study

ROOT = Path(__file__).resolve().parents[2]

STUDY = f"""\
name: small
base: {ROOT / "configs" / "baseline.yaml"}
protocols: [silo, sop]
factors:
  agents.operations.lot_size: [50, 200]
replications: 3
seed: 4
days: 120
keep:
  kpis: [operating_profit, fill_rate, avg_inventory_value]
"""


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(STUDY, encoding="utf-8")
    return load_study(path)


@pytest.fixture
def reference_dir(small, tmp_path_factory) -> Path:
    """The study run once, in this process."""
    out = tmp_path_factory.mktemp("reference")
    summary = run_study(small, out, InProcess())
    assert summary.ran == 12 and not summary.failures
    return out


@pytest.fixture
def reference(reference_dir) -> pd.DataFrame:
    return reproducible(reference_dir)


def reproducible(out: Path) -> pd.DataFrame:
    """The results table without the columns that say when and where jobs ran."""
    return load_results(out).table.drop(columns=list(WALL_CLOCK))


def test_the_table_has_one_row_per_job_with_labels_and_kept_kpis(reference, small):
    assert len(reference) == 12
    assert list(reference.columns) == [
        "job",
        "key",
        "agents.operations.lot_size",
        "scenario",
        "protocol",
        "replication",
        "seed",
        "operating_profit",
        "fill_rate",
        "avg_inventory_value",
    ]
    assert list(reference.key) == [j.key for j in small.jobs]
    assert set(reference.protocol) == {"silo", "sop"}


def test_two_processes_give_the_same_results(small, reference, tmp_path):
    run_study(small, tmp_path, LocalPool(2))
    pd.testing.assert_frame_equal(reproducible(tmp_path), reference, check_exact=True)


def test_a_dask_cluster_gives_the_same_results(small, reference, tmp_path):
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        summary = run_study(small, tmp_path, Dask(scheduler=cluster.scheduler_address))
    assert summary.ran == 12
    pd.testing.assert_frame_equal(reproducible(tmp_path), reference, check_exact=True)


def test_three_shards_together_are_the_whole_study(small, reference, tmp_path):
    ran = [run_study(small, tmp_path, InProcess(), Shard(i, 3)).ran for i in (1, 2, 3)]
    assert ran == [4, 4, 4]
    pd.testing.assert_frame_equal(reproducible(tmp_path), reference, check_exact=True)


def test_a_rerun_skips_finished_jobs(small, tmp_path):
    run_study(small, tmp_path, InProcess(), Shard(1, 2))
    summary = run_study(small, tmp_path, InProcess())
    assert (summary.already_done, summary.ran) == (6, 6)
    assert run_study(small, tmp_path, InProcess()).ran == 0


def test_studies_and_compare_agree_on_seeds_and_differences(small, reference_dir):
    config = small.jobs[0].config  # silo, lot_size 50, 120 days
    expected = compare(config, ["silo", "sop"], reps=3, seed=4).summary()["kpis"]
    diff = load_results(reference_dir).paired_differences(["operating_profit"])
    row = diff[diff["agents.operations.lot_size"] == 50].iloc[0]
    assert row.protocol == "sop" and row.baseline == "silo" and row.n == 3
    sop = expected["operating_profit"]["diff"]["sop"]
    assert row["mean"] == pytest.approx(sop["mean"], rel=1e-12)
    assert (row.ci_low, row.ci_high) == pytest.approx(tuple(sop["ci"]), rel=1e-12)


def test_a_job_that_raises_is_stored_with_its_inputs_and_the_rest_go_on(
    small, tmp_path, monkeypatch
):
    real = study_module.simulate
    broken = small.jobs[4]  # lot_size 50, sop, replication 1

    def simulate(config, seed=None):
        if config == broken.config and seed == broken.seed:
            raise ZeroDivisionError("a planner divided by zero")
        return real(config, seed=seed)

    monkeypatch.setattr(study_module, "simulate", simulate)
    summary = run_study(small, tmp_path, InProcess())
    assert summary.ran == 12 and [f.job.index for f in summary.failures] == [4]

    (record,) = Store(tmp_path).failures()
    assert record["labels"]["protocol"] == "sop" and record["seed"] == broken.seed
    assert record["inputs"]["seed"] == broken.seed
    assert record["inputs"]["config"]["agents"]["operations"]["lot_size"] == 50
    assert record["error"] == "ZeroDivisionError: a planner divided by zero"
    assert "in simulate" in record["traceback"]

    results = load_results(tmp_path)
    assert len(results.table) == 11 and [f["index"] for f in results.failures] == [4]
    printed = CliRunner().invoke(main, ["results", str(tmp_path)]).output
    assert "1 jobs failed" in printed and "ZeroDivisionError" in printed

    monkeypatch.setattr(study_module, "simulate", real)
    again = run_study(small, tmp_path, InProcess())
    assert again.ran == 1 and not again.failures  # only the failed job is tried again
    assert not list(Store(tmp_path).failures())


def test_the_study_command_names_failures_and_exits_1(small, tmp_path, monkeypatch):
    def simulate(config, seed=None):
        raise RuntimeError("no luck")

    monkeypatch.setattr(study_module, "simulate", simulate)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["study", str(small.path), "--out", str(out)])
    assert result.exit_code == 1
    assert "12 jobs failed" in result.output
    assert "job 0: agents.operations.lot_size=50, silo, scenario base, replication 0" in (
        result.output
    )
    assert "RuntimeError: no luck" in result.output


def test_the_results_command_writes_parquet_and_csv_and_prints_statistics(small, tmp_path):
    run_study(small, tmp_path, InProcess())
    result = CliRunner().invoke(main, ["results", str(tmp_path)])
    assert result.exit_code == 0, result.output
    parquet = pd.read_parquet(tmp_path / "results.parquet")
    csv = pd.read_csv(tmp_path / "results.csv")
    assert len(parquet) == len(csv) == 12
    assert "small: 12 of 12 jobs finished, 0 failed, 0 not run yet" in result.output
    assert "Paired differences from silo" in result.output
    assert "What moves each KPI most" in result.output

    payload = json.loads(
        CliRunner().invoke(main, ["results", str(tmp_path), "--format", "json"]).output
    )
    assert payload["finished"] == 12 and payload["failed"] == []
    cells = [c for c in payload["cells"] if c["kpi"] == "fill_rate"]
    assert len(cells) == 4 and all(c["n"] == 3 for c in cells)
    assert {e["factor"] for e in payload["effects"]} == {
        "agents.operations.lot_size",
        "protocol",
    }


def test_time_series_are_kept_per_job_when_asked(tmp_path):
    text = STUDY.replace("  kpis: [", "  timeseries: true\n  kpis: [").replace(
        "replications: 3", "replications: 1"
    )
    path = tmp_path / "series.yaml"
    path.write_text(text.replace("days: 120", "days: 30"), encoding="utf-8")
    study = load_study(path)
    run_study(study, tmp_path / "out", InProcess())
    series = load_results(tmp_path / "out").timeseries()
    products = series[series.entity_kind == "product"]
    assert len(products) == 4 * 30 * 3  # jobs × days × products
    assert {"job", "protocol", "agents.operations.lot_size", "period", "demand"} <= set(
        series.columns
    )


def test_a_serial_chain_study_runs_without_protocols(tmp_path):
    path = tmp_path / "chain.yaml"
    path.write_text(
        f"base: {ROOT / 'configs' / 'chain' / 'four_stage.yaml'}\n"
        "factors: {demand.base_per_period: [50, 100]}\n"
        "replications: 2\ndays: 200\n"
        "keep: {kpis: [fill_rate, bullwhip_retailer]}\n",
        encoding="utf-8",
    )
    study = load_study(path)
    assert study.protocols == (None,) and len(study.jobs) == 4
    run_study(study, tmp_path / "out", InProcess())
    result = CliRunner().invoke(main, ["results", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "chain: 4 of 4 jobs finished" in result.output
    assert list(load_results(tmp_path / "out").table.bullwhip_retailer.notna()) == [True] * 4


def test_results_give_scenario_minus_base_and_protocol_by_scenario(tmp_path):
    text = f"""\
name: whatifs
base: {ROOT / "configs" / "baseline.yaml"}
protocols: [silo, sop]
scenarios:
  base: []
  outage: ["supplier_failure:supplier=asia_motors,start_week=4,end_week=10"]
replications: 3
seed: 4
days: 150
keep:
  kpis: [operating_profit, fill_rate]
"""
    path = tmp_path / "whatifs.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    run_study(load_study(path), out, InProcess())
    found = load_results(out)
    table = found.table.set_index(["scenario", "protocol", "seed"])["operating_profit"]
    effect = {p: table["outage", p] - table["base", p] for p in ("silo", "sop")}
    diffs = found.scenario_differences(["operating_profit"]).set_index("protocol")
    for protocol in ("silo", "sop"):
        assert diffs.loc[protocol, "scenario"] == "outage"
        assert diffs.loc[protocol, "baseline"] == "base"
        assert diffs.loc[protocol, "mean"] == pytest.approx(effect[protocol].mean())
    [row] = found.interactions(["operating_profit"]).to_dict("records")
    assert (row["scenario"], row["protocol"], row["baseline"]) == ("outage", "sop", "silo")
    assert row["mean"] == pytest.approx((effect["sop"] - effect["silo"]).mean())
    assert row["n"] == 3 and row["ci_low"] <= row["mean"] <= row["ci_high"]
    summary = found.summary(["operating_profit"])
    assert summary["scenario_differences"] and summary["interactions"]
    printed = CliRunner().invoke(main, ["results", str(out), "--kpi", "operating_profit"])
    assert "Scenario minus base, per protocol" in printed.output
    assert "Protocol × scenario" in printed.output


def test_results_write_the_table_as_a_spreadsheet_too(reference_dir, tmp_path):
    table = tmp_path / "results.xlsx"
    shown = CliRunner().invoke(main, ["results", str(reference_dir), "--table", str(table)])
    assert shown.exit_code == 0, shown.output
    sheet = pd.read_excel(table, sheet_name="results")
    assert len(sheet) == 12 and {"protocol", "operating_profit"} <= set(sheet.columns)
    refused = CliRunner().invoke(
        main, ["results", str(reference_dir), "--table", str(tmp_path / "r.txt")]
    )
    assert refused.exit_code == 2
    assert "ending in .csv, .parquet or .xlsx" in refused.output
