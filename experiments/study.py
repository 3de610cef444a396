"""Studies: a YAML file of protocols, scenarios, factors and replications becomes a list of jobs.

A study file is read and checked like a config (every problem at once, as
``file:line:col: path: what is wrong``), and so is every config it resolves to. Each job is one
run — a resolved config and a replication seed — and is named by the SHA-256 of its inputs.
Replication ``r`` uses the same seed (``sim.rng.replication_seeds``) at every point, protocol
and scenario, so all of them face the same customers, lead times and failures (common random
numbers). :func:`run_study` runs the jobs that are not in the results store yet.

Order of application, from first to last: the base config, the overlays, the scenario, the
factor point, the protocol and the horizon (``days``).
"""

from __future__ import annotations

import copy
import difflib
import functools
import hashlib
import importlib
import itertools
import json
import math
import os
import re
import socket
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import Field

from agents.config import ChainConfig, CompanyConfig, Config, ProtocolName, validate
from experiments import design as doe
from experiments.engines import Engine, InProcess
from experiments.formatting import counted
from experiments.run import simulate
from experiments.store import Claim, Store
from sim.config import compose, parse_overrides, set_value, validate_model
from sim.metrics import COMPANY_KPIS, chain_kpi_names
from sim.rng import replication_seeds
from sim.schema import Name, Strict
from sim.source import Located, Location, SourceError, SourceProblem, load_yaml
from sim.timeseries import timeseries

__all__ = [
    "Job",
    "JobResult",
    "RunSummary",
    "Shard",
    "Study",
    "StudyFile",
    "code_fingerprint",
    "load_study",
    "pending",
    "run_job",
    "run_sequential",
    "run_study",
]

DOTTED_PATTERN = r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$"
DottedPath = Annotated[str, Field(pattern=DOTTED_PATTERN)]
Loose = Field(strict=False)  # YAML lists may fill tuples
Point = tuple[tuple[str, Any], ...]  # (dotted path, value) for each factor
DESIGNS = doe.DESIGNS

# Paths a study sets in its own way, not through factors or scenarios.
RESERVED = {
    "protocol": "choose protocols with 'protocols:'",
    "seed": "replication seeds are spawned from the study's 'seed:'",
}


class Until(Strict):
    """When a sequential study has replications enough: the 95% CI half-width of ``kpi``."""

    kpi: str
    half_width: Annotated[float, Field(gt=0)]


class Sequential(Strict):
    """Replications added ``batch`` at a time, from ``min`` to at most ``max``, ``until`` the
    CI is narrow enough in every cell."""

    until: Until
    min: Annotated[int, Field(ge=2)] = 5
    max: Annotated[int, Field(ge=2)] = 200
    batch: Annotated[int, Field(ge=1)] = 5


class Keep(Strict):
    """What each job keeps: ``kpis`` (``all`` or a list of names) and the daily time series."""

    kpis: Any = "all"
    timeseries: bool = False


class StudyFile(Strict):
    """The schema of a study file (``configs/studies/*.yaml``).

    - ``base``: the company (or chain) config, relative to the study file;
    - ``overlays``: applied over the base in order; each a partial config file (relative path)
      or an inline mapping of ``dotted.path: value``;
    - ``protocols``: the rungs to compare (default: the config's own protocol);
    - ``scenarios``: named scenarios (default: one, ``base``), each a list of what-ifs of the
      world (named scenarios of ``configs/scenarios/``, ``kind:key=value,...`` strings, or
      mappings as under a config's ``scenarios:``; an empty list is the base) or a mapping of
      ``dotted.path: value``; results measure each against ``base`` (or the first);
    - ``factors``: ``dotted.path: [values]``, crossed in a full factorial; or ``points``: a list
      of mappings ``dotted.path: value``, each one point (all naming the same paths);
    - ``design``: ``full_factorial`` (the default), ``points`` (what ``points:`` implies), or
      a sampled design — ``latin_hypercube``, ``sobol``, ``morris`` — of ``samples`` points
      drawn with ``design_seed`` (default: the study's ``seed``, else 0) over factors given
      as lists, ranges ``{low, high}`` or distributions (:mod:`experiments.design`);
      ``levels`` is the Morris grid's;
    - ``replications``: a number, or a sequential rule ``{until: {kpi, half_width}, min, max,
      batch}``: replications are added ``batch`` at a time (from ``min``, at most ``max``)
      until the 95% CI of ``kpi`` is at most ``half_width`` wide on either side in every cell —
      of each protocol's paired difference from the first when there are several;
    - the root ``seed`` (default: the base config's seed);
    - ``days``: the horizon of every run (default: the config's ``horizon_days``);
    - ``warmup_days``: the opening days of every run left out of its KPIs (default: the
      config's ``warmup_days``);
    - ``keep``: which KPIs to keep (``all`` or a list) and whether to keep daily time series.
    """

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]+$")] | None = None
    description: str = ""
    base: str
    overlays: Annotated[tuple[Any, ...], Loose] = ()
    protocols: Annotated[tuple[ProtocolName, ...], Loose] = ()
    scenarios: dict[Name, dict[DottedPath, Any] | Annotated[tuple[Any, ...], Loose]] = Field(
        default_factory=dict
    )
    factors: dict[DottedPath, Any] = Field(default_factory=dict)
    points: Annotated[tuple[dict[DottedPath, Any], ...], Loose] = ()
    design: Literal[DESIGNS] | None = None
    samples: Annotated[int, Field(ge=1)] | None = None
    design_seed: Annotated[int, Field(ge=0)] | None = None
    levels: Annotated[int, Field(ge=2)] = 4
    replications: Any  # a number, or a Sequential rule (checked by _replications)
    seed: Annotated[int, Field(ge=0)] | None = None
    days: Annotated[int, Field(ge=1)] | None = None
    warmup_days: Annotated[int, Field(ge=0)] | None = None
    keep: Keep = Keep()


