"""A scenario's timeline: for each protocol, when each constraint bound, when the protocol saw
it coming, and what was decided — read from a what-if's findings and warning."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from experiments.figures.style import colour_of, save

__all__ = ["plot_timeline", "timeline_figure"]

_KINDS = (
    ("capacity_regular", "line binds", "s"),
    ("capacity_overtime", "overtime used up", "D"),
    ("component_short", "component short", "v"),
    ("expediting", "expediting", "^"),
    ("service_below_target", "service falls", "X"),
    ("service_recovered", "service back", "P"),
    ("capacity_bought", "capacity bought", "*"),
)


def timeline_figure(summary: dict) -> Figure:
    """``summary``: :meth:`experiments.whatif.WhatIf.summary`."""
    protocols = summary["protocols"]
    rows = summary["findings"]
    fig = Figure(figsize=(12, 1.6 + 1.3 * len(protocols)), layout="constrained")
    ax = fig.subplots()
    events = sorted({(r["week"], r["detail"]) for r in rows if r["kind"] == "scenario"})
    for week, detail in events:
        ax.axvline(week, color="#444", lw=0.8, ls="--")
        ax.annotate(
            detail.split(": ")[-1],
            (week, len(protocols) - 0.4),
            fontsize=7,
            rotation=90,
            va="top",
            ha="right",
            color="#444",
        )
    shown = set()
    words = []
    for y, protocol in enumerate(protocols):
        colour = colour_of(protocol, y)
        for kind, label, marker in _KINDS:
            found = [r for r in rows if r["protocol"] == protocol and r["kind"] == kind]
            for r in found:
                ax.plot(
                    r["week"],
                    y,
                    marker,
                    color=colour,
                    ms=9,
                    alpha=max(0.3, r["share_of_reps"]),
                    label=label if label not in shown else None,
                    mec="black",
                    mew=0.5,
                )
                shown.add(label)
        for constraint, w in summary["warning"].get(protocol, {}).items():
            hit, ahead = w["hit_week"]["mean"], w["warning_weeks"]["mean"] or 0.0
            offset = 0.18 if constraint == "capacity" else -0.18
            if ahead > 0:
                ax.annotate(
                    "",
                    (hit, y + offset),
                    (hit - ahead, y + offset),
                    arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.5},
                )
                ax.annotate(
                    f"{constraint} seen {ahead:.1f} wk ahead",
                    (hit - ahead, y + offset),
                    xytext=(0, 4),
                    textcoords="offset points",
                    fontsize=7,
                    color=colour,
                )
                words.append(f"{protocol} sees its {constraint} constraint {ahead:.1f} weeks ahead")
            else:
                words.append(f"{protocol} never sees its {constraint} constraint coming")
    ax.set_yticks(range(len(protocols)), protocols)
    ax.set_ylim(-0.7, len(protocols) - 0.3)
    ax.set_xlabel("week")
    ax.grid(axis="x", alpha=0.3)
    # The legend tells the marks apart in grey: a mark's colour is its protocol's.
    handles = [
        Line2D([], [], marker=marker, ls="none", color="#888888", mec="black", mew=0.5, label=label)
        for kind, label, marker in _KINDS
        if kind in shown
    ]
    ax.legend(
        handles=handles,
        frameon=False,
        fontsize=7,
        ncols=4,
        loc="upper left",
        bbox_to_anchor=(0, -0.25),
    )
    described = "; ".join(summary.get("described", [])) or ", ".join(summary["scenarios"])
    fig.suptitle(f"What if {described}?\n" + "; ".join(words[:4]), fontsize=10)
    return fig


def plot_timeline(summary: dict, path: str | Path) -> Path:
    return save(timeline_figure(summary), path)
