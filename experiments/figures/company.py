"""One company run for people who are not analysts: customers, warehouse, inventory and money."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from experiments.figures.style import DOLLARS, save
from sim.calendar import weekly_totals
from sim.ledger import INVENTORY, Account
from sim.world import CompanyOutcome

__all__ = ["plot_company_run"]


def plot_company_run(outcome: CompanyOutcome, kpis: dict[str, float], path: str | Path) -> Path:
    """Four panels: demand vs shipments, stock vs backlog, inventory value, cash and working
    capital; the headline KPIs in the title. A warm-up, which the KPIs leave out, is shaded."""
    from sim.timeseries import timeseries

    frame = timeseries(outcome)
    products = frame[frame.entity_kind == "product"].pivot_table(
        index="period", values=["demand", "shipped", "lost", "on_hand", "backlog"], aggfunc="sum"
    )
    weeks = np.arange(len(products) // 7)
    fig = Figure(figsize=(12, 7.5), layout="constrained")
    axes = fig.subplots(2, 2)
    ax = axes[0, 0]
    ax.plot(
        weeks,
        weekly_totals(products["demand"].to_numpy()),
        label="ordered by customers",
        color="#555",
    )
    ax.plot(weeks, weekly_totals(products["shipped"].to_numpy()), label="shipped", color="#0072B2")
    ax.fill_between(
        weeks,
        0,
        weekly_totals(products["lost"].to_numpy()),
        color="#D55E00",
        alpha=0.5,
        label="lost sales",
    )
    ax.set(title="Customers: units per week", xlabel="week")
    ax = axes[0, 1]
    days = np.arange(len(products))
    ax.plot(days, products["on_hand"], label="finished goods on hand", color="#009E73")
    ax.plot(days, products["backlog"], label="backlog (waiting customers)", color="#D55E00")
    ax.set(title="Warehouse: units at the end of each day", xlabel="day")
    balances = outcome.daily["balances"]
    ax = axes[1, 0]
    labels = {
        Account.INVENTORY_COMPONENTS: "components",
        Account.INVENTORY_IN_TRANSIT: "in transit",
        Account.INVENTORY_WIP: "in production",
        Account.INVENTORY_FINISHED: "finished goods",
    }
    ax.stackplot(
        days, *[balances[:, a] for a in INVENTORY], labels=[labels[a] for a in INVENTORY], alpha=0.8
    )
    ax.yaxis.set_major_formatter(DOLLARS)
    ax.set(title="Inventory value at standard cost", xlabel="day")
    ax = axes[1, 1]
    working = (
        balances[:, Account.RECEIVABLES]
        + balances[:, list(INVENTORY)].sum(axis=1)
        - balances[:, Account.PAYABLES]
    )
    ax.plot(days, balances[:, Account.CASH], label="cash", color="#0072B2")
    ax.plot(days, working, label="working capital", color="#E69F00")
    ax.yaxis.set_major_formatter(DOLLARS)
    ax.set(title="Money", xlabel="day")
    warmup = outcome.config.warmup_days
    if warmup:
        for ax, scale in zip(axes.flat, (7, 1, 1, 1), strict=True):
            ax.axvspan(
                0, warmup / scale, color="#999", alpha=0.18, lw=0, label="warm-up, not measured"
            )
    for ax in axes.flat:
        ax.legend(frameon=False, loc="upper left" if ax is axes[1, 0] else "best")
    measured = (
        f"over the {outcome.days - warmup} days after a {warmup}-day warm-up"
        if warmup
        else f"over {outcome.days} days"
    )
    fig.suptitle(
        f"{outcome.config.name}: fill rate {100 * kpis['fill_rate']:.1f}%, "
        f"operating profit \\${kpis['operating_profit'] / 1e6:,.2f}M, "
        f"average inventory \\${kpis['avg_inventory_value'] / 1e3:,.0f}k {measured}",
        fontsize=12,
    )
    return save(fig, path)
