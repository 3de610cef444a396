"""A battery of bad input: every case exits 2 with one line per problem, never a traceback.

Each case is a few files and a command line. Where a problem has a place in a file, its line
reads ``file:line:col: dotted.path: what is wrong and what is allowed`` and points at the
exact spot (given here by a snippet of the file); where it comes from an option, the line
names the option. The cases that could hang or exhaust memory if their guard were missing
(an alias bomb, endless input, deep nesting) run the installed command with a time limit.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from yaml_text import where

from experiments.cli import main

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "configs" / "baseline.yaml"

COMPANY = """\
name: small
horizon_days: 30
products:
  widget:
    price: 20.0
    bom: {part: 2}
    demand:
      base_per_day: 10
      noise: {distribution: gamma, cv: 0.3}
components:
  part: {standard_cost: 5.0}
suppliers:
  acme:
    components:
      part: {price: 5.0}
    lead_time_days: {distribution: normal, mean: 3, sd: 1}
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

LOCATED = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<path>[\w.\-]+): (?P<message>.+)$"
)


@dataclass(frozen=True)
class Expect:
    """One problem line: its dotted path, part of its message, and where (file, snippet)."""

    path: str
    message: str
    file: str | None = None  # the file it is located in; None: an option or the whole file
    at: str | None = None  # a snippet of that file where the problem is written


@dataclass(frozen=True)
class Case:
    files: dict[str, str]
    args: list[str]  # {dir} is the directory holding the files
    expect: list[Expect] = field(default_factory=list)
    stderr: str | None = None  # for problems without a path: a part of the error output
    guarded: bool = False  # run the installed command with a time limit


def edit(old: str, new: str, text: str = COMPANY) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
)

