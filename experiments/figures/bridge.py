"""The profit bridge: how one protocol's operating profit becomes another's, line by line of
the P&L (paired differences over the replications, with 95% intervals; the lines add up to
the difference in operating profit)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from experiments.figures.style import DOLLARS, plain, save, signed_dollars

__all__ = ["BRIDGE_LINES", "bridge_figure", "bridge_steps", "plot_bridge"]

BRIDGE_LINES = (
    ("revenue", 1, "revenue"),
    ("cogs", -1, "cost of goods"),
    ("purchase_price_variance", -1, "price variance"),
    ("holding_cost", -1, "holding"),
    ("transport_cost", -1, "transport"),
    ("expedite_cost", -1, "expediting"),
    ("overtime_cost", -1, "overtime"),
    ("penalty_cost", -1, "penalties"),
    ("promotion_cost", -1, "promotions"),
    ("obsolescence_cost", -1, "obsolescence"),
    ("capacity_reservation_cost", -1, "reservations"),
    ("overhead_cost", -1, "overhead"),
)
"""The lines of operating profit, with the sign they enter it by (depreciation is what is
left: it is fixed by the plant and the capex decided)."""


def bridge_steps(summary: dict, target: str) -> list[tuple[str, float, float | None, float | None]]:
    """Each P&L line's contribution to ``target`` minus the first protocol's operating profit:
    (label, mean, CI low, CI high); the last step, depreciation and anything else, makes
    the steps add up to the difference exactly."""
    kpis = summary["kpis"]
    steps = []
    for kpi, sign, label in BRIDGE_LINES:
        if kpi not in kpis:
            continue
        diff = kpis[kpi]["diff"][target]
        lo, hi = diff["ci"]
        if sign < 0 and lo is not None:
            lo, hi = -hi, -lo
        steps.append((label, sign * diff["mean"], lo, hi))
    total = kpis["operating_profit"]["diff"][target]["mean"]
    # Lines that moved by less than a thousandth of the difference are shown together.
    small = max(1.0, 1e-3 * abs(total))
    kept = [s for s in steps if abs(s[1]) >= small]
    rest = total - sum(s[1] for s in kept)
    if abs(rest) > 1e-6 * max(1.0, abs(total)):
        kept.append(("depreciation and the rest", rest, None, None))
    return kept


def bridge_figure(summary: dict, target: str | None = None, name: str = "") -> Figure:
    protocols = summary["protocols"]
    base, target = protocols[0], target or protocols[-1]
    steps = bridge_steps(summary, target)
    start = summary["kpis"]["operating_profit"][base]["mean"]
    end = summary["kpis"]["operating_profit"][target]["mean"]
    fig = Figure(figsize=(12, 5.5), layout="constrained")
    ax = fig.subplots()
    ax.bar(0, start, color="#999999", width=0.6)
    level = start
    labels = [f"{base}\noperating profit"]
    for k, (label, step, lo, hi) in enumerate(steps, start=1):
        colour = "#009E73" if step >= 0 else "#D55E00"
        ax.bar(k, step, bottom=level, color=colour, width=0.6)
        if lo is not None:
            ax.errorbar(
                k, level + step, yerr=[[step - lo], [hi - step]], color="#333", capsize=3, lw=1
            )
        ax.annotate(
            plain(signed_dollars(step)),
            (k, level + max(step, 0)),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
        level += step
        labels.append(label)
    ax.bar(len(steps) + 1, end, color="#0072B2", width=0.6)
    labels.append(f"{target}\noperating profit")
    ax.set_xticks(range(len(labels)), labels, fontsize=8, rotation=30, ha="right")
    ax.yaxis.set_major_formatter(DOLLARS)
    low = min(start, end, *(start + sum(s[1] for s in steps[:k]) for k in range(len(steps) + 1)))
    ax.set_ylim(low * 0.9 if low > 0 else low * 1.1, None)
    ax.grid(axis="y", alpha=0.3)
    biggest = max(steps, key=lambda s: abs(s[1]))
    lead = f"{name}: " if name else ""
    fig.suptitle(
        plain(
            f"{lead}{target} earns {signed_dollars(end - start)} more than {base}; the biggest "
            f"line is {biggest[0]} ({signed_dollars(biggest[1])})\n(paired differences over "
            f"{summary['reps']} replications, 95% intervals; the lines add up to the difference)"
        ),
        fontsize=11,
    )
    return fig


def plot_bridge(summary: dict, path: str | Path, target: str | None = None, name: str = "") -> Path:
    return save(bridge_figure(summary, target, name), path)
