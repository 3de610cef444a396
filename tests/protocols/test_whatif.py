"""What-ifs on the reference company: findings, warning and impact over paired replications.

Each claim is measured on paired replications (the same seed with and without the scenario,
and the same seeds across protocols) and held to a 95% confidence interval, so a what-if that
found nothing, or a protocol that saw nothing coming, fails them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents.config import load_config, validate
from experiments.compare import interval
from experiments.whatif import whatif
from sim.config import load_source
from sim.scenarios import add_scenarios

REPS = 8
DAYS = 730


def pair(path, scenario: str, protocols, reps=REPS, days=DAYS):
    base = load_config(path, {"horizon_days": days})
    located = load_source(path, {"horizon_days": days})
    add_scenarios(located, [scenario], path)
    return whatif(base, validate(located), protocols, reps, seed=5, jobs=1, labels=[scenario])


@pytest.fixture(scope="module")
def surge(configs_dir):
    return pair(configs_dir / "baseline.yaml", "demand_surge", ["silo", "sop"])


@pytest.fixture(scope="module")
def outage(configs_dir):
    return pair(configs_dir / "baseline.yaml", "supplier_outage", ["silo", "sop"])


def found(result, protocol, kind):
    return [f for f in result.merged_findings() if f["protocol"] == protocol and f["kind"] == kind]


def test_a_surge_binds_a_line_in_a_stated_week_and_names_the_supplier_at_its_limit(surge):
    [binds, *_] = sorted(found(surge, "sop", "capacity_regular"), key=lambda f: f["week"])
    assert binds["week"] >= 6 and binds["share_of_reps"] >= 0.5
    assert binds["subject"] in ("line_1", "line_2")
    assert "regular capacity binds" in binds["detail"]
    # The motor runs short in both protocols, and the finding names the supplier whose weekly
    # capacity is the limit: the cheap far-away one, booked full.
    for protocol in ("silo", "sop"):
        [motor] = [f for f in found(surge, protocol, "component_short") if f["subject"] == "motor"]
        assert motor["week"] >= 6
        assert "asia_motors booked at its capacity of 2,500 a week" in motor["detail"]


def test_under_sop_a_crunch_the_surge_brings_later_is_seen_weeks_ahead(surge):
    # Nobody sees an unannounced step in demand before it comes: when a line binds within
    # weeks of the surge, there is no warning. When the surge makes a later crunch (the
    # season's peak) worse, sop's meetings find it in their horizon weeks before it hits.
    warned = [w["capacity"] for w in surge.warning["sop"] if "capacity" in w]
    later = [w for w in warned if w["hit_week"] >= 6 + 8]
    assert later, warned
    assert all(w["warning_weeks"] >= 3 for w in later), later
    # Silo records no meeting and no option: what it hits, it has not seen.
    for w in surge.warning["silo"]:
        assert all(v["warning_weeks"] == 0 and v["seen_week"] is None for v in w.values())


def test_a_surge_earns_more_under_sop_than_in_silo(surge):
    gain = np.subtract(
        surge.impact["operating_profit"]["sop"], surge.impact["operating_profit"]["silo"]
    )
    _, low, _ = interval(gain)
    assert low > 0
    # Silo loses service to the surge that sop largely keeps.
    lost = np.subtract(surge.impact["fill_rate"]["sop"], surge.impact["fill_rate"]["silo"])
    assert interval(lost)[1] > 0


def censored(result, protocol, weeks):
    """Weeks to recover, counting a run that never recovered as recovering at its end."""
    return [weeks if math.isnan(x) else x for x in result.impact["weeks_to_recover"][protocol]]


def test_when_the_main_supplier_fails_sop_recovers_faster_and_loses_less(outage):
    left = DAYS // 7 - 20  # weeks from the failure to the end of the run
    faster = np.subtract(censored(outage, "silo", left), censored(outage, "sop", left))
    _, low, _ = interval(faster)
    assert low > 0, faster
    saved = np.subtract(
        outage.impact["operating_profit"]["sop"], outage.impact["operating_profit"]["silo"]
    )
    assert interval(saved)[1] > 0
    lost = np.subtract(
        outage.impact["sales_lost_until_recovered"]["silo"],
        outage.impact["sales_lost_until_recovered"]["sop"],
    )
    assert interval(lost)[1] > 0


def test_when_the_main_supplier_fails_its_events_and_the_shortage_are_found(outage):
    events = [
        f for f in outage.merged_findings() if f["kind"] == "scenario" and f["protocol"] == "sop"
    ]
    assert [(f["week"], f["detail"].rsplit(": ", 1)[1]) for f in events][:2] == [
        (20, "starts"),
        (28, "ends"),
    ]
    [motor] = [f for f in found(outage, "silo", "component_short") if f["subject"] == "motor"]
    assert motor["week"] >= 20 and motor["share_of_reps"] == 1


def test_the_json_carries_findings_warning_and_impact(surge):
    summary = surge.summary()
    assert set(summary) >= {"findings", "warning", "impact"}
    row = summary["findings"][0]
    assert set(row) >= {"week", "kind", "subject", "detail", "protocol", "share_of_reps"}
    assert set(summary["impact"]["operating_profit"]["sop"]) == {"mean", "ci", "n"}
    assert all(0 < f["share_of_reps"] <= 1 for f in summary["findings"])


def test_a_new_line_in_a_growing_market_pays_back_and_the_executive_weighs_it(configs_dir):
    path = configs_dir / "scenarios" / "growing_demand.yaml"
    built = pair(path, "new_line", ["sop"], reps=6, days=1095)
    profit = built.impact["operating_profit"]["sop"]
    _, low, _ = interval(profit)
    assert low > 0  # over three years of 25% growth, its margin beats depreciation
    assert interval(built.impact["ending_cash"]["sop"])[2] < 1_500_000  # the capex is paid
    offered = pair(path, "new_line_offered", ["ibp"], reps=4, days=1095)
    bought = [f for f in found(offered, "ibp", "capacity_bought") if f["subject"] == "line_3"]
    # Whether the executive would buy it is the decision log's answer, not the scenario's.
    assert len(bought) == 1 and bought[0]["week"] >= 10
    assert "for $1,500,000" in bought[0]["detail"]


def test_the_what_if_command_reports_in_words_and_json(configs_dir, tmp_path):
    from click.testing import CliRunner

    from experiments.cli import main

    runner = CliRunner()
    args = [
        "whatif",
        str(configs_dir / "baseline.yaml"),
        "--scenario",
        "line_breakdown:line=line_1,start_week=10,end_week=14",
        "--protocols",
        "sop",
        "--reps",
        "2",
        "--days",
        "200",
        "--plot",
        str(tmp_path / "w.png"),
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "what if line_1 down from week 10 to week 14?" in result.output
    assert "week  10" in result.output and "Impact, scenario minus base" in result.output
    assert (tmp_path / "w.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("demand_spike:pct=20", "unknown kind 'demand_spike' (did you mean 'demand_surge'?)"),
        ("demand_surge:pct=lots", "scenarios.0.pct: Input should be a valid number"),
        ("demand_surge:pct=20,speed=3", "scenarios.0.speed: unknown key"),
        ("supplier_failure:supplier=acme", "unknown supplier 'acme'; allowed: asia_motors"),
        ("line_breakdown:line=line_1,start_week=400", "starts after the run ends"),
        ("no_such_thing", "no scenario named 'no_such_thing'; named scenarios: cost_spike"),
        ("demand_surge:pct", "expected key=value"),
    ],
)
def test_bad_scenarios_are_refused_with_what_is_allowed(configs_dir, spec, message):
    from click.testing import CliRunner

    from experiments.cli import main

    result = CliRunner().invoke(
        main, ["whatif", str(configs_dir / "baseline.yaml"), "--scenario", spec]
    )
    assert result.exit_code == 2
    assert f"--scenario {spec}" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output
