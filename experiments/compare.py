"""Paired comparisons of protocols on common random numbers, with confidence intervals.

Replication ``r`` runs every protocol with the same seed, so all protocols face the same
customers, lead times and failures; the difference between two protocols is then measured
replication by replication (a paired comparison), which removes the demand's own noise from it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from agents.config import CompanyConfig
from experiments.engines import make_engine
from sim.rng import replication_seeds

__all__ = ["Comparison", "compare", "interval"]


def interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of ``values`` (NaNs left out)."""
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    # Student's t quantile (what scipy.stats.t.ppf computes, without importing scipy.stats).
    t = special.stdtrit(len(x) - 1, 0.5 + confidence / 2)
    half = float(t * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


def _run(job: tuple[int, CompanyConfig, str, int]) -> tuple[int, dict[str, float], dict]:
    from experiments.run import simulate

    index, config, protocol, seed = job
    result = simulate(config, seed=seed, protocol=protocol)
    return index, result.kpis, learned_at_end(result)


def learned_at_end(result) -> dict[str, float]:
    """What the functions learned, at the end of a run: ``function.knob.item`` -> value."""
    if result.agents is None:
        return {}
    return {
        f"{function}.{knob}.{item}": float(series[-1])
        for (function, knob, item), series in result.agents.daily().items()
    }


@dataclass(frozen=True)
class Comparison:
    """KPIs of every (protocol, replication), and their statistics."""

    protocols: tuple[str, ...]
    seed: int
    seeds: tuple[int, ...]
    kpis: dict[str, dict[str, list[float]]]  # kpi -> protocol -> value per replication
    learned: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # knob, likewise

    @property
    def reps(self) -> int:
        return len(self.seeds)

    def summary(self) -> dict:
        """The JSON shape: per KPI, each protocol's mean and 95% CI, and the paired difference
        against the first protocol with its 95% CI."""
        base = self.protocols[0]
        out: dict[str, dict] = {}
        for name, by_protocol in self.kpis.items():
            entry: dict = {}
            for protocol in self.protocols:
                mean, lo, hi = interval(by_protocol[protocol])
                entry[protocol] = {"mean": _json(mean), "ci": [_json(lo), _json(hi)]}
            entry["diff"] = {}
            for protocol in self.protocols[1:]:
                diffs = [
                    a - b for a, b in zip(by_protocol[protocol], by_protocol[base], strict=True)
                ]
                mean, lo, hi = interval(diffs)
                entry["diff"][protocol] = {"mean": _json(mean), "ci": [_json(lo), _json(hi)]}
            out[name] = entry
        learned = {}
        for name, by_protocol in self.learned.items():
            learned[name] = {}
            for protocol, values in by_protocol.items():
                mean, lo, hi = interval(values)
                learned[name][protocol] = {"mean": _json(mean), "ci": [_json(lo), _json(hi)]}
        return {
            "protocols": list(self.protocols),
            "reps": self.reps,
            "seed": self.seed,
            "kpis": out,
            "learned": learned,
        }


def _json(x: float) -> float | None:
    return None if math.isnan(x) else x


def compare(
    config: CompanyConfig, protocols: Sequence[str], reps: int, seed: int, jobs: int = 1
) -> Comparison:
    """Run every protocol ``reps`` times on common random numbers spawned from ``seed``."""
    seeds = tuple(replication_seeds(seed, reps))
    work = [(config, protocol, s) for s in seeds for protocol in protocols]
    engine = make_engine("local", jobs)
    done = {i: rest for i, *rest in engine.map(_run, [(i, *job) for i, job in enumerate(work)])}
    kpis: dict[str, dict[str, list[float]]] = {}
    learned: dict[str, dict[str, list[float]]] = {}
    for i, (_, protocol, _) in enumerate(work):
        values, knobs = done[i]
        for name, value in values.items():
            kpis.setdefault(name, {p: [] for p in protocols})[protocol].append(value)
        for name, value in knobs.items():
            learned.setdefault(name, {})
            learned[name].setdefault(protocol, []).append(value)
    return Comparison(tuple(protocols), seed, seeds, kpis, learned)
