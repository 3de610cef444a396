"""The research workflow: sampled designs, global sensitivity, interactions, inert factors,
sequential replication, smoke runs, plots and export — each checked on a case whose answer is
known before the study runs.

The serial chain with one stock point under a fixed base-stock level is the workhorse: its
costs are exactly ``h · (unit-days on hand) + b · (unit-days short)`` and the stock does not
depend on ``h`` or ``b``, so the Sobol indices of its cost are known in closed form.
"""

from __future__ import annotations

import json
import math
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from experiments.cli import main
from experiments.engines import InProcess, LocalPool
from experiments.results import load_results
from experiments.study import load_study, run_sequential, run_study
from sim.source import SourceError

ROOT = Path(__file__).resolve().parents[2]
CHAIN = ROOT / "configs" / "chain" / "single_stage_base_stock.yaml"
HOLDING = "stages.store.holding_cost_per_unit_per_period"
BACKORDER = "stages.store.backorder_cost_per_unit_per_period"
LEVEL = "stages.store.policy.level"


def write(tmp_path: Path, text: str, name: str = "study.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


SOBOL = f"""\
name: chain_sobol
base: {CHAIN}
design: sobol
samples: 64
design_seed: 11
factors:
  {HOLDING}: {{low: 0.5, high: 1.5}}
  {BACKORDER}: {{low: 5, high: 15}}
replications: 1
days: 365
keep: {{kpis: [holding_cost, backorder_cost, total_cost, fill_rate]}}
"""


@pytest.fixture(scope="module")
def sobol(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sobol")
    study = load_study(write(directory, SOBOL))
    summary = run_study(study, directory / "out", LocalPool(2))
    assert summary.complete and not summary.failures
    return study, load_results(directory / "out")


def test_a_sobol_design_draws_the_saltelli_points(sobol):
    study, found = sobol
    # N (k + 2) points for k factors, first-order and total indices.
    assert len(study.points) == 64 * (2 + 2) == len(found.table)
    h = found.table[HOLDING]
    assert h.between(0.5, 1.5).all() and found.table[BACKORDER].between(5, 15).all()
    assert found.design["method"] == "sobol" and len(found.design["unit"]) == 256


def test_sobol_indices_are_recovered_within_their_ci(sobol):
    """Holding cost depends on h alone: S1 = ST = 1 for h, exactly 0 for b. Total cost is
    h·I + b·B with I and B the same at every point: S1(h) = I²Var(h) / (I²Var(h) + B²Var(b))
    and no interaction, so ST = S1."""
    _, found = sobol
    table = found.sensitivity(["holding_cost", "total_cost", "fill_rate"])

    def index(kpi, factor, measure):
        row = table[(table.kpi == kpi) & (table.factor == factor) & (table.measure == measure)]
        return float(row["value"].iloc[0]), float(row["half_width"].iloc[0])

    for measure in ("S1", "ST"):
        value, half = index("holding_cost", HOLDING, measure)
        assert abs(value - 1.0) <= half
        assert index("holding_cost", BACKORDER, measure) == (0.0, 0.0)
        # Fill rate depends on neither: nothing varies, no factor matters.
        assert index("fill_rate", HOLDING, measure) == (0.0, 0.0)
    row = found.table.iloc[0]
    unit_days_on_hand = row["holding_cost"] / row[HOLDING]
    unit_days_short = row["backorder_cost"] / row[BACKORDER]
    var_h, var_b = 1.0**2 / 12, 10.0**2 / 12
    share_h = unit_days_on_hand**2 * var_h
    expected = share_h / (share_h + unit_days_short**2 * var_b)
    for measure in ("S1", "ST"):
        value, half = index("total_cost", HOLDING, measure)
        assert abs(value - expected) <= half, (measure, value, half, expected)
        value, half = index("total_cost", BACKORDER, measure)
        assert abs(value - (1 - expected)) <= half
    assert table.attrs["ranked_by"] == "ST"
    top = table[(table.kpi == "holding_cost") & (table["rank"] == 1)]
    assert set(top["factor"]) == {HOLDING}


def test_the_results_command_prints_the_ranked_table_and_draws_it(sobol, tmp_path):
    _, found = sobol
    result = CliRunner().invoke(
        main,
        [
            *("results", str(found.directory), "--sensitivity", "--plot"),
            *("--out", str(tmp_path), "--kpi", "total_cost", "--kpi", "holding_cost"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Global sensitivity (ranked by ST" in result.output
    block = result.output.split("\ntotal_cost, ")[1]
    first = block.strip().splitlines()[2]  # the output's name, the header, the top factor
    assert first.split()[0] == "1" and first.split()[1] in (HOLDING, BACKORDER)
    for name in ("sensitivity.png", "main_effects.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sensitivity_of_a_factorial_is_refused_with_a_reason(tmp_path):
    text = (
        SOBOL.replace("design: sobol\nsamples: 64\ndesign_seed: 11\n", "")
        .replace("{low: 0.5, high: 1.5}", "[0.5, 1.5]")
        .replace("{low: 5, high: 15}", "[5, 15]")
    )
    study = load_study(write(tmp_path, text))
    run_study(study, tmp_path / "out", InProcess())
    result = CliRunner().invoke(main, ["results", str(tmp_path / "out"), "--sensitivity"])
    assert result.exit_code == 2
    assert "sensitivity needs a sampled design" in result.output


def test_a_latin_hypercube_puts_one_point_in_each_stratum(tmp_path):
    text = SOBOL.replace("design: sobol", "design: latin_hypercube").replace(
        "samples: 64", "samples: 20"
    )
    study = load_study(write(tmp_path, text))
    assert len(study.points) == 20
    for path, low, high in ((HOLDING, 0.5, 1.5), (BACKORDER, 5.0, 15.0)):
        values = np.array([dict(p)[path] for p in study.points])
        strata = np.floor((values - low) / (high - low) * 20).astype(int)
        assert sorted(strata) == list(range(20))
    # The sampler has its own seed: the same points again, other points with another seed.
    again = load_study(write(tmp_path, text, "again.yaml"))
    assert again.points == study.points
    other = load_study(write(tmp_path, text.replace("design_seed: 11", "design_seed: 12")))
    assert other.points != study.points


def test_morris_finds_the_factor_that_does_nothing(tmp_path):
    text = SOBOL.replace("design: sobol", "design: morris").replace("samples: 64", "samples: 8")
    study = load_study(write(tmp_path, text))
    assert len(study.points) == 8 * (2 + 1)
    run_study(study, tmp_path / "out", InProcess())
    table = load_results(tmp_path / "out").sensitivity(["holding_cost"])
    mu = table[table.measure == "mu_star"].set_index("factor")["value"]
    assert mu[BACKORDER] == 0.0 and mu[HOLDING] > 0


def test_discrete_and_distributed_factors_in_a_sampled_design(tmp_path):
    text = SOBOL.replace(
        "{low: 5, high: 15}", "{distribution: triangular, low: 5, mode: 6, high: 15}"
    ).replace("samples: 64", "samples: 8")
    text = text.replace(f"  {BACKORDER}:", f"  {LEVEL}: [540, 560, 580]\n  {BACKORDER}:")
    study = load_study(write(tmp_path, text))
    levels = {dict(p)[LEVEL] for p in study.points}
    assert levels == {540, 560, 580}
    b = np.array([dict(p)[BACKORDER] for p in study.points])
    assert ((b >= 5) & (b <= 15)).all() and np.median(b) < 10  # the mode pulls it down


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ("{low: 0.5, high: 1.5}", f"factors.{HOLDING}", "low must be below high"),
        ("{low: 1.5, high: 0.5}", f"factors.{HOLDING}", "low must be below high"),
        ("{distribution: normal, mean: 1}", f"factors.{HOLDING}", "missing sd"),
        ("{distribution: cauchy, low: 1}", f"factors.{HOLDING}", "unknown distribution"),
        ("7", f"factors.{HOLDING}", "a factor is a list of levels, a range"),
    ],
)
def test_a_wrong_factor_is_named_with_what_is_allowed(tmp_path, change, path, message):
    text = SOBOL.replace("{low: 0.5, high: 1.5}", change)
    if change == "{low: 0.5, high: 1.5}":  # the same range in a factorial: not allowed
        text = text.replace("design: sobol\nsamples: 64\ndesign_seed: 11\n", "")
        message = "a full factorial needs a list of levels"
    with pytest.raises(SourceError) as raised:
        load_study(write(tmp_path, text))
    found = {p.path: p for p in raised.value.problems}
    assert message in found[path].message
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith(f"  {HOLDING}:"))
    assert found[path].location.line == line


def test_a_sampled_design_needs_its_samples(tmp_path):
    with pytest.raises(SourceError) as raised:
        load_study(write(tmp_path, SOBOL.replace("samples: 64\n", "")))
    assert "needs 'samples:'" in raised.value.problems[0].message


# ----------------------------------------------------------------- inert and interactions

LADDER = f"""\
name: delay_and_bias
base: {ROOT / "configs" / "baseline.yaml"}
overlays:
  - {{agents.adaptation: false}}
protocols: [silo, info_sharing]
factors:
  information_delay_days: [0, 14]
  agents.sales.optimism_bias: [0.0, 0.5]
replications: 4
days: 365
keep: {{kpis: [operating_profit, fill_rate, avg_inventory_value]}}
"""


@pytest.fixture(scope="module")
def ladder(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ladder")
    study = load_study(write(directory, LADDER))
    run_study(study, directory / "out", LocalPool(2))
    return load_results(directory / "out")


def test_an_inert_factor_is_flagged_and_an_active_one_is_not(ladder):
    """Under info_sharing every function sees today's data: the information delay does
    nothing, to the last bit. Sales' bias moves every KPI under both protocols."""
    found = ladder.inert().set_index(["protocol", "factor"])
    assert found.loc[("info_sharing", "information_delay_days"), "inert"]
    assert found.loc[("info_sharing", "information_delay_days"), "smallest_p"] == 1.0
    for protocol in ("silo", "info_sharing"):
        assert not found.loc[(protocol, "agents.sales.optimism_bias"), "inert"]
        moved = found.loc[(protocol, "agents.sales.optimism_bias"), "moves"]
        assert "fill_rate" in moved


def test_the_results_command_warns_of_an_inert_factor(ladder):
    result = CliRunner().invoke(main, ["results", str(ladder.directory)])
    assert result.exit_code == 0, result.output
    warning = [line for line in result.output.splitlines() if "warning:" in line]
    assert any("information_delay_days changes nothing under" in w and "info_sharing" in w
               for w in warning)  # fmt: skip
    assert not any("optimism_bias" in w for w in warning)


def test_two_way_interactions_are_paired_differences_of_differences(ladder):
    table = ladder.factor_interactions(["fill_rate"]).set_index(["factor", "by"])
    row = table.loc[("agents.sales.optimism_bias", "protocol")]
    ends = (row["low"], row["high"], row["by_low"], row["by_high"])
    assert ends == (0.0, 0.5, "silo", "info_sharing")
    t = ladder.table
    per_seed = t.groupby(["seed", "agents.sales.optimism_bias", "protocol"])["fill_rate"].mean()
    by_hand = (
        per_seed.xs((0.5, "info_sharing"), level=[1, 2])
        - per_seed.xs((0.0, "info_sharing"), level=[1, 2])
        - per_seed.xs((0.5, "silo"), level=[1, 2])
        + per_seed.xs((0.0, "silo"), level=[1, 2])
    )
    assert row["n"] == 4 and math.isclose(row["mean"], by_hand.mean(), rel_tol=1e-12)
    assert row["ci_low"] < row["mean"] < row["ci_high"]


def test_an_additive_chain_has_no_interaction_and_a_product_has_one(tmp_path):
    """Total cost is h·I + b·B (no h × b interaction, to rounding); holding cost is h·I(S)
    (h × S interact: a higher level holds more, and h prices every unit of it)."""
    text = f"""\
base: {CHAIN}
factors:
  {HOLDING}: [0.5, 1.5]
  {BACKORDER}: [5, 15]
  {LEVEL}: [520, 600]
replications: 3
days: 365
keep: {{kpis: [total_cost, holding_cost]}}
"""
    run_study(load_study(write(tmp_path, text)), tmp_path / "out", InProcess())
    table = load_results(tmp_path / "out").factor_interactions().set_index(["kpi", "factor", "by"])
    additive = table.loc[("total_cost", HOLDING, BACKORDER)]
    assert abs(additive["mean"]) < 1e-6 * table["mean"].abs().max()
    product = table.loc[("holding_cost", HOLDING, LEVEL)]
    assert product["ci_low"] > 0


# ------------------------------------------------------------------- sequential replication

SEQUENTIAL = f"""\
name: until_narrow
base: {CHAIN}
overlays:
  - {{{LEVEL}: 1000, stages.store.initial_on_hand: 1000}}
replications: {{until: {{kpi: on_hand_avg_store, half_width: 2.0}}, min: 5, max: 80, batch: 5}}
days: 365
keep: {{kpis: [on_hand_avg_store, fill_rate]}}
"""


def test_replications_are_added_until_the_ci_is_narrow_enough(tmp_path):
    """With a base stock far above demand nothing is ever short, and the stock at the end of
    a day is the level minus the demand of the five days whose orders are on their way: its
    yearly average has a standard deviation of 5·20/√365 = 5.23 units, so a 95% half-width of
    2 needs about (1.96·5.23/2)² ≈ 26 replications."""
    study = load_study(write(tmp_path, SEQUENTIAL))
    seen = []
    stopped, _ = run_sequential(
        study, tmp_path / "out", InProcess(), report=lambda n, h, w: seen.append((n, h))
    )
    n = stopped.replications
    assert stopped.stopped["why"] == "every half-width at most 2"
    assert seen[-1][1] <= 2.0 < seen[-2][1]  # it stopped at the first batch that was enough
    assert [count for count, _ in seen] == list(range(5, n + 1, 5))
    values = load_results(tmp_path / "out").table["on_hand_avg_store"]
    assert len(values) == n
    sd = 5 * 20 / math.sqrt(365)
    assert 0.75 * sd < values.std(ddof=1) < 1.25 * sd
    assert 15 <= n <= 45
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["replications"]["stopped"]["why"] == "every half-width at most 2"
    assert manifest["replications"]["running"] == n == len(manifest["jobs"])
    # The first replications kept their seeds as the study grew (common random numbers).
    assert list(stopped.seeds[:5]) == list(study.seeds)


def test_a_sequential_study_stops_at_its_max_and_says_so(tmp_path):
    text = SEQUENTIAL.replace("half_width: 2.0", "half_width: 0.01").replace("max: 80", "max: 12")
    stopped, _ = run_sequential(load_study(write(tmp_path, text)), tmp_path / "out", InProcess())
    assert stopped.replications == 12
    assert stopped.stopped["why"] == "max reached (12 replications)"


def test_a_sequential_rule_is_checked_like_the_file(tmp_path):
    text = SEQUENTIAL.replace("kpi: on_hand_avg_store", "kpi: on_hand_avg_stor")
    with pytest.raises(SourceError) as raised:
        load_study(write(tmp_path, text))
    (problem,) = raised.value.problems
    assert problem.path == "replications.until.kpi"
    assert "did you mean 'on_hand_avg_store'" in problem.message
    text = SEQUENTIAL.replace("min: 5", "min: 1")
    with pytest.raises(SourceError) as raised:
        load_study(write(tmp_path, text))
    assert raised.value.problems[0].path == "replications.min"


def test_a_point_drawn_twice_is_run_once_and_counted_as_such(tmp_path):
    # Two whole numbers to draw from and six points: most are drawn more than once.
    text = f"""\
name: twice
base: {CHAIN}
design: latin_hypercube
samples: 6
factors:
  {LEVEL}: {{low: 500, high: 501, integer: true}}
replications: 1
days: 30
keep: {{kpis: [holding_cost]}}
"""
    path = write(tmp_path, text)
    study = load_study(path)
    assert len(study.jobs) == 6 and len({j.key for j in study.jobs}) == 2
    summary = run_study(study, tmp_path / "out", InProcess())
    assert summary.complete
    assert len(list((tmp_path / "out").rglob("*.json"))) - 1 == 2  # two results, one manifest
    shown = CliRunner().invoke(main, ["results", str(tmp_path / "out")])
    assert shown.exit_code == 0, shown.output
    assert "6 of 6 jobs finished, 0 failed, 0 not run yet; 2 distinct runs" in shown.output


# -------------------------------------------------------------------- warm-up

OPENING = "stages.store.initial_on_hand"
WARMUP = f"""\
name: chain_warmup
base: {CHAIN}
factors:
  {OPENING}: [557.31, 5000]
replications: 2
days: 200
warmup_days: 100
keep: {{kpis: [on_hand_avg_store, holding_cost]}}
"""


def by_opening(directory: Path, kpi: str) -> np.ndarray:
    """``kpi`` per replication (rows) and opening stock (columns, as listed)."""
    table = load_results(directory).table
    return table.pivot(index="replication", columns=OPENING, values=kpi).to_numpy()


def test_a_study_leaves_its_warm_up_out_of_every_run(tmp_path):
    """A store that opens with 5,000 units instead of its level (557) orders nothing until
    the excess E = 4,443 is sold, about 44 days of demand; five days later its pipeline is
    full and it runs exactly as the one that opened at its level. After a 100-day warm-up the
    two measure the same on every replication. Over the whole run the gap is E while the lean
    store waits for its first order (L = 5 days), then closes by the day's demand (100 on
    average): it adds (E·L + E²/200) / 200 = 605 units to the average stock."""
    study = load_study(write(tmp_path, WARMUP))
    assert {c.warmup_days for c in study.configs.values()} == {100}
    assert study.manifest()["warmup_days"] == 100
    run_study(study, tmp_path / "out", InProcess())
    for kpi in ("on_hand_avg_store", "holding_cost"):
        lean, stocked = by_opening(tmp_path / "out", kpi).T
        assert stocked == pytest.approx(lean, rel=1e-9)
    shown = CliRunner().invoke(main, ["results", str(tmp_path / "out")])
    assert "KPIs measured after a 100-day warm-up of every run" in shown.output
    assert f"warning: {OPENING} changes nothing" in shown.output  # once the warm-up is out
    whole = load_study(write(tmp_path, WARMUP.replace("warmup_days: 100", "warmup_days: 0")))
    run_study(whole, tmp_path / "whole", InProcess())
    lean, stocked = by_opening(tmp_path / "whole", "on_hand_avg_store").T
    excess = 5000 - 557.31
    assert stocked - lean == pytest.approx((excess * 5 + excess**2 / 200) / 200, rel=0.05)


def test_a_study_warm_up_is_checked_like_the_file(tmp_path):
    text = WARMUP.replace(
        f"  {OPENING}: [557.31, 5000]", f"  {OPENING}: [557.31, 5000]\n  warmup_days: [0, 50]"
    )
    with pytest.raises(SourceError) as raised:
        load_study(write(tmp_path, text))
    assert [p.path for p in raised.value.problems] == ["warmup_days"]
    assert "also varies warmup_days" in raised.value.problems[0].message
    text = WARMUP.replace("warmup_days: 100", "warmup_days: 200")
    with pytest.raises(SourceError) as raised:
        load_study(write(tmp_path, text))
    (problem,) = raised.value.problems
    assert problem.path == "warmup_days" and "leaves nothing of the 200-day run" in problem.message
    assert f":{text.splitlines().index('warmup_days: 200') + 1}:" in str(problem)


# -------------------------------------------------------------------- smoke runs and export


def test_set_shrinks_a_study_and_is_checked_like_the_file(tmp_path):
    path = write(tmp_path, LADDER)
    study = load_study(path, ["replications=2", "days=30"])
    assert study.replications == 2 and study.days == 30 and len(study.jobs) == 16
    assert study.manifest()["study"]["overrides"] == ["replications=2", "days=30"]
    runner = CliRunner()
    bad = runner.invoke(main, ["study", str(path), "--set", "replications=0"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert bad.output.startswith("--set replications=0: replications:")
    out = tmp_path / "smoke"
    dry = runner.invoke(
        main,
        [
            *("study", str(path), "--set", "replications=1", "--set", "days=20"),
            *("--dry-run", "--out", str(out)),
        ],
    )
    assert dry.exit_code == 0, dry.output
    assert "= 8 jobs" in dry.output and "estimate:" in dry.output
    assert not out.exists()


def test_the_results_export_to_ema_workbench_and_load_in_one_line(ladder, tmp_path):
    result = CliRunner().invoke(
        main, ["results", str(ladder.directory), "--export", "ema", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    # What ema_workbench.load_results reads: experiments, their types, outcomes by shape.
    with tarfile.open(tmp_path / "ema_results.tar.gz", "r:gz") as archive:
        experiments = pd.read_csv(archive.extractfile("experiments.csv"))
        types = archive.extractfile("experiments metadata.csv").read().decode().split()
        shapes = archive.extractfile("outcomes metadata.csv").read().decode().split()
        profit = pd.read_csv(archive.extractfile("operating_profit.csv"), header=None)
    assert {"information_delay_days", "scenario", "policy", "model"} <= set(experiments)
    assert set(experiments["policy"]) == {"silo", "info_sharing"}
    assert "policy,|O" in types
    assert f"operating_profit,({len(ladder.table)},)" in shapes
    assert np.allclose(profit[0].to_numpy(), ladder.table["operating_profit"].to_numpy())
    # pandas (and R's arrow::read_parquet) read the tidy table in one line.
    assert pd.read_parquet(tmp_path / "results.parquet").shape == ladder.table.shape