CASES: dict[str, Case] = {
    # ---------------------------------------------------------------- keys
    "unknown key at the top": Case(
        {"c.yaml": edit("name: small", "nmae: small")},
        ["validate", "{dir}/c.yaml"],
        [Expect("nmae", "unknown key (did you mean 'name'?)", "c.yaml", "nmae")],
    ),
    "unknown key in a product": Case(
        {"c.yaml": edit("    price: 20.0\n", "    price: 20.0\n    prise: 3\n")},
        ["validate", "{dir}/c.yaml"],
        [Expect("products.widget.prise", "allowed keys: bom,", "c.yaml", "prise")],
    ),
    "unknown key in a distribution": Case(
        {"c.yaml": edit("mean: 3, sd: 1}", "mean: 3, sd: 1, sigma: 2}")},
        ["validate", "{dir}/c.yaml"],
        [
            Expect(
                "suppliers.acme.lead_time_days.sigma",
                "allowed keys: distribution, mean, sd",
                "c.yaml",
                "sigma",
            )
        ],
    ),
    "duplicate key": Case(
        {"c.yaml": edit("horizon_days: 30\n", "horizon_days: 30\nhorizon_days: 60\n")},
        ["validate", "{dir}/c.yaml"],
        [
            Expect(
                "horizon_days",
                "duplicate key (first written at line 2)",
                "c.yaml",
                "horizon_days: 60",
            )
        ],
    ),
    "duplicate key deep down": Case(
        {"c.yaml": edit("{standard_cost: 5.0}", "{standard_cost: 5.0, standard_cost: 6}")},
        ["validate", "{dir}/c.yaml"],
        [Expect("components.part.standard_cost", "duplicate key", "c.yaml", "standard_cost: 6")],
    ),
    # ---------------------------------------------------------------- types at several depths
    "text for an integer at the top": Case(
        {"c.yaml": edit("horizon_days: 30", "horizon_days: thirty")},
        ["validate", "{dir}/c.yaml"],
        [Expect("horizon_days", "valid integer (got 'thirty')", "c.yaml", "horizon_days")],
    ),
    "a list for a number in a line": Case(
        {"c.yaml": edit("capacity_per_day: 100", "capacity_per_day: [100, 200]")},
        ["validate", "{dir}/c.yaml"],
        [
            Expect(
                "plant.lines.line_1.capacity_per_day", "valid number", "c.yaml", "capacity_per_day"
            )
        ],
    ),
    "a number for a mapping in the demand": Case(
        {"c.yaml": edit("noise: {distribution: gamma, cv: 0.3}", "noise: 5")},
        ["validate", "{dir}/c.yaml"],
        [
            Expect(
                "products.widget.demand.noise",
                "must be a mapping with keys: cv, distribution (got 5)",
                "c.yaml",
                "noise: 5",
            )
        ],
    ),
    "a name for a list of names": Case(
        {"c.yaml": edit("products: [widget]", "products: widget")},
        ["validate", "{dir}/c.yaml"],
        [
            Expect(
                "plant.lines.line_1.products",
                "must be a list (got 'widget')",
                "c.yaml",
                "products: widget",
            )
        ],
    ),
    "yes for a boolean": Case(
        {"c.yaml": edit("horizon_days: 30", "horizon_days: 30\nstrict_audit: yes")},
        ["validate", "{dir}/c.yaml"],
        [Expect("strict_audit", "true or false (got 'yes')", "c.yaml", "strict_audit")],
    ),
    "a config that is a list": Case(
        {"c.yaml": "- name: small\n"},
        ["validate", "{dir}/c.yaml"],
        stderr="c.yaml:1:1: a config must be a mapping of keys to values",
    ),
    # ---------------------------------------------------------------- numbers
    "an infinite price": Case(
        {"c.yaml": edit("price: 20.0", "price: .inf")},
        ["validate", "{dir}/c.yaml"],
        [Expect("products.widget.price", "finite number (got inf)", "c.yaml", "price: .inf")],
    ),
    "a NaN standard deviation": Case(
        {"c.yaml": edit("sd: 1}", "sd: .nan}")},
        ["validate", "{dir}/c.yaml"],
        [
            Expect(
                "suppliers.acme.lead_time_days.sd", "finite number (got nan)", "c.yaml", "sd: .nan"
            )
        ],
    ),
    "a cost of 1e308": Case(
        {"c.yaml": edit("cost_per_unit: 0.25", "cost_per_unit: 1e308")},
        ["validate", "{dir}/c.yaml"],
        [
            Expect(
                "transport_modes.truck.cost_per_unit",
                "less than or equal to 1000000000000 (got 1e+308)",
                "c.yaml",
                "cost_per_unit",
            )
        ],
    ),
    "a BOM of 1e308 units": Case(
        {"c.yaml": edit("bom: {part: 2}", "bom: {part: 1e308}")},
        ["validate", "{dir}/c.yaml"],
        [
            Expect(
                "products.widget.bom.part",
                "less than or equal to 1000000000",
                "c.yaml",
                "part: 1e308",
            )
        ],
    ),
    "an integer of a thousand digits": Case(
        {"c.yaml": edit("horizon_days: 30", "horizon_days: " + "9" * 1000)},
        ["validate", "{dir}/c.yaml"],
        [Expect("horizon_days", "less than or equal to 100000", "c.yaml", "horizon_days")],
    ),
    "an under-dispersed negative binomial": Case(
        {"c.yaml": COMPANY},
        [
            "validate",
            "{dir}/c.yaml",
            "--set",
            "products.widget.demand.noise={distribution: negative_binomial, cv: 0.2}",
        ],
        [Expect("products.widget.demand.noise", "negative_binomial needs cv**2 * mean > 1")],
    ),
    "a chain lead time of a trillion periods": Case(
        {},
        [
            "validate",
            str(ROOT / "configs" / "chain" / "four_stage.yaml"),
            "--set",
            "stages.factory.lead_time_periods=1000000000000",
        ],
        [Expect("stages.factory.lead_time_periods", "less than or equal to 10000")],
    ),
    # ---------------------------------------------------------------- YAML itself
    "a Python tag": Case(
        {"c.yaml": edit("name: small", "name: !!python/object/apply:os.system ['true']")},
        ["validate", "{dir}/c.yaml"],
        [Expect("name", "YAML tags such as !!python/object/apply:os.system", "c.yaml", "!!python")],
    ),
    "a custom tag": Case(
        {"c.yaml": edit("price: 20.0", "price: !money 20.0")},
        ["validate", "{dir}/c.yaml"],
        [Expect("products.widget.price", "YAML tags such as !money", "c.yaml", "!money")],
    ),
    "a tagged key": Case(
        {"c.yaml": edit("  widget:\n", "  ? !!python/name:os.system\n  : 1\n  widget:\n")},
        ["validate", "{dir}/c.yaml"],
        [Expect("products", "YAML tags such as !!python/name:os.system", "c.yaml", "!!python")],
    ),
    "a NUL byte": Case(
        {"c.yaml": edit("name: small", "name: sm\x00all")},
        ["validate", "{dir}/c.yaml"],
        stderr="c.yaml:1:9: character #x0000 is not allowed in YAML",
    ),
    "an unclosed bracket": Case(
        {"c.yaml": edit("capacity_per_day: 100}", "capacity_per_day: 100")},
        ["validate", "{dir}/c.yaml"],
        stderr="YAML syntax error: expected ',' or '}', but got ':'",
    ),
    "a merge key": Case(
        {"c.yaml": edit("  widget:\n", "  widget:\n    <<: {price: 3}\n")},
        ["validate", "{dir}/c.yaml"],
        [Expect("products.widget", "merge keys (<<) are not supported", "c.yaml", "<<")],
    ),
    "an alias bomb": Case(
        {"c.yaml": BOMB + "\n"},
        ["validate", "{dir}/c.yaml"],
        stderr="c.yaml:5:10: aliases expand to more than 10000 values",
        guarded=True,
    ),
    "500 nested brackets": Case(
        {"c.yaml": "name: " + "[" * 500 + "]" * 500 + "\n"},
        ["validate", "{dir}/c.yaml"],
        stderr="c.yaml:1:70: nested deeper than 64 levels",
        guarded=True,
    ),
    "endless input": Case(
        {},
        ["validate", "/dev/urandom"],
        stderr="/dev/urandom: larger than 16 MiB",
        guarded=True,
    ),
    # ---------------------------------------------------------------- extends and overlays
    "an extends cycle": Case(
        {"a.yaml": "extends: b.yaml\nname: a\n", "b.yaml": "extends: a.yaml\nname: b\n"},
        ["validate", "{dir}/a.yaml"],
        [Expect("extends", "circular extends: ", "b.yaml", "extends")],
    ),
    "a file that extends itself": Case(
        {"a.yaml": "name: a\nextends: a.yaml\n"},
        ["validate", "{dir}/a.yaml"],
        [Expect("extends", "circular extends: ", "a.yaml", "extends")],
    ),
    "extends naming a directory": Case(
        {"a.yaml": "extends: .\nname: a\n"},
        ["validate", "{dir}/a.yaml"],
        [Expect("extends", ". is a directory; extends names a YAML file", "a.yaml", "extends")],
    ),
    "extends naming a missing file": Case(
        {"a.yaml": "name: a\nextends: nowhere.yaml\n"},
        ["validate", "{dir}/a.yaml"],
        [Expect("extends", "file not found: nowhere.yaml", "a.yaml", "extends")],
    ),
    "an overlay switching a distribution, wrongly": Case(
        {
            "base.yaml": COMPANY,
            "over.yaml": "extends: base.yaml\nsuppliers:\n  acme:\n"
            "    lead_time_days: {distribution: constant, value: -2}\n",
        },
        ["validate", "{dir}/over.yaml"],
        [
            Expect(
                "suppliers.acme.lead_time_days.value",
                "greater than or equal to 0",
                "over.yaml",
                "value",
            )
        ],
    ),
    # ---------------------------------------------------------------- options
    "--set into a list beyond its end": Case(
        {"c.yaml": COMPANY},
        ["validate", "{dir}/c.yaml", "--set", "plant.lines.line_1.products.3=widget"],
        [Expect("plant.lines.line_1.products", "is a list of 1 items")],
    ),
    "--set without a value": Case(
        {"c.yaml": COMPANY},
        ["validate", "{dir}/c.yaml", "--set", "horizon_days"],
        stderr="--set: horizon_days: expected dotted.path=value",
    ),
    "--set with a tag": Case(
        {"c.yaml": COMPANY},
        ["validate", "{dir}/c.yaml", "--set", "name=!!python/name:os.system"],
        [Expect("name", "YAML tags such as !!python/name:os.system")],
    ),
    "--days beyond the limit": Case(
        {"c.yaml": COMPANY},
        ["run", "{dir}/c.yaml", "--days", "100001"],
        stderr="--days 100001: horizon_days: Input should be less than or equal to 100000",
    ),
    "--protocol classic without policies": Case(
        {"c.yaml": COMPANY},
        ["run", "{dir}/c.yaml", "--protocol", "classic", "--set", "policies=null"],
        stderr="--protocol classic: protocol: protocol 'classic' needs a 'policies' section",
    ),
    "--seed below zero": Case(
        {"c.yaml": COMPANY},
        ["run", "{dir}/c.yaml", "--seed", "-1"],
        stderr="Invalid value for '--seed'",
    ),
    "a protocol listed twice": Case(
        {"c.yaml": COMPANY},
        ["compare", "{dir}/c.yaml", "--protocols", "silo,silo"],
        stderr="list each protocol once",
    ),
    "a time series to /proc": Case(
        {"c.yaml": COMPANY},
        ["run", "{dir}/c.yaml", "--timeseries", "/proc/oneplan/daily.csv"],
        stderr="--timeseries /proc/oneplan/daily.csv: cannot write in /proc/oneplan",
    ),
    "a picture without an extension": Case(
        {"c.yaml": COMPANY},
        ["run", "{dir}/c.yaml", "--plot", "{dir}/pic"],
        stderr="give a file name ending in .png, .svg or .pdf (got no extension)",
    ),
    # ---------------------------------------------------------------- study files
    "a study with an unknown key": Case(
        {"s.yaml": f"base: {BASELINE}\nreplications: 2\nreplicatons: 3\n"},
        ["study", "{dir}/s.yaml", "--out", "{dir}/out"],
        [Expect("replicatons", "did you mean 'replications'?", "s.yaml", "replicatons")],
    ),
    "a study with a duplicate key": Case(
        {"s.yaml": f"base: {BASELINE}\nreplications: 2\nreplications: 3\n"},
        ["study", "{dir}/s.yaml", "--out", "{dir}/out"],
        [Expect("replications", "duplicate key", "s.yaml", "replications: 3")],
    ),
    "a study with a tag": Case(
        {"s.yaml": f"base: {BASELINE}\nreplications: !!python/name:os.getpid 2\n"},
        ["study", "{dir}/s.yaml", "--out", "{dir}/out"],
        [Expect("replications", "YAML tags such as !!python/name:os.getpid", "s.yaml", "!!python")],
    ),
    "a study factor of the wrong type": Case(
        {"s.yaml": f"base: {BASELINE}\nreplications: 2\nfactors:\n  horizon_days: [30, forty]\n"},
        ["study", "{dir}/s.yaml", "--out", "{dir}/out"],
        [Expect("horizon_days", "valid integer (got 'forty')", "s.yaml", "forty")],
    ),
}


