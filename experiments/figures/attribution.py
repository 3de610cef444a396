"""Where the money comes from: the attribution waterfall from one protocol to another, piece by
piece, each with its 95% interval."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from experiments.figures.style import colour_of, save

__all__ = ["attribution_figure", "plot_attribution"]


def plot_attribution(summary: dict, kpi: str, path: str | Path) -> Path:
    """Draw :func:`attribution_figure` to ``path``."""
    return save(attribution_figure(summary, kpi), path)


def attribution_figure(summary: dict, kpi: str) -> Figure:
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
    ax.bar(x, level, color=colour_of(base), width=0.6)
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
    ax.bar(x, final, color=colour_of(target), width=0.6)
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
    return fig
