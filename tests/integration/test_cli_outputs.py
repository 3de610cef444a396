"""What the commands are asked to write is checked before any work, and written as said.

An output that cannot be written (a pseudo file system, a device, a path through a file)
stops the command at once with exit 2 — the simulation never starts; a file is written where
the message says, in the format its name says; options are checked like config values.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import experiments.run
from experiments.cli import main

ROOT = Path(__file__).resolve().parents[2]
BASELINE = str(ROOT / "configs" / "baseline.yaml")
BEER_GAME = str(ROOT / "configs" / "games" / "beer_game.yaml")
STUDY = str(ROOT / "configs" / "studies" / "ladder_x_optimism.yaml")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if a simulation starts."""

    def simulate(*args, **kwargs):
        raise AssertionError("the simulation ran before the output was checked")

    monkeypatch.setattr(experiments.run, "simulate", simulate)


def through_a_file(tmp_path: Path, name: str) -> Path:
    """A path whose directory would have to be made inside a regular file."""
    (tmp_path / "notes.txt").write_text("a file, not a directory")
    return tmp_path / "notes.txt" / "out" / name


@pytest.mark.parametrize(
    ("option", "name"),
    [("--timeseries", "daily.csv"), ("--plot", "run.png"), ("--decision-log", "log.jsonl")],
)
def test_an_unwritable_output_stops_the_run_before_it_starts(tmp_path, no_simulation, option, name):
    path = through_a_file(tmp_path, name)
    extra = ["--protocol", "sop"] if option == "--decision-log" else []
    result = invoke("run", BASELINE, "--days", "30", *extra, option, str(path))
    assert result.exit_code == 2, result.output
    assert f"{option} {path}: cannot write in" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("device", ["/dev/full", "/proc/oneplan.csv"])
def test_a_device_or_pseudo_file_is_refused_before_the_run(no_simulation, device):
    if not Path(device).parent.is_dir() or (device == "/dev/full" and not Path(device).exists()):
        pytest.skip(f"no {device} here")
    result = invoke("run", BASELINE, "--days", "30", "--timeseries", device)
    assert result.exit_code == 2, result.output
    assert result.stderr.count(f"--timeseries {device}:") == 1
    assert "Traceback" not in result.output


