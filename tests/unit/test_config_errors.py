"""Bad configs get clear errors: ``file:line:col: dotted.path: what is wrong and what is allowed``.

Every problem in a file is reported at once, at the line and column where it was written (in
the overlay or in the base it extends, or in the ``--set`` option that brought it in), and the
command line prints them without a traceback and exits 2. Each test starts from a small valid
company config and changes one thing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from yaml_text import where
from yaml_text import write as write_text

from agents.config import CompanyConfig, load_config
from experiments.cli import main
from sim.config import ConfigError
from sim.source import SourceProblem

MINIMAL = """\
name: minimal
horizon_days: 30
products:
  widget:
    price: 20.0
    bom: {part: 2}
    demand:
      base_per_day: 10
components:
  part: {standard_cost: 5.0}
suppliers:
  acme:
    components:
      part: {price: 5.0}
    modes: [truck]
transport_modes:
  truck: {lead_time_days: {distribution: constant, value: 1}, cost_per_unit: 0.25}
plant:
  lines:
    line_1: {products: [widget], capacity_per_day: 100}
policies:
  production:
    default: {policy: base_stock, level: 30}
  purchasing:
    default: {policy: fixed_plan, quantity: 20}
    mode: truck
"""

# file:line:col: dotted.path: message (the file may itself contain ':' only before the line).
PROBLEM_LINE = re.compile(
    r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): (?P<path>[\w.\-]+): (?P<message>.+)$"
)


def variant(old: str, new: str, text: str = MINIMAL) -> str:
    """``text`` with the one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} must occur once"
    return text.replace(old, new)


def write(directory: Path, text: str, name: str = "company.yaml") -> Path:
    return write_text(directory, text, name)


def problems(path: Path, overrides: list[str] | None = None) -> list[SourceProblem]:
    """The problems ``load_config`` reports (it must raise)."""
    with pytest.raises(ConfigError) as caught:
        load_config(path, overrides or [])
    return caught.value.problems


def only(found: list[SourceProblem]) -> SourceProblem:
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def at(problem: SourceProblem) -> tuple[int | None, int | None]:
    return problem.location.line, problem.location.column


def same_file(reported: str, path: Path) -> bool:
    return Path(reported).resolve() == path.resolve()


# ---------------------------------------------------------------- the valid starting point


