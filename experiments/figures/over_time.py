"""The same company on the same demand under two or more protocols, week by week: service,
inventory and plant load (:func:`operations_figure`), cash and working capital
(:func:`money_figure`), and each function's forecast against what customers ordered
(:func:`truth_figure`, the versions of the truth) — each the mean over the replications, with
a band from the 10th to the 90th percentile."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from experiments.figures.series import WeeklySeries
from experiments.figures.style import DOLLARS, PERCENT, colour_of, plain, save

__all__ = [
    "money_figure",
    "operations_figure",
    "plot_money",
    "plot_operations",
    "plot_truth",
    "rolling",
    "truth_figure",
]

Runs = dict[str, list[WeeklySeries]]
"""Per protocol, one series per replication (the same seeds under every protocol)."""


def rolling(x: np.ndarray, n: int = 4) -> np.ndarray:
    """The mean of the last ``n`` weeks (fewer at the start)."""
    x = np.asarray(x, dtype=float)
    cumulative = np.cumsum(np.insert(x, 0, 0.0))
    ends = np.arange(1, len(x) + 1)
    starts = np.maximum(0, ends - n)
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)


def _band(ax, values: np.ndarray, colour: str, label: str) -> None:
    weeks = np.arange(values.shape[1])
    lo, hi = np.percentile(values, [10, 90], axis=0)
    ax.fill_between(weeks, lo, hi, color=colour, alpha=0.18, lw=0)
    ax.plot(weeks, values.mean(axis=0), color=colour, lw=1.4, label=label)


def _mark(ax, events: list[tuple[int, str]]) -> None:
    for week, _ in events:
        ax.axvline(week, color="#444", lw=0.8, ls="--")


def _first_week(runs: Runs) -> int:
    """The first week the runs' KPIs measure (after their warm-up): the headlines average
    from there, and the weeks before are shaded."""
    return max(s.first_week for series in runs.values() for s in series)


def _shade_warmup(ax, first: int) -> None:
    if first:
        ax.axvspan(0, first, color="#999", alpha=0.18, lw=0, label="warm-up, not measured")


def operations_figure(runs: Runs, name: str = "", events=()) -> Figure:
    """Fill rate (4-week average), inventory value and plant load per week."""
    fig = Figure(figsize=(11, 9), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    panels = (
        ("fill", "Fill rate, 4-week average", lambda s: 100 * rolling(s.fill), PERCENT),
        ("inventory", "Inventory at standard cost, end of week", lambda s: s.inventory, DOLLARS),
        ("load", "Plant load: units made / regular capacity", lambda s: 100 * s.load, PERCENT),
    )
    # The headlines average the weeks measured, each week as it was (not the rolling mean).
    weekly = {"fill": lambda s: 100 * s.fill}
    means, first = {}, _first_week(runs)
    for ax, (key, title, value, formatter) in zip(axes, panels, strict=True):
        for i, (protocol, series) in enumerate(runs.items()):
            values = np.array([value(s) for s in series])
            measured = np.array([weekly.get(key, value)(s) for s in series])[:, first:]
            means[key, protocol] = float(measured.mean())
            _band(ax, values, colour_of(protocol, i), protocol)
        _mark(ax, events)
        _shade_warmup(ax, first)
        ax.set_title(title, loc="left", fontsize=10)
        ax.yaxis.set_major_formatter(formatter)
        ax.grid(alpha=0.3)
    axes[1].axhline(0, color="#999", lw=0.5)
    axes[2].axhline(100, color="#444", lw=0.6)
    axes[0].legend(frameon=False, fontsize=9, loc="lower left", ncols=len(runs))
    axes[-1].set_xlabel("week")
    protocols = list(runs)
    a, b = protocols[0], protocols[-1]
    stock = means["inventory", b] - means["inventory", a]
    finding = (
        f"{b} serves {means['fill', b] - means['fill', a]:+.1f} points of fill rate on average "
        f"with {DOLLARS(abs(stock))} {'less' if stock < 0 else 'more'} inventory than {a}"
    )
    lead = f"{name}: " if name else ""
    reps = len(next(iter(runs.values())))
    fig.suptitle(
        plain(f"{lead}{finding}\n(means of {reps} replications; bands: 10th–90th percentile)"),
        fontsize=11,
    )
    return fig


def money_figure(runs: Runs, name: str = "", events=()) -> Figure:
    """Cash and working capital at each week's close."""
    fig = Figure(figsize=(11, 6.5), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    ends, first = {}, _first_week(runs)
    for ax, key, title in (
        (axes[0], "cash", "Cash at the week's close"),
        (axes[1], "working_capital", "Working capital (receivables + inventory − payables)"),
    ):
        for i, (protocol, series) in enumerate(runs.items()):
            values = np.array([getattr(s, key) for s in series])
            ends[key, protocol] = values
            _band(ax, values, colour_of(protocol, i), protocol)
        _mark(ax, events)
        _shade_warmup(ax, first)
        ax.set_title(title, loc="left", fontsize=10)
        ax.yaxis.set_major_formatter(DOLLARS)
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False, fontsize=9, loc="upper left", ncols=len(runs))
    axes[-1].set_xlabel("week")
    protocols = list(runs)
    a, b = protocols[0], protocols[-1]
    cash = float(ends["cash", b][:, -1].mean() - ends["cash", a][:, -1].mean())
    released = float(
        ends["working_capital", a][:, first:].mean() - ends["working_capital", b][:, first:].mean()
    )
    lead = f"{name}: " if name else ""
    fig.suptitle(
        plain(
            f"{lead}{b} ends with {DOLLARS(abs(cash))} {'more' if cash >= 0 else 'less'} cash "
            f"than {a} and ties up {DOLLARS(abs(released))} "
            f"{'less' if released >= 0 else 'more'} working capital on average"
        ),
        fontsize=11,
    )
    return fig


