"""A study's results in pictures: main effects with CIs per factor and protocol, how the value of
each rung over the first changes along each factor (the protocol × factor interaction), the
distribution of the paired differences, and the ranked sensitivity indices of a sampled design.

Every statistic is averaged per replication seed first, so a CI is over replications (paired
where it is a difference), as in :mod:`experiments.results`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.compare import interval
from experiments.figures.frontier import _formatter
from experiments.figures.style import colour_of, save
from experiments.results import is_numeric, levels_of

__all__ = [
    "differences_figure",
    "effects_figure",
    "plot_study",
    "sensitivity_figure",
]

MAX_KPIS = 4
"""Rows of a figure: the first KPIs shown (more would not be read)."""


def _protocols(found) -> list:
    return [p for p in found.protocols if p is not None] or [None]


def _rows(found, protocol) -> pd.DataFrame:
    table = found.table
    return table if protocol is None else table[table["protocol"] == protocol]


def _by(found, protocol, keys: list[str], kpi: str) -> pd.Series:
    """``kpi`` of ``protocol``'s jobs indexed by ``keys`` (a point drawn twice once)."""
    rows = _rows(found, protocol)
    return rows.groupby(keys, sort=False, dropna=False)[kpi].mean()


def _level_means(rows: pd.DataFrame, factor: str, kpi: str, levels: list) -> np.ndarray:
    """Mean and CI of ``kpi`` at each level of ``factor`` [levels, 3], other factors
    averaged per seed."""
    per_seed = rows.groupby([factor, "seed"], dropna=False)[kpi].mean()
    return np.array(
        [interval(per_seed.get(level, pd.Series(dtype=float)).tolist()) for level in levels]
    )


