"""Trade-off frontiers from a study's sweep: one KPI against another at each value of the
factor swept, one curve per protocol on one chart, each protocol's operating point (the value
the company runs at) marked — service against inventory investment, or speed against cost."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from experiments.figures.style import DOLLARS, colour_of, plain, save

__all__ = ["frontier_figure", "frontier_points", "plot_frontier"]


def frontier_points(table: pd.DataFrame, x: str, y: str, factor: str) -> pd.DataFrame:
    """Mean of ``x`` and ``y`` per (protocol, factor value), in the factor's order."""
    means = table.groupby(["protocol", factor], sort=False)[[x, y]].mean().reset_index()
    return means.sort_values(["protocol", factor], kind="stable")


def _formatter(kpi: str):
    from sim.metrics import kpi_unit

    unit = kpi_unit(kpi)
    if unit == "money":
        return DOLLARS, 1.0
    if unit == "share":
        return FuncFormatter(lambda v, _: f"{v:.0f}%"), 100.0
    return None, 1.0


def frontier_figure(
    table: pd.DataFrame,
    factor: str,
    x: str = "avg_inventory_value",
    y: str = "fill_rate",
    at: float | None = None,
    name: str = "",
) -> Figure:
    """``y`` against ``x`` per protocol along ``factor``; ``at``: the factor's value the
    company runs at, marked on each curve."""
    points = frontier_points(table, x, y, factor)
    fx, sx = _formatter(x)
    fy, sy = _formatter(y)
    fig = Figure(figsize=(9, 6), layout="constrained")
    ax = fig.subplots()
    for i, (protocol, rows) in enumerate(points.groupby("protocol", sort=False)):
        colour = colour_of(str(protocol), i)
        ax.plot(sx * rows[x], sy * rows[y], "o-", color=colour, label=str(protocol), lw=1.5)
        for _, r in rows.iterrows():
            ax.annotate(
                f"{r[factor]:g}",
                (sx * r[x], sy * r[y]),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
                color=colour,
            )
        if at is not None:
            here = rows[np.isclose(rows[factor].astype(float), at)]
            if len(here):
                ax.plot(sx * here[x], sy * here[y], "*", ms=16, color=colour, mec="black")
    if fx is not None:
        ax.xaxis.set_major_formatter(fx)
    if fy is not None:
        ax.yaxis.set_major_formatter(fy)
    names = {
        "avg_inventory_value": "average inventory, at standard cost",
        "expedite_cost": "expedited freight over the run",
        "fill_rate": "fill rate",
    }
    ax.set_xlabel(names.get(x, x.replace("_", " ")))
    ax.set_ylabel(names.get(y, y.replace("_", " ")))
    ax.grid(alpha=0.3)
    short = factor.rsplit(".", 1)[-1].replace("_", " ")
    ax.legend(
        frameon=False, title=f"labels: {short}" + ("; ★ as configured" if at is not None else "")
    )
    lead = f"{name}: " if name else ""
    best = points.loc[points[y].idxmax()]
    unit = "%" if sy == 100 else ""
    fig.suptitle(
        plain(
            f"{lead}{names.get(y, y)} against {names.get(x, x)} as {short} varies\n"
            f"the best, {sy * best[y]:,.1f}{unit}, is {best['protocol']}'s, with "
            f"{DOLLARS(best[x]) if fx is DOLLARS else f'{sx * best[x]:,.1f}'} of "
            f"{names.get(x, x).split(',')[0]}"
        ),
        fontsize=11,
    )
    return fig


def plot_frontier(table, path: str | Path, factor: str, **kwargs) -> Path:
    return save(frontier_figure(table, factor, **kwargs), path)