def truth_figure(runs: Runs, name: str = "") -> Figure:
    """Per protocol, what customers ordered each week against what each function expected
    (the forecast it acted on): the versions of the truth."""
    protocols = list(runs)
    fig = Figure(figsize=(6 * len(protocols), 5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(protocols), sharey=True, squeeze=False).ravel())
    owners = sorted({o for series in runs.values() for s in series for o in s.forecasts})
    colours = dict(
        zip(owners, ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2"), strict=False)
    )
    spread, first = {}, _first_week(runs)
    for ax, protocol in zip(axes, protocols, strict=True):
        series = runs[protocol]
        demand = np.array([rolling(s.demand) for s in series])
        _band(ax, demand, "#000000", "customers ordered (4-week average)")
        lines = []
        for owner in owners:
            values = [s.forecasts[owner] for s in series if owner in s.forecasts]
            if values:
                values = np.array(values)
                with warnings.catch_warnings():  # weeks before the owner's first forecast
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mean = np.nanmean(values, axis=0)
                ax.plot(mean, color=colours[owner], lw=1.3, label=owner)
                lines.append(mean)
        if len(lines) > 1:
            stack = np.array(lines)[:, first:]
            with np.errstate(invalid="ignore", divide="ignore"):
                spread[protocol] = float(np.nanmean((stack.max(0) - stack.min(0)) / stack.mean(0)))
        _shade_warmup(ax, first)
        ax.set_title(f"{protocol}: units a week", loc="left", fontsize=10)
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize=8, loc="upper left")
    words = ", ".join(f"{100 * v:.0f}% in {p}" for p, v in spread.items())
    lead = f"{name}: " if name else ""
    fig.suptitle(
        f"{lead}versions of the truth — the functions' forecasts differ by {words} of their "
        "mean, week by week",
        fontsize=11,
    )
    return fig


def plot_operations(runs: Runs, path: str | Path, name: str = "", events=()) -> Path:
    return save(operations_figure(runs, name, events), path)


def plot_money(runs: Runs, path: str | Path, name: str = "", events=()) -> Path:
    return save(money_figure(runs, name, events), path)


def plot_truth(runs: Runs, path: str | Path, name: str = "") -> Path:
    return save(truth_figure(runs, name), path)