@dataclass(frozen=True)
class Job:
    """One run of a study: a resolved config and a seed, with the labels of its row."""

    key: str
    index: int
    point: int
    factors: tuple[tuple[str, Any], ...]
    scenario: str
    protocol: str | None
    replication: int
    seed: int
    config: Config = field(repr=False)
    config_hash: str = field(repr=False)
    kpis: tuple[str, ...] | None = None  # None: every KPI
    keep_timeseries: bool = False

    def labels(self) -> dict[str, Any]:
        """What identifies the job within its study (its row's labels)."""
        return {
            "factors": dict(self.factors),
            "scenario": self.scenario,
            "protocol": self.protocol,
            "replication": self.replication,
        }

    def describe(self) -> str:
        """A short human label: ``agents.sales.optimism_bias=0.3, sop, base, replication 2``."""
        parts = [f"{path}={_compact(value)}" for path, value in self.factors]
        if self.protocol:
            parts.append(self.protocol)
        parts.append(f"scenario {self.scenario}")
        parts.append(f"replication {self.replication} (seed {self.seed})")
        return ", ".join(parts)


@dataclass(frozen=True)
class Study:
    """A validated study: its source, the resolved configs and every job, in a fixed order."""

    path: Path
    text: str
    name: str
    description: str
    seed: int
    seeds: tuple[int, ...]
    days: int | None
    factor_paths: tuple[str, ...]
    protocols: tuple[str | None, ...]
    scenarios: tuple[str, ...]
    points: tuple[tuple[tuple[str, Any], ...], ...]
    keep_kpis: tuple[str, ...] | None
    keep_timeseries: bool
    configs: dict[str, Config] = field(repr=False)
    jobs: tuple[Job, ...] = field(repr=False)
    warmup_days: int | None = None  # the study's own, when it sets one for every run
    design: dict[str, Any] = field(default_factory=lambda: {"method": "full_factorial"})
    sequential: Sequential | None = None
    source: tuple = field(default=(), repr=False, compare=False)  # (spec, located) to expand
    overrides: tuple[str, ...] = ()  # the --set assignments applied to the file
    stopped: dict[str, Any] | None = None  # why a sequential study stopped adding replications

    @property
    def replications(self) -> int:
        return len(self.seeds)

    def with_replications(self, count: int) -> Study:
        """The same study with ``count`` replications: the first ones keep their seeds (and
        so their jobs' keys), the new ones are spawned after them."""
        spec, located = self.source
        study = _expand(self.path, self.text, spec, located, replications=count)
        return replace(study, overrides=self.overrides)

    def size(self) -> str:
        """``5 protocols × 3 points × 1 scenario × 4 replications = 60 jobs``."""
        parts = [
            counted(len(self.protocols), "protocol"),
            counted(len(self.points), "point"),
            counted(len(self.scenarios), "scenario"),
            counted(self.replications, "replication"),
        ]
        return f"{' × '.join(parts)} = {counted(len(self.jobs), 'job')}"

    def manifest(self) -> dict[str, Any]:
        """Everything needed to know what was run: the study file, every resolved config,
        seeds, jobs, and the versions of oneplan, Python and the packages that shape results."""
        return {
            "study": {
                "name": self.name,
                "description": self.description,
                "file": str(self.path),
                "sha256": hashlib.sha256(self.text.encode()).hexdigest(),
                "text": self.text,
                "overrides": list(self.overrides),
            },
            "oneplan_version": _version(),
            "code": code_fingerprint(),
            "python": sys.version.split()[0],
            "packages": _package_versions(),
            "seed": self.seed,
            "replication_seeds": list(self.seeds),
            "replications": (
                self.sequential.model_dump(mode="json")
                | {"running": self.replications, "stopped": self.stopped}
                if self.sequential is not None
                else self.replications
            ),
            "days": self.days,
            "warmup_days": self.warmup_days,
            "design": self.design,
            "factors": list(self.factor_paths),
            "protocols": list(self.protocols),
            "scenarios": list(self.scenarios),
            "keep": {"kpis": _json_list(self.keep_kpis), "timeseries": self.keep_timeseries},
            "configs": {h: c.model_dump(mode="json") for h, c in self.configs.items()},
            "jobs": [
                {"key": j.key, "index": j.index, "point": j.point, "seed": j.seed}
                | j.labels()
                | {"config": j.config_hash}
                for j in self.jobs
            ],
        }