def test_a_study_into_an_unwritable_directory_starts_no_job(tmp_path, no_simulation):
    out = through_a_file(tmp_path, "study")
    result = invoke("study", STUDY, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert f"--out {out}: cannot write in" in result.stderr


def test_results_into_an_unwritable_directory_is_refused(tmp_path):
    from experiments.engines import InProcess
    from experiments.study import load_study, run_study

    study = tmp_path / "tiny.yaml"
    study.write_text(f"base: {BASELINE}\nreplications: 1\ndays: 20\nkeep: {{kpis: [fill_rate]}}\n")
    run_study(load_study(study), tmp_path / "out", InProcess())
    out = through_a_file(tmp_path, "tables")
    result = invoke("results", str(tmp_path / "out"), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert f"--out {out}: cannot write in" in result.stderr


def test_a_picture_goes_exactly_where_the_message_says_in_the_format_named(tmp_path):
    refused = invoke("run", BASELINE, "--days", "30", "--plot", str(tmp_path / "pic"))
    assert refused.exit_code == 2
    assert "give a file name ending in .png, .svg or .pdf (got no extension)" in refused.stderr
    assert list(tmp_path.iterdir()) == []  # no pic.png written behind the user's back

    path = tmp_path / "pic.svg"
    done = invoke("run", BASELINE, "--days", "30", "--plot", str(path))
    assert done.exit_code == 0, done.output
    assert f"picture written to {path}" in done.stdout
    assert path.read_text().lstrip().startswith(("<?xml", "<svg"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pic.svg"]


def test_a_time_series_in_a_format_it_cannot_write_is_refused(tmp_path, no_simulation):
    result = invoke("run", BASELINE, "--days", "30", "--timeseries", str(tmp_path / "ts.xls"))
    assert result.exit_code == 2
    assert "give a file name ending in .csv, .parquet or .xlsx (got '.xls')" in result.stderr
    assert not (tmp_path / "ts.xls").exists()


def test_a_time_series_opens_in_a_spreadsheet(tmp_path):
    import pandas as pd

    path = tmp_path / "ts.xlsx"
    result = invoke("run", BASELINE, "--days", "14", "--timeseries", str(path))
    assert result.exit_code == 0, result.output
    sheet = pd.read_excel(path, sheet_name="timeseries")
    assert {"period", "entity_kind", "entity", "demand"} <= set(sheet.columns)
    assert set(sheet["period"]) == set(range(14))


def test_no_decision_log_is_claimed_when_no_meeting_was_held(tmp_path):
    path = tmp_path / "log.jsonl"
    silo = invoke(
        "run", BASELINE, "--days", "60", "--protocol", "silo", "--decision-log", str(path)
    )
    assert silo.exit_code == 0, silo.output
    assert "decision log written" not in silo.stdout
    assert "no S&OP meeting was held in 60 days under protocol silo" in silo.stderr
    assert not path.exists()

    sop = invoke("run", BASELINE, "--days", "60", "--protocol", "sop", "--decision-log", str(path))
    assert sop.exit_code == 0, sop.output
    lines = path.read_text().splitlines()
    kinds = {json.loads(line)["kind"] for line in lines}
    assert lines and kinds <= {"sop_cycle", "exception_review"} and "sop_cycle" in kinds
    assert f"decision log written to {path} ({len(lines)} S&OP meetings)" in sop.stdout


@pytest.mark.parametrize(
    ("config", "extra", "why"),
    [
        (BEER_GAME, [], "a serial chain holds no S&OP meetings"),
        (BASELINE, ["--protocol", "classic"], "protocol classic (textbook policies)"),
    ],
)
def test_a_decision_log_where_no_meeting_can_be_held_is_refused(
    tmp_path, no_simulation, config, extra, why
):
    path = tmp_path / "log.jsonl"
    result = invoke("run", config, *extra, "--decision-log", str(path))
    assert result.exit_code == 2
    assert why in result.stderr
    assert not path.exists()


def test_json_records_the_protocol_and_the_overrides_it_ran_with():
    result = invoke(
        "run", BASELINE, "--days", "30", "--protocol", "sop", "--format", "json",
        "--set", "agents.sales.optimism_bias=0.3", "--set", "allocation=fifo",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["protocol"] == "sop"
    assert payload["set"] == ["agents.sales.optimism_bias=0.3", "allocation=fifo"]


def test_compare_refuses_a_protocol_listed_twice(no_simulation):
    result = invoke("compare", BASELINE, "--days", "60", "--reps", "2", "--protocols", "silo,silo")
    assert result.exit_code == 2
    assert "list each protocol once (silo is listed more than once)" in result.stderr


def test_compare_checks_every_protocol_through_the_gate(no_simulation):
    result = invoke(
        "compare", BASELINE, "--days", "30", "--reps", "2",
        "--protocols", "silo,classic", "--set", "policies=null",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        "--protocol classic: protocol: protocol 'classic' needs a 'policies' section "
        "(or choose a function protocol)"
    )


@pytest.mark.parametrize(
    ("command", "config", "days", "limit"),
    [
        ("run", BASELINE, "100001", "100000"),
        ("run", BASELINE, "1000000000000", "100000"),
        ("compare", BASELINE, "100001", "100000"),
        ("run", BEER_GAME, "1000001", "1000000"),
    ],
)
def test_days_are_held_to_the_configs_limit(no_simulation, command, config, days, limit):
    result = invoke(command, config, "--days", days)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"--days {days}: horizon_days: Input should be less than or equal to {limit} (got {days})"
    )


def test_a_promotion_after_the_horizon_is_reported_as_a_warning():
    promotion = "products.pro.demand.promotions=[{start_day: 400, duration_days: 7, uplift: 0.2}]"
    result = invoke("validate", BASELINE, "--set", "horizon_days=365", "--set", promotion)
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == (
        f"warning: --set {promotion}: products.pro.demand.promotions.0.start_day: day 400 is "
        "after the last day simulated (364); it has no effect"
    )
    quiet = invoke("validate", BASELINE, "--set", promotion)  # three years: it happens
    assert quiet.stderr == ""


def test_a_scenario_after_the_horizon_is_an_error():
    # Unlike a config's own promotion, a what-if that cannot happen is a mistake.
    scenario = "scenarios=[{kind: supplier_failure, supplier: asia_motors, start_day: 400}]"
    result = invoke("validate", BASELINE, "--set", "horizon_days=365", "--set", scenario)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"--set {scenario}: scenarios.0.start_day: starts after the run ends (horizon_days "
        "365); allowed: start_day 0 to 364"
    )
