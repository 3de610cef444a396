"""The gate refuses numbers a run cannot use, merges overlays as written, and can address any
value — each problem located where it was written.

- no infinite or NaN number anywhere, and every number bounded (a product of bounded numbers
  cannot overflow; a lead time cannot ask for a pipeline of 10^12 slots);
- a negative binomial that the mean makes under-dispersed is refused (it was mis-sampled);
- an overlay that switches a distribution or policy to another kind replaces it (the old
  kind's keys do not leak through), and merging is linear in the overlay's size;
- ``--set`` and study factors reach list items; ``null`` removes a key; ``extends`` that
  names a directory is located.
"""

from __future__ import annotations

import time
import types
import typing
from pathlib import Path

import annotated_types
import pytest
from pydantic import BaseModel
from yaml_text import where, write

from agents.config import ChainConfig, CompanyConfig, load_config
from sim.config import ConfigError, compose
from sim.source import load_yaml

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "configs" / "baseline.yaml"
CHAIN = ROOT / "configs" / "chain" / "four_stage.yaml"


def problems(path: Path, overrides: list[str] | dict | None = None):
    with pytest.raises(ConfigError) as caught:
        load_config(path, overrides or [])
    return caught.value.problems


def only(found):
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


# ------------------------------------------------------------------ non-finite and huge


@pytest.mark.parametrize(
    "path",
    [
        "products.compact.price",
        "products.compact.conversion_cost_per_unit",
        "products.compact.bom.motor",
        "products.compact.demand.base_per_day",
        "finance.opening_cash",
        "finance.overhead_per_year",
        "transport_modes.ocean.lead_time_days.sd",
        "suppliers.asia_motors.components.motor.price",
        "policies.production.default.safety_factor",
        "agents.procurement.safety_days",
    ],
)
@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_infinite_and_nan_numbers_are_refused_where_they_are_set(path, value):
    problem = only(problems(BASELINE, [f"{path}={value}"]))
    assert problem.path == path
    assert problem.location.file == f"--set {path}={value}"
    assert problem.message.startswith("Input should be a finite number")


def test_a_nan_written_in_a_file_is_refused_at_its_line(tmp_path):
    # A NaN safety factor under classic policies used to run and report a fill rate of 8%.
    text = BASELINE.read_text().replace("safety_factor: 1.65", "safety_factor: .nan")
    path = write(tmp_path, text, "nan.yaml")
    problem = only(problems(path, ["protocol=classic"]))
    assert problem.path == "policies.production.default.safety_factor"
    assert (problem.location.line, problem.location.column) == where(text, "safety_factor: .nan")


@pytest.mark.parametrize(
    ("path", "value", "limit"),
    [
        ("products.compact.price", "1e308", "1000000000000"),
        ("finance.opening_cash", "-1e308", "-1000000000000"),
        ("products.compact.bom.motor", "1e308", "1000000000"),
        ("products.compact.demand.base_per_day", "1e308", "1000000000"),
        ("transport_modes.ocean.lead_time_days.sd", "1e308", "36500"),
        ("policies.production.default.safety_factor", "1e308", "10"),
        # An integer this large does not fit the numpy arrays the world keeps it in.
        ("markets.retail.payment_terms_days", "100000000000000000000", "36500"),
    ],
)
def test_magnitudes_that_could_overflow_are_bounded(path, value, limit):
    problem = only(problems(BASELINE, [f"{path}={value}"]))
    assert problem.path == path
    side = "greater" if value.startswith("-") else "less"
    assert problem.message.startswith(f"Input should be {side} than or equal to {limit}")


def test_a_chain_lead_time_cannot_ask_for_a_pipeline_of_a_trillion_periods():
    option = "stages.retailer.lead_time_periods=1000000000000"
    problem = only(problems(CHAIN, [option]))
    assert problem.path == "stages.retailer.lead_time_periods"
    assert problem.message == ("Input should be less than or equal to 10000 (got 1000000000000)")


def _numbers(model: type[BaseModel], seen: set) -> typing.Iterator[tuple[str, object]]:
    """(model.field, annotation) of every int or float a config can hold, at any depth."""
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        yield from _walk(f"{model.__name__}.{name}", field.annotation, field.metadata, seen)


def _walk(where_: str, annotation, metadata: list, seen: set):
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        yield from _walk(where_, base, [*metadata, *extra], seen)
    elif origin in (types.UnionType, typing.Union, tuple, dict, list):
        args = typing.get_args(annotation)
        for arg in args[1:] if origin is dict else args:  # a mapping's keys are names
            yield from _walk(where_, arg, metadata, seen)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from _numbers(annotation, seen)
    elif annotation in (int, float):
        yield where_, metadata


def _bounded(metadata: list) -> tuple[bool, bool]:
    items = [i for m in metadata for i in (getattr(m, "metadata", None) or [m])]
    low = any(isinstance(i, annotated_types.Ge | annotated_types.Gt) for i in items)
    high = any(isinstance(i, annotated_types.Le | annotated_types.Lt) for i in items)
    return low, high