def test_the_minimal_config_is_valid(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert isinstance(config, CompanyConfig)
    assert config.products["widget"].bom == {"part": 2}
    assert config.plant.lines["line_1"].capacity_per_day == 100


# ---------------------------------------------------------------- one problem at a time


def test_unknown_key_names_the_allowed_keys_and_suggests_the_close_one(tmp_path: Path) -> None:
    text = variant("    price: 20.0\n", "    price: 20.0\n    prise: 3\n")
    path = write(tmp_path, text)
    problem = only(problems(path))
    assert same_file(problem.location.file, path)
    assert at(problem) == where(text, "prise")
    assert problem.path == "products.widget.prise"
    assert problem.message == (
        "unknown key (did you mean 'price'?); "
        "allowed keys: bom, conversion_cost_per_unit, demand, initial_on_hand, price, "
        "shelf_life_days"
    )
    line, column = where(text, "prise")
    assert (
        str(problem)
        == f"{problem.location.file}:{line}:{column}: {problem.path}: {problem.message}"
    )


@pytest.mark.parametrize(
    ("old", "new", "path", "suggestion", "allowed"),
    [
        (
            "name: minimal",
            "nmae: minimal",
            "nmae",
            "name",
            "horizon_days, ibp, information_delay_days, kind, markets",
        ),
        (
            "base_per_day: 10",
            "base_per_day: 10\n      seasonality: {amplitude: 0.1, peek_day: 3}",
            "products.widget.demand.seasonality.peek_day",
            "peak_day",
            "amplitude, peak_day",
        ),
        (
            "{policy: base_stock, level: 30}",
            "{policy: base_stock, level: 30, reveiw_period: 7}",
            "policies.production.default.reveiw_period",
            "review_period",
            "level, policy, review_period",
        ),
        (
            "{distribution: constant, value: 1}",
            "{distribution: constant, value: 1, vaule: 2}",
            "transport_modes.truck.lead_time_days.vaule",
            "value",
            "distribution, value",
        ),
    ],
    ids=["top level", "nested mapping", "inside a policy", "inside a distribution"],
)
def test_unknown_keys_are_explained_at_every_depth(
    tmp_path: Path, old: str, new: str, path: str, suggestion: str, allowed: str
) -> None:
    text = variant(old, new)
    problem = only(problems(write(tmp_path, text)))
    assert problem.path == path
    assert at(problem) == where(text, path.rsplit(".", 1)[-1])
    assert f"did you mean '{suggestion}'?" in problem.message
    assert allowed in problem.message


def test_unknown_policy_names_the_policies(tmp_path: Path) -> None:
    text = variant("policy: base_stock", "policy: base_stok")
    problem = only(problems(write(tmp_path, text)))
    assert problem.path == "policies.production.default.policy"
    assert at(problem) == where(text, "policy: base_stok")
    assert problem.message.startswith("unknown policy 'base_stok' (did you mean 'base_stock'?)")
    assert "allowed: order_up_to, base_stock, s_S, r_Q, fixed_plan" in problem.message


def test_a_string_for_a_number_is_a_type_error(tmp_path: Path) -> None:
    text = variant("price: 20.0", "price: twenty")
    problem = only(problems(write(tmp_path, text)))
    assert problem.path == "products.widget.price"
    assert at(problem) == where(text, "price: twenty")
    assert problem.message == "Input should be a valid number (got 'twenty')"


def test_a_quoted_number_is_not_a_number(tmp_path: Path) -> None:
    # Strict: no silent coercion of "20" to 20.
    problem = only(problems(write(tmp_path, variant("price: 20.0", 'price: "20"'))))
    assert problem.path == "products.widget.price"
    assert problem.message == "Input should be a valid number (got '20')"


def test_yaml_1_2_scalars_no_stays_a_string_and_yes_is_not_a_boolean(tmp_path: Path) -> None:
    # Under YAML 1.1 (PyYAML's default) NO would be False and 010 would be 8.
    text = variant("  widget:", "  NO:")
    text = variant("products: [widget]", "products: [NO]", text)
    text = variant("horizon_days: 30", "horizon_days: 010", text)
    text = variant("name: minimal", "name: Off", text)
    config = load_config(write(tmp_path, text))
    assert list(config.products) == ["NO"]
    assert config.plant.lines["line_1"].products == ("NO",)
    assert config.horizon_days == 10
    assert config.name == "Off"

    text = variant("horizon_days: 30", "horizon_days: 30\nstrict_audit: yes")
    text = variant("base_per_day: 10", "base_per_day: 10\n      whole_units: no", text)
    found = problems(write(tmp_path, text, "yes.yaml"))
    assert [(p.path, p.message) for p in found] == [
        ("strict_audit", "Input should be true or false (got 'yes')"),
        ("products.widget.demand.whole_units", "Input should be true or false (got 'no')"),
    ]


def test_negative_capacity_is_rejected_with_the_bound(tmp_path: Path) -> None:
    text = variant("capacity_per_day: 100", "capacity_per_day: -5")
    path = write(tmp_path, text)
    problem = only(problems(path))
    assert problem.path == "plant.lines.line_1.capacity_per_day"
    assert at(problem) == where(text, "capacity_per_day")
    assert problem.message == "Input should be greater than or equal to 0 (got -5)"
    line, column = where(text, "capacity_per_day")
    assert str(problem).endswith(
        f":{line}:{column}: plant.lines.line_1.capacity_per_day: "
        "Input should be greater than or equal to 0 (got -5)"
    )


def test_a_name_made_like_a_distribution_keeps_its_place(tmp_path: Path) -> None:
    # "normal" is also the tag of a lead-time distribution; in a product's path it is a name.
    text = variant("  widget:", "  normal:")
    text = variant("products: [widget]", "products: [normal]", text)
    text = variant("price: 20.0", "price: -1", text)
    problem = only(problems(write(tmp_path, text)))
    assert problem.path == "products.normal.price"
    assert at(problem) == where(text, "price: -1")


def test_a_name_that_is_not_a_name(tmp_path: Path) -> None:
    text = variant("  widget:", "  my widget:")
    text = variant("products: [widget]", "products: [my widget]", text)
    found = problems(write(tmp_path, text))
    first = found[0]
    assert first.path == "products.my widget"
    assert at(first) == where(text, "my widget:")
    assert first.message.startswith("a name must start with a letter and hold only letters")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    problem = only(problems(path))
    assert same_file(problem.location.file, path)
    assert at(problem) == (None, None)
    assert problem.message == "file not found"
    assert str(problem) == f"{problem.location.file}: file not found"


def test_missing_extends_target(tmp_path: Path) -> None:
    text = "extends: nowhere.yaml\nhorizon_days: 60\n"
    path = write(tmp_path, text, "overlay.yaml")
    problem = only(problems(path))
    assert same_file(problem.location.file, path)
    assert at(problem) == (1, 1)
    assert problem.path == "extends"
    assert problem.message == "file not found: nowhere.yaml"


def test_yaml_syntax_error_points_at_the_problem_and_where_it_began(tmp_path: Path) -> None:
    # The flow mapping of line_1 is never closed; the parser notices at the next key's colon.
    text = variant("capacity_per_day: 100}", "capacity_per_day: 100")
    path = write(tmp_path, text)
    problem = only(problems(path))
    assert same_file(problem.location.file, path)
    line, _ = where(text, "policies:")
    assert at(problem) == (line, len("policies") + 1)
    start_line, start_column = where(text, "{products: [widget]")
    assert problem.message == (
        "YAML syntax error: expected ',' or '}', but got ':' "
        f"(while parsing a flow mapping from line {start_line}, column {start_column})"
    )


def test_duplicate_key_points_at_the_second_and_names_the_first(tmp_path: Path) -> None:
    text = variant("    bom: {part: 2}\n", "    bom: {part: 2}\n    price: 25.0\n")
    problem = only(problems(write(tmp_path, text)))
    assert problem.path == "products.widget.price"
    assert at(problem) == where(text, "price: 25.0")
    first_line, _ = where(text, "price: 20.0")
    assert problem.message == (
        f"duplicate key (first written at line {first_line}); write each key once"
    )


def test_bom_naming_an_unknown_component_lists_the_defined_ones(tmp_path: Path) -> None:
    text = variant("bom: {part: 2}", "bom: {part: 2, gear: 1}")
    problem = only(problems(write(tmp_path, text)))
    assert problem.path == "products.widget.bom.gear"
    assert at(problem) == where(text, "gear")
    assert problem.message == "unknown component 'gear'; defined components: part"


# ---------------------------------------------------------------- all at once


def test_several_errors_are_all_reported_in_file_order(tmp_path: Path) -> None:
    # Schema problems and a dangling reference together: one round of fixes, not two.
    text = variant("price: 20.0", "price: -1")
    text = variant("bom: {part: 2}", "bom: {part: 2, gear: 1}", text)
    text = variant("base_per_day: 10", "base_per_day: 10\n      nosie: {distribution: none}", text)
    text = variant("capacity_per_day: 100", "capacity_per_day: many", text)
    text = variant("quantity: 20}", "quantity: 20, review_period: 0}", text)
    found = problems(write(tmp_path, text))
    assert [p.path for p in found] == [
        "products.widget.price",
        "products.widget.bom.gear",
        "products.widget.demand.nosie",
        "plant.lines.line_1.capacity_per_day",
        "policies.purchasing.default.review_period",
    ]
    assert [at(p) for p in found] == [
        where(text, "price: -1"),
        where(text, "gear"),
        where(text, "nosie"),
        where(text, "capacity_per_day"),
        where(text, "review_period"),
    ]
    assert found[1].message == "unknown component 'gear'; defined components: part"
    assert "did you mean 'noise'?" in found[2].message
    assert found[4].message == "Input should be greater than or equal to 1 (got 0)"
    for problem in found:
        assert PROBLEM_LINE.match(str(problem)), str(problem)


# ---------------------------------------------------------------- extends


def test_overlay_errors_point_at_the_overlay_and_inherited_ones_at_the_base(
    tmp_path: Path,
) -> None:
    base_text = variant("cost_per_unit: 0.25", "cost_per_unit: -0.25")
    base = write(tmp_path, base_text, "base.yaml")
    overlay_text = """\
extends: base.yaml
horizon_days: -3
products:
  widget:
    prise: 3
    demand:
      base_per_day: -12
"""
    overlay = write(tmp_path, overlay_text, "overlay.yaml")
    found = {p.path: p for p in problems(overlay)}
    assert set(found) == {
        "transport_modes.truck.cost_per_unit",
        "horizon_days",
        "products.widget.prise",
        "products.widget.demand.base_per_day",
    }
    inherited = found.pop("transport_modes.truck.cost_per_unit")
    assert same_file(inherited.location.file, base)
    assert at(inherited) == where(base_text, "cost_per_unit")
    for path, snippet in [
        ("horizon_days", "horizon_days"),
        ("products.widget.prise", "prise"),
        ("products.widget.demand.base_per_day", "base_per_day"),
    ]:
        assert same_file(found[path].location.file, overlay)
        assert at(found[path]) == where(overlay_text, snippet)


def test_overlay_changes_values_keeps_the_rest_and_null_removes_a_key(tmp_path: Path) -> None:
    write(
        tmp_path,
        variant("    price: 20.0\n", "    price: 20.0\n    initial_on_hand: 40\n"),
        "base.yaml",
    )
    overlay = write(
        tmp_path,
        """\
extends: base.yaml
products:
  widget:
    initial_on_hand: null   # back to the default
    demand:
      base_per_day: 12
""",
        "overlay.yaml",
    )
    assert load_config(tmp_path / "base.yaml").products["widget"].initial_on_hand == 40
    config = load_config(overlay)
    widget = config.products["widget"]
    assert widget.initial_on_hand == 0.0
    assert widget.demand.base_per_day == 12
    assert widget.price == 20.0  # inherited
    assert config.name == "minimal"  # inherited


# ---------------------------------------------------------------- --set


def test_bad_set_value_is_reported_as_coming_from_the_option(tmp_path: Path) -> None:
    option = "plant.lines.line_1.capacity_per_day=-1"
    problem = only(problems(write(tmp_path, MINIMAL), [option]))
    assert problem.location.file == f"--set {option}"
    assert at(problem) == (None, None)
    assert str(problem) == (
        f"--set {option}: plant.lines.line_1.capacity_per_day: "
        "Input should be greater than or equal to 0 (got -1)"
    )


def test_set_that_makes_a_new_named_thing_is_blamed_for_what_it_lacks(tmp_path: Path) -> None:
    # A typo in a name creates a product with a price only; the option, not the file, is at fault.
    option = "products.widgit.price=3"
    found = problems(write(tmp_path, MINIMAL), [option])
    demand = next(p for p in found if p.path == "products.widgit.demand")
    assert demand.location.file == f"--set {option}"
    assert demand.message == "required field is missing"


def test_malformed_set_is_a_clear_error(tmp_path: Path) -> None:
    problem = only(problems(write(tmp_path, MINIMAL), ["plant.lines.line_1.capacity_per_day"]))
    assert problem.location.file == "--set"
    assert problem.message == "expected dotted.path=value, e.g. horizon_days=730"
    assert "plant.lines.line_1.capacity_per_day" in str(problem)


def test_set_into_a_plain_value_says_so(tmp_path: Path) -> None:
    problem = only(problems(write(tmp_path, MINIMAL), ["products.widget.price.currency=EUR"]))
    assert problem.path == "products.widget.price"
    assert problem.message == "is a float, not a mapping; cannot set products.widget.price.currency"


def test_good_set_changes_the_value_with_the_file_rules(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, MINIMAL),
        [
            "plant.lines.line_1.capacity_per_day=250",
            "name=NO",
            "products.widget.demand.noise={distribution: poisson}",
        ],
    )
    assert config.plant.lines["line_1"].capacity_per_day == 250
    assert config.name == "NO"
    assert config.products["widget"].demand.noise.distribution == "poisson"
    assert config.horizon_days == 30  # untouched


