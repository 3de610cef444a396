"""Bullwhip across the functions: how much more the orders vary at each hand-off — from what
customers order, through Sales' forecast, Operations' production orders and Procurement's
purchase orders, to what suppliers ship — per protocol, with 95% intervals over the
replications. Variability is the squared coefficient of variation of the weekly units, so
that components (several a product) and products compare: a ratio of 1 passes customers'
variability on unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from experiments.compare import interval
from experiments.figures.series import FLOWS, WeeklySeries
from experiments.figures.style import colour_of, save

__all__ = ["bullwhip_figure", "plot_bullwhip", "variance_ratios"]


def _cv2(values: np.ndarray) -> float:
    mean = float(np.mean(values)) if len(values) else 0.0
    return float(np.var(values) / mean**2) if mean > 0 and len(values) > 1 else float("nan")


def variance_ratios(series: WeeklySeries, skip_weeks: int = 8) -> dict[str, float]:
    """Each flow's squared coefficient of variation over customers' orders' (weekly units,
    the first ``skip_weeks`` left out while the opening stock runs down)."""
    demand = _cv2(np.asarray(series.demand, dtype=float)[skip_weeks:])
    out = {}
    for stage, values in series.flows.items():
        v = np.asarray(values, dtype=float)[skip_weeks:]
        out[stage] = _cv2(v[np.isfinite(v)]) / demand
    return out


def bullwhip_figure(runs: dict[str, list[WeeklySeries]], name: str = "") -> Figure:
    protocols = list(runs)
    fig = Figure(figsize=(11, 5.5), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / len(protocols)
    stats = {}
    for i, protocol in enumerate(protocols):
        ratios = [variance_ratios(s) for s in runs[protocol]]
        for j, stage in enumerate(FLOWS):
            values = [r[stage] for r in ratios if stage in r]
            if not values:
                continue
            mean, lo, hi = interval(values)
            stats[protocol, stage] = mean
            x = j + (i - (len(protocols) - 1) / 2) * width
            ax.bar(
                x,
                mean,
                width=width,
                color=colour_of(protocol, i),
                label=protocol if j == 0 else None,
            )
            if not np.isnan(lo):
                ax.errorbar(x, mean, yerr=[[mean - lo], [hi - mean]], color="#333", capsize=3, lw=1)
    ax.set_xticks(
        range(len(FLOWS)),
        [
            "customers' orders",
            "Sales' forecast",
            "production orders",
            "purchase orders",
            "supplier shipments",
        ],
    )
    ax.axhline(1, color="#444", lw=0.8, ls="--")
    ax.set_ylabel("variability of weekly units / customers' (CV² ratio)")
    ax.legend(frameon=False)
    ax.grid(axis="y", alpha=0.3)
    first, last = protocols[0], protocols[-1]
    worst = max(FLOWS, key=lambda s: stats.get((first, s), 0.0))
    text = (
        f"orders vary {stats.get((first, worst), float('nan')):.1f}× as much as customers' at "
        f"{worst} in {first}"
    )
    if (last, worst) in stats and last != first:
        text += f", {stats[last, worst]:.1f}× in {last}"
    lead = f"{name}: " if name else ""
    fig.suptitle(f"{lead}bullwhip across the functions — {text}", fontsize=11)
    return fig


def plot_bullwhip(runs, path: str | Path, name: str = "") -> Path:
    return save(bullwhip_figure(runs, name), path)
