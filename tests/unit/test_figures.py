"""Each figure shows what its data says: drawn from small runs (or a small summary), the bars,
points and lines on its axes — and the numbers in its title — are checked against the data."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from agents.config import load_config
from experiments.compare import compare
from experiments.figures.attribution import attribution_figure
from experiments.figures.bridge import bridge_figure, bridge_steps
from experiments.figures.chain import chain_figure, chain_points
from experiments.figures.flows import bullwhip_figure, variance_ratios
from experiments.figures.frontier import frontier_figure
from experiments.figures.ladder import ladder_figure, ladder_finding
from experiments.figures.over_time import money_figure, operations_figure, rolling, truth_figure
from experiments.figures.series import weekly_series
from experiments.figures.style import PROTOCOL_COLOURS, colour_of
from experiments.run import simulate

DAYS = 140
PROTOCOLS = ["silo", "sop"]


@pytest.fixture(scope="module")
def comparison(configs_dir):
    config = load_config(configs_dir / "baseline.yaml", {"horizon_days": DAYS})
    return config, compare(config, PROTOCOLS, 3, seed=5)


@pytest.fixture(scope="module")
def runs(comparison):
    config, result = comparison
    return {
        p: [weekly_series(simulate(config, seed=s, protocol=p).outcome) for s in result.seeds]
        for p in PROTOCOLS
    }


def test_each_protocol_keeps_its_colour_everywhere():
    assert colour_of("sop") == PROTOCOL_COLOURS["sop"] != colour_of("silo")
    assert len(set(PROTOCOL_COLOURS.values())) == len(PROTOCOL_COLOURS)


def test_the_ladders_error_bars_are_the_comparisons_intervals(comparison):
    _, result = comparison
    summary = result.summary()
    fig = ladder_figure(summary, "baseline")
    profit_axis = fig.axes[0]
    for i, protocol in enumerate(PROTOCOLS):
        entry = summary["kpis"]["operating_profit"][protocol]
        container = profit_axis.containers[i]
        ((x, y),) = container.lines[0].get_xydata()
        assert (x, y) == (i, pytest.approx(entry["mean"]))
        ((bottom, top),) = [segment[:, 1] for segment in container.lines[2][0].get_segments()]
        assert (bottom, top) == (pytest.approx(entry["ci"][0]), pytest.approx(entry["ci"][1]))
        assert container.lines[0].get_color() == colour_of(protocol)
    fill_axis = fig.axes[1]  # shares are drawn as percentages
    ((_, y),) = fill_axis.containers[0].lines[0].get_xydata()
    assert y == pytest.approx(100 * summary["kpis"]["fill_rate"]["silo"]["mean"])
    title = fig._suptitle.get_text()
    assert ladder_finding(summary).replace("$", r"\$") in title
    assert f"means of {result.reps} paired replications" in title


def test_the_profit_bridge_adds_up_to_the_difference_in_operating_profit(comparison):
    _, result = comparison
    summary = result.summary()
    steps = bridge_steps(summary, "sop")
    total = summary["kpis"]["operating_profit"]["diff"]["sop"]["mean"]
    assert sum(s[1] for s in steps) == pytest.approx(total)
    fig = bridge_figure(summary, "sop")
    bars = fig.axes[0].patches
    start = summary["kpis"]["operating_profit"]["silo"]["mean"]
    assert bars[0].get_height() == pytest.approx(start)
    assert sum(b.get_height() for b in bars[1:-1]) == pytest.approx(total)
    assert bars[-1].get_height() == pytest.approx(start + total)


def test_the_waterfalls_pieces_sum_to_the_difference():
    parts = {"demand_review": 120.0, "supply_review": 300.0, "option:overtime": -20.0}
    stat = lambda x: {"mean": x, "ci": [x - 10, x + 10]}  # noqa: E731
    summary = {
        "base": "silo",
        "target": "sop",
        "reps": 5,
        "kpis": {
            "operating_profit": {
                "base": stat(1_000_000.0),
                "target": stat(1_000_400.0),
                "total": stat(400.0),
                "contributions": {k: stat(v) for k, v in parts.items()},
            }
        },
    }
    fig = attribution_figure(summary, "operating_profit")
    bars = fig.axes[0].patches
    assert len(bars) == len(parts) + 2
    scale = 1e6
    pieces = [b.get_height() * scale for b in bars[1:-1]]
    assert pieces == pytest.approx(list(parts.values()))
    assert bars[0].get_height() + sum(b.get_height() for b in bars[1:-1]) == pytest.approx(
        bars[-1].get_height()
    )
    assert "the biggest piece is supply review" in fig._suptitle.get_text()


def test_the_operations_picture_draws_the_mean_of_every_replication(runs):
    fig = operations_figure(runs, "baseline")
    fill, inventory, load = fig.axes
    assert len(load.lines) >= len(PROTOCOLS)
    for i, protocol in enumerate(PROTOCOLS):
        mean = np.mean([100 * rolling(s.fill) for s in runs[protocol]], axis=0)
        np.testing.assert_allclose(fill.lines[i].get_ydata(), mean)
        stock = np.mean([s.inventory for s in runs[protocol]], axis=0)
        np.testing.assert_allclose(inventory.lines[i].get_ydata(), stock)
    points = [np.mean([100 * rolling(s.fill) for s in runs[p]]) for p in PROTOCOLS]
    shown = re.search(r"serves ([+-][\d.]+) points", fig._suptitle.get_text())
    assert float(shown.group(1)) == pytest.approx(points[1] - points[0], abs=0.05)
    money = money_figure(runs)
    assert len(money.axes[0].lines) == len(PROTOCOLS)


def test_the_versions_of_the_truth_show_each_functions_forecast_against_demand(runs):
    fig = truth_figure(runs)
    assert len(fig.axes) == len(PROTOCOLS)
    labels = {line.get_label() for line in fig.axes[0].lines}
    assert {"customers ordered (4-week average)", "sales", "operations"} <= labels


def test_the_bullwhip_bars_are_the_mean_variability_ratios(runs):
    fig = bullwhip_figure(runs)
    bars = fig.axes[0].patches
    silo = [variance_ratios(s) for s in runs["silo"]]
    expected = np.mean([r["customers"] for r in silo])
    assert bars[0].get_height() == pytest.approx(expected) == pytest.approx(1.0)
    procurement = np.mean([r["procurement"] for r in silo])
    assert any(b.get_height() == pytest.approx(procurement) for b in bars)


def test_a_frontier_has_one_point_per_sweep_value_per_protocol():
    rows = [
        {
            "protocol": p,
            "pay": pay,
            "avg_inventory_value": 1000 * pay + k,
            "fill_rate": 0.8 + pay / 100,
        }
        for p in PROTOCOLS
        for pay in (0, 5, 10, 20)
        for k in range(3)
    ]
    fig = frontier_figure(pd.DataFrame(rows), "pay", at=5)
    curves = [line for line in fig.axes[0].lines if line.get_linestyle() == "-"]
    assert len(curves) == len(PROTOCOLS)
    assert all(len(line.get_xdata()) == 4 for line in curves)
    stars = [line for line in fig.axes[0].lines if line.get_marker() == "*"]
    assert len(stars) == len(PROTOCOLS)


def test_ten_years_of_a_daily_chain_stay_readable(configs_dir):
    assert chain_points(1, 3650) == (28, "4 weeks")
    assert chain_points(7, 52) == (1, "week")
    assert chain_points(1, 364) == (7, "week")
    config = load_config(configs_dir / "chain" / "four_stage.yaml")
    outcome = simulate(config).outcome
    fig = chain_figure(outcome)
    orders = fig.axes[0].lines[0]
    per, _ = chain_points(outcome.period_days, outcome.periods)
    assert len(orders.get_ydata()) == outcome.periods // per <= 260
    kept = outcome.periods // per * per
    assert orders.get_ydata().sum() == pytest.approx(outcome.customer_demand[:kept].sum())
