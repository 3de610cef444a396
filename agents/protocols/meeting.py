"""The monthly planning meeting: the functions' proposals reconciled into one plan.

On the first day of each month, under a protocol that meets, every function brings its
proposal — Sales its forecast and promotions, Operations the plant as it is, Procurement its
components' supply, Finance its rates and target, the executive its mandate — and
:meth:`Meeting.reconcile` turns them into one :class:`Plan` and one decision-log entry. The
meeting reads nothing but the proposals and what the protocol shares (customer orders); it
keeps its own memory (the demand planner's forecast, the record of Sales' forecasts, what it
approved).

- **Demand Review** (``demand_review``): the consensus, unconstrained demand plan. A demand
  planner keeps a statistical forecast of the orders everyone sees (Holt-Winters, started from
  the market intelligence Sales shares with the meeting). Sales' forecast, corrected for the
  bias it has shown, is blended in as far as its record shows it adds value: its weight is the
  share of the baseline's squared error it removes (forecast value added, zero when it adds
  none), measured product by product on the forecasts whose horizon has passed. Sales'
  promotions are on the table before they run. Without a supply review they all run.
- **Supply Review** (``supply_review``): a rough-cut plan of production per week against the
  plant's regular capacity (all lines pooled) and the components' lead times and supplier
  capacities, with the gaps found ahead of time.
- **Pre-S&OP**: each gap turned into options — pre-build, overtime, air freight, alternate
  supplier, demand shaping (a promotion the plant cannot serve), capacity expansion — each
  valued in dollars (with ``financial_reconciliation``: averaged over demand scenarios, and
  capacity expansions considered).
- **Executive S&OP**: the executive's mandate takes each option whose weighted score is
  positive.

Time in a plan: its weeks start at ``Plan.start_day``, the first weekly review at or after the
meeting; week ``w`` is made at review ``start_day + 7w`` and meets the demand of days
``start_day + 7w + 1 .. start_day + 7w + 7``, so ``Plan.demand[:, i]`` is day
``start_day + 1 + i``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from agents.config import DemandForecasterSpec, MarketPrior
from agents.executive import Mandate, OptionValue
from agents.forecasting.demand import HoltWinters
from agents.messages import DemandProposal, FinanceProposal, MaterialProposal, SupplyProposal
from agents.protocols import Pieces
from sim.calendar import DAYS_PER_WEEK, DAYS_PER_YEAR, month_of_day, weekly_totals
from sim.config import CapacityOption
from sim.messages import CapacityChange, Promotion

__all__ = ["DAYS_PER_MONTH", "Meeting", "MeetingContext", "Plan", "Proposals"]

DAYS_PER_MONTH = 30
SCENARIOS = (0.9, 1.0, 1.1)  # demand multipliers weighed by financial reconciliation
SLACK_DAYS = 120  # demand planned beyond the horizon, so any cover fits inside the plan
RECORD_DAYS = 28  # the horizon on which forecasts are scored against what happened
MEMORY_DAYS = 182  # how far back the demand review looks at Sales' record
PRIOR_WEIGHT = 0.5  # Sales' weight in the consensus before it has a record
RECORD_NEEDED = 3  # scored forecasts needed before the record decides the weight


@dataclass
class Plan:
    """The one plan: what the company agreed to, in force from ``start_day``."""

    start_day: int
    demand: np.ndarray  # [product, day] consensus demand per day, from day start_day + 1
    production: np.ndarray | None = None  # [product, week] agreed production per week
    position: np.ndarray | None = None  # [product, week] planned stock position at each review
    component_need: np.ndarray | None = None  # [component, day] from the production plan
    overtime: bool = False
    approved_expedite: float = 0.0
    alternate: frozenset[int] = frozenset()  # components to dual-source
    planned_inventory_value: float | None = None
    promotions: list[Promotion] = field(default_factory=list)
    capacity: list[CapacityChange] = field(default_factory=list)

    def week(self, day: int) -> int:
        return (day - self.start_day) // DAYS_PER_WEEK

    def _window(self, rows: np.ndarray | None, day: int, days: int) -> np.ndarray | None:
        """Columns for days ``day + 1 .. day + days`` of per-day ``rows`` (None if not there)."""
        if rows is None:
            return None
        first = max(0, day - self.start_day)
        window = rows[:, first : first + days]
        return window if window.shape[1] == days else None

    def demand_from(self, day: int, days: int) -> np.ndarray | None:
        """Consensus demand per day for days ``day + 1 .. day + days`` [P, days]."""
        return self._window(self.demand, day, days)

    def need_from(self, day: int, days: int) -> np.ndarray | None:
        """Planned component need per day for days ``day + 1 .. day + days`` [C, days]."""
        return self._window(self.component_need, day, days)

    def agreed(self, day: int) -> tuple[np.ndarray, np.ndarray] | None:
        """At the review on ``day``: the agreed production and the position the plan expected."""
        if self.production is None or day < self.start_day:
            return None
        w = self.week(day)
        if w >= self.production.shape[1]:
            return None
        return self.production[:, w], self.position[:, w]


@dataclass(frozen=True)
class Proposals:
    """What the functions bring to the meeting."""

    demand: DemandProposal
    supply: SupplyProposal
    materials: MaterialProposal
    finance: FinanceProposal
    executive: Mandate


@dataclass(frozen=True)
class MeetingContext:
    """What the meeting knows besides the proposals: the day, the plan's span, the orders the
    protocol shares, and the company's structure and options."""

    day: int
    plan_start: int
    weeks: int
    demand_history: np.ndarray  # [day, product], customer orders to today
    products: tuple[str, ...]
    components: tuple[str, ...]
    lines: tuple[str, ...]
    bom: np.ndarray
    price: np.ndarray
    unit_cost: np.ndarray
    capacity_options: tuple[CapacityOption, ...]
    depreciation_years: float
    expected_uplift: np.ndarray  # [product] what the meeting expects a promotion to lift

    @property
    def days(self) -> int:
        return self.weeks * DAYS_PER_WEEK + SLACK_DAYS


