"""A serial chain's bullwhip: the orders each stage placed against customers' demand, and each
stage's stock minus backlog — readable at ten years too (orders summed over weeks, or over
four-week months once more than five years of weeks would be drawn)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from experiments.figures.style import plain, save
from sim.chain import ChainOutcome

__all__ = ["chain_figure", "chain_points", "plot_chain_orders"]

_STAGE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
MOST_POINTS = 260  # five years of weeks


def chain_points(period_days: int, periods: int) -> tuple[int, str]:
    """How many periods each plotted point sums, and what a point is called: a week for a
    daily chain, four weeks once more than :data:`MOST_POINTS` points would be drawn."""
    per = 7 // period_days if period_days < 7 and 7 % period_days == 0 else 1
    if periods / per > MOST_POINTS:
        per *= 4
    days = per * period_days
    names = {7: "week", 28: "4 weeks", 1: "day"}
    return per, names.get(days, f"{days} days")


def _summed(values: np.ndarray, per: int) -> np.ndarray:
    n = len(values) // per
    return values[: n * per].reshape(n, per, *values.shape[1:]).sum(axis=1)


def _at_end(values: np.ndarray, per: int) -> np.ndarray:
    n = len(values) // per
    return values[per - 1 : n * per : per]


def plot_chain_orders(outcome: ChainOutcome, path: str | Path) -> Path:
    """Draw :func:`chain_figure` to ``path``."""
    return save(chain_figure(outcome), path)


def chain_figure(outcome: ChainOutcome) -> Figure:
    """The bullwhip picture of a serial chain: orders each stage placed per week (or per
    period, or per four weeks) against end-customer demand (top), and each stage's stock
    minus backlog at the end of it (bottom); the cost per stage, the team's cost and
    var(orders) / var(demand) per stage in the legend and title."""
    from sim.metrics import chain_kpis

    kpis = chain_kpis(outcome)
    per, unit = chain_points(outcome.period_days, outcome.periods)
    demand = _summed(np.asarray(outcome.customer_demand, dtype=float), per)
    ordered = _summed(np.asarray(outcome.ordered, dtype=float), per)
    stock = _at_end(np.asarray(outcome.on_hand - outcome.backlog, dtype=float), per)
    points = np.arange(1, len(demand) + 1)
    fig = Figure(figsize=(11, 7.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.step(points, demand, where="mid", color="black", lw=2, label="customers")
    for i, name in enumerate(outcome.stages):
        colour = _STAGE_COLOURS[i % len(_STAGE_COLOURS)]
        bullwhip = kpis[f"bullwhip_{name}"]
        label = f"{name} (variance {bullwhip:,.1f}× customers')" if np.isfinite(bullwhip) else name
        top.step(points, ordered[:, i], where="mid", label=label, color=colour, lw=1.2)
        cost = plain(f"${kpis[f'cost_{name}']:,.0f}")
        bottom.plot(points, stock[:, i], label=f"{name} (cost {cost})", color=colour, lw=1.2)
    top.set(title=f"Orders placed per {unit}", ylabel="units")
    top.legend(frameon=False, loc="upper left", fontsize=8)
    bottom.axhline(0, color="#999", lw=0.8)
    bottom.set(
        title=f"Stock on hand minus backlog at the end of each {unit}", xlabel=unit, ylabel="units"
    )
    bottom.legend(frameon=False, loc="upper left", fontsize=8)
    worst = max(
        outcome.stages,
        key=lambda n: kpis[f"bullwhip_{n}"] if np.isfinite(kpis[f"bullwhip_{n}"]) else -1,
    )
    title = (
        f"{outcome.config.name}: orders swing most at {worst} "
        f"({kpis[f'bullwhip_{worst}']:,.1f}× the variance of customers' demand); team cost "
        f"${kpis['total_cost']:,.0f} over {outcome.periods * outcome.period_days:,} days"
    )
    fig.suptitle(plain(title), fontsize=12)
    return fig
