"""IBP's plan in dollars against the budget and the books, month by month."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from experiments.figures.style import DOLLARS, save
from sim.calendar import month_of_day
from sim.world import CompanyOutcome

__all__ = ["plot_plan_in_dollars"]


_PLAN_PANELS = (
    ("revenue", "Revenue per month"),
    ("operating_profit", "Operating profit per month"),
    ("cash", "Cash at the month's close"),
)


def plot_plan_in_dollars(outcome: CompanyOutcome, path: str | Path, lag_months: int = 3) -> Path:
    """IBP's plan in dollars against the budget and the books: for each month, what the
    meeting ``lag_months`` earlier projected for it, what the meeting at its start projected
    (one month ahead), the budget, and what the books show."""
    from sim.timeseries import timeseries

    frame = timeseries(outcome)
    frame = frame[frame["entity_kind"] == "projection"]
    if frame.empty:
        raise ValueError("the run held no IBP meeting: there is no plan in dollars to draw")
    frame = frame.assign(lag=frame["month"] - frame["cycle_day"].map(month_of_day))
    fig = Figure(figsize=(11, 8.5), layout="constrained")
    axes = fig.subplots(len(_PLAN_PANELS), 1, sharex=True)
    for ax, (line, title) in zip(axes, _PLAN_PANELS, strict=True):
        rows = frame[frame["entity"] == line]
        actual = rows.dropna(subset=["actual"]).groupby("month")["actual"].first()
        budget = rows.dropna(subset=["budget"]).groupby("month")["budget"].first()
        ahead = rows[rows["lag"] == 0].groupby("month")["projected"].first()
        early = rows[rows["lag"] == lag_months].groupby("month")["projected"].first()
        ax.plot(budget.index, budget.values, color="#888888", ls="--", lw=1.5, label="budget")
        ax.plot(
            early.index,
            early.values,
            color="#56B4E9",
            lw=1.5,
            label=f"projected {lag_months} months ahead",
        )
        ax.plot(ahead.index, ahead.values, color="#0072B2", lw=1.5, label="projected 1 month ahead")
        ax.plot(actual.index, actual.values, color="#000000", lw=2.2, label="actual (books)")
        ax.set_title(title, loc="left", fontsize=11)
        ax.yaxis.set_major_formatter(DOLLARS)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper left", fontsize=8, ncols=4, frameon=False)
    closed = frame[(frame["entity"] == "revenue") & (frame["lag"] == 0)].dropna(subset=["actual"])
    closed = closed[closed["actual"] > 0]
    error = ((closed["projected"] - closed["actual"]).abs() / closed["actual"]).mean()
    finding = (
        f"month-ahead revenue off by {error:.1%} on average" if len(closed) else "no month closed"
    )
    fig.suptitle(
        f"{outcome.config.name}: the IBP plan in dollars against budget and books — {finding}",
        fontsize=12,
    )
    axes[-1].set_xlabel("month of the run (0 = first January)")
    return save(fig, path)


BASE, SCENARIO = "#0072B2", "#D55E00"  # Okabe-Ito blue and vermillion: colour-blind safe
