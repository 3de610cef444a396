"""The IBP commands as a consultant uses them: the budget a config plans against, one month's
meeting in dollars, and the plan in the time series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from agents.budget import monthly_budget
from agents.config import load_config
from experiments.cli import main

ROOT = Path(__file__).resolve().parents[2]
BASELINE = str(ROOT / "configs" / "baseline.yaml")
DAYS = "400"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_the_derived_budget_can_be_pasted_into_the_config_and_means_the_same(tmp_path):
    printed = invoke("budget", BASELINE, "--days", DAYS)
    assert printed.exit_code == 0, printed.output
    assert "derived from a first-year run" in printed.output
    stated = yaml.safe_load(printed.output)["budget"]
    assert len(stated["years"]) == 2  # 400 days need two budget years
    assert set(stated["years"][0]["families"]) == {"consumer", "professional"}
    overlay = tmp_path / "with_budget.yaml"
    overlay.write_text(
        f"extends: {BASELINE}\n" + yaml.safe_dump({"budget": stated}), encoding="utf-8"
    )
    again = invoke("budget", str(overlay), "--days", DAYS)
    assert again.exit_code == 0, again.output
    assert "stated in the config" in again.output
    config = load_config(overlay, [f"horizon_days={DAYS}"])
    months = monthly_budget(config.budget, config.finance.opening_cash, 24)
    assert np.nansum(months["revenue"][:12]) == pytest.approx(stated["years"][0]["revenue"])


def test_a_budget_shorter_than_the_run_is_a_located_error(tmp_path):
    year = {
        "revenue": 1e7,
        "gross_margin": 5e6,
        "operating_profit": 1e6,
        "average_inventory": 4e5,
        "ending_cash": 3e6,
    }
    overlay = tmp_path / "short_budget.yaml"
    overlay.write_text(
        f"extends: {BASELINE}\n" + yaml.safe_dump({"budget": {"years": [year]}}), encoding="utf-8"
    )
    result = invoke("validate", str(overlay))
    assert result.exit_code == 2
    assert "budget.years" in result.output and "needs 3 years; it has 1" in result.output
    assert "Traceback" not in result.output


def test_one_ibp_month_shows_the_plan_in_dollars_the_gap_and_the_decisions(tmp_path):
    picture = tmp_path / "plan.png"
    result = invoke("ibp", BASELINE, "--days", DAYS, "--month", "10", "--plot", str(picture))
    assert result.exit_code == 0, result.output
    text = result.output
    assert "the IBP meeting of month 10" in text
    assert "projected / budget" in text
    assert "against the budget" in text
    assert "TAKEN" in text and "declined" in text
    assert "Last month (month 9), projected at its start against the books" in text
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    missing = invoke("ibp", BASELINE, "--days", DAYS, "--month", "30")
    assert missing.exit_code == 2 and "no IBP meeting that month" in missing.output


def test_the_time_series_holds_each_meetings_plan_against_budget_and_books(tmp_path):
    series = tmp_path / "series.parquet"
    result = invoke(
        "run", BASELINE, "--protocol", "ibp", "--days", DAYS, "--timeseries", str(series)
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(series)
    plan = frame[frame["entity_kind"] == "projection"]
    assert set(plan["entity"]) >= {"revenue", "operating_profit", "inventory", "cash"}
    # One row per meeting, month and line; months closed in the run carry the books' figure.
    assert not plan.duplicated(["cycle_day", "month", "entity"]).any()
    month_ahead = plan[(plan["entity"] == "revenue") & (plan["period"] == plan["cycle_day"])]
    closed = month_ahead.dropna(subset=["actual"])
    assert len(closed) >= 10
    error = ((closed["projected"] - closed["actual"]).abs() / closed["actual"]).mean()
    assert error < 0.10  # the month-ahead plan in dollars is close to what the books show
