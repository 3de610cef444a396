"""The protocol ladder: each headline KPI per rung, as the mean over the paired replications
with its 95% interval — all the replications a comparison ran, not one of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from experiments.figures.style import DOLLARS, colour_of, plain, save, signed_dollars

__all__ = ["LADDER_KPIS", "ladder_figure", "ladder_finding", "plot_ladder"]

LADDER_KPIS = ("operating_profit", "fill_rate", "avg_inventory_value", "cash_to_cash_days")
"""The KPIs the ladder shows by default: profit, service, inventory, cash."""

_TITLES = {
    "operating_profit": "Operating profit over the run",
    "fill_rate": "Fill rate: units shipped the day ordered",
    "avg_inventory_value": "Average inventory, at standard cost",
    "cash_to_cash_days": "Cash-to-cash cycle",
}


def _scale(unit: str) -> float:
    """What values are drawn times: shares as percentages, the rest as they are."""
    return 100.0 if unit == "share" else 1.0


def ladder_finding(summary: dict) -> str:
    """The ladder's finding in words: the rung that earns most against the first, with its
    paired 95% interval, and what it does to service."""
    protocols = summary["protocols"]
    first = protocols[0]
    profit = summary["kpis"]["operating_profit"]
    best = max(protocols, key=lambda p: profit[p]["mean"] if profit[p]["mean"] is not None else 0)
    if best == first:
        return f"no rung earns more than {first}"
    gain = profit["diff"][best]
    lo, hi = gain["ci"]
    text = (
        f"{best} earns {signed_dollars(gain['mean'])} "
        f"[{signed_dollars(lo)}, {signed_dollars(hi)}] more than {first} over the run"
    )
    fill = summary["kpis"].get("fill_rate", {}).get("diff", {}).get(best)
    if fill and fill["mean"] is not None:
        text += f" and serves {100 * fill['mean']:+.1f} fill-rate points"
    return text


def plot_ladder(
    summary: dict, path: str | Path, name: str = "", kpis: tuple[str, ...] = LADDER_KPIS
) -> Path:
    """Draw :func:`ladder_figure` to ``path``."""
    return save(ladder_figure(summary, name, kpis), path)


def ladder_figure(summary: dict, name: str = "", kpis: tuple[str, ...] = LADDER_KPIS) -> Figure:
    """Each KPI of ``kpis`` per protocol of a comparison (:meth:`Comparison.summary`): a dot
    at the mean over the replications and a bar for its 95% interval, each protocol in its
    colour; the title states the finding."""
    from sim.metrics import kpi_unit

    protocols = summary["protocols"]
    shown = [k for k in kpis if k in summary["kpis"]]
    cols = 2 if len(shown) > 1 else 1
    rows = -(-len(shown) // cols)
    fig = Figure(figsize=(6 * cols, 3.6 * rows + 1), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    x = np.arange(len(protocols))
    for ax, kpi in zip(axes, shown, strict=False):
        unit = kpi_unit(kpi)
        scale = _scale(unit)
        entry = summary["kpis"][kpi]
        for i, protocol in enumerate(protocols):
            mean, (lo, hi) = entry[protocol]["mean"], entry[protocol]["ci"]
            if mean is None:
                continue
            colour = colour_of(protocol, i)
            y = scale * mean
            if lo is not None:
                ax.errorbar(
                    i,
                    y,
                    yerr=[[y - scale * lo], [scale * hi - y]],
                    fmt="o",
                    color=colour,
                    capsize=6,
                    ms=7,
                    lw=2,
                )
            else:
                ax.plot(i, y, "o", color=colour, ms=7)
            text = DOLLARS(y) if unit == "money" else f"{y:,.1f}{'%' if unit == 'share' else ''}"
            ax.annotate(
                plain(text),
                (i, y),
                xytext=(9, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        ax.set_xticks(x, [p.replace("_", "\n") for p in protocols], fontsize=9)
        ax.set_xlim(-0.5, len(protocols) - 0.3)
        if unit == "money":
            ax.yaxis.set_major_formatter(DOLLARS)
        elif unit == "share":
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
        ax.set_title(_TITLES.get(kpi, kpi.replace("_", " ")), fontsize=10, loc="left")
        if unit == "days":
            ax.set_ylabel("days")
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    lead = f"{name}: " if name else ""
    fig.suptitle(
        plain(
            f"{lead}{ladder_finding(summary)}\n(means of {summary['reps']} paired replications "
            "on the same demand; bars: 95% intervals)"
        ),
        fontsize=11,
    )
    return fig