@pytest.mark.parametrize("root", [CompanyConfig, ChainConfig])
def test_every_number_a_config_holds_is_bounded_on_both_sides(root):
    numbers = list(_numbers(root, set()))
    assert len(numbers) > 30  # the walk reaches the nested models
    unbounded = [place for place, metadata in numbers if _bounded(metadata) != (True, True)]
    assert unbounded == []


# ------------------------------------------------------------------ noise that cannot be drawn


def test_an_under_dispersed_negative_binomial_is_refused():
    found = problems(
        BASELINE,
        ["products.pro.demand.base_per_day=2", "products.pro.demand.noise.cv=0.3"],
    )
    problem = only(found)
    assert problem.path == "products.pro.demand.noise"
    assert problem.message.startswith("negative_binomial needs cv**2 * mean > 1")
    assert "0.3**2 * 2 = 0.18" in problem.message


def test_a_cv_left_over_for_poisson_is_refused():
    problem = only(problems(BASELINE, ["products.pro.demand.noise.distribution=poisson"]))
    assert problem.path == "products.pro.demand.noise"
    assert problem.message == "poisson noise takes no cv; remove it"


# ------------------------------------------------------------------ overlays


def test_an_overlay_switches_a_distribution_without_the_old_keys(tmp_path):
    base = write(
        tmp_path,
        BASELINE.read_text().replace(
            "lead_time_days: {distribution: constant, value: 10}",
            "lead_time_days: {distribution: normal, mean: 10, sd: 2}",
        ),
        "base.yaml",
    )
    overlay = write(
        tmp_path,
        "extends: base.yaml\nsuppliers:\n  asia_motors:\n"
        "    lead_time_days: {distribution: constant, value: 4}\n",
        "overlay.yaml",
    )
    config = load_config(overlay)
    delay = config.suppliers["asia_motors"].lead_time_days
    assert delay.distribution == "constant" and delay.value == 4
    assert base.exists()


def test_an_overlay_switches_a_policy_and_its_problems_point_at_the_overlay(tmp_path):
    text = (
        f"extends: {BASELINE}\npolicies:\n  production:\n"
        "    default: {policy: base_stock, level: -3e300}\n"
    )
    overlay = write(tmp_path, text, "overlay.yaml")
    problem = only(problems(overlay))
    assert problem.path == "policies.production.default.level"
    assert Path(problem.location.file).name == "overlay.yaml"
    assert (problem.location.line, problem.location.column) == where(text, "level")
    fixed = write(tmp_path, text.replace("-3e300", "500"), "fixed.yaml")
    policy = load_config(fixed).policies.production.default
    assert policy.policy == "base_stock" and policy.level == 500


def test_merging_a_large_overlay_takes_time_in_proportion_to_it(tmp_path):
    keys = 30_000
    text = f"extends: {BASELINE}\n" + "".join(f"k{i}: {i}\n" for i in range(keys))
    overlay = write(tmp_path, text, "large.yaml")
    start = time.perf_counter()
    load_yaml(overlay)
    reading = time.perf_counter() - start
    start = time.perf_counter()
    merged = compose(overlay)
    merging = time.perf_counter() - start - reading
    assert len(merged.data) > keys
    # Searching every location for every key, this took over a minute.
    assert merging < 5, f"merging {keys} keys took {merging:.1f} s"


def test_extends_naming_a_directory_is_located(tmp_path):
    (tmp_path / "parts").mkdir()
    text = "name: x\nextends: parts\n"
    problem = only(problems(write(tmp_path, text, "company.yaml")))
    assert problem.path == "extends"
    assert (problem.location.line, problem.location.column) == where(text, "extends")
    assert problem.message == "parts is a directory; extends names a YAML file"


# ------------------------------------------------------------------ --set reaches everything


def test_set_reaches_list_items():
    config = load_config(
        BASELINE,
        [
            "scenarios=[{kind: demand_surge, start_day: 10, pct: 20}]",
            "scenarios.0.start_day=20",
            "capacity_options.0.capex=1000",
        ],
    )
    assert config.scenarios[0].start_day == 20
    assert config.capacity_options[0].capex == 1000


def test_a_list_item_that_is_not_there_is_a_clear_error():
    problem = only(problems(BASELINE, ["capacity_options.3.capex=1"]))
    assert problem.path == "capacity_options"
    assert problem.location.file == "--set capacity_options.3.capex=1"
    assert problem.message == (
        "is a list of 1 items; to set one, give its position 0 to 0 (got '3'), "
        "or set the whole list"
    )


def test_a_bad_value_set_in_a_list_item_points_at_the_option():
    problem = only(problems(BASELINE, ["capacity_options.0.lead_days=0"]))
    assert problem.path == "capacity_options.0.lead_days"
    assert problem.location.file == "--set capacity_options.0.lead_days=0"


def test_set_null_removes_a_key_like_an_overlay():
    problem = only(problems(BASELINE, ["products.compact.price=null"]))
    assert problem.path == "products.compact.price"
    assert problem.location.file == "--set products.compact.price=null"
    assert problem.message == "required field is missing"
    found = only(problems(BASELINE, ["protocol=classic", "policies=null"]))
    assert found.path == "protocol"
    assert "needs a 'policies' section" in found.message