def installed_command() -> str:
    beside = Path(sys.executable).parent / "oneplan"
    found = str(beside) if beside.exists() else shutil.which("oneplan")
    assert found, "the oneplan console script is not installed"
    return found


def run_case(case: Case, directory: Path) -> tuple[int, str, str]:
    for name, text in case.files.items():
        (directory / name).write_text(text, encoding="utf-8")
    args = [a.replace("{dir}", str(directory)) for a in case.args]
    if case.guarded:
        done = subprocess.run(
            [installed_command(), *args], capture_output=True, text=True, timeout=60
        )
        return done.returncode, done.stdout, done.stderr
    result = CliRunner().invoke(main, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback is a failure of its own
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_exits_2_with_located_problems_and_no_traceback(tmp_path, name):
    case = CASES[name]
    code, stdout, stderr = run_case(case, tmp_path)
    assert code == 2, (stdout, stderr)
    assert "Traceback" not in stdout + stderr
    lines = stderr.splitlines()
    if case.stderr is not None:
        assert case.stderr in stderr, stderr
    for expected in case.expect:
        mine = [
            line for line in lines if f": {expected.path}: " in line and expected.message in line
        ]
        assert mine, f"no line for {expected.path} with {expected.message!r} in:\n{stderr}"
        if expected.file is None:
            continue
        found = LOCATED.match(mine[0])
        assert found, f"not file:line:col: path: message: {mine[0]}"
        assert Path(found["file"]).name == expected.file
        assert found["path"] == expected.path
        if expected.at is not None:
            text = case.files[expected.file]
            assert (int(found["line"]), int(found["col"])) == where(text, expected.at), mine[0]
    for line in lines:  # a line that names a file says where in it
        if re.match(r"^/\S+\.yaml:", line) or re.match(rf"^{re.escape(str(tmp_path))}", line):
            assert re.match(r"^\S+:\d+:\d+: ", line) or line.endswith(
                ("MiB; a config is a few kilobytes",)
            ), line