def _json_list(values: tuple[str, ...] | None) -> list[str] | str:
    return "all" if values is None else list(values)


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


# ------------------------------------------------------------------------------- loading


def load_study(path: Path | str, overrides: Sequence[str] = ()) -> Study:
    """Read and check a study file and every config it resolves to; expand it into jobs.

    ``overrides`` are ``key=value`` strings (``--set``) applied to the study file before it is
    checked — ``replications=2``, ``days=120``, ``replications.max=50``; under ``factors``,
    ``scenarios`` and ``points`` the rest of the path is one key (``factors.agents.sales.
    optimism_bias=[0, 0.3]``). Raises :class:`sim.source.SourceError` listing every problem,
    each with file, line and column (or the ``--set`` that wrote it); a problem written
    outside the study file names the point (and scenario) that brings it about.
    """
    path = Path(path)
    located = load_yaml(path, str(path))
    if not isinstance(located.data, dict):
        raise SourceError(
            [SourceProblem(located.locate(()), "", "a study must be a mapping of keys to values")]
        )
    for dotted, value, text in parse_overrides(overrides):
        if dotted[0] in ("factors", "scenarios") and len(dotted) > 2:
            dotted = (dotted[0], ".".join(dotted[1:]))
        set_value(located, dotted, value, Location(f"--set {text}"))
    spec = validate_model(StudyFile, located, [_check_replications])
    study = _expand(path, path.read_text(encoding="utf-8"), spec, located)
    return replace(study, overrides=tuple(overrides))


