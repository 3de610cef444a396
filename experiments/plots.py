"""Pictures of runs for people who are not analysts: one figure, plain titles, money in dollars.

Figures are built with matplotlib's object API (``Figure``, no pyplot state, no backend
switch on import), so they draw without a screen; every function writes a picture (PNG, SVG
or PDF, by the file's extension) and returns its path.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from experiments.output import atomic_write
from sim import ledger as rec
from sim.calendar import month_of_day, weekly_totals
from sim.chain import ChainOutcome
from sim.ledger import INVENTORY, Account
from sim.world import CompanyOutcome

__all__ = [
    "PLOT_FORMATS",
    "plot_attribution",
    "plot_chain_orders",
    "plot_company_run",
    "plot_plan_in_dollars",
    "plot_protocols",
    "plot_whatif",
]

_DOLLARS = FuncFormatter(lambda x, _: f"${x / 1e6:,.1f}M" if abs(x) >= 1e6 else f"${x / 1e3:,.0f}k")


def plot_company_run(outcome: CompanyOutcome, kpis: dict[str, float], path: str | Path) -> Path:
    """Four panels: demand vs shipments, stock vs backlog, inventory value, cash and working
    capital; the headline KPIs in the title."""
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
    ax.plot(weeks, weekly_totals(products["shipped"].to_numpy()), label="shipped", color="#1f77b4")
    ax.fill_between(
        weeks,
        0,
        weekly_totals(products["lost"].to_numpy()),
        color="#d62728",
        alpha=0.5,
        label="lost sales",
    )
    ax.set(title="Customers: units per week", xlabel="week")
    ax.legend(frameon=False)
    ax = axes[0, 1]
    days = np.arange(len(products))
    ax.plot(days, products["on_hand"], label="finished goods on hand", color="#2ca02c")
    ax.plot(days, products["backlog"], label="backlog (waiting customers)", color="#d62728")
    ax.set(title="Warehouse: units at the end of each day", xlabel="day")
    ax.legend(frameon=False)
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
    ax.yaxis.set_major_formatter(_DOLLARS)
    ax.set(title="Inventory value at standard cost", xlabel="day")
    ax.legend(frameon=False, loc="upper left")
    ax = axes[1, 1]
    working = (
        balances[:, Account.RECEIVABLES]
        + balances[:, list(INVENTORY)].sum(axis=1)
        - balances[:, Account.PAYABLES]
    )
    ax.plot(days, balances[:, Account.CASH], label="cash", color="#1f77b4")
    ax.plot(days, working, label="working capital", color="#ff7f0e")
    ax.yaxis.set_major_formatter(_DOLLARS)
    ax.set(title="Money", xlabel="day")
    ax.legend(frameon=False)
    fig.suptitle(
        f"{outcome.config.name}: fill rate {100 * kpis['fill_rate']:.1f}%, "
        f"operating profit \\${kpis['operating_profit'] / 1e6:,.2f}M, "
        f"average inventory \\${kpis['avg_inventory_value'] / 1e3:,.0f}k over {outcome.days} days",
        fontsize=12,
    )
    return _save(fig, path)


def plot_chain_orders(outcome: ChainOutcome, path: str | Path) -> Path:
    """The bullwhip picture of a serial chain: orders each stage placed per period against
    end-customer demand (top), and each stage's stock minus backlog (bottom); the cost per
    stage, the team's cost and var(orders) / var(demand) per stage in the legend and title."""
    from sim.metrics import chain_kpis

    kpis = chain_kpis(outcome)
    unit = "week" if outcome.period_days == 7 else f"period ({outcome.period_days} days)"
    periods = np.arange(1, outcome.periods + 1)
    fig = Figure(figsize=(11, 7.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.step(periods, outcome.customer_demand, where="mid", color="black", lw=2, label="customers")
    for i, name in enumerate(outcome.stages):
        bullwhip = kpis[f"bullwhip_{name}"]
        label = f"{name} (variance {bullwhip:,.1f}× customers')" if np.isfinite(bullwhip) else name
        top.step(periods, outcome.ordered[:, i], where="mid", label=label)
        stock = outcome.on_hand[:, i] - outcome.backlog[:, i]
        bottom.plot(periods, stock, label=f"{name} (cost \\${kpis[f'cost_{name}']:,.0f})")
    top.set(title=f"Orders placed per {unit}", ylabel="units")
    top.legend(frameon=False, loc="best")
    bottom.axhline(0, color="#999", lw=0.8)
    bottom.set(title="Stock on hand minus backlog, end of period", xlabel=unit, ylabel="units")
    bottom.legend(frameon=False, loc="best")
    fig.suptitle(
        f"{outcome.config.name}: team cost \\${kpis['total_cost']:,.0f} over {outcome.periods} "
        f"{unit.split()[0]}s",
        fontsize=12,
    )
    return _save(fig, path)


def plot_protocols(
    outcomes: dict[str, CompanyOutcome], kpis: dict[str, dict[str, float]], path: str | Path
) -> Path:
    """The same company on the same demand under several protocols: lost sales per week,
    finished goods on hand, cash, and the headline KPIs side by side."""
    fig = Figure(figsize=(12, 7.5), layout="constrained")
    axes = fig.subplots(2, 2)
    colours = dict(
        zip(outcomes, ["#d62728", "#ff7f0e", "#bcbd22", "#2ca02c", "#1f77b4"], strict=False)
    )
    for name, o in outcomes.items():
        lost = np.zeros(o.days)
        for f in o.ledger.facts:
            if isinstance(f, rec.SaleLost):
                lost[f.day] += f.quantity
        weeks = np.arange(o.days // 7)
        axes[0, 0].plot(weeks, weekly_totals(lost), label=name, color=colours[name], lw=1.4)
        axes[0, 1].plot(
            o.daily["finished_on_hand"].sum(axis=1), label=name, color=colours[name], lw=1
        )
        axes[1, 0].plot(
            o.daily["balances"][:, Account.CASH], label=name, color=colours[name], lw=1.4
        )
    axes[0, 0].set(title="Sales lost per week (units)", xlabel="week")
    axes[0, 1].set(title="Finished goods on hand (units)", xlabel="day")
    axes[1, 0].set(title="Cash", xlabel="day")
    axes[1, 0].yaxis.set_major_formatter(_DOLLARS)
    for ax in (axes[0, 0], axes[0, 1], axes[1, 0]):
        ax.legend(frameon=False, fontsize=8)
    ax = axes[1, 1]
    names = list(outcomes)
    profit = [kpis[n]["operating_profit"] / 1e6 for n in names]
    bars = ax.bar(names, profit, color=[colours[n] for n in names])
    for bar, n in zip(bars, names, strict=True):
        ax.annotate(
            f"fill {100 * kpis[n]['fill_rate']:.0f}%",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set(title="Operating profit over the run (\\$M) and fill rate")
    ax.tick_params(axis="x", labelsize=8)
    first = next(iter(outcomes.values()))
    fig.suptitle(
        f"{first.config.name}: one company, the same customers, {len(names)} ways to plan",
        fontsize=12,
    )
    return _save(fig, path)


PLOT_FORMATS = (".png", ".svg", ".pdf")
"""The picture formats, by extension (what matplotlib writes with no extra package)."""


def _save(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` in the format its extension names, atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PLOT_FORMATS:
        # Left to itself, matplotlib would add '.png' to the name and write somewhere else.
        raise ValueError(f"a picture is written as {', '.join(PLOT_FORMATS)}, not {suffix!r}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=suffix[1:], dpi=110)
    atomic_write(path, buffer.getvalue())
    return path


def plot_attribution(summary: dict, kpi: str, path: str | Path) -> Path:
    """A waterfall from the base protocol's ``kpi`` to the target's, one bar per piece of the
    protocol, each with its 95% interval; the title states the finding."""
    entry = summary["kpis"][kpi]
    base, target = summary["base"], summary["target"]
    parts = entry["contributions"]
    money = abs(entry["base"]["mean"]) >= 1e3
    scale, unit = (1e6, r"\$M") if abs(entry["base"]["mean"]) >= 1e6 else (1e3, r"\$k")
    if not money:
        scale, unit = 1.0, ""
    fig = Figure(figsize=(10, 5.5))
    ax = fig.subplots()
    level = entry["base"]["mean"] / scale
    labels, x = [base], 0
    ax.bar(x, level, color="#0072B2", width=0.6)
    ax.text(x, level, f"{level:,.2f}", ha="center", va="bottom", fontsize=9)
    for player, part in parts.items():
        x += 1
        step = part["mean"] / scale
        low, high = (c / scale if c is not None else step for c in part["ci"])
        colour = "#009E73" if step >= 0 else "#D55E00"
        ax.bar(x, step, bottom=level, color=colour, width=0.6)
        ax.errorbar(
            x,
            level + step,
            yerr=[[step - low], [high - step]],
            color="#333",
            capsize=4,
            linewidth=1,
        )
        ax.text(x + 0.33, level + step / 2, f"{step:+,.2f}", ha="left", va="center", fontsize=9)
        ax.plot([x - 1.3, x + 0.3], [level, level], color="#999", linewidth=0.6)
        level += step
        labels.append(player.replace("option:", "").replace("_", " "))
    x += 1
    final = entry["target"]["mean"] / scale
    ax.bar(x, final, color="#0072B2", width=0.6)
    ax.text(x, final, f"{final:,.2f}", ha="center", va="bottom", fontsize=9)
    labels.append(target)
    ax.set_xticks(range(len(labels)), labels, fontsize=9)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    floor = min(entry["base"]["mean"], entry["target"]["mean"]) / scale
    ax.set_ylim(floor * 0.9, None)
    ax.set_ylabel(f"{kpi.replace('_', ' ')} ({unit}, over the run)")
    total = entry["total"]["mean"] / scale
    biggest = max(parts, key=lambda p: abs(parts[p]["mean"]))
    fig.suptitle(
        f"{target} earns {total:+,.2f} {unit} over {base}; the biggest piece is "
        f"{biggest.replace('_', ' ')} ({parts[biggest]['mean'] / scale:+,.2f} {unit})",
        fontsize=12,
    )
    ax.set_title(
        f"Shapley values over {summary['reps']} paired replications, 95% intervals; "
        "the pieces add up to the difference",
        fontsize=9,
    )
    return _save(fig, path)


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
        ax.yaxis.set_major_formatter(_DOLLARS)
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
    return _save(fig, path)


_BASE, _SCENARIO = "#0072B2", "#D55E00"  # Okabe-Ito blue and vermillion: colour-blind safe
_SMALL_DOLLARS = FuncFormatter(
    lambda x, _: (
        f"${x / 1e6:,.1f}M"
        if abs(x) >= 1e6
        else (f"${x / 1e3:,.0f}k" if abs(x) >= 1e4 else f"${x:,.0f}")
    )
)


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
    runs = (("base", _BASE), ("with the scenario", _SCENARIO))
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
                ax.yaxis.set_major_formatter(_SMALL_DOLLARS)
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
        f"{p}: operating profit {_signed_dollars(impact[p]['mean'])}" for p in protocols
    )
    described = "; ".join(result.described) or ", ".join(result.scenarios)
    title = (
        f"What if {described}?\n{words} over the run ({result.reps} paired replications; "
        "dashed: the scenario's events)"
    )
    fig.suptitle(title.replace("$", r"\$"), fontsize=11)
    return _save(fig, path)


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


def _signed_dollars(x: float | None) -> str:
    if x is None:
        return "n/a"
    sign = "+" if x >= 0 else "-"
    return f"{sign}${abs(x) / 1e6:,.2f}M" if abs(x) >= 1e6 else f"{sign}${abs(x) / 1e3:,.0f}k"
