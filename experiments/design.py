"""Designs of experiments: how a study's factors become points, and what sensitivity they allow.

A factor is a list of levels (discrete), a range ``{low, high}`` (continuous, uniform) or a
distribution (``{distribution: normal, mean, sd}``, ``{distribution: triangular, low, mode,
high}``); ``integer: true`` keeps a continuous factor's values whole. A full factorial crosses
lists of levels; the sampled designs draw ``samples`` points in the unit cube and map each
coordinate to a factor's value by its quantile function:

- ``latin_hypercube`` (``scipy.stats.qmc``): ``samples`` points, each factor's range cut into
  ``samples`` equal strata with one point in each;
- ``sobol`` (SALib's Saltelli scheme on a scrambled Sobol' sequence): ``samples`` base points,
  ``samples·(k + 2)`` points in all for ``k`` factors, from which first-order and total Sobol
  indices are estimated;
- ``morris`` (SALib): ``samples`` one-at-a-time trajectories on a grid of ``levels`` levels,
  ``samples·(k + 1)`` points, from which the elementary effects' μ* and σ are estimated.

Sensitivity is analysed in the unit cube (a factor's effect per its whole range), so factors of
different units rank side by side; a discrete factor's levels take equal slices of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "ANALYSES",
    "SAMPLED",
    "Distribution",
    "Factor",
    "Levels",
    "Range",
    "analyse",
    "parse_factor",
    "sample",
]

SAMPLED = ("latin_hypercube", "sobol", "morris")
"""The designs that draw points (the others: ``full_factorial`` and ``points``)."""

DESIGNS = ("full_factorial", "points", *SAMPLED)

_TAIL = 1e-3
"""Unbounded distributions are sampled between these quantiles (a Morris grid reaches 0 and 1,
where a normal's quantile is infinite)."""


@dataclass(frozen=True)
class Levels:
    """A discrete factor: each level takes an equal slice of the unit interval."""

    values: tuple[Any, ...]

    def value(self, u: float) -> Any:
        return self.values[min(int(u * len(self.values)), len(self.values) - 1)]

    def describe(self) -> dict[str, Any]:
        return {"levels": list(self.values)}


@dataclass(frozen=True)
class Range:
    """A continuous factor, uniform on ``[low, high]`` (whole numbers with ``integer``: each
    of ``low..high`` equally likely)."""

    low: float
    high: float
    integer: bool = False

    def value(self, u: float) -> float | int:
        if self.integer:
            low, high = math.ceil(self.low), math.floor(self.high)
            return int(min(low + math.floor(u * (high - low + 1)), high))
        return float(self.low + u * (self.high - self.low))

    def describe(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "integer": self.integer}


@dataclass(frozen=True)
class Distribution:
    """A continuous factor drawn from a named law (its quantile function at ``u``)."""

    name: str
    parameters: tuple[tuple[str, float], ...]
    integer: bool = False

    def value(self, u: float) -> float | int:
        p = dict(self.parameters)
        if self.name == "normal":
            from scipy.special import ndtri

            x = p["mean"] + p["sd"] * float(ndtri(min(max(u, _TAIL), 1 - _TAIL)))
        else:  # triangular: the inverse of its distribution function
            low, mode, high = p["low"], p["mode"], p["high"]
            cut = (mode - low) / (high - low)
            if u < cut:
                x = low + math.sqrt(u * (high - low) * (mode - low))
            else:
                x = high - math.sqrt((1 - u) * (high - low) * (high - mode))
        return round(x) if self.integer else float(x)

    def describe(self) -> dict[str, Any]:
        return {"distribution": self.name, **dict(self.parameters), "integer": self.integer}


type Factor = Levels | Range | Distribution

_LAWS = {
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
}


def parse_factor(value: Any, design: str) -> tuple[Factor | None, str]:
    """The factor a study writes as ``value``, or None and what is wrong with it."""
    if isinstance(value, list | tuple):
        if not value:
            return None, "give at least one level"
        return Levels(tuple(value)), ""
    shapes = (
        "a list of levels, a range {low: ..., high: ...}, or a distribution "
        "{distribution: normal, mean: ..., sd: ...} or {distribution: triangular, low: ..., "
        "mode: ..., high: ...}"
    )
    if not isinstance(value, dict):
        return None, f"a factor is {shapes}"
    if design not in SAMPLED:
        return None, (
            f"a {design.replace('_', ' ')} needs a list of levels; a range or a distribution "
            f"is sampled by design: {', '.join(SAMPLED)}"
        )
    law = value.get("distribution", "uniform")
    if law not in _LAWS:
        return None, f"unknown distribution {law!r}; allowed: {', '.join(_LAWS)}"
    needed = _LAWS[law]
    allowed = {"distribution", "integer", *needed}
    extra = sorted(set(value) - allowed)
    if extra:
        return None, f"a {law} factor takes {', '.join(needed)} (and integer), not {extra[0]}"
    missing = [k for k in needed if k not in value]
    if missing:
        return None, f"a {law} factor needs {', '.join(needed)}; missing {', '.join(missing)}"
    numbers = {}
    for key in needed:
        number = value[key]
        if isinstance(number, bool) or not isinstance(number, int | float):
            return None, f"{key} must be a number, got {number!r}"
        if not math.isfinite(number):
            return None, f"{key} must be finite"
        numbers[key] = float(number)
    integer = value.get("integer", False)
    if not isinstance(integer, bool):
        return None, "integer must be true or false"
    if law == "normal":
        if numbers["sd"] <= 0:
            return None, "sd must be above 0"
        return Distribution("normal", tuple(numbers.items()), integer), ""
    if not numbers["low"] < numbers["high"]:
        return None, f"low must be below high ({numbers['low']:g} >= {numbers['high']:g})"
    if law == "triangular":
        if not numbers["low"] <= numbers["mode"] <= numbers["high"]:
            return None, "mode must lie between low and high"
        return Distribution("triangular", tuple(numbers.items()), integer), ""
    if integer and math.floor(numbers["high"]) < math.ceil(numbers["low"]):
        return None, "no whole number lies between low and high"
    return Range(numbers["low"], numbers["high"], integer), ""


def _problem(names: Sequence[str]) -> dict[str, Any]:
    """SALib's problem: every factor on the unit interval."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def sample(design: str, names: Sequence[str], samples: int, seed: int, levels: int) -> np.ndarray:
    """The unit-cube points [n, k] of a sampled design (see the module's docstring)."""
    k = len(names)
    if design == "latin_hypercube":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=k, rng=np.random.default_rng(seed)).random(samples)
    if design == "sobol":
        from SALib.sample import sobol

        return sobol.sample(_problem(names), samples, calc_second_order=False, seed=seed)
    if design == "morris":
        from SALib.sample import morris

        return morris.sample(_problem(names), samples, num_levels=levels, seed=seed)
    raise ValueError(f"{design} is not a sampled design; sampled: {', '.join(SAMPLED)}")


def points_of(unit: np.ndarray, factors: Sequence[Factor]) -> list[tuple[Any, ...]]:
    """Each row of the unit cube as factor values."""
    return [tuple(f.value(float(u)) for f, u in zip(factors, row, strict=True)) for row in unit]


def sample_size(design: str, samples: int, k: int) -> int:
    """The number of points a sampled design draws for ``k`` factors."""
    return {"latin_hypercube": samples, "sobol": samples * (k + 2), "morris": samples * (k + 1)}[
        design
    ]


# ------------------------------------------------------------------------------ analysis


@dataclass(frozen=True)
class Index:
    """One factor's sensitivity: the name of the measure, its value and 95% CI half-width."""

    measure: str
    value: float
    half_width: float


def _sobol(names, unit, y, seed, levels) -> dict[str, list[Index]]:
    from SALib.analyze import sobol

    found = sobol.analyze(_problem(names), y, calc_second_order=False, conf_level=0.95, seed=seed)
    return {
        name: [
            Index("S1", float(found["S1"][i]), float(found["S1_conf"][i])),
            Index("ST", float(found["ST"][i]), float(found["ST_conf"][i])),
        ]
        for i, name in enumerate(names)
    }


def _morris(names, unit, y, seed, levels) -> dict[str, list[Index]]:
    from SALib.analyze import morris

    found = morris.analyze(_problem(names), unit, y, conf_level=0.95, num_levels=levels, seed=seed)
    return {
        name: [
            Index("mu_star", float(found["mu_star"][i]), float(found["mu_star_conf"][i])),
            Index("sigma", float(found["sigma"][i]), math.nan),
        ]
        for i, name in enumerate(names)
    }


def _delta(names, unit, y, seed, levels) -> dict[str, list[Index]]:
    from SALib.analyze import delta

    found = delta.analyze(_problem(names), unit, y, conf_level=0.95, seed=seed)
    return {
        name: [
            Index("delta", float(found["delta"][i]), float(found["delta_conf"][i])),
            Index("S1", float(found["S1"][i]), float(found["S1_conf"][i])),
        ]
        for i, name in enumerate(names)
    }


@dataclass(frozen=True)
class Analysis:
    """A design's sensitivity analysis: its measures (the first ranks the factors)."""

    measures: tuple[str, str]
    function: Callable[..., dict[str, list[Index]]]


ANALYSES: dict[str, Analysis] = {
    "sobol": Analysis(("ST", "S1"), _sobol),
    "morris": Analysis(("mu_star", "sigma"), _morris),
    "latin_hypercube": Analysis(("delta", "S1"), _delta),
}
"""Per sampled design, the SALib analysis it allows: Sobol' total and first-order indices;
Morris' μ* and σ of the elementary effects; Borgonovo's moment-independent δ (with a
first-order estimate) for a Latin hypercube."""


def analyse(
    design: str, names: Sequence[str], unit: np.ndarray, y: np.ndarray, seed: int, levels: int
) -> dict[str, list[Index]]:
    """Each factor's sensitivity indices for outputs ``y`` (one per point of ``unit``), in
    the order of the design's measures."""
    if design not in ANALYSES:
        raise ValueError(
            f"sensitivity needs a sampled design ({', '.join(ANALYSES)}), not {design}"
        )
    analysis = ANALYSES[design]
    y = np.asarray(y, dtype=float)
    if np.ptp(y) == 0:  # nothing varies, so no factor matters (SALib would divide by zero)
        return {name: [Index(m, 0.0, 0.0) for m in analysis.measures] for name in names}
    found = analysis.function(names, np.asarray(unit, dtype=float), y, seed, levels)
    order = {m: i for i, m in enumerate(analysis.measures)}
    return {name: sorted(found[name], key=lambda x: order[x.measure]) for name in names}