def _expand(
    path: Path, text: str, spec: StudyFile, located: Located, replications: int | None = None
) -> Study:
    problems: list[SourceProblem] = []

    def problem(where: tuple, message: str) -> None:
        problems.append(SourceProblem(located.locate(where), ".".join(map(str, where)), message))

    here = path.parent
    base_path = here / spec.base
    if not base_path.is_file():
        problem(("base",), f"file not found: {spec.base} (paths are relative to the study file)")
    overlay_files: list[Path] = []
    inline: list[tuple[tuple[str, ...], Any, Location]] = []
    for i, overlay in enumerate(spec.overlays):
        if isinstance(overlay, str):
            if not (here / overlay).is_file():
                problem(("overlays", i), f"file not found: {overlay}")
            elif inline:
                problem(("overlays", i), "list overlay files before inline overlays")
            overlay_files.append(here / overlay)
        elif isinstance(overlay, dict) and all(
            isinstance(k, str) and _is_dotted(k) for k in overlay
        ):
            for key, value in overlay.items():
                inline.append((tuple(key.split(".")), value, located.locate(("overlays", i, key))))
        else:
            problem(
                ("overlays", i),
                "an overlay is a config file (a path) or a mapping of dotted.path: value",
            )

    parsed, _ = _replications(spec.replications)  # checked with the schema
    fixed, sequential = (parsed.count or 1), parsed.rule
    if sequential is not None and sequential.max < sequential.min:
        problem(("replications", "max"), f"must be at least min ({sequential.min})")
    factor_paths, points, point_where, design = _points(spec, problem)

    for p in factor_paths:
        where = ("points", 0, p) if spec.points else ("factors", p)
        clash = [name for name, values in _assignments(spec) if p in values]
        if clash:
            problem(where, f"set by a factor and by scenario '{clash[0]}'; set it in one place")
        if p in RESERVED:
            problem(where, RESERVED[p])
    for name, values in _assignments(spec):
        for p in values:
            if p in RESERVED:
                problem(("scenarios", name, p), RESERVED[p])
    for key, config_key in (("days", "horizon_days"), ("warmup_days", "warmup_days")):
        if getattr(spec, key) is not None and config_key in (
            *factor_paths,
            *_scenario_paths(spec),
        ):
            problem((key,), f"the study sets '{key}' and also varies {config_key}; choose one")
    if len(set(spec.protocols)) != len(spec.protocols):
        problem(("protocols",), "each protocol once")
    if problems:
        raise SourceError(_unique(problems))

    # The base and overlays alone must be valid before any point is tried.
    base = compose(base_path, overlay_files)
    for dotted, value, where in inline:
        set_value(base, dotted, value, where)
    base_config = validate(copy.deepcopy(base))
    if isinstance(base_config, ChainConfig) and spec.protocols:
        problem(("protocols",), "a serial chain has no protocols; remove 'protocols'")
        raise SourceError(problems)
    keep_kpis = _check_kpis(spec.keep.kpis, base_config, problem)
    if sequential is not None:
        _check_rule(sequential, keep_kpis, base_config, problem)
        if problems:
            raise SourceError(_unique(problems))

    protocols: tuple[str | None, ...] = spec.protocols or (None,)
    scenarios = spec.scenarios or {"base": {}}
    configs: dict[str, Config] = {}
    resolved: dict[tuple[int, str, str | None], tuple[str, Config]] = {}
    for k, point in enumerate(points):
        for scenario, assignments in scenarios.items():
            for i, protocol in enumerate(protocols):
                source = copy.deepcopy(base)
                try:
                    if isinstance(assignments, dict):
                        for p, value in assignments.items():
                            where = located.locate(("scenarios", scenario, p))
                            set_value(source, tuple(p.split(".")), value, where)
                    else:
                        _add_whatifs(source, assignments, located, scenario, base_path)
                    for p, value in point:
                        where = located.locate(point_where[k][p])
                        set_value(source, tuple(p.split(".")), value, where)
                    if protocol is not None:
                        set_value(source, ("protocol",), protocol, located.locate(("protocols", i)))
                    if spec.days is not None:
                        set_value(source, ("horizon_days",), spec.days, located.locate(("days",)))
                    if spec.warmup_days is not None:
                        where = located.locate(("warmup_days",))
                        set_value(source, ("warmup_days",), spec.warmup_days, where)
                    config = validate(source)
                except SourceError as error:
                    context = _context(point, scenario if spec.scenarios else None)
                    problems += [_in_context(p, str(path), context) for p in error.problems]
                    continue
                if _needs_policies(config):
                    problem(
                        ("protocols", i),
                        "protocol 'classic' needs a 'policies' section in the config",
                    )
                    continue
                digest = _hash(config.model_dump(mode="json"))
                configs[digest] = config
                resolved[(k, scenario, protocol)] = (digest, config)
    if problems:
        raise SourceError(_unique(problems))

    seed = base_config.seed if spec.seed is None else spec.seed
    if replications is None:
        replications = sequential.min if sequential is not None else fixed
    seeds = tuple(replication_seeds(seed, replications))
    keep = {"kpis": _json_list(keep_kpis), "timeseries": spec.keep.timeseries}
    jobs: list[Job] = []
    for k, point in enumerate(points):
        for scenario in scenarios:
            for protocol in protocols:
                digest, config = resolved[(k, scenario, protocol)]
                for r, replication_seed in enumerate(seeds):
                    job = Job(
                        key="",
                        index=len(jobs),
                        point=k,
                        factors=point,
                        scenario=scenario,
                        protocol=_own_protocol(config),
                        replication=r,
                        seed=replication_seed,
                        config=config,
                        config_hash=digest,
                        kpis=keep_kpis,
                        keep_timeseries=spec.keep.timeseries,
                    )
                    jobs.append(replace(job, key=_job_key(job, keep)))
    own = (
        protocols
        if spec.protocols
        else tuple(dict.fromkeys(_own_protocol(c) for _, c in resolved.values()))
    )
    return Study(
        path=path,
        text=text,
        name=spec.name or path.stem,
        description=spec.description,
        seed=seed,
        seeds=seeds,
        days=spec.days,
        warmup_days=spec.warmup_days,
        factor_paths=factor_paths,
        protocols=own,
        scenarios=tuple(scenarios),
        points=tuple(points),
        keep_kpis=keep_kpis,
        keep_timeseries=spec.keep.timeseries,
        configs=configs,
        jobs=tuple(jobs),
        design=design,
        sequential=sequential,
        source=(spec, located),
    )


