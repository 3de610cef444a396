"""The IBP pieces of the meeting: the family plan over a long horizon, demand scenarios drawn
from the forecast errors the company has observed, and the plan in dollars against the budget.

- **Families.** The plan is made per month for product families (volume) over
  ``horizon_months``. The near months (``ibp.near_months``) keep the consensus per product;
  beyond them each family's volume is split into products by the latest consensus mix, that
  of the near months (:func:`sim.families.disaggregate`).
- **Scenarios.** Every monthly meeting records the consensus forecast of each family for each
  month of the horizon; once a month has passed, each forecast made for it is scored
  (actual ÷ forecast, on a log scale) by how many months ahead it was made (forecasts made in
  the planner's first four weeks, on a few days of orders, are not counted). The scenarios an
  option is valued over are evenly spaced quantiles of those errors, lag by lag
  (:class:`ForecastErrors`): a scenario is "demand comes in at the k-th quantile of what our
  forecasts have missed by", the same quantile for every family and month (errors of one
  market move together). A lag without enough errors of its own borrows those of the nearest
  shorter lag that has them; before any, a lognormal prior (``prior_error_cv``) stands in.
- **The plan in dollars** is Finance's projection (:mod:`agents.projection`) of the agreed plan,
  month by month, with the budget (:class:`agents.config.OperatingPlan`) beside it.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from agents.projection import (
    BookTerms,
    Capex,
    FlowPlan,
    Opening,
    Purchase,
    projected_statements,
)
from sim.calendar import DAYS_PER_WEEK, is_month_start, month_of_day, monthly_totals
from sim.families import aggregate, disaggregate
from sim.statements import month_starts, summary_lines

__all__ = [
    "PLAN_LINES",
    "FinancialPlanning",
    "ForecastErrors",
    "flow_plan",
    "scenario_levels",
]

LAG_BUCKETS = ((0, 0), (1, 2), (3, 5), (6, 11), (12, 23))  # months ahead, pooled when scored
WARM_UP_DAYS = 28  # days of orders the demand planner must have seen for its errors to count


def scenario_levels(count: int) -> np.ndarray:
    """``count`` evenly spaced probability levels, the middle of equal slices of [0, 1]."""
    return (np.arange(count) + 0.5) / count


class ForecastErrors:
    """The record of the consensus family forecasts and how far off they turned out, and the
    demand scenarios drawn from it (see the module docstring)."""

    def __init__(self, families: int, prior_error_cv: float, min_errors: int) -> None:
        self.families = families
        self.prior_sigma = float(np.sqrt(np.log1p(prior_error_cv**2)))
        self.min_errors = min_errors
        self.forecasts: list[tuple[int, np.ndarray]] = []  # (month made, [F, months] units)
        self.errors: list[tuple[int, int, float]] = []  # (family, lag in months, log ratio)
        self._scored: dict[int, int] = {}  # forecast index -> last month scored

    def record(self, month: int, forecast: np.ndarray) -> None:
        """The consensus made in ``month`` for it and the months after ([F, months])."""
        self.forecasts.append((month, np.asarray(forecast, dtype=float)))

    def score(self, month: int, actual: dict[int, np.ndarray]) -> None:
        """Score every forecast against the months before ``month`` that have ended
        (``actual[m]``: each family's demand in month ``m``)."""
        for i, (made, forecast) in enumerate(self.forecasts):
            done = self._scored.get(i, made - 1)
            for m in range(done + 1, month):
                lag = m - made
                if lag >= forecast.shape[1] or m not in actual:
                    continue
                for f in range(self.families):
                    if forecast[f, lag] > 0 and actual[m][f] > 0:
                        ratio = actual[m][f] / forecast[f, lag]
                        self.errors.append((f, lag, float(np.log(ratio))))
            self._scored[i] = max(done, month - 1)

    def _bucket_errors(self) -> list[np.ndarray]:
        by = [[] for _ in LAG_BUCKETS]
        for _, lag, error in self.errors:
            for b, (low, high) in enumerate(LAG_BUCKETS):
                if low <= lag <= high:
                    by[b].append(error)
        return [np.array(x) for x in by]

    def multipliers(self, levels: np.ndarray, months: int) -> np.ndarray:
        """Demand multipliers [scenario, months ahead]: at each lag, the ``levels`` quantiles
        of actual ÷ forecast observed at that lag."""
        levels = np.asarray(levels, dtype=float)
        buckets = self._bucket_errors()
        quantiles: list[np.ndarray | None] = []
        for errors in buckets:
            if len(errors) >= self.min_errors:
                quantiles.append(np.quantile(errors, levels))
            else:
                earlier = next((q for q in reversed(quantiles) if q is not None), None)
                quantiles.append(earlier)
        prior = ndtri(levels) * self.prior_sigma - self.prior_sigma**2 / 2
        out = np.zeros((len(levels), months))
        for lag in range(months):
            last = len(LAG_BUCKETS) - 1  # lags beyond the buckets pool with the longest
            b = next(i for i, (_, hi) in enumerate(LAG_BUCKETS) if lag <= hi or i == last)
            q = quantiles[b]
            out[:, lag] = np.exp(prior if q is None else q)
        return out

    def has_record(self) -> bool:
        """Whether the month-ahead forecasts have shown enough errors for the scenarios to
        come from them rather than from the prior."""
        return sum(1 for _, lag, _ in self.errors if lag == 0) >= self.min_errors

    def observed(self) -> dict[str, int]:
        """How many errors each lag bucket holds (for the decision log)."""
        return {
            f"{lo}-{hi}" if hi > lo else f"{lo}": len(e)
            for (lo, hi), e in zip(LAG_BUCKETS, self._bucket_errors(), strict=True)
        }


# ---------------------------------------------------------------------------- the plan in dollars

PLAN_LINES = (
    ("pnl", "revenue"),
    ("pnl", "gross_margin"),
    ("pnl", "operating_profit"),
    ("balance", "inventory"),
    ("balance", "cash"),
    ("balance", "receivables"),
    ("balance", "payables"),
)
"""The lines of the projection the decision log shows month by month."""


def flow_plan(
    plan,
    forecast: np.ndarray,
    day: int,
    opening: Opening,
    terms: BookTerms,
    queued: np.ndarray,
    main_suppliers: tuple[str, ...],
    lots: tuple[float, ...],
    safety_days: float,
    promotions: list[tuple[int, int, int, float, float]],
    pending: tuple[tuple[float, int], ...] = (),
    fees: tuple[tuple[int, float, int], ...] = (),
) -> FlowPlan:
    """The agreed ``plan`` as the flows the world will execute, from the meeting's ``day``:
    the consensus ``forecast`` (per day from ``day + 1``), production queued now started in
    the first week and each week's agreed production spread over its days, its overtime
    premium, and each component bought from its main supplier by the supplier's first mode
    in lots of ``lots`` units (Procurement's last) whenever stock and what is on order would
    fall below ``safety_days`` of need. ``promotions``: (product, first day, days, discount,
    cost) of those approved, whose price cut and cost fall in the projection. ``pending``:
    (capex, first day in service) of capacity approved earlier, paid and not yet
    depreciated; ``fees``: reservation bills (day, amount, days to pay)."""
    P = len(terms.price)
    days = plan.start_day - day + plan.production.shape[1] * DAYS_PER_WEEK
    demand = np.zeros((P, days))
    n = min(days - 1, forecast.shape[1])
    demand[:, 1 : 1 + n] = forecast[:, :n]
    # From the plan's start, the agreed demand: the promotions it approved lift it.
    agreed = plan.demand[:, : max(0, days - 1 - (plan.start_day - day))]
    demand[:, 1 + plan.start_day - day : 1 + plan.start_day - day + agreed.shape[1]] = agreed
    starts = np.zeros((P, days))
    starts[:, :DAYS_PER_WEEK] += np.asarray(queued, dtype=float)[:, None] / DAYS_PER_WEEK
    offset = plan.start_day - day
    weekly = np.repeat(plan.production / DAYS_PER_WEEK, DAYS_PER_WEEK, axis=1)
    starts[:, offset : offset + weekly.shape[1]] += weekly[:, : days - offset]
    overtime = np.zeros(days)
    if plan.overtime_premium is not None:
        per_day = np.repeat(plan.overtime_premium / DAYS_PER_WEEK, DAYS_PER_WEEK)
        overtime[offset : offset + len(per_day)] += per_day[: days - offset]
    need = terms.bom.T @ starts  # [C, days]
    purchases = []
    arrivals = np.zeros((len(terms.component_cost), days))
    ahead = np.asarray(opening.arrivals, dtype=float)
    k = min(len(ahead), days - 1)
    arrivals[:, 1 : 1 + k] = ahead[:k].T
    in_transit = ahead.sum(axis=0) if len(ahead) else np.zeros(len(terms.component_cost))
    for c, supplier in enumerate(main_suppliers):
        buy = terms.buying.get((supplier, c))
        if buy is None or not need[c].any():
            continue
        lead = round(buy.supplier_lead_days)
        transit = max(1, round(buy.transit_days))
        # What is ordered and not yet dispatched leaves over the supplier's lead time.
        waiting = max(0.0, float(opening.on_order[c] - in_transit[c]))
        dispatch = np.zeros(days)
        dispatch[: max(lead, 1)] += waiting / max(lead, 1)
        incoming = arrivals[c] + np.concatenate([np.zeros(transit), dispatch])[:days]
        safety = safety_days * need[c, : 4 * DAYS_PER_WEEK].mean()
        # Stock on each day's close if nothing more were bought, and lots bought to keep it
        # above the safety stock: a lot arrives the day it is needed, dispatched a transit
        # earlier.
        stock = opening.components[c] + np.cumsum(incoming) - np.cumsum(need[c])
        receipts = np.zeros(days)
        lot, added = max(float(lots[c]), 1.0), 0.0
        for t in np.flatnonzero(stock < safety):
            if stock[t] + added < safety:
                amount = max(lot, safety - stock[t] - added)
                receipts[t] += amount
                added += amount
        # A lot ordered today leaves the supplier after its lead time at the earliest.
        new = np.zeros(days)
        np.add.at(new, np.minimum(np.maximum(np.arange(days) - transit, lead), days - 1), receipts)
        purchases.append(
            Purchase(
                c,
                dispatch + new,
                buy.price,
                buy.freight_per_unit,
                buy.expedite,
                transit,
                buy.payment_terms_days,
            )
        )
    factor = np.ones((P, days))
    cost = np.zeros(days)
    for p, start, duration, discount, spend in promotions:
        a, b = start - day, start + duration - day
        if a < days and b > 0:
            factor[p, max(a, 0) : min(b, days)] *= 1 - discount
        if 0 <= a < days:
            cost[a] += spend
    capex = tuple(
        Capex(0, change.capex, max(0, change.start_day - day)) for change in plan.capacity
    ) + tuple(Capex(0, amount, max(0, start - day), paid=False) for amount, start in pending)
    bills = tuple((d - day, amount, terms_days) for d, amount, terms_days in fees)
    return FlowPlan(demand, starts, overtime, tuple(purchases), factor, cost, capex, bills)


class FinancialPlanning:
    """The IBP pieces of a meeting, with their memory across meetings: the forecast errors,
    the last projection (to compare with what happened) and the budget."""

    def __init__(
        self,
        settings,
        family_of: np.ndarray,
        families: tuple[str, ...],
        terms: BookTerms,
        budget: dict[str, np.ndarray],
        family_revenue_budget: np.ndarray,
    ) -> None:
        self.settings = settings
        self.family_of = np.asarray(family_of, dtype=int)
        self.families = families
        self.terms = terms
        self.budget = budget
        self.family_revenue_budget = family_revenue_budget
        self.errors = ForecastErrors(len(families), settings.prior_error_cv, settings.min_errors)
        self.levels = scenario_levels(settings.scenarios)
        self.last: tuple[int, dict[str, np.ndarray]] | None = None  # (month, projection)
        self.layers: list[tuple[int, dict[str, np.ndarray]]] = []  # demand forecasts by layer

    # ---------------------------------------------------------------- before the supply review

    def family_plan(self, forecast: np.ndarray, day: int, horizon_months: int) -> np.ndarray:
        """The consensus [P, days from ``day + 1``] planned by family: the near months keep
        their product mix; later months take each family's volume split by the mix of the
        near months."""
        near_days = self._days_to_month(day, self.settings.near_months)
        if near_days >= forecast.shape[1]:
            return forecast
        split = forecast[:, :near_days].sum(axis=1)
        far = aggregate(forecast[:, near_days:], self.family_of, len(self.families))
        out = forecast.copy()
        out[:, near_days:] = disaggregate(far, split, self.family_of)
        return out

    def _days_to_month(self, day: int, months: int) -> int:
        """Days from ``day + 1`` to the end of the ``months``-th calendar month from ``day``'s."""
        ahead = np.arange(day + 1, day + 1 + 31 * (months + 1))
        index = month_of_day(ahead) - month_of_day(day)
        return int(np.searchsorted(index, months))

    def monthly_by_family(self, per_day: np.ndarray, first_day: int, months: int) -> np.ndarray:
        return aggregate(
            monthly_totals(per_day, first_day, months), self.family_of, len(self.families)
        )

    def score(self, day: int, demand_history: np.ndarray) -> None:
        """Score past forecasts against the months that have ended by ``day``."""
        month = month_of_day(day)
        if not len(demand_history):
            return
        index = month_of_day(np.arange(len(demand_history)))
        actual = {}
        for m in range(max(0, month - 24), month):
            rows = demand_history[index == m]
            if len(rows):
                actual[m] = aggregate(rows.sum(axis=0), self.family_of, len(self.families))
        self.errors.score(month, actual)

    def factors(self, day: int, first_day: int, days: int, products: int) -> np.ndarray:
        """Demand multipliers [scenario, product, day] for days ``first_day + 1 ..``: the
        scenario quantiles of the observed errors at each day's lag in months."""
        month = month_of_day(day)
        lag = month_of_day(np.arange(first_day + 1, first_day + 1 + days)) - month
        horizon = int(lag.max(initial=0)) + 1
        multipliers = self.errors.multipliers(self.levels, horizon)  # [S, lags]
        return np.repeat(multipliers[:, None, :][:, :, lag], products, axis=1)

    # ---------------------------------------------------------------- after the supply review

    def record(self, day: int, forecast: np.ndarray, demand_today: np.ndarray, months: int):
        """Keep the consensus made on ``day`` per family and calendar month (this month's
        includes the orders already in today). Forecasts made before the demand planner has
        seen :data:`WARM_UP_DAYS` of orders are not kept: they show how the planner started,
        not how far the company's forecasts miss."""
        if day < WARM_UP_DAYS:
            return
        per_day = np.concatenate([np.asarray(demand_today, float)[:, None], forecast], axis=1)
        month = month_of_day(day)
        self.errors.record(month, self.monthly_by_family(per_day, day, months))

    def project(self, flows: FlowPlan, opening: Opening, run_end: int) -> dict[str, np.ndarray]:
        """The monthly statements of a plan's ``flows``: the lines of :data:`PLAN_LINES` by
        calendar month, with each month's index and first day, and whether the month is
        ``whole`` — projected from its first day to its last, all within the run."""
        statements = projected_statements(self.terms, opening, flows)
        starts = statements.first_day
        ends = np.append(starts[1:], month_starts(int(starts[-1]), 40)[1])  # next month's start
        last = opening.day + flows.days
        begins = is_month_start(starts)
        whole = begins & (ends <= last) & (ends <= run_end)
        out = {"month": statements.month, "first_day": starts, "whole": whole}
        for key in PLAN_LINES:
            out[key[1]] = statements.line(*key)
        return out

    def budget_of(self, months: np.ndarray) -> dict[str, np.ndarray]:
        n = len(self.budget["revenue"])
        inside = months < n
        return {
            name: np.where(inside, values[np.minimum(months, n - 1)], np.nan)
            for name, values in self.budget.items()
        }

    def gap(self, projection: dict[str, np.ndarray]) -> dict[str, float | None]:
        """Budget minus projection over the horizon's whole months that the budget covers and
        the run reaches: flows summed, inventory on average, cash at the last of them (positive:
        the plan falls short of the budget; for inventory, positive: the plan holds less than
        budgeted)."""
        budget = self.budget_of(projection["month"])
        covered = ~np.isnan(budget["revenue"]) & projection["whole"]
        if not covered.any():
            return {name: None for name in ("revenue", "gross_margin", "operating_profit")}
        out: dict[str, float | None] = {}
        for name in ("revenue", "gross_margin", "operating_profit"):
            out[name] = round(float((budget[name] - projection[name])[covered].sum()), 2)
        out["inventory"] = round(
            float((budget["inventory"] - projection["inventory"])[covered].mean()), 2
        )
        last = np.flatnonzero(covered)[-1]
        out["cash"] = round(float(budget["cash"][last] - projection["cash"][last]), 2)
        out["months"] = int(covered.sum())
        return out

    def plan_vs_actual(self, day: int, balances: np.ndarray | None, demand: np.ndarray) -> dict:
        """The last meeting's projection of the month that has just ended, against the books
        (projection error), and each forecasting layer's error on the four weeks after the
        last meeting (forecast value added: the error it removes from the layer below)."""
        out: dict = {}
        month = month_of_day(day)
        if self.last is not None and balances is not None and len(balances):
            made, projection = self.last
            if made == month - 1 and month - 1 in set(projection["month"].tolist()):
                i = list(projection["month"]).index(month - 1)
                first = int(projection["first_day"][i])
                actual = _month_actual(balances, first, day)
                out["month"] = month - 1
                out["projected"] = {k: round(float(projection[k][i]), 2) for k in actual}
                out["actual"] = {k: round(v, 2) for k, v in actual.items()}
                out["projection_error"] = {
                    k: round(float(projection[k][i] - v), 2) for k, v in actual.items()
                }
        scored = [(d, layers) for d, layers in self.layers if d + 28 <= day]
        if scored:
            d, layers = scored[-1]
            actual = demand[d + 1 : d + 29].mean(axis=0)
            total = max(float(actual.sum()), 1e-9)
            error = {
                name: float(np.abs(values - actual).sum() / total)
                for name, values in layers.items()
            }
            out["forecast_error_wmape"] = {k: round(v, 4) for k, v in error.items()}
            out["forecast_value_added_points"] = {
                "statistical_baseline": round(100 * (error["naive"] - error["baseline"]), 2),
                "sales": round(100 * (error["baseline"] - error["sales"]), 2),
                "consensus": round(100 * (error["baseline"] - error["consensus"]), 2),
            }
            self.layers = [(x, y) for x, y in self.layers if x + 28 > day or x == d]
        return out


def _month_actual(balances: np.ndarray, first: int, day: int) -> dict[str, float]:
    """The books' lines of PLAN_LINES for days ``first .. day - 1`` (balances [day, account]
    at each close)."""
    after = balances[day - 1]
    before = balances[first - 1] if first > 0 else np.zeros_like(after)
    lines = summary_lines(after - before, after)
    return {key[1]: float(lines[key]) for key in PLAN_LINES}
