"""A study's results: its finished jobs as one tidy table, and the statistics researchers ask of it.

The table has one row per finished job: ``job`` (its position in the study) and ``key`` (its
result file), one column per factor (named by its dotted path), ``scenario``, ``protocol``,
``replication``, ``seed``, one column per KPI kept, then the wall-clock columns ``seconds``,
``worker`` and ``run`` (which differ from run to run; everything else is reproducible).

Statistics, all as tidy tables: the mean and 95% confidence interval of every KPI per cell;
the paired difference of every protocol from the first, per cell, paired by replication seed;
and the main effect of every factor (protocol and scenario included) on every KPI — the share
of the KPI's variance it explains and the range of its level means.

>>> results = load_results("results/ladder_x_optimism")      # doctest: +SKIP
>>> results.table.groupby("protocol").operating_profit.mean()  # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.compare import interval
from experiments.output import atomic_write
from experiments.store import CorruptFile, Store

__all__ = [
    "WALL_CLOCK",
    "StudyResults",
    "cell_means",
    "effects",
    "load_results",
    "paired_differences",
]

WALL_CLOCK = ("seconds", "worker", "run")
"""Columns that record when and where a job ran, not what it computed."""


@dataclass(frozen=True)
class StudyResults:
    """The results of one study directory (see :func:`load_results`)."""

    directory: Path
    manifest: dict
    table: pd.DataFrame
    failures: tuple[dict, ...]
    missing: tuple[dict, ...]
    corrupt: tuple[CorruptFile, ...] = ()

    @property
    def name(self) -> str:
        return self.manifest["study"]["name"]

    @property
    def factors(self) -> list[str]:
        """The factor columns: dotted config paths, in the study's order."""
        return list(self.manifest["factors"])

    @property
    def protocols(self) -> list[str | None]:
        return list(self.manifest["protocols"])

    @property
    def kpis(self) -> list[str]:
        """The KPI columns of the table."""
        labels = {"job", "key", "scenario", "protocol", "replication", "seed", *WALL_CLOCK}
        return [c for c in self.table.columns if c not in labels and c not in self.factors]

    @property
    def jobs(self) -> int:
        return len(self.manifest["jobs"])

    def cell_means(self, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """Mean and 95% CI of each KPI per (factors, scenario, protocol)."""
        return cell_means(self.table, kpis or self.kpis, [*self.factors, "scenario", "protocol"])

    def paired_differences(
        self, kpis: Sequence[str] | None = None, baseline: str | None = None
    ) -> pd.DataFrame:
        """Each protocol minus ``baseline`` (default: the first), per (factors, scenario)."""
        protocols = [p for p in self.protocols if p is not None]
        return paired_differences(
            self.table,
            kpis or self.kpis,
            [*self.factors, "scenario"],
            baseline or (protocols[0] if protocols else None),
        )

    @property
    def base_scenario(self) -> str | None:
        """The scenario others are measured against: ``base`` if the study has one, else its
        first; None with a single scenario."""
        names = list(self.manifest.get("scenarios", []))
        if len(names) < 2:
            return None
        return "base" if "base" in names else names[0]

    def scenario_differences(self, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """Each scenario minus the base scenario, per (factors, protocol), paired by seed."""
        return paired_differences(
            self.table,
            kpis or self.kpis,
            [*self.factors, "protocol"],
            self.base_scenario,
            by="scenario",
        )

    def interactions(self, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """Protocol × scenario: how much more (or less) a scenario changes a KPI under each
        protocol than under the first, per factors — ``(scenario − base) under the protocol
        minus (scenario − base) under the first protocol``, paired by seed, with its 95% CI.
        A CI that excludes zero says the protocol changes what the scenario does."""
        protocols = [p for p in self.protocols if p is not None]
        base = self.base_scenario
        columns = [*self.factors, "scenario", "protocol", "baseline", "kpi", "n", "mean"]
        columns += ["ci_low", "ci_high"]
        if base is None or len(protocols) < 2:
            return pd.DataFrame(columns=columns)
        first, rows = protocols[0], []
        for keys, group in _groups(self.table, self.factors):
            wide = group.set_index(["seed", "scenario", "protocol"])
            for kpi in kpis or self.kpis:
                values = wide[kpi].astype(float).unstack(["scenario", "protocol"])
                for scenario in group["scenario"].drop_duplicates():
                    if scenario == base:
                        continue
                    for protocol in protocols[1:]:
                        try:
                            here = values[(scenario, protocol)] - values[(base, protocol)]
                            there = values[(scenario, first)] - values[(base, first)]
                        except KeyError:
                            continue
                        diffs = (here - there).dropna().tolist()
                        rows.append(
                            dict(zip(self.factors, keys, strict=True))
                            | {"scenario": scenario, "protocol": protocol, "baseline": first}
                            | {"kpi": kpi}
                            | _interval_row(diffs)
                        )
        return pd.DataFrame(rows, columns=columns)

    def effects(self, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """Which factor moves which KPI most (protocol and scenario count as factors)."""
        factors = [*self.factors]
        for label in ("protocol", "scenario"):
            if self.table[label].nunique(dropna=False) > 1:
                factors.append(label)
        return effects(self.table, kpis or self.kpis, factors)

    def timeseries(self) -> pd.DataFrame:
        """The daily time series of every job that kept one, with the job's labels in front."""
        store = Store(self.directory)
        labels = ["job", *self.factors, "scenario", "protocol", "replication", "seed"]
        frames = []
        for row in self.table[[*labels, "key"]].itertuples(index=False):
            series = store.timeseries(row.key)
            if series is None:
                continue
            values = zip(labels, row[:-1], strict=True)
            front = pd.DataFrame({name: [value] * len(series) for name, value in values})
            frames.append(pd.concat([front, series.reset_index(drop=True)], axis=1))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=labels)

    def write(self, out: Path | str | None = None) -> list[Path]:
        """Write ``results.parquet`` and ``results.csv`` (and ``timeseries.parquet`` when jobs
        kept time series) into ``out`` (default: the study's directory); return their paths."""
        out = Path(out) if out is not None else self.directory
        written = [out / "results.parquet", out / "results.csv"]
        atomic_write(written[0], _parquet(self.table))
        atomic_write(written[1], self.table.to_csv(index=False).encode("utf-8"))
        if self.manifest["keep"]["timeseries"]:
            series = self.timeseries()
            if len(series):
                written.append(out / "timeseries.parquet")
                atomic_write(written[-1], _parquet(series))
        return written

    def summary(self, kpis: Sequence[str] | None = None) -> dict[str, Any]:
        """The JSON shape of ``oneplan results --format json``."""
        kpis = list(kpis or self.kpis)
        return {
            "study": self.name,
            "jobs": self.jobs,
            "finished": len(self.table),
            "failed": [_failure_summary(f) for f in self.failures],
            "missing": len(self.missing),
            "cells": _records(self.cell_means(kpis)),
            "differences": _records(self.paired_differences(kpis)),
            "scenario_differences": _records(self.scenario_differences(kpis)),
            "interactions": _records(self.interactions(kpis)),
            "effects": _records(self.effects(kpis)),
        }


def load_results(directory: Path | str) -> StudyResults:
    """Collect the finished jobs of the study in ``directory`` into a table (job order).

    Files that cannot be trusted (truncated, edited, swapped) are left out and listed in
    ``corrupt``; their jobs count as not run. Raises ``FileNotFoundError`` without a manifest
    and :class:`experiments.store.CorruptManifest` when it cannot be trusted.
    """
    store = Store(directory)
    if not store.exists():
        raise FileNotFoundError(f"{directory}: no manifest.json; is this a study's directory?")
    manifest = store.read_manifest()
    factors = manifest["factors"]
    kept = manifest["keep"]["kpis"]
    records, corrupt = store.scan()
    failures = {f["key"]: f for f in store.failures()}
    rows, missing = [], []
    for job in manifest["jobs"]:
        record = records.get(job["key"])
        if record is None:
            if job["key"] not in failures:
                missing.append(job)
            continue
        row: dict[str, Any] = {"job": job["index"], "key": job["key"]}
        row |= {path: _cell(job["factors"][path]) for path in factors}
        row |= {name: job[name] for name in ("scenario", "protocol", "replication", "seed")}
        row |= {k: (math.nan if v is None else v) for k, v in record["kpis"].items()}
        row |= {name: record[name] for name in WALL_CLOCK}
        rows.append(row)
    columns = ["job", "key", *factors, "scenario", "protocol", "replication", "seed"]
    if kept != "all":
        columns += kept
    elif rows:
        columns += [c for c in rows[0] if c not in columns and c not in WALL_CLOCK]
    columns += list(WALL_CLOCK)
    table = pd.DataFrame(rows, columns=columns)
    ordered = tuple(sorted(failures.values(), key=lambda f: f["index"]))
    corrupt += store.scan_failures()[1]
    return StudyResults(Path(directory), manifest, table, ordered, tuple(missing), tuple(corrupt))


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    """A factor value as a table cell: scalars as they are, collections as compact JSON."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return value


def _failure_summary(record: dict) -> dict:
    return {
        "job": record["index"],
        "labels": record["labels"],
        "seed": record["seed"],
        "error": record["error"],
        "record": record["record"],
    }


def _records(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


# ------------------------------------------------------------------------------ statistics


def _groups(table: pd.DataFrame, by: Sequence[str]):
    """Groups in order of first appearance; a single key still gives a tuple."""
    if not by:
        yield (), table
        return
    for keys, group in table.groupby(list(by), sort=False, dropna=False):
        yield (keys if isinstance(keys, tuple) else (keys,)), group


def _interval_row(values: Sequence[float]) -> dict[str, float]:
    finite = [v for v in values if not math.isnan(v)]
    mean, low, high = interval(finite)
    return {"n": len(finite), "mean": mean, "ci_low": low, "ci_high": high}


def cell_means(table: pd.DataFrame, kpis: Sequence[str], cells: Sequence[str]) -> pd.DataFrame:
    """One row per cell and KPI: ``n``, ``mean`` and the 95% Student-t CI (NaNs left out)."""
    rows = []
    for keys, group in _groups(table, cells):
        for kpi in kpis:
            rows.append(
                dict(zip(cells, keys, strict=True))
                | {"kpi": kpi}
                | _interval_row(group[kpi].astype(float).tolist())
            )
    return pd.DataFrame(rows, columns=[*cells, "kpi", "n", "mean", "ci_low", "ci_high"])


def paired_differences(
    table: pd.DataFrame,
    kpis: Sequence[str],
    cells: Sequence[str],
    baseline: str | None,
    by: str = "protocol",
) -> pd.DataFrame:
    """Every level of ``by`` (a protocol, or a scenario) minus ``baseline`` within each cell,
    replication by replication (paired by seed: both faced the same customers), with the mean
    difference and its 95% CI."""
    columns = [*cells, by, "baseline", "kpi", "n", "mean", "ci_low", "ci_high"]
    levels = [p for p in table[by].drop_duplicates() if p != baseline]
    if baseline is None or not levels:
        return pd.DataFrame(columns=columns)
    rows = []
    for keys, group in _groups(table, cells):
        by_seed = group.set_index(["seed", by])
        wide = {kpi: by_seed[kpi].astype(float).unstack(by) for kpi in kpis}
        for level in levels:
            for kpi in kpis:
                if baseline not in wide[kpi] or level not in wide[kpi]:
                    continue
                diffs = (wide[kpi][level] - wide[kpi][baseline]).dropna().tolist()
                rows.append(
                    dict(zip(cells, keys, strict=True))
                    | {by: level, "baseline": baseline, "kpi": kpi}
                    | _interval_row(diffs)
                )
    return pd.DataFrame(rows, columns=columns)


def effects(table: pd.DataFrame, kpis: Sequence[str], factors: Sequence[str]) -> pd.DataFrame:
    """Main effect of each factor on each KPI, largest first within a KPI.

    ``share_of_variance`` is the between-levels sum of squares over the total (eta squared:
    the share of the KPI's variation across all jobs that the factor's levels explain alone);
    ``range`` is the highest level mean minus the lowest, in the KPI's units.
    """
    rows = []
    for kpi in kpis:
        data = table[[*factors, kpi]].dropna(subset=[kpi])
        if data.empty:
            continue
        y = data[kpi].astype(float)
        grand = y.mean()
        total = float(((y - grand) ** 2).sum())
        found = []
        for factor in factors:
            means = data.groupby(factor, sort=False, dropna=False)[kpi].agg(["mean", "size"])
            between = float((means["size"] * (means["mean"] - grand) ** 2).sum())
            low, high = means["mean"].idxmin(), means["mean"].idxmax()
            found.append(
                {
                    "kpi": kpi,
                    "factor": factor,
                    "levels": len(means),
                    "share_of_variance": between / total if total > 0 else math.nan,
                    "range": float(means["mean"].max() - means["mean"].min()),
                    "lowest_level": low,
                    "lowest_mean": float(means["mean"].min()),
                    "highest_level": high,
                    "highest_mean": float(means["mean"].max()),
                }
            )
        found.sort(key=lambda r: -(r["share_of_variance"] if total > 0 else r["range"]))
        rows += found
    return pd.DataFrame(
        rows,
        columns=[
            "kpi",
            "factor",
            "levels",
            "share_of_variance",
            "range",
            "lowest_level",
            "lowest_mean",
            "highest_level",
            "highest_mean",
        ],
    )
