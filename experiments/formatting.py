"""KPI values and differences as a person reads them, by each KPI's unit: $1,234,567, 91.2%,
12.3 days, +3.2 pts — one way for the command line, the report and the pictures."""

from __future__ import annotations

import math

__all__ = ["counted", "format_difference", "format_value", "measured_after"]


def counted(n: int, word: str) -> str:
    """``1 stage``, ``4 stages``: a count and its (regular) noun."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def format_value(name: str, value: float) -> str:
    """A KPI value as a person reads it: $1,234,567, 91.2%, 12.3 days."""
    from sim.metrics import kpi_unit

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    unit = kpi_unit(name)
    if unit == "money":
        return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "days":
        return f"{value:,.1f} days"
    if unit == "units":
        return f"{value:,.0f} units"
    if unit == "per_year":
        return f"{value:,.1f} / year"
    return f"{value:,.3f}"


def format_difference(name: str, value: float | None) -> str:
    """A difference as a person reads it: +$1,234,567, +3.2 pts, -120 units."""
    from sim.metrics import kpi_unit

    if value is None:
        return "n/a"
    if kpi_unit(name) == "share":
        return f"{100 * value:+.1f} pts"
    text = format_value(name, abs(value))
    return ("+" if value >= 0 else "-") + text


def measured_after(warmup_days: int) -> str:
    """How a header says its KPIs leave out a warm-up: ``, measured after a 90-day warm-up``
    (nothing without one)."""
    return f", measured after a {warmup_days}-day warm-up" if warmup_days else ""