# ---------------------------------------------------------------- the command line


def bad_file(directory: Path) -> Path:
    text = variant("price: 20.0", "price: twenty")
    text = variant("capacity_per_day: 100", "capacity_per_day: -5", text)
    return write(directory, text, "bad.yaml")


def test_cli_validate_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(bad_file(tmp_path))])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert [PROBLEM_LINE.match(line)["path"] for line in lines] == [
        "products.widget.price",
        "plant.lines.line_1.capacity_per_day",
    ]
    assert "Traceback" not in result.output


def test_cli_validate_says_ok_for_a_valid_file(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"{path}: ok (company: 1 product, 1 component, 1 supplier, 1 line)"
    )
    chain = (
        Path(__file__).resolve().parents[2] / "configs" / "chain" / "single_stage_base_stock.yaml"
    )
    result = CliRunner().invoke(main, ["validate", str(chain)])
    assert result.stdout.strip() == f"{chain}: ok (serial chain of 1 stage, periods of 1 day)"


def test_cli_validate_checks_set_like_the_file(tmp_path: Path) -> None:
    path = str(write(tmp_path, MINIMAL))
    bad = CliRunner().invoke(main, ["validate", path, "--set", "horizon_days=0"])
    assert bad.exit_code == 2
    assert bad.stderr.strip() == (
        "--set horizon_days=0: horizon_days: Input should be greater than or equal to 1 (got 0)"
    )
    good = CliRunner().invoke(main, ["validate", path, "--set", "horizon_days=365"])
    assert good.exit_code == 0, good.output


