"""The weekly series a run leaves for the pictures: service, stock, load, money, each function's
forecast and each stage's orders — small enough to send back from a worker, so figures show
means and bands over every replication rather than one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from sim import ledger as rec
from sim.calendar import DAYS_PER_WEEK, weekly_totals
from sim.ledger import Account

__all__ = ["FLOWS", "WeeklySeries", "weekly_series"]

FLOWS = ("customers", "sales", "operations", "procurement", "suppliers")
"""The stages an order passes, from customers' orders to suppliers' shipments (bullwhip)."""


@dataclass(frozen=True)
class WeeklySeries:
    """One run, week by week (the last partial week left out)."""

    demand: np.ndarray  # units ordered by customers
    fill: np.ndarray  # share shipped the day it was ordered
    inventory: np.ndarray  # value at standard cost, at the week's close
    load: np.ndarray  # units made / regular capacity
    cash: np.ndarray  # at the week's close
    working_capital: np.ndarray  # receivables + inventory − payables, at the week's close
    forecasts: dict[str, np.ndarray] = field(default_factory=dict)  # owner -> units a week
    flows: dict[str, np.ndarray] = field(default_factory=dict)  # FLOWS -> units a week
    first_week: int = 0  # the first week wholly after the run's warm-up (what KPIs measure)

    @property
    def weeks(self) -> int:
        return len(self.demand)


def _weekly(per_day: np.ndarray, weeks: int) -> np.ndarray:
    return weekly_totals(np.asarray(per_day, dtype=float), weeks=weeks)


def weekly_series(outcome) -> WeeklySeries:
    """The :class:`WeeklySeries` of a company run's outcome."""
    H = outcome.days
    W = H // DAYS_PER_WEEK
    d = outcome.daily
    balances = d["balances"]
    on_time = np.zeros(H)
    forecast_days: dict[str, dict[int, float]] = defaultdict(dict)
    forecast_rows: dict[tuple[str, int], float] = {}
    produced, bought, shipped = np.zeros(H), np.zeros(H), np.zeros(H)
    for f in outcome.ledger.facts:
        kind = type(f)
        if kind is rec.OrderShipped:
            if f.day == f.order_day:
                on_time[f.day] += f.quantity
        elif kind is rec.ForecastIssued:
            if f.acted_on:
                forecast_rows[(f.owner, f.day, f.product)] = f.per_day
        elif kind is rec.ProductionOrdered:
            produced[f.day] += f.quantity
        elif kind is rec.PurchaseOrderPlaced:
            bought[f.day] += f.quantity
        elif kind is rec.ShipmentDispatched:
            shipped[f.day] += f.quantity
    for (owner, day, _), per_day in forecast_rows.items():
        forecast_days[owner][day] = forecast_days[owner].get(day, 0.0) + per_day
    demand = _weekly(outcome.demand.sum(axis=1), W)
    forecasts = {}
    for owner, by_day in forecast_days.items():
        # What the owner expected a week to bring, as of its latest forecast in that week.
        rate = np.full(H, np.nan)
        for day, value in sorted(by_day.items()):
            rate[day:] = value
        forecasts[owner] = rate[: W * DAYS_PER_WEEK : DAYS_PER_WEEK][:W] * DAYS_PER_WEEK
    inventory = balances[:, [int(a) for a in rec.INVENTORY]].sum(axis=1)
    ends = np.arange(1, W + 1) * DAYS_PER_WEEK - 1
    working = balances[:, int(Account.RECEIVABLES)] + inventory - balances[:, int(Account.PAYABLES)]
    made = _weekly(d["line_regular_used"] + d["line_overtime_used"], W).sum(axis=1)
    regular = _weekly(d["line_capacity"], W).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = np.where(demand > 0, _weekly(on_time, W) / np.maximum(demand, 1e-12), 1.0)
        load = np.where(regular > 0, made / np.maximum(regular, 1e-12), 0.0)
    flows = {
        "customers": demand,
        "operations": _weekly(produced, W),
        "procurement": _weekly(bought, W),
        "suppliers": _weekly(shipped, W),
    }
    if "sales" in forecasts:
        flows["sales"] = forecasts["sales"]
    return WeeklySeries(
        demand=demand,
        fill=fill,
        inventory=inventory[ends],
        load=load,
        cash=balances[ends, int(Account.CASH)],
        working_capital=working[ends],
        forecasts=forecasts,
        flows={k: flows[k] for k in FLOWS if k in flows},
        first_week=min(W, -(-outcome.config.warmup_days // DAYS_PER_WEEK)),
    )
