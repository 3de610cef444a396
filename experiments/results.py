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

import numpy as np
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
    "write_ema",
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

    @property
    def design(self) -> dict:
        """The study's design as its manifest records it (``method``, and for a sampled one
        its samples, seed, factors and points in the unit cube)."""
        return self.manifest.get("design") or {"method": "full_factorial"}

    def outputs(self, kpi: str) -> pd.DataFrame:
        """One row per point, one column per (scenario, output): the KPI's mean over the
        replications of each protocol, and of each protocol's paired difference from the
        first (``sop − silo``). Every point must have every replication finished."""
        protocols = [p for p in self.protocols if p is not None]
        labels = ["job_point", "scenario", "protocol", "seed"]
        jobs = pd.DataFrame(self.manifest["jobs"]).set_index("index")
        data = self.table.assign(job_point=self.table["job"].map(jobs["point"]))
        wide = data.set_index(labels)[kpi].astype(float).unstack(["scenario", "protocol"])
        expected = len(self.manifest["jobs"])
        if len(self.table) < expected or wide.isna().any().any():
            raise ValueError(
                f"{expected - len(self.table)} of the study's {expected} jobs have no result "
                f"(or no {kpi}); sensitivity needs every point (run the study to the end)"
            )
        columns = {}
        for scenario in dict.fromkeys(wide.columns.get_level_values(0)):
            for protocol in wide[scenario].columns:
                label = protocol if isinstance(protocol, str) else "-"  # a chain has none
                columns[(scenario, label)] = wide[(scenario, protocol)]
            for protocol in protocols[1:]:
                columns[(scenario, f"{protocol} − {protocols[0]}")] = (
                    wide[(scenario, protocol)] - wide[(scenario, protocols[0])]
                )
        frame = pd.DataFrame(columns)
        return frame.groupby(level="job_point").mean().sort_index()

    def sensitivity(self, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """Global sensitivity of each KPI to each sampled factor, per scenario and output
        (each protocol, and each protocol minus the first): one row per measure of the
        design's analysis (:data:`experiments.design.ANALYSES`), with its 95% CI; the
        factors ranked by the design's first measure. Needs a sobol, morris or Latin
        hypercube design with every job finished."""
        from experiments import design as doe

        design = self.design
        method = design["method"]
        if method not in doe.ANALYSES:
            raise ValueError(
                f"sensitivity needs a sampled design ({', '.join(doe.ANALYSES)}); this study "
                f"is a {method.replace('_', ' ')}: see its main effects and interactions"
            )
        names = list(design["factors"])
        unit = np.asarray(design["unit"], dtype=float)
        ranked_by = doe.ANALYSES[method].measures[0]
        rows = []
        for kpi in kpis or self.kpis:
            outputs = self.outputs(kpi)
            for scenario, output in outputs.columns:
                found = doe.analyse(
                    method,
                    names,
                    unit,
                    outputs[(scenario, output)].to_numpy(),
                    design["seed"],
                    design["levels"],
                )
                order = sorted(names, key=lambda n: -found[n][0].value)
                for rank, name in enumerate(order, 1):
                    for index in found[name]:
                        rows.append(
                            {"kpi": kpi, "scenario": scenario, "output": output}
                            | {"factor": name, "rank": rank, "measure": index.measure}
                            | {"value": index.value, "half_width": index.half_width}
                        )
        columns = ["kpi", "scenario", "output", "factor", "rank", "measure", "value"]
        frame = pd.DataFrame(rows, columns=[*columns, "half_width"])
        frame.attrs["ranked_by"] = ranked_by
        return frame

    def inert(self, kpis: Sequence[str] | None = None, alpha: float = 0.05) -> pd.DataFrame:
        """Each listed factor (and scenario), per protocol: whether it changes any KPI beyond
        noise. Per KPI, a repeated-measures analysis of variance — the factor's levels
        against the replications (paired by seed), other factors averaged — gives the
        p-value that its levels differ; a factor is ``inert`` under a protocol when no KPI's
        p-value is below ``alpha`` (or its levels give identical results)."""
        factors = [f for f in self.factors if self.table[f].nunique(dropna=False) > 1]
        if self.design["method"] not in ("full_factorial", "points"):
            factors = []  # sampled points share no levels: see the sensitivity instead
        if self.table["scenario"].nunique() > 1:
            factors.append("scenario")
        rows = []
        for protocol, group in _groups(self.table, ["protocol"]):
            for factor in factors:
                tests = {k: _blocked_anova(group, factor, k) for k in kpis or self.kpis}
                moved = sorted(k for k, p in tests.items() if p < alpha)
                rows.append(
                    {"protocol": protocol[0], "factor": factor, "inert": not moved}
                    | {"moves": moved, "smallest_p": min(tests.values(), default=math.nan)}
                )
        return pd.DataFrame(rows, columns=["protocol", "factor", "inert", "moves", "smallest_p"])

    def factor_interactions(self, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """Two-way interactions of the listed factors, protocol included: for each pair, the
        difference of differences between their lowest and highest levels — (high, high) −
        (low, high) − (high, low) + (low, low), every other factor averaged — paired by seed,
        with its 95% CI. With the protocol as one factor, it says how much the value of the
        last rung over the first changes between the other factor's extreme levels (does
        S&OP's value grow with Sales' bias?)."""
        if self.design["method"] not in ("full_factorial", "points"):
            return pd.DataFrame(columns=_INTERACTION_COLUMNS)
        factors = [f for f in self.factors if self.table[f].nunique(dropna=False) > 1]
        protocols = [p for p in self.protocols if p is not None]
        if len(protocols) > 1:
            factors.append("protocol")
        rows = []
        for scenario, group in _groups(self.table, ["scenario"]):
            for i, a in enumerate(factors):
                for b in factors[i + 1 :]:
                    ends_a, ends_b = _ends(group, a, protocols), _ends(group, b, protocols)
                    for kpi in kpis or self.kpis:
                        cells = (
                            group[group[a].isin(ends_a) & group[b].isin(ends_b)]
                            .groupby(["seed", a, b], dropna=False)[kpi]
                            .mean()
                            .unstack([a, b])
                        )
                        try:
                            hh = cells[(ends_a[1], ends_b[1])]
                            lh = cells[(ends_a[0], ends_b[1])]
                            hl = cells[(ends_a[1], ends_b[0])]
                            ll = cells[(ends_a[0], ends_b[0])]
                        except KeyError:
                            continue
                        rows.append(
                            {"scenario": scenario[0], "kpi": kpi, "factor": a, "by": b}
                            | {"low": ends_a[0], "high": ends_a[1]}
                            | {"by_low": ends_b[0], "by_high": ends_b[1]}
                            | _interval_row((hh - lh - hl + ll).dropna().tolist())
                        )
        return pd.DataFrame(rows, columns=_INTERACTION_COLUMNS)

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


def write_ema(found: StudyResults, out: Path | str) -> Path:
    """Write ``ema_results.tar.gz`` in the layout EMA Workbench's ``load_results`` reads: its
    experiments (one row per finished job: each factor as an uncertainty column named by its
    dotted path, ``scenario``, the protocol as ``policy``, ``model`` = ``oneplan``, and the
    replication and its seed) and one scalar outcome per KPI, in the same row order."""
    import tarfile

    table = found.table
    experiments = table[found.factors].copy()
    experiments["replication"] = table["replication"]
    experiments["seed"] = table["seed"]
    experiments["scenario"] = table["scenario"]
    experiments["policy"] = table["protocol"].fillna("none")
    experiments["model"] = "oneplan"
    outcomes = {kpi: table[kpi].astype(float).to_numpy() for kpi in found.kpis}

    def entry(archive: tarfile.TarFile, name: str, text: str) -> None:
        data = text.encode("utf-8")
        info = tarfile.TarInfo(name)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        entry(archive, "experiments.csv", experiments.to_csv(index=False))
        dtypes = "\n".join(f"{name},{dtype.str}" for name, dtype in _ema_dtypes(experiments))
        entry(archive, "experiments metadata.csv", dtypes + "\n")
        shapes = "\n".join(f"{kpi},({len(v)},)" for kpi, v in outcomes.items())
        entry(archive, "outcomes metadata.csv", shapes + "\n")
        for kpi, values in outcomes.items():
            entry(archive, f"{kpi}.csv", pd.DataFrame(values).to_csv(header=False, index=False))
    path = Path(out) / "ema_results.tar.gz"
    atomic_write(path, buffer.getvalue())
    return path


def _ema_dtypes(frame: pd.DataFrame):
    """Each column's numpy type as EMA records it (text columns as objects: categories)."""
    for name, dtype in frame.dtypes.items():
        yield name, (dtype if isinstance(dtype, np.dtype) else np.dtype(object))


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


_INTERACTION_COLUMNS = [
    "scenario", "kpi", "factor", "by", "low", "high", "by_low", "by_high",
    "n", "mean", "ci_low", "ci_high",
]  # fmt: skip


def _ends(table: pd.DataFrame, factor: str, protocols: list) -> tuple[Any, Any]:
    """A factor's lowest and highest levels (for the protocol: the first rung and the last;
    for text levels: the first and last in the study's order)."""
    if factor == "protocol":
        return protocols[0], protocols[-1]
    levels = levels_of(table[factor])
    return levels[0], levels[-1]


def is_numeric(values) -> bool:
    """Whether every value is a number (booleans are not)."""
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def levels_of(values) -> list:
    """A factor's distinct levels: in order of size for numbers, else as the study wrote them."""
    levels = list(dict.fromkeys(values))
    return sorted(levels) if is_numeric(levels) else levels


def _blocked_anova(table: pd.DataFrame, factor: str, kpi: str) -> float:
    """The p-value that ``factor``'s levels differ in ``kpi``, replications as blocks (a
    repeated-measures one-way analysis of variance on the level means per seed). 1 when the
    levels give identical results, NaN when it cannot be told (one replication)."""
    from scipy import stats

    cells = table.groupby(["seed", factor], dropna=False)[kpi].mean().unstack(factor).dropna()
    n, k = cells.shape
    if k < 2 or n < 2:
        return math.nan
    y = cells.to_numpy(dtype=float)
    grand = y.mean()
    between = n * ((y.mean(axis=0) - grand) ** 2).sum()
    blocks = k * ((y.mean(axis=1) - grand) ** 2).sum()
    error = ((y - grand) ** 2).sum() - between - blocks
    scale = max(abs(grand), np.abs(y).max(), 1.0)
    if between <= (1e-12 * scale) ** 2 * n * k:
        return 1.0  # the levels give the same results, replication by replication
    if error <= (1e-12 * scale) ** 2 * n * k:
        return 0.0  # the same difference in every replication: no noise to hide it
    f = (between / (k - 1)) / (error / ((k - 1) * (n - 1)))
    return float(stats.f.sf(f, k - 1, (k - 1) * (n - 1)))


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
        # A point a sampled design drew twice is one job: its rows are the same result.
        by_seed = group.astype({k: float for k in kpis}).groupby(["seed", by], sort=False)
        wide = {kpi: by_seed[kpi].mean().unstack(by) for kpi in kpis}
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