def _points(
    spec: StudyFile, problem
) -> tuple[tuple[str, ...], list[Point], list[dict], dict[str, Any]]:
    """The factor paths, the points (listed, the full factorial of the factors, or drawn by a
    sampled design), per point where in the study each of its values was written, and the
    design as the manifest records it (a sampled design's points in the unit cube too)."""
    method = spec.design or ("points" if spec.points else "full_factorial")
    if spec.factors and spec.points:
        problem(("points",), "give either 'factors' (a full factorial) or 'points', not both")
    if method == "points" and not spec.points:
        problem(("design",), "design 'points' lists its points under 'points:'")
    if spec.points and method != "points":
        problem(("design",), f"a {method} design samples 'factors:'; 'points:' are listed")
    sampled = method in doe.SAMPLED
    if sampled and not spec.factors:
        problem(("design",), f"a {method} design needs factors to sample")
    if sampled and spec.samples is None:
        problem(("design",), f"a {method} design needs 'samples:' (how many to draw)")
    if not sampled:
        for key in ("samples", "design_seed"):
            if getattr(spec, key) is not None:
                problem((key,), f"only a sampled design ({', '.join(doe.SAMPLED)}) takes {key}")
    if spec.points:
        first = list(spec.points[0])
        for k, point in enumerate(spec.points):
            if sorted(point) != sorted(first):
                problem(
                    ("points", k),
                    f"every point sets the same paths ({', '.join(first)}); "
                    f"this one sets {', '.join(point) or 'none'}",
                )
        points = [tuple((p, point[p]) for p in first if p in point) for point in spec.points]
        written = [{p: ("points", k, p) for p in first} for k in range(len(spec.points))]
        return tuple(first), points, written, {"method": "points"}
    paths = tuple(spec.factors)
    factors = []
    for p, value in spec.factors.items():
        factor, why = doe.parse_factor(value, method)
        if factor is None:
            problem(("factors", p), why)
        factors.append(factor)
    if None in factors or (sampled and spec.samples is None):
        return paths, [], [], {"method": method}
    if not sampled:
        combos = list(itertools.product(*(range(len(f.values)) for f in factors)))
        points = [
            tuple((p, f.values[i]) for p, f, i in zip(paths, factors, c, strict=True))
            for c in combos
        ]
        written = [{p: ("factors", p, i) for p, i in zip(paths, c, strict=True)} for c in combos]
        return paths, points, written, {"method": method}
    # The sampler's own seed: the points do not change with the replications' root seed.
    design_seed = spec.design_seed if spec.design_seed is not None else (spec.seed or 0)
    unit = doe.sample(method, paths, spec.samples, design_seed, spec.levels)
    points = [tuple(zip(paths, row, strict=True)) for row in doe.points_of(unit, factors)]
    written = [{p: ("factors", p) for p in paths} for _ in points]
    design = {
        "method": method,
        "samples": spec.samples,
        "seed": design_seed,
        "levels": spec.levels,
        "factors": {p: f.describe() for p, f in zip(paths, factors, strict=True)},
        "unit": unit.tolist(),
    }
    return paths, points, written, design


class _Replications(Strict):
    count: Annotated[int, Field(ge=1)] | None = None
    rule: Sequential | None = None


def _replications(value: Any) -> tuple[_Replications | None, list[tuple[tuple, str]]]:
    """A study's ``replications`` — a number, or a sequential rule — and its problems, each
    with its path and the config gate's wording."""
    from pydantic import ValidationError

    from sim.config import _describe_error

    key = "rule" if isinstance(value, dict) else "count"
    try:
        return _Replications.model_validate({key: value}), []
    except ValidationError as error:
        found = []
        for e in error.errors(include_url=False):
            loc, message = _describe_error(e, _Replications, Located({}))
            if key == "count" and not isinstance(value, int | float):
                message += "; or a rule {until: {kpi: ..., half_width: ...}, min, max, batch}"
            found.append((("replications", *loc[1:]), message))
        return None, found


def _check_replications(data: Any) -> list[tuple[tuple, str]]:
    """The study file's ``replications``, checked with the rest of its schema."""
    if not isinstance(data, dict) or "replications" not in data:
        return []
    return _replications(data["replications"])[1]


