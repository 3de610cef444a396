"""A what-if week by week: service, plant load, expediting and cash with and without the
scenario, per protocol, with its events and first constraints marked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from experiments.figures.style import BASE, DOLLARS, SCENARIO, plain, save, signed_dollars

__all__ = ["plot_whatif"]


def plot_whatif(result, path: str | Path) -> Path:
    """A what-if (:class:`experiments.whatif.WhatIf`) week by week: service, plant load,
    expediting and cash, with and without the scenario, one column per protocol on shared
    scales — the mean over replications with a band from its 10th to 90th percentile — the
    scenario's events as dashed lines, and each protocol's first capacity and material
    constraint marked where it hit (filled) and where it was first seen (hollow)."""
    protocols = result.protocols
    panels = (
        ("fill", "Fill rate, 4-week average", 100.0),
        ("load", "Plant load: units made / regular capacity", 100.0),
        ("expedite", "Expedited freight per week", 1.0),
        ("cash", "Cash at the week's close", 1.0),
    )
    fig = Figure(figsize=(5.2 * len(protocols) + 1, 11), layout="constrained")
    axes = fig.subplots(len(panels), len(protocols), sharex=True, sharey="row", squeeze=False)
    summary = result.summary()
    events = sorted(
        {(f["week"], f["detail"]) for f in summary["findings"] if f["kind"] == "scenario"}
    )
    runs = (("base", BASE), ("with the scenario", SCENARIO))
    for j, protocol in enumerate(protocols):
        series = result.weekly[protocol]
        for i, (key, title, scale) in enumerate(panels):
            ax = axes[i, j]
            values = scale * series[key]  # [base | scenario, reps, week]
            weeks = np.arange(values.shape[-1])
            for k, (label, colour) in enumerate(runs):
                lo, hi = np.percentile(values[k], [10, 90], axis=0)
                ax.fill_between(weeks, lo, hi, color=colour, alpha=0.18, lw=0)
                ax.plot(weeks, values[k].mean(axis=0), color=colour, lw=1.3, label=label)
            for week, _ in events:
                ax.axvline(week, color="#444", lw=0.8, ls="--")
            if scale == 100.0:
                ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.0f}%"))
            else:
                ax.yaxis.set_major_formatter(DOLLARS)
            ax.set_title(f"{protocol}\n{title}" if i == 0 else title, fontsize=10)
            if i == len(panels) - 1:
                ax.set_xlabel("week")
            if i == 0 and j == 0:
                ax.legend(frameon=False, fontsize=8, loc="lower left")
    for j, protocol in enumerate(protocols):
        axes[1, j].axhline(100, color="#444", lw=0.6)
        _mark_constraints(axes[1, j], summary["warning"].get(protocol, {}))
    impact = summary["impact"]["operating_profit"]
    words = "; ".join(
        f"{p}: operating profit {signed_dollars(impact[p]['mean'])}" for p in protocols
    )
    described = "; ".join(result.described) or ", ".join(result.scenarios)
    title = (
        f"What if {described}?\n{words} over the run ({result.reps} paired replications; "
        "dashed: the scenario's events)"
    )
    fig.suptitle(plain(title), fontsize=11)
    return save(fig, path)


def _mark_constraints(ax, warning: dict) -> None:
    """The week a protocol's first capacity and material constraints hit (filled) and were
    first seen (hollow, joined to it), at the top of the panel, labelled."""
    top = ax.get_ylim()[1]
    for k, (constraint, colour) in enumerate((("capacity", "#CC79A7"), ("material", "#009E73"))):
        w = warning.get(constraint)
        if not w or w["hit_week"]["mean"] is None:
            continue
        hit = w["hit_week"]["mean"]
        seen = hit - (w["warning_weeks"]["mean"] or 0.0)
        y = top * (0.97 - 0.06 * k)
        ax.plot([hit], [y], marker="v", color=colour, ms=7, ls="none")
        text = f"{constraint} hits wk {hit:.0f}"
        if seen < hit - 0.05:
            ax.plot([seen], [y], marker="v", mfc="white", color=colour, ms=7, ls="none")
            ax.plot([seen, hit], [y, y], color=colour, lw=1)
            text += f", seen wk {seen:.0f}"
        ax.annotate(
            text, (hit, y), xytext=(6, -3), textcoords="offset points", fontsize=7, color=colour
        )