def effects_figure(found, kpis: list[str], differences: bool = False) -> Figure:
    """Rows: KPIs; columns: factors. Each protocol's mean at each level with its 95% CI (or,
    with ``differences``, each protocol minus the first, paired by seed: the interaction of
    the protocol with the factor). A sampled design's points are drawn as they fell."""
    kpis = kpis[:MAX_KPIS]
    factors = [f for f in found.factors if found.table[f].nunique(dropna=False) > 1]
    if not factors:
        factors = ["scenario"]
    protocols = _protocols(found)
    sampled = found.design["method"] not in ("full_factorial", "points")
    fig = Figure(figsize=(3.6 * len(factors) + 1, 2.8 * len(kpis) + 0.8), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(kpis), len(factors), squeeze=False))
    first = protocols[0]
    shown = protocols[1:] if differences else protocols
    for r, kpi in enumerate(kpis):
        formatter, scale = _formatter(kpi)
        for c, factor in enumerate(factors):
            ax = axes[r, c]
            levels = levels_of(found.table[factor])
            numeric = is_numeric(levels)
            x = np.asarray(levels, dtype=float) if numeric else np.arange(len(levels))
            for i, protocol in enumerate(shown):
                colour = colour_of(str(protocol), i)
                label = f"{protocol} − {first}" if differences else str(protocol or "")
                rows = _rows(found, protocol)
                if differences:
                    keys = [*found.factors, "scenario", "seed"]
                    diff = _by(found, protocol, keys, kpi) - _by(found, first, keys, kpi)
                    rows = diff.rename(kpi).reset_index()
                if sampled:
                    ax.plot(rows[factor], scale * rows[kpi], ".", color=colour, alpha=0.5,
                            label=label, ms=4)  # fmt: skip
                    continue
                stats = scale * _level_means(rows, factor, kpi, levels)
                ax.plot(x, stats[:, 0], "o-", color=colour, label=label, lw=1.5, ms=4)
                ax.fill_between(x, stats[:, 1], stats[:, 2], color=colour, alpha=0.15, lw=0)
            if differences:
                ax.axhline(0, color="#999999", lw=0.8)
            if not numeric:
                ax.set_xticks(x, [str(v) for v in levels], fontsize=7)
            if formatter is not None:
                ax.yaxis.set_major_formatter(formatter)
            ax.set_xlabel(factor, fontsize=8)
            if c == 0:
                ax.set_ylabel(kpi + (" (difference)" if differences else ""), fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
    if protocols != [None]:
        axes[0, -1].legend(fontsize=7, frameon=False)
    if sampled:
        what = "each point's mean over its replications, against each factor"
        if differences:
            what = f"what each rung adds over {first} at each point, against each factor"
    elif differences:
        what = f"what each rung adds over {first}, along each factor (95% CI, paired by seed)"
    else:
        what = "main effects: each protocol's mean at each level (95% CI over replications)"
    fig.suptitle(f"{found.name}: {what}", fontsize=10)
    return fig


def differences_figure(found, kpis: list[str]) -> Figure:
    """The distribution of the paired differences from the first protocol (one per
    replication and cell), per KPI: how often, and by how much, each rung does better."""
    kpis = kpis[:MAX_KPIS]
    protocols = _protocols(found)
    diffs = found.paired_differences(kpis)
    fig = Figure(figsize=(4 * len(kpis) + 1, 3.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(kpis), squeeze=False)[0])
    keys = [*found.factors, "scenario", "seed"]
    first = protocols[0]
    for ax, kpi in zip(axes, kpis, strict=True):
        formatter, scale = _formatter(kpi)
        base = _by(found, first, keys, kpi)
        for i, protocol in enumerate(protocols[1:]):
            values = (_by(found, protocol, keys, kpi) - base).dropna()
            ax.hist(scale * values, bins=20, color=colour_of(str(protocol), i), alpha=0.6,
                    label=f"{protocol} − {first}")  # fmt: skip
        ax.axvline(0, color="#999999", lw=0.8)
        if formatter is not None:
            ax.xaxis.set_major_formatter(formatter)
        ax.set_xlabel(f"{kpi} (difference)", fontsize=8)
        ax.set_ylabel("replications × cells", fontsize=8)
        ax.tick_params(labelsize=7)
        if len(diffs):
            ax.legend(fontsize=7, frameon=False)
    fig.suptitle(f"{found.name}: paired differences, replication by replication", fontsize=10)
    return fig


def sensitivity_figure(table: pd.DataFrame, kpis: list[str]) -> Figure:
    """Ranked bars of the design's first measure (total Sobol index, Morris μ*, δ) with 95%
    CIs, one panel per KPI and output."""
    ranked_by = table.attrs.get("ranked_by", "")
    rows = table[(table.measure == ranked_by) & table.kpi.isin(kpis[:MAX_KPIS])]
    panels = list(rows.groupby(["kpi", "scenario", "output"], sort=False))
    columns = min(3, len(panels))
    count = -(-len(panels) // columns)
    fig = Figure(figsize=(4.4 * columns + 1, 0.5 + 2.6 * count), layout="constrained")
    axes = np.atleast_1d(fig.subplots(count, columns, squeeze=False).ravel())
    for ax, ((kpi, scenario, output), group) in zip(axes, panels, strict=False):
        group = group.sort_values("rank", ascending=False)
        y = np.arange(len(group))
        colour = colour_of(str(output).split(" ")[0], 0)
        ax.barh(y, group["value"], xerr=group["half_width"].fillna(0), color=colour,
                alpha=0.8, capsize=2)  # fmt: skip
        ax.set_yticks(y, group["factor"], fontsize=7)
        where = "" if scenario == "base" else f" ({scenario})"
        ax.set_title(f"{kpi}: {output}{where}", fontsize=8)
        ax.set_xlabel(ranked_by, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3, axis="x")
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(f"Global sensitivity: factors ranked by {ranked_by} (95% CI)", fontsize=10)
    return fig


def plot_study(found, kpis: list[str], directory: str | Path, sensitivity=None) -> list[Path]:
    """Write the study's figures into ``directory``: ``main_effects.png``,
    ``interactions.png`` and ``differences.png`` (with two protocols or more), and
    ``sensitivity.png`` (given its table); return their paths."""
    directory = Path(directory)
    written = [save(effects_figure(found, kpis), directory / "main_effects.png")]
    if len(_protocols(found)) > 1:
        written.append(
            save(effects_figure(found, kpis, differences=True), directory / "interactions.png")
        )
        written.append(save(differences_figure(found, kpis), directory / "differences.png"))
    if sensitivity is not None and len(sensitivity):
        written.append(save(sensitivity_figure(sensitivity, kpis), directory / "sensitivity.png"))
    return written