def _check_rule(rule: Sequential, kept: tuple[str, ...] | None, config: Config, problem) -> None:
    """A sequential rule's KPI must be one the study keeps."""
    known = list(kept) if kept is not None else _kpi_names(config)
    if rule.until.kpi not in known:
        close = difflib.get_close_matches(rule.until.kpi, known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        problem(
            ("replications", "until", "kpi"),
            f"'{rule.until.kpi}' is not a KPI the study keeps{hint}",
        )


def _job_key(job: Job, keep: dict) -> str:
    """SHA-256 of everything that makes a job's result: its config, seed, labels, what it
    keeps and the code that runs it (oneplan's version and a hash of its source)."""
    return _hash(
        {
            "config": job.config_hash,
            "seed": job.seed,
            "labels": job.labels(),
            "keep": keep,
            "version": _version(),
            "code": code_fingerprint(),
        }
    )


def _assignments(spec: StudyFile) -> list[tuple[str, dict]]:
    """The study's scenarios given as ``dotted.path: value`` mappings."""
    return [(name, v) for name, v in spec.scenarios.items() if isinstance(v, dict)]


def _scenario_paths(spec: StudyFile) -> set[str]:
    paths = {p for _, values in _assignments(spec) for p in values}
    if len(_assignments(spec)) < len(spec.scenarios):
        paths.add("scenarios")
    return paths


def _add_whatifs(
    source: Located, whatifs: tuple, located: Located, scenario: str, base_path: Path
) -> None:
    """Append a study scenario's what-ifs to a job's config: names and ``kind:key=value``
    strings as on the command line, mappings as written (problems found in them point at
    the study file)."""
    from sim.scenarios import add_scenarios

    items = source.data.setdefault("scenarios", [])
    if ("scenarios",) not in source.locations:
        source.locations[("scenarios",)] = located.locate(("scenarios", scenario))
    for j, item in enumerate(whatifs):
        if isinstance(item, str):
            add_scenarios(source, [item], base_path)
            continue
        i = len(items)
        items.append(copy.deepcopy(item))
        source.locations[("scenarios", i)] = located.locate(("scenarios", scenario, j))
        for key, where in located.locations.items():
            if key[:3] == ("scenarios", scenario, j):
                source.locations[("scenarios", i, *key[3:])] = where


def _is_dotted(text: str) -> bool:
    return re.fullmatch(DOTTED_PATTERN, text) is not None


def _needs_policies(config: Config) -> bool:
    return (
        isinstance(config, CompanyConfig)
        and config.protocol == "classic"
        and config.policies is None
    )


def _own_protocol(config: Config) -> str | None:
    return config.protocol if isinstance(config, CompanyConfig) else None


def _check_kpis(kept: Any, config: Config, problem) -> tuple[str, ...] | None:
    if kept == "all":
        return None
    known = _kpi_names(config)
    if not isinstance(kept, list) or not kept or not all(isinstance(k, str) for k in kept):
        problem(("keep", "kpis"), "must be 'all' or a list of KPI names (see `oneplan kpis`)")
        return None
    for i, name in enumerate(kept):
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problem(("keep", "kpis", i), f"unknown KPI '{name}'{hint}; see `oneplan kpis`")
    return tuple(kept)


def _kpi_names(config: Config) -> list[str]:
    if isinstance(config, CompanyConfig):
        return list(COMPANY_KPIS)
    return chain_kpi_names(config.stages)


def _context(point: tuple, scenario: str | None) -> str:
    """Where in the study a problem occurs: ``point a.b=1, c=x; scenario outage``."""
    parts = []
    if point:
        parts.append("point " + ", ".join(f"{p}={_compact(v)}" for p, v in point))
    if scenario is not None:
        parts.append(f"scenario {scenario}")
    return "; ".join(parts)


def _in_context(problem: SourceProblem, study_file: str, context: str) -> SourceProblem:
    """Problems written outside the study file say at which point of the study they occur."""
    if problem.location.file == study_file or not context:
        return problem
    return SourceProblem(problem.location, problem.path, f"{problem.message} (at {context})")


def _reading_order(problem: SourceProblem) -> tuple[str, int, int]:
    where = problem.location
    return where.file, where.line or 0, where.column or 0


def _unique(problems: list[SourceProblem]) -> list[SourceProblem]:
    """Each problem once, in reading order (file, line, column)."""
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=_reading_order)


