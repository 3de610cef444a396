"""Dependencies point one way: experiments -> agents -> sim; the world never imports a decider."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"sim": {"agents", "experiments"}, "agents": {"experiments"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_the_layers_above_it(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if _imports(path) & FORBIDDEN[package]
    }
    assert not offenders, f"{package}/ must not import {sorted(FORBIDDEN[package])}: {offenders}"


def test_observations_handed_to_deciders_are_read_only(baseline):
    from sim.rng import Streams
    from sim.world import World

    seen = []

    def meddler(observation):
        seen.append(observation)
        return []

    world = World(baseline, Streams(1), meddler, horizon_days=5)
    world.run()
    observation = seen[-1]
    with pytest.raises(ValueError, match="read-only"):
        observation.finished_on_hand[0] = 1e9
    with pytest.raises(ValueError, match="read-only"):
        observation.demand_history[0, 0] = 1e9
    with pytest.raises(AttributeError):
        observation.day = 99
    # The end-of-day records are made when first read: read after the run, day 2's are still
    # the two days before it, read-only, and the mapping cannot be changed.
    early = seen[2].state_history
    assert set(early) == set(world.daily) and len(early) == len(world.daily)
    for name, rows in world.daily.items():
        assert early[name].shape == (2, *rows.shape[1:])
        assert early[name].tobytes() == rows[:2].tobytes()
    with pytest.raises(ValueError, match="read-only"):
        early["backlog"][0, 0] = 1e9
    with pytest.raises(TypeError):
        early["backlog"] = np.zeros(1)


def test_the_worlds_config_knows_no_decider():
    """Who decides (protocols, functions, policies) is configured in agents/, never in sim/."""
    import inspect

    from pydantic import BaseModel

    import sim.config

    deciding = {"agents", "protocol", "protocol_options", "policies", "policy", "incentive"}
    models = [
        m
        for _, m in inspect.getmembers(sim.config, inspect.isclass)
        if issubclass(m, BaseModel) and m.__module__ == "sim.config"
    ]
    assert models
    offenders = {m.__name__: sorted(deciding & set(m.model_fields)) for m in models}
    assert not any(offenders.values()), offenders


# What each command must not load: `--help` answers without the config schema, `validate`
# without the simulation (numpy included: only compiling the scenarios' effects needs it),
# `run` without plotting, studies, reports or the workshop. The
# modules are read off a fresh process as it exits, so the test holds whatever imports what.
_LOADED = """
import atexit, sys
atexit.register(lambda: print("\\nLOADED", *sorted(sys.modules), file=sys.stderr))
from experiments.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize(
    ("args", "unneeded"),
    [
        (["--help"], {"pydantic", "numpy", "yaml", "simpy", "mesa", "scipy", "pandas"}),
        (
            ["validate", "configs/baseline.yaml"],
            {"numpy", "simpy", "mesa", "scipy", "pandas", "matplotlib", "dask", "networkx"},
        ),
        (
            ["validate", "configs/baseline.yaml", "--scenario", "supplier_outage"],
            {"numpy", "simpy", "mesa", "scipy", "pandas"},
        ),
        (
            ["run", "configs/baseline.yaml", "--days", "30"],
            {"matplotlib", "dask", "distributed", "jinja2", "starlette", "SALib", "scipy.stats"},
        ),
    ],
    ids=["help", "validate", "validate-scenario", "run"],
)
def test_each_command_loads_only_what_it_needs(args, unneeded):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _LOADED, *args], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stderr.rsplit("\nLOADED", 1)[1].split())
    assert "experiments.cli" in loaded
    assert not unneeded & loaded, f"oneplan {' '.join(args)} loads {sorted(unneeded & loaded)}"
