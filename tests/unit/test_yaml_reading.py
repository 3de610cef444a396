"""Reading YAML can do nothing but read plain data, in bounded time and memory.

A config is untrusted input: a few kilobytes can hide an alias bomb, a tag that names Python
code, a NUL byte, a thousand nested brackets or an endless device. Each gives one located
problem (``file:line:col: what is wrong``), never a traceback, a hang or an exhausted memory.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from yaml_text import where, write

from sim import source
from sim.source import SourceError, load_yaml, parse_yaml


def problem_in(text: str, tmp_path: Path, name: str = "input.yaml"):
    path = write(tmp_path, text, name)
    with pytest.raises(SourceError) as caught:
        load_yaml(path)
    problems = caught.value.problems
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The billion laughs: each level lists the previous one ``width`` times (1 KB of text)."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_once_where_the_budget_runs_out(tmp_path):
    budget = source.ALIAS_BUDGET  # (read first: without a budget the load below never ends)
    text = alias_bomb()
    assert len(text) < 1024
    start = time.perf_counter()
    problem = problem_in(text, tmp_path)
    assert time.perf_counter() - start < 2  # unbounded, this grows past 900 MB
    assert f"aliases expand to more than {budget} values" in problem.message
    line, _ = where(text, "a4: &a4")  # a4 is the first level past the budget
    assert problem.location.line == line


def test_a_few_aliases_are_expanded_as_written(tmp_path):
    text = "slow: &slow {distribution: normal, mean: 30, sd: 5}\nmodes: [*slow, *slow]\n"
    data = load_yaml(write(tmp_path, text, "ok.yaml")).data
    assert data["modes"] == [data["slow"], data["slow"]]


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path):
    problem = problem_in("loop: &loop [1, *loop]\n", tmp_path)
    assert problem.message == "an alias cannot stand inside its own anchor"
    assert (problem.location.line, problem.location.column) == (1, 17)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("!!python/name:os.system", "!!python/name:os.system"),
        ("!!python/object/apply:os.system ['touch {marker}']", "!!python/object/apply:os.system"),
        ("!mytag x", "!mytag"),
        ("!!binary aGVsbG8=", "!!binary"),
        ("!!set {{a, b}}", "!!set"),
    ],
)
def test_a_tag_is_refused_where_it_is_written_and_never_constructed(tmp_path, value, shown):
    marker = tmp_path / "ran"
    text = f"products:\n  widget:\n    price: {value.format(marker=marker)}\n"
    problem = problem_in(text, tmp_path)
    assert problem.path == "products.widget.price"
    assert (problem.location.line, problem.location.column) == (3, 12)
    assert problem.message == f"YAML tags such as {shown} are not allowed; write a plain value"
    assert not marker.exists()


def test_a_tagged_key_is_refused(tmp_path):
    problem = problem_in("products:\n  ? !!python/tuple [a, b]\n  : 1\n", tmp_path)
    assert problem.path == "products"
    assert (problem.location.line, problem.location.column) == (2, 5)
    assert "!!python/tuple" in problem.message


def test_core_tags_still_mean_what_they_say(tmp_path):
    data = load_yaml(write(tmp_path, "name: !!str 010\nseed: !!int '7'\n", "core.yaml")).data
    assert data == {"name": "010", "seed": 7}


def test_a_core_tag_on_text_it_cannot_read_is_located(tmp_path):
    problem = problem_in("seed: 1\nhorizon_days: !!int forty\n", tmp_path)
    assert problem.path == "horizon_days"
    assert (problem.location.line, problem.location.column) == (2, 15)
    assert problem.message == "'forty' is not a valid int"


def test_a_nul_byte_is_located(tmp_path):
    problem = problem_in("name: ok\ndescription: a\x00b\n", tmp_path)
    assert (problem.location.line, problem.location.column) == (2, 15)
    assert problem.message == "character #x0000 is not allowed in YAML"


def test_deep_nesting_is_refused_at_the_level_too_deep(tmp_path):
    depth = source.MAX_DEPTH
    text = "x: " + "[" * 500 + "]" * 500 + "\n"
    problem = problem_in(text, tmp_path)
    assert problem.message == f"nested deeper than {depth} levels"
    # The top mapping is the first level, so bracket number `depth` is one too many.
    assert (problem.location.line, problem.location.column) == (1, 3 + depth)


def test_an_endless_device_is_refused_without_reading_it_all():
    if not Path("/dev/urandom").exists():
        pytest.skip("no /dev/urandom here")
    with pytest.raises(SourceError) as caught:
        load_yaml("/dev/urandom")
    assert caught.value.problems[0].message.startswith("larger than 16 MiB")


def test_a_directory_is_not_a_file(tmp_path):
    with pytest.raises(SourceError) as caught:
        load_yaml(tmp_path)
    assert caught.value.problems[0].message == "is a directory, not a YAML file"


def test_a_merge_key_is_named_as_such():
    with pytest.raises(SourceError) as caught:
        parse_yaml("base: &b {price: 1}\nproduct:\n  <<: *b\n", "merge.yaml")
    problem = caught.value.problems[0]
    assert problem.message == "merge keys (<<) are not supported"
    assert (problem.location.line, problem.location.column) == (3, 3)