def _hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON of ``payload`` (sorted keys, no spaces)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 of oneplan's source as this process imports it: every ``.py`` file of ``sim``,
    ``agents`` and ``experiments``, by relative path and content.

    Job keys include it, so a result computed by other code — an edit without a version bump,
    a checkout of another branch — is never taken for this code's.
    """
    digest = hashlib.sha256()
    for package in ("sim", "agents", "experiments"):
        module = importlib.import_module(package)
        root = Path(module.__file__ or "").parent
        for path in sorted(root.rglob("*.py")):
            digest.update(path.relative_to(root.parent).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@functools.cache
def _version() -> str:
    try:
        return metadata.version("oneplan")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _package_versions() -> dict[str, str]:
    versions = {}
    for name in ("simpy", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "dask"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


# --------------------------------------------------------------------------------- running


@dataclass(frozen=True)
class JobResult:
    """What a worker sends back: the KPIs kept (and time series), or the error and traceback,
    and the fingerprint of the code that ran it."""

    key: str
    kpis: dict[str, float] | None
    seconds: float
    worker: str
    timeseries: pd.DataFrame | None = None
    error: str | None = None
    traceback: str | None = None
    code: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


def run_job(job: Job) -> JobResult:
    """Run one job (in any process); an exception becomes a failed result, never a raise."""
    start = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    code = code_fingerprint()
    try:
        result = simulate(job.config, seed=job.seed)
        kpis = result.kpis if job.kpis is None else {k: result.kpis[k] for k in job.kpis}
        series = timeseries(result.outcome) if job.keep_timeseries else None
    except Exception as exc:
        return JobResult(
            key=job.key,
            kpis=None,
            seconds=time.perf_counter() - start,
            worker=worker,
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
            code=code,
        )
    return JobResult(job.key, kpis, time.perf_counter() - start, worker, series, code=code)


@dataclass(frozen=True)
class Shard:
    """Slice ``index`` (1-based) of ``count``: the jobs whose position modulo ``count`` is
    ``index - 1``. The union of shards 1..count is the whole study, each job once."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"shard {self.index}/{self.count}: need 1 <= i <= N")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/3"`` -> ``Shard(2, 3)``."""
        i, sep, n = text.partition("/")
        if not sep or not i.strip().isdigit() or not n.strip().isdigit():
            raise ValueError(f"expected i/N such as 1/4, got {text!r}")
        return cls(int(i), int(n))

    def __contains__(self, job: Job) -> bool:
        return job.index % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class Failure:
    """A job that raised: its labels, the error's last line, and where the details are."""

    job: Job
    error: str
    record: Path


@dataclass(frozen=True)
class RunSummary:
    """What one invocation did: ``busy`` are jobs another process was running (not run here);
    ``done_elsewhere`` jobs another process finished meanwhile; ``set_aside`` the corrupt
    files moved to ``corrupt/`` (their jobs were run again)."""

    total: int
    selected: int
    already_done: int
    ran: int
    failures: tuple[Failure, ...]
    seconds: float
    busy: tuple[Job, ...] = ()
    done_elsewhere: int = 0
    set_aside: tuple[Path, ...] = ()

    @property
    def complete(self) -> bool:
        return (
            self.already_done + self.done_elsewhere + self.ran - len(self.failures) == self.selected
        )


def pending(study: Study, store: Store, shard: Shard | None = None) -> tuple[list[Job], list[Job]]:
    """The jobs of ``shard`` (default: all) and those of them ``store`` has not finished."""
    # A sampled design may draw the same point twice: its job is run once (one key).
    selected = list({j.key: j for j in study.jobs if shard is None or j in shard}.values())
    done = store.done()
    return selected, [j for j in selected if j.key not in done]