def _level(need: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move what exceeds a week's capacity into earlier weeks (pre-build), latest first.

    Returns the levelled plan [P, W] and the units per product that fit nowhere.
    """
    plan = need.astype(float).copy()
    carry = np.zeros(plan.shape[0])
    for w in range(plan.shape[1] - 1, -1, -1):
        plan[:, w] += carry
        total = plan[:, w].sum()
        if total > capacity[w] + 1e-9:
            moved = plan[:, w] * (total - capacity[w]) / total
            plan[:, w] -= moved
            carry = moved
        else:
            carry = np.zeros_like(carry)
    return plan, carry


def _chase(need: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each week makes what it can of its own need; returns the plan and the units lost."""
    total = need.sum(axis=0)
    scale = np.minimum(1.0, capacity / np.maximum(total, 1e-9))
    plan = need * scale
    return plan, (need - plan).sum(axis=1)


def _extra_stock_dollar_days(plan: np.ndarray, need: np.ndarray, unit_cost: np.ndarray) -> float:
    """Inventory a plan builds ahead of need, in dollar-days at standard cost."""
    ahead = np.maximum(np.cumsum(plan - need, axis=1), 0.0)
    return float((ahead.sum(axis=1) @ unit_cost) * DAYS_PER_WEEK)


def weekly(per_day: np.ndarray, weeks: int) -> np.ndarray:
    """Per-day rows [item, day] summed into their first ``weeks`` weeks [item, week]."""
    return weekly_totals(per_day, axis=1, weeks=weeks)


def _mean_value(values: list[OptionValue]) -> OptionValue:
    n = len(values)
    return OptionValue(
        sum(v.revenue for v in values) / n,
        sum(v.margin for v in values) / n,
        sum(v.cost for v in values) / n,
        sum(v.working_capital for v in values) / n,
        sum(v.carrying for v in values) / n,
    )


def value_option(
    finance: FinanceProposal,
    units_gained: np.ndarray,
    unit_price: np.ndarray,
    unit_cost: np.ndarray,
    cost: float,
    dollar_days: float,
    horizon_days: float,
) -> OptionValue:
    """Finance's value of an option that sells ``units_gained`` more per product for ``cost``,
    holding ``dollar_days`` of extra inventory (value × days) over ``horizon_days``."""
    revenue = float(units_gained @ unit_price)
    margin = float(units_gained @ (unit_price - unit_cost))
    carrying = dollar_days * finance.capital_rate_per_year / DAYS_PER_YEAR
    return OptionValue(revenue, margin, float(cost), dollar_days / horizon_days, carrying)


def approves_capex(finance: FinanceProposal, annual_margin: float, capex: float, years: float):
    """Capital spending pays if its margin, discounted at the hurdle rate, beats its cost."""
    r = finance.hurdle_rate
    annuity = years if r == 0 else (1 - (1 + r) ** -years) / r
    return annual_margin * annuity > capex


class _Table:
    """The options of one meeting, valued and decided, for the plan and the decision log."""

    def __init__(self, mandate: Mandate, scenarios: tuple[float, ...]) -> None:
        self.mandate = mandate
        self.scenarios = scenarios
        self.rows: list[dict] = []

    def decide(self, name: str, description: str, values: list[OptionValue]) -> bool:
        value = _mean_value(values)
        take, reason = self.mandate.decide(value)
        self.rows.append(
            {
                "option": name,
                "description": description,
                "value": value.as_dict(),
                "score": round(self.mandate.score(value), 2),
                "chosen": take,
                "reason": reason,
            }
        )
        return take

    def note(self, name: str, description: str, reason: str) -> None:
        """An item taken without valuation (nothing to trade off at this rung)."""
        self.rows.append(
            {
                "option": name,
                "description": description,
                "value": OptionValue(0, 0, 0, 0, 0).as_dict(),
                "score": 0.0,
                "chosen": True,
                "reason": reason,
            }
        )


class Meeting:
    """The protocol's reconciliation, with its memory across months."""

    def __init__(
        self,
        pieces: Pieces,
        products: tuple[str, ...],
        forecaster: DemandForecasterSpec,
        market_intelligence: dict[str, MarketPrior],
    ) -> None:
        self.pieces = pieces
        self.products = products
        priors = [market_intelligence.get(name) for name in products]
        self.baseline = HoltWinters(
            len(products), forecaster.alpha, forecaster.beta, forecaster.gamma, forecaster.harmonics
        )
        self.baseline.set_prior(
            np.array([p.seasonality.amplitude if p else 0.0 for p in priors]),
            np.array([p.seasonality.peak_day if p else 0 for p in priors]),
            np.array([p.trend_per_year if p else 0.0 for p in priors]),
        )
        self.record: list[tuple[int, np.ndarray, np.ndarray]] = []  # (day, Sales, baseline)
        self.promotions: list[tuple[int, int, int]] = []  # approved: (product, start, end)
        self.expansions: set[int] = set()

    # ------------------------------------------------------------------ demand review

    def _lift(self, context: MeetingContext, first_day: int, days: int) -> np.ndarray:
        lift = np.ones((len(self.products), days))
        for p, start, end in self.promotions:
            a, b = max(start - first_day, 0), min(end - first_day, days)
            if a < b:
                lift[p, a:b] *= 1.0 + context.expected_uplift[p]
        return lift

    def _observe(self, context: MeetingContext) -> None:
        history = context.demand_history
        first = self.baseline.last_day + 1
        if first < len(history):
            rows = history[first:]
            self.baseline.observe(first, rows / self._lift(context, first, len(rows)).T)

    def sales_record(self, context: MeetingContext) -> tuple[float, np.ndarray]:
        """Sales' measured bias and its weight per product in the consensus (see the module
        docstring), from the forecasts whose horizon has passed within the memory."""
        day, demand = context.day, context.demand_history
        scored = [
            (sales, base, demand[made + 1 : made + 1 + RECORD_DAYS].mean(axis=0))
            for made, sales, base in self.record
            if made + RECORD_DAYS < day and made >= day - MEMORY_DAYS
        ]
        if not scored:
            return 0.0, np.full(len(self.products), PRIOR_WEIGHT)
        sales, base, actual = (np.array(x) for x in zip(*scored, strict=True))
        bias = float(sales.sum() / actual.sum() - 1.0) if actual.sum() > 0 else 0.0
        if len(scored) < RECORD_NEEDED:
            return bias, np.full(len(self.products), PRIOR_WEIGHT)
        sales_error = ((sales / (1 + bias) - actual) ** 2).mean(axis=0)
        base_error = ((base - actual) ** 2).mean(axis=0)
        weight = np.clip(1.0 - sales_error / np.maximum(base_error, 1e-9), 0.0, 1.0)
        return bias, weight

    def consensus(self, proposals: Proposals, context: MeetingContext) -> tuple[np.ndarray, dict]:
        """The consensus demand per day from ``context.day + 1`` and the review's log."""
        self._observe(context)
        days = context.plan_start - context.day + context.days
        baseline = self.baseline.ahead(context.day, days) * self._lift(
            context, context.day + 1, days
        )
        sales = proposals.demand.per_day[:, :days]
        bias, weight = self.sales_record(context)
        self.record.append(
            (
                context.day,
                sales[:, :RECORD_DAYS].mean(axis=1),
                baseline[:, :RECORD_DAYS].mean(axis=1),
            )
        )
        consensus = weight[:, None] * sales / (1.0 + bias) + (1 - weight[:, None]) * baseline
        log = {
            "sales_bias_measured": round(bias, 4),
            "sales_weight": {
                n: round(float(w), 3) for n, w in zip(self.products, weight, strict=True)
            },
        }
        return consensus, log

    # ------------------------------------------------------------------ the meeting

    def reconcile(self, proposals: Proposals, context: MeetingContext) -> tuple[Plan, dict]:
        """One meeting on ``context.day``; returns the plan and its decision-log entry."""
        day, start = context.day, context.plan_start
        if self.pieces.demand_review:
            forecast, review = self.consensus(proposals, context)
        else:
            days = start - day + context.days
            forecast, review = proposals.demand.per_day[:, :days], {}
        plan = Plan(start_day=start, demand=forecast[:, start - day :])
        # A promotion proposed since the last meeting starts no earlier than announced today.
        lead = min((p.start_day for p in proposals.demand.promotions), default=day) - day
        pending = [
            replace(p, start_day=max(p.start_day, day + max(lead, 1)))
            for p in proposals.demand.promotions
        ]
        entry: dict = {
            "kind": "sop_cycle",
            "day": day,
            "month": month_of_day(day),
            "protocol": self.pieces.name,
            "plan_starts": start,
            "demand_review": {
                **review,
                "next_4_weeks_units": {
                    name: round(float(plan.demand[p, : 4 * DAYS_PER_WEEK].sum()), 1)
                    for p, name in enumerate(context.products)
                },
                "promotions_proposed": [_promotion_dict(p) for p in pending],
            },
        }
        scenarios = SCENARIOS if self.pieces.financial_reconciliation else (1.0,)
        table = _Table(proposals.executive, scenarios)
        if self.pieces.supply_review:
            _supply_review(proposals, context, plan, pending, table, entry, self)
        else:
            for promotion in pending:
                plan.demand = _with_promotion(context, plan, promotion)
                description = f"{promotion.product} promotion from day {promotion.start_day}"
                table.note("promotion", description, "no supply review: announced promotions run")
            plan.promotions = pending
        for promotion in plan.promotions:
            p = context.products.index(promotion.product)
            self.promotions.append(
                (p, promotion.start_day, promotion.start_day + promotion.duration_days)
            )
        entry["options"] = table.rows
        return plan, entry


def _promotion_dict(p: Promotion) -> dict:
    return {
        "product": p.product,
        "start_day": p.start_day,
        "duration_days": p.duration_days,
        "price_discount": p.price_discount,
        "cost": p.cost,
    }


def _with_promotion(
    context: MeetingContext, plan: Plan, promotion: Promotion, demand: np.ndarray | None = None
) -> np.ndarray:
    """``demand`` (default: the plan's) with ``promotion``'s expected lift."""
    out = (plan.demand if demand is None else demand).copy()
    p = context.products.index(promotion.product)
    first = promotion.start_day - (plan.start_day + 1)
    last = first + promotion.duration_days
    out[p, max(0, first) : max(0, last)] *= 1.0 + context.expected_uplift[p]
    return out


def _supply_review(
    proposals: Proposals,
    context: MeetingContext,
    plan: Plan,
    pending: list[Promotion],
    table: _Table,
    entry: dict,
    meeting: Meeting,
) -> None:
    """Supply Review, Pre-S&OP and the executive's decisions, written into ``plan``."""
    supply, finance = proposals.supply, proposals.finance
    price, cost = context.price, context.unit_cost
    weeks = context.weeks
    horizon_days = weeks * DAYS_PER_WEEK
    position = supply.position
    capacity_per_day = supply.capacity_per_day + supply.capacity_coming
    regular = float(capacity_per_day.sum()) * DAYS_PER_WEEK
    overtime_per_line = capacity_per_day * supply.overtime_fraction
    overtime = float(overtime_per_line.sum()) * DAYS_PER_WEEK
    weights = overtime_per_line / overtime_per_line.sum() if overtime_per_line.sum() else None
    premium = float(supply.overtime_premium @ weights) if weights is not None else 0.0
    capacity = np.full(weeks, regular)

    def needs(demand_per_day: np.ndarray) -> np.ndarray:
        """Production per week that keeps the position at lead-time demand plus safety."""
        demand_weeks = weekly(demand_per_day, weeks)
        cover = supply.safety_days + supply.lead_time_days
        target = cover * demand_per_day[:, : 4 * DAYS_PER_WEEK].mean(axis=1)
        need = np.zeros_like(demand_weeks)
        projected = position.copy()
        for w in range(weeks):
            need[:, w] = np.maximum(demand_weeks[:, w] + target - projected, 0.0)
            projected = projected + need[:, w] - demand_weeks[:, w]
        return need

    def plan_for(n: np.ndarray, cap: np.ndarray, prebuild: bool):
        return _level(n, cap) if prebuild else _chase(n, cap)

    def value(gained, unit_price, option_cost, dollar_days):
        return value_option(
            finance, gained, unit_price, cost, option_cost, dollar_days, horizon_days
        )

    # Demand shaping: a promotion Sales proposed runs only if the plant can serve it at a profit.
    approved: list[Promotion] = []
    for promotion in pending:
        p = context.products.index(promotion.product)
        sell_price = price.copy()
        sell_price[p] *= 1 - promotion.price_discount
        values = []
        for k in table.scenarios:
            base = plan.demand * k
            lifted = _with_promotion(context, plan, promotion, base)
            _, lost_without = _level(needs(base), capacity + overtime)
            _, lost_with = _level(needs(lifted), capacity + overtime)
            # Units sold more, net of what the promotion crowds out of other products.
            extra = weekly(lifted - base, weeks).sum(axis=1) - (lost_with - lost_without)
            first = promotion.start_day - (plan.start_day + 1)
            inside = base[p, max(0, first) : max(0, first + promotion.duration_days)].sum()
            discount = promotion.price_discount * price[p] * float(inside)
            values.append(value(extra, sell_price, promotion.cost + discount, 0.0))
        description = (
            f"run Sales' promotion of {promotion.product} from day {promotion.start_day} "
            f"({promotion.price_discount:.0%} off for {promotion.duration_days} days) — or drop it"
        )
        if table.decide("demand_shaping", description, values):
            approved.append(promotion)
            plan.demand = _with_promotion(context, plan, promotion)
    plan.promotions = approved

    # Pre-build: level production into earlier weeks instead of chasing demand.
    values = []
    for k in table.scenarios:
        n = needs(plan.demand * k)
        levelled, lost = _level(n, capacity)
        gained = np.maximum(_chase(n, capacity)[1] - lost, 0.0)
        dollar_days = _extra_stock_dollar_days(levelled, n, cost)
        values.append(value(gained, price, 0.0, dollar_days))
    prebuild = table.decide(
        "pre_build", "build ahead of weeks where demand exceeds capacity", values
    )

    # Overtime: capacity above regular at a premium per unit.
    values = []
    for k in table.scenarios:
        n = needs(plan.demand * k)
        _, lost = plan_for(n, capacity, prebuild)
        stretched, lost_stretched = plan_for(n, capacity + overtime, prebuild)
        on_overtime = np.clip(stretched.sum(axis=0) - capacity, 0.0, overtime).sum()
        gained = np.maximum(lost - lost_stretched, 0.0)
        values.append(value(gained, price, on_overtime * premium, 0.0))
    description = f"up to {overtime:,.0f} units a week on overtime at ${premium:,.2f} a unit"
    plan.overtime = table.decide("overtime", description, values)
    usable = capacity + (overtime if plan.overtime else 0.0)

    # Capacity expansion (financial reconciliation only): valued over the asset's life.
    if meeting.pieces.financial_reconciliation:
        usable = _expansions(proposals, context, plan, usable, needs, table, meeting)

    production, lost = plan_for(needs(plan.demand), usable, prebuild)
    plan.production = production
    demand_weeks = weekly(plan.demand, weeks)
    stock = position[:, None] + np.cumsum(production - demand_weeks, axis=1)
    plan.position = np.column_stack([position, stock[:, :-1]])
    per_day = np.repeat(production / DAYS_PER_WEEK, DAYS_PER_WEEK, axis=1)
    plan.component_need = context.bom.T @ per_day
    finished_now = float(np.maximum(position, 0.0) @ cost)
    peak_finished = float(np.maximum(stock, 0.0).max(axis=1) @ cost)
    # Components, goods in transit and work in process stay as Finance's books have them.
    other = max(0.0, finance.inventory_value - finance.finished_goods_value)
    plan.planned_inventory_value = peak_finished + other
    _materials(proposals, context, plan, table)
    entry["supply_review"] = {
        "weeks": weeks,
        "regular_capacity_per_week": regular,
        "overtime_capacity_per_week": overtime,
        "production_next_4_weeks": {
            name: round(float(production[p, :4].sum()), 1)
            for p, name in enumerate(context.products)
        },
        "units_short_after_decisions": {
            name: round(float(lost[p]), 1) for p, name in enumerate(context.products)
        },
        "finished_goods_value_now": round(finished_now, 2),
        "inventory_budget": round(plan.planned_inventory_value, 2),
    }


def _expansions(
    proposals: Proposals,
    context: MeetingContext,
    plan: Plan,
    usable: np.ndarray,
    needs,
    table: _Table,
    meeting: Meeting,
) -> np.ndarray:
    """Offer each capacity option not yet taken; returns the capacity the plan can use."""
    price, cost = context.price, context.unit_cost
    years = context.depreciation_years
    weeks = context.weeks
    for index, option in enumerate(context.capacity_options):
        if index in meeting.expansions:
            continue
        start_week = int(np.ceil(option.lead_days / DAYS_PER_WEEK))
        if start_week >= weeks:
            continue
        bigger = usable.copy()
        bigger[start_week:] += option.delta_per_day * DAYS_PER_WEEK
        window_years = (weeks - start_week) * DAYS_PER_WEEK / DAYS_PER_YEAR
        values = []
        for k in table.scenarios:
            n = needs(plan.demand * k)
            gained = np.maximum(_level(n, usable)[1] - _level(n, bigger)[1], 0.0)
            # What the horizon shows, per year, over the asset's life.
            over_life = gained / window_years * years
            values.append(
                value_option(
                    proposals.finance,
                    over_life,
                    price,
                    cost,
                    option.capex,
                    0.0,
                    DAYS_PER_YEAR * years,
                )
            )
        annual_margin = _mean_value(values).margin / years
        if not approves_capex(proposals.finance, annual_margin, option.capex, years):
            continue
        description = (
            f"add {option.delta_per_day:g} units/day to {option.line} for ${option.capex:,.0f}"
        )
        if table.decide("capacity_expansion", description, values):
            change = CapacityChange(
                option.line, option.delta_per_day, context.day + option.lead_days, option.capex
            )
            plan.capacity.append(change)
            meeting.expansions.add(index)
            usable = bigger
    return usable


def _materials(proposals: Proposals, context: MeetingContext, plan: Plan, table: _Table) -> None:
    """Component gaps against the production plan: air freight and alternate suppliers."""
    price, cost, bom = context.price, context.unit_cost, context.bom
    approved_air = 0.0
    alternate = set()
    weeks = plan.production.shape[1]
    for c, component in enumerate(context.components):
        users = bom[:, c] > 0
        if not users.any():
            continue
        supply = proposals.materials.components[c]
        # Margin and revenue of the finished goods one unit of this component makes possible.
        unit_margin = float(np.mean((price - cost)[users] / bom[users, c]))
        unit_revenue = float(np.mean(price[users] / bom[users, c]))
        regular_lead = int(np.ceil(supply.regular_lead_days))
        fast_lead = int(np.ceil(supply.fast_lead_days))
        need = plan.component_need[c]
        if fast_lead < regular_lead:
            # On order now arrives within one regular lead time; what falls short before then
            # and after a rush order could land is what air freight can save.
            short = max(0.0, float(need[:regular_lead].sum()) - supply.available)
            short = min(short, float(need[fast_lead:regular_lead].sum()))
            if short >= 1:
                freight = short * supply.fast_freight_per_unit
                value = OptionValue(short * unit_revenue, short * unit_margin, freight, 0.0, 0.0)
                description = (
                    f"expedite {short:,.0f} {component} from {supply.fast_supplier} by "
                    f"{supply.fast_mode}"
                )
                if table.decide("air_freight", description, [value]):
                    approved_air += freight
        if supply.main_capacity_per_week and supply.alternate:
            weekly_need = weekly(plan.component_need[c : c + 1], weeks)[0]
            excess = float(np.maximum(weekly_need - supply.main_capacity_per_week, 0.0).sum())
            if excess > 0:
                value = OptionValue(
                    excess * unit_revenue,
                    excess * unit_margin,
                    excess * max(supply.alternate_price_premium, 0.0),
                    0.0,
                    0.0,
                )
                description = (
                    f"buy {excess:,.0f} {component} beyond {supply.main_supplier}'s capacity "
                    f"from {supply.alternate}"
                )
                if table.decide("alternate_supplier", description, [value]):
                    alternate.add(c)
    plan.approved_expedite = approved_air
    plan.alternate = frozenset(alternate)