def oneplan_command() -> str:
    beside_python = Path(sys.executable).parent / "oneplan"
    found = str(beside_python) if beside_python.exists() else shutil.which("oneplan")
    assert found, "the oneplan console script is not installed"
    return found


def test_the_installed_command_prints_problems_without_a_traceback(tmp_path: Path) -> None:
    command = oneplan_command()
    bad = subprocess.run(
        [command, "validate", str(bad_file(tmp_path))], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "Traceback" not in bad.stderr
    lines = bad.stderr.splitlines()
    assert len(lines) == 2 and all(PROBLEM_LINE.match(line) for line in lines), bad.stderr

    missing = subprocess.run(
        [command, "validate", str(tmp_path / "nowhere.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr
    assert missing.stderr.strip().endswith("nowhere.yaml: file not found")


def test_a_constant_forecaster_needs_its_mean(tmp_path: Path) -> None:
    text = variant(
        "default: {policy: base_stock, level: 30}",
        "default: {policy: order_up_to, forecaster: {method: constant, sd: 2}}",
    )
    problem = only(problems(write(tmp_path, text)))
    assert problem.path == "policies.production.default.forecaster"
    assert at(problem) == where(text, "forecaster")
    assert problem.message == "the constant forecaster needs its 'mean' (units per period)"


def test_a_mean_given_to_an_estimating_forecaster_is_refused(tmp_path: Path) -> None:
    text = variant(
        "default: {policy: base_stock, level: 30}",
        "default: {policy: order_up_to, forecaster: {method: moving_average, mean: 10}}",
    )
    problem = only(problems(write(tmp_path, text)))
    assert problem.path == "policies.production.default.forecaster"
    assert at(problem) == where(text, "forecaster")
    assert problem.message == (
        "'mean' applies only to method 'constant' (the moving_average forecaster estimates "
        "demand from what it sees)"
    )