def run_study(
    study: Study,
    out: Path | str,
    engine: Engine | None = None,
    shard: Shard | None = None,
    progress: bool | None = None,
) -> RunSummary:
    """Run every job of ``study`` (or of its ``shard``) that ``out`` does not hold yet.

    Writes the manifest, sets aside corrupt files (their jobs are run again), then writes one
    result file per job as it finishes (atomically), so a study stopped at any moment and run
    again resumes where it stopped. Each job is claimed just before it is handed to a worker,
    so another process running the same study into ``out`` takes other jobs; a job it holds
    is not run here. ``progress``: ``None`` shows a progress bar on a terminal only. A job
    that raises is stored as a failure (inputs and traceback) and the others go on.
    """
    from tqdm import tqdm

    store = Store(Path(out))
    store.write_manifest(study.manifest())
    aside = store.set_aside(store.corrupt())
    selected, todo = pending(study, store, shard)
    failed_before = {j.key for j in todo if store.has_failure(j.key)}
    by_key = {j.key: j for j in todo}
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}"
    code = code_fingerprint()
    failures: list[Failure] = []
    held: dict[str, Claim] = {}
    busy: list[Job] = []
    elsewhere = 0
    start = time.perf_counter()
    engine = engine or InProcess()
    bar = tqdm(
        total=len(todo),
        unit="job",
        # None: tqdm shows the bar only when stderr is a terminal.
        disable=True if not todo else (None if progress is None else not progress),
        desc=study.name,
        file=sys.stderr,
        dynamic_ncols=True,
    )

    def claimed() -> Iterator[Job]:
        """The jobs to run here, each claimed as the engine asks for it."""
        nonlocal elsewhere
        for job in todo:
            claim = store.claim(job.key)
            if claim is None:
                busy.append(job)
                bar.update()
                continue
            # Finished (or failed) by another process since this one listed what to do.
            failed_meanwhile = job.key not in failed_before and store.has_failure(job.key)
            if failed_meanwhile or store.result(job.key) is not None:
                claim.release()
                elsewhere += 1
                bar.update()
                continue
            held[job.key] = claim
            yield job

    ran = 0
    try:
        for result in engine.map(run_job, claimed()):
            job = by_key[result.key]
            record = {
                "key": job.key,
                "index": job.index,
                "labels": job.labels(),
                "seed": job.seed,
                "config": job.config_hash,
                "seconds": result.seconds,
                "worker": result.worker,
                "run": run_id,
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            if result.ok and result.code != code:
                # A worker of a cluster with other oneplan code would file its results
                # under this code's keys.
                result = replace(
                    result,
                    kpis=None,
                    error=(
                        f"the worker {result.worker} runs other oneplan code "
                        f"({result.code[:12]}, here {code[:12]}); install the same code on "
                        "every worker"
                    ),
                )
            if result.ok:
                store.put_result(job.key, record | {"kpis": result.kpis}, result.timeseries)
            else:
                failure = record | {
                    "error": result.error,
                    "traceback": result.traceback,
                    "inputs": {"config": job.config.model_dump(mode="json"), "seed": job.seed},
                }
                path = store.put_failure(job.key, failure)
                failures.append(Failure(job, result.error or "", path))
            held.pop(job.key).release()
            ran += 1
            bar.update()
    finally:
        bar.close()
        for claim in held.values():
            claim.release()
    return RunSummary(
        total=len(study.jobs),
        selected=len(selected),
        already_done=len(selected) - len(todo),
        ran=ran,
        failures=tuple(failures),
        seconds=time.perf_counter() - start,
        busy=tuple(busy),
        done_elsewhere=elsewhere,
        set_aside=tuple(aside),
    )


def widest_interval(study: Study, out: Path | str) -> tuple[float, str]:
    """The widest 95% CI half-width of a sequential study's KPI over its cells — of each
    protocol's paired difference from the first when it has several, else of the KPI itself
    — and the cell where it is."""
    from experiments.results import load_results

    found = load_results(out)
    kpi = study.sequential.until.kpi
    if len([p for p in study.protocols if p is not None]) > 1:
        frame = found.paired_differences([kpi])
        what = frame["protocol"] + " − " + frame["baseline"]
    else:
        frame = found.cell_means([kpi])
        what = pd.Series(f"the mean of {kpi}", index=frame.index)
        if frame["protocol"].notna().all():
            what = what + " under " + frame["protocol"].astype(str)
    half = (frame["ci_high"] - frame["mean"]).astype(float)
    if half.isna().any() or not len(half):
        return math.inf, "a cell with fewer than two replications"
    worst = int(half.to_numpy().argmax())
    labels = [f"{f}={frame[f].iloc[worst]}" for f in found.factors]
    if len(study.scenarios) > 1:
        labels.append(f"scenario {frame['scenario'].iloc[worst]}")
    return float(half.iloc[worst]), ", ".join([str(what.iloc[worst]), *labels])


def run_sequential(
    study: Study,
    out: Path | str,
    engine: Engine | None = None,
    progress: bool | None = None,
    report=None,
) -> tuple[Study, list[RunSummary]]:
    """Run a sequential study: its ``min`` replications, then ``batch`` more at a time (the
    first ones keep their seeds, so every batch is on common random numbers with the
    others) until the widest CI half-width of the rule's KPI is at most its target, or
    ``max`` replications ran, or a job failed. Returns the study as it stopped — with
    ``stopped`` saying why, also written to the manifest — and each batch's summary.
    ``report(replications, half_width, where)`` is told of every batch's interval."""
    rule = study.sequential
    count, summaries = rule.min, []
    while True:
        current = study.with_replications(count)
        summaries.append(run_study(current, out, engine, None, progress))
        if summaries[-1].failures:
            reason = {"why": "failed jobs", "replications": count}
            break
        half, where = widest_interval(current, out)
        if report is not None:
            report(count, half, where)
        reason = {"replications": count, "half_width": half, "widest": where}
        if half <= rule.until.half_width:
            reason["why"] = f"every half-width at most {rule.until.half_width:g}"
            break
        if count >= rule.max:
            reason["why"] = f"max reached ({rule.max} replications)"
            break
        count = min(rule.max, count + rule.batch)
    current = replace(current, stopped=reason)
    Store(Path(out)).write_manifest(current.manifest())
    return current, summaries
