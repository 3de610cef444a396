"""A study file becomes jobs: checked like a config, expanded on common random numbers.

Every problem in a study file — and in every config it resolves to — is reported at once as
``file:line:col: path: why``, at the place in the study where the offending value was written;
``oneplan study`` prints them without a traceback and exits 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from yaml_text import where
from yaml_text import write as write_text

from experiments.cli import main
from experiments.study import Shard, load_study
from sim.rng import replication_seeds
from sim.source import SourceError, SourceProblem

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "configs" / "baseline.yaml"

LADDER = f"""\
name: ladder
base: {BASELINE}
protocols: [silo, sop]
factors:
  agents.sales.optimism_bias: [0.0, 0.3]
  agents.procurement.incentive: [purchase_price, operating_profit]
replications: 3
seed: 11
days: 120
keep:
  kpis: [operating_profit, fill_rate]
"""


def write(directory: Path, text: str, name: str = "study.yaml") -> Path:
    return write_text(directory, text, name)


def problems(path: Path) -> list[SourceProblem]:
    with pytest.raises(SourceError) as caught:
        load_study(path)
    return caught.value.problems


def at(problem: SourceProblem) -> tuple[int | None, int | None]:
    return problem.location.line, problem.location.column


# ------------------------------------------------------------------------------ expansion


def test_a_full_factorial_crosses_every_factor_protocol_and_replication(tmp_path):
    study = load_study(write(tmp_path, LADDER))
    assert study.size() == "2 protocols × 4 points × 1 scenario × 3 replications = 24 jobs"
    assert [dict(p) for p in study.points] == [
        {"agents.sales.optimism_bias": 0.0, "agents.procurement.incentive": "purchase_price"},
        {"agents.sales.optimism_bias": 0.0, "agents.procurement.incentive": "operating_profit"},
        {"agents.sales.optimism_bias": 0.3, "agents.procurement.incentive": "purchase_price"},
        {"agents.sales.optimism_bias": 0.3, "agents.procurement.incentive": "operating_profit"},
    ]
    job = study.jobs[-1]
    assert job.config.agents.sales.optimism_bias == 0.3
    assert job.config.agents.procurement.incentive == "operating_profit"
    assert job.config.protocol == "sop" and job.config.horizon_days == 120
    assert job.kpis == ("operating_profit", "fill_rate")


def test_replication_r_has_the_same_seed_at_every_point_and_protocol(tmp_path):
    study = load_study(write(tmp_path, LADDER))
    seeds = replication_seeds(11, 3)  # the seeds `oneplan compare --seed 11` uses
    assert all(job.seed == seeds[job.replication] for job in study.jobs)


def test_every_job_has_its_own_stable_key(tmp_path):
    path = write(tmp_path, LADDER)
    first, again = load_study(path), load_study(path)
    keys = [j.key for j in first.jobs]
    assert len(set(keys)) == len(keys)
    assert keys == [j.key for j in again.jobs]
    longer = load_study(write(tmp_path, LADDER.replace("days: 120", "days: 121"), "b.yaml"))
    assert not set(keys) & {j.key for j in longer.jobs}  # another input, another result


def test_listed_points_and_named_scenarios(tmp_path):
    text = LADDER.replace(
        "factors:\n  agents.sales.optimism_bias: [0.0, 0.3]\n"
        "  agents.procurement.incentive: [purchase_price, operating_profit]\n",
        "points:\n"
        "  - {agents.operations.lot_size: 50, agents.finance.skepticism: 0.1}\n"
        "  - {agents.operations.lot_size: 200, agents.finance.skepticism: 0.4}\n"
        "scenarios:\n"
        "  as_usual: {}\n"
        "  boom: {products.compact.demand.base_per_day: 150}\n",
    )
    study = load_study(write(tmp_path, text))
    assert study.size() == "2 protocols × 2 points × 2 scenarios × 3 replications = 24 jobs"
    boom = [j for j in study.jobs if j.scenario == "boom"]
    assert {j.config.products["compact"].demand.base_per_day for j in boom} == {150}
    assert {j.config.agents.finance.skepticism for j in study.jobs} == {0.1, 0.4}


def test_overlays_apply_over_the_base_in_order(tmp_path):
    write(tmp_path, "agents:\n  sales: {incentive: operating_profit}\n", "profit_pay.yaml")
    text = LADDER.replace(
        "protocols:", "overlays:\n  - profit_pay.yaml\n  - {finance.opening_cash: 5}\nprotocols:"
    )
    job = load_study(write(tmp_path, text)).jobs[0]
    assert job.config.agents.sales.incentive == "operating_profit"
    assert job.config.finance.opening_cash == 5


def test_shards_split_the_jobs_without_overlap(tmp_path):
    study = load_study(write(tmp_path, LADDER))
    shards = [[j.index for j in study.jobs if j in Shard(i, 3)] for i in (1, 2, 3)]
    assert sorted(i for shard in shards for i in shard) == list(range(len(study.jobs)))
    assert Shard.parse("2/3") == Shard(2, 3)
    with pytest.raises(ValueError):
        Shard.parse("4/3")


def test_the_example_studies_are_valid(configs_dir):
    for path in sorted((configs_dir / "studies").glob("*.yaml")):
        study = load_study(path)
        # A few minutes on two cores: at most 400,000 simulated days (the reference company
        # runs about 3,000 a second per core), each distinct job once.
        days = sum(j.config.horizon_days for j in {j.key: j for j in study.jobs}.values())
        assert days <= 400_000, f"{path.name}: keep the shipped examples a few minutes long"


# ------------------------------------------------------------------------------- problems


def test_study_problems_point_at_the_study_file_all_at_once(tmp_path):
    text = LADDER.replace("[silo, sop]", "[silo, sopp]").replace(
        "replications: 3", "replications: 0\nrepetitions: 3"
    )
    path = write(tmp_path, text)
    found = problems(path)
    assert [p.path for p in found] == ["protocols.1", "replications", "repetitions"]
    assert at(found[0]) == where(text, "sopp]")
    assert "'silo'" in found[0].message and "'ibp'" in found[0].message
    assert found[2].message.startswith("unknown key (did you mean 'replications'?)")


def test_a_bad_factor_value_is_reported_where_the_study_wrote_it(tmp_path):
    text = LADDER.replace("[0.0, 0.3]", "[0.0, 3.0]").replace(
        "[purchase_price, operating_profit]", "[purchase_price, cheep]"
    )
    path = write(tmp_path, text)
    bias, sourcing = problems(path)
    assert (bias.path, at(bias)) == ("agents.sales.optimism_bias", where(text, "3.0]"))
    assert "less than or equal to 2" in bias.message
    assert (sourcing.path, at(sourcing)) == ("agents.procurement.incentive", where(text, "cheep"))
    assert Path(bias.location.file) == path


def test_a_problem_in_the_base_names_the_point_that_causes_it(tmp_path):
    text = LADDER.replace(
        "agents.procurement.incentive: [purchase_price, operating_profit]",
        "markets.retail.share: [0.7, 0.5]",
    )
    found = problems(write(tmp_path, text))
    assert all(p.location.file.endswith("baseline.yaml") for p in found)
    assert all(p.message.startswith("market shares must add up to 1") for p in found)
    assert [p.message.split("(at ")[1] for p in found] == [  # both points with share 0.5
        "point agents.sales.optimism_bias=0.0, markets.retail.share=0.5)",
        "point agents.sales.optimism_bias=0.3, markets.retail.share=0.5)",
    ]


def test_unknown_kpis_missing_base_and_clashing_paths(tmp_path):
    text = (
        LADDER.replace(str(BASELINE), "nowhere.yaml")
        .replace("fill_rate]", "fill_rat]")
        .replace("days: 120", "days: 120\nscenarios:\n  up: {agents.sales.optimism_bias: 0.1}")
    )
    found = problems(write(tmp_path, text))
    messages = {p.path: p.message for p in found}
    assert messages["base"].startswith("file not found: nowhere.yaml")
    assert messages["factors.agents.sales.optimism_bias"].startswith(
        "set by a factor and by scenario 'up'"
    )
    fixed = text.replace("nowhere.yaml", str(BASELINE)).replace(
        "scenarios:\n  up: {agents.sales.optimism_bias: 0.1}", ""
    )
    (kpi,) = problems(write(tmp_path, fixed))
    assert kpi.path == "keep.kpis.1"
    assert kpi.message.startswith("unknown KPI 'fill_rat' (did you mean 'fill_rate'?)")


def test_the_command_prints_each_problem_on_a_line_and_exits_2(tmp_path):
    path = write(tmp_path, LADDER.replace("[silo, sop]", "[silo, sopp]"))
    result = CliRunner().invoke(main, ["study", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.strip().startswith(f"{path}:3:")
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_factor_can_vary_an_item_of_a_list(tmp_path):
    # The README promises that any value can be set; list items are values too.
    text = (
        f"base: {BASELINE}\nreplications: 1\ndays: 60\n"
        "overlays:\n  - {scenarios: [{kind: demand_surge, start_day: 10, pct: 50}]}\n"
        "factors:\n  scenarios.0.start_day: [10, 30]\n  capacity_options.0.capex: [1000, 2000]\n"
    )
    study = load_study(write(tmp_path, text))
    starts = {
        (j.config.scenarios[0].start_day, j.config.capacity_options[0].capex) for j in study.jobs
    }
    assert starts == {(10, 1000), (10, 2000), (30, 1000), (30, 2000)}
    bad = write(tmp_path, text.replace("[10, 30]", "[10, -1]"), "bad.yaml")
    [problem] = problems(bad)
    assert problem.path == "scenarios.0.start_day"
    assert at(problem) == where(text.replace("[10, 30]", "[10, -1]"), "-1")


WHATIFS = f"""\
name: whatifs
base: {BASELINE}
protocols: [silo, sop]
scenarios:
  base: []
  outage: [supplier_outage]
  surge: ["demand_surge:pct=20,start_week=6"]
  both:
    - supplier_outage
    - {{kind: lane_disruption, mode: ocean, extra_days: 9, start_week: 30, end_week: 34}}
replications: 2
days: 365
"""


def test_a_scenario_of_a_study_is_a_list_of_what_ifs(tmp_path):
    study = load_study(write(tmp_path, WHATIFS))
    kinds = {j.scenario: tuple(x.kind for x in j.config.scenarios) for j in study.jobs}
    assert kinds == {
        "base": (),
        "outage": ("supplier_failure",),
        "surge": ("demand_surge",),
        "both": ("supplier_failure", "lane_disruption"),
    }
    # Each replication's seed is the same in every scenario: scenario minus base is paired.
    seeds = {(j.scenario, j.replication): j.seed for j in study.jobs}
    assert {seeds[s, 0] for s in kinds} == {seeds["base", 0]}


def test_a_bad_what_if_in_a_study_is_reported_where_it_is_written(tmp_path):
    text = WHATIFS.replace("extra_days: 9", "extra_days: -9")
    [problem] = problems(write(tmp_path, text))
    assert problem.path.endswith("extra_days")
    assert at(problem) == where(text, "extra_days")
    [named] = problems(write(tmp_path, WHATIFS.replace("[supplier_outage]", "[no_such]"), "b.yaml"))
    assert "no scenario named 'no_such'" in named.message
