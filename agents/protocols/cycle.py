"""The monthly S&OP cycle: Demand Review → Supply Review → Pre-S&OP → Executive S&OP.

Run on the first day of each month by protocols that have a demand or a supply review. It
produces one :class:`Plan` that the functions execute until the next cycle, and one
decision-log entry that says what was on the table, what each option was worth and what was
chosen, and why.

- Demand Review (``demand_review``): Sales' forecast, corrected for the bias Sales has shown so
  far, with Sales' proposed promotions on the table: the consensus, unconstrained demand plan.
  Without it, the supply review plans on Sales' own forecast.
- Supply Review (``supply_review``): a rough-cut plan of production per week against the
  plant's regular capacity (all lines pooled) and the components' lead times and supplier
  capacities, with the gaps found ahead of time.
- Pre-S&OP: each gap turned into options — pre-build, overtime, air freight, alternate
  supplier, demand shaping (a promotion the plant cannot serve), capacity expansion — each
  valued in dollars by Finance (with ``financial_reconciliation``: averaged over demand
  scenarios, and capacity expansions considered).
- Executive S&OP: the executive takes each option whose weighted score is positive.

Time in a plan: its weeks start at ``Plan.start_day``, the first weekly review at or after the
cycle; week ``w`` is made at review ``start_day + 7w`` and meets the demand of days
``start_day + 7w + 1 .. start_day + 7w + 7``, so ``Plan.demand[:, i]`` is day
``start_day + 1 + i``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from agents.finance import OptionValue
from sim.calendar import DAYS_PER_WEEK, month_of_day
from sim.messages import CapacityChange, Promotion
from sim.world import CompanyObservation

__all__ = ["Plan", "run_cycle"]

DAYS_PER_MONTH = 30
SCENARIOS = (0.9, 1.0, 1.1)  # demand multipliers weighed by financial reconciliation
SLACK_DAYS = 120  # demand planned beyond the horizon, so any cover fits inside the plan


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
    capacity: list[tuple[int, CapacityChange]] = field(default_factory=list)

    def week(self, day: int) -> int:
        return (day - self.start_day) // DAYS_PER_WEEK

    def demand_from(self, day: int) -> np.ndarray:
        """Consensus demand per day from ``day + 1`` on."""
        return self.demand[:, max(0, day - self.start_day) :]

    def agreed(self, day: int) -> tuple[np.ndarray, np.ndarray] | None:
        """At the review on ``day``: the agreed production and the position the plan expected."""
        if self.production is None or day < self.start_day:
            return None
        w = self.week(day)
        if w >= self.production.shape[1]:
            return None
        return self.production[:, w], self.position[:, w]

    def need_from(self, day: int) -> np.ndarray | None:
        """Planned component need per day from ``day + 1`` on."""
        if self.component_need is None:
            return None
        return self.component_need[:, max(0, day - self.start_day) :]


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


def _weekly(per_day: np.ndarray, weeks: int) -> np.ndarray:
    rows = per_day.shape[0]
    return per_day[:, : weeks * DAYS_PER_WEEK].reshape(rows, weeks, DAYS_PER_WEEK).sum(axis=2)


def _mean_value(values: list[OptionValue]) -> OptionValue:
    n = len(values)
    return OptionValue(
        sum(v.revenue for v in values) / n,
        sum(v.margin for v in values) / n,
        sum(v.cost for v in values) / n,
        sum(v.working_capital for v in values) / n,
        sum(v.carrying for v in values) / n,
    )


class _Table:
    """The options of one cycle, valued and decided, for the plan and the decision log."""

    def __init__(self, model, scenarios: tuple[float, ...]) -> None:
        self.model = model
        self.scenarios = scenarios
        self.rows: list[dict] = []

    def decide(self, name: str, description: str, values: list[OptionValue]) -> bool:
        value = _mean_value(values)
        take, reason = self.model.executive.decide(value)
        self.rows.append(
            {
                "option": name,
                "description": description,
                "value": value.as_dict(),
                "score": round(self.model.executive.score(value), 2),
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


def run_cycle(model, obs: CompanyObservation, pending: list[Promotion]) -> tuple[Plan, dict]:
    """One monthly cycle on ``obs.day``; returns the plan and its decision-log entry."""
    protocol = model.protocol
    day = obs.day
    start = day + (-day) % DAYS_PER_WEEK  # the first weekly review at or after today
    weeks = int(np.ceil(protocol.horizon_months * DAYS_PER_MONTH / DAYS_PER_WEEK))
    days = weeks * DAYS_PER_WEEK + SLACK_DAYS
    view = model.view_for("sales", obs)
    forecast = model.sales.forecast(view, days + (start - day))[:, start - day :]
    bias = model.measured_sales_bias(obs) if protocol.demand_review else 0.0
    plan = Plan(start_day=start, demand=forecast / (1.0 + bias))
    lead = model.agents_config.sales.promotion.lead_days
    # A promotion proposed since the last cycle starts no earlier than announced from today.
    pending = [replace(p, start_day=max(p.start_day, day + lead)) for p in pending]
    entry: dict = {
        "kind": "sop_cycle",
        "day": day,
        "month": month_of_day(day),
        "protocol": protocol.name,
        "plan_starts": start,
        "demand_review": {
            "sales_bias_measured": round(bias, 4),
            "next_4_weeks_units": {
                name: round(float(plan.demand[p, : 4 * DAYS_PER_WEEK].sum()), 1)
                for p, name in enumerate(model.products)
            },
            "promotions_proposed": [_promotion_dict(p) for p in pending],
        },
    }
    scenarios = SCENARIOS if protocol.financial_reconciliation else (1.0,)
    table = _Table(model, scenarios)
    if protocol.supply_review:
        _supply_review(model, obs, plan, weeks, pending, table, entry)
    else:
        for promotion in pending:
            plan.demand = _with_promotion(model, plan, promotion)
            description = f"{promotion.product} promotion from day {promotion.start_day}"
            table.note("promotion", description, "no supply review: announced promotions run")
        plan.promotions = pending
    entry["options"] = table.rows
    return plan, entry


def _promotion_dict(p: Promotion) -> dict:
    return {
        "product": p.product,
        "start_day": p.start_day,
        "duration_days": p.duration_days,
        "uplift": p.uplift,
        "price_discount": p.price_discount,
        "cost": p.cost,
    }


def _with_promotion(model, plan: Plan, promotion: Promotion, demand: np.ndarray | None = None):
    """``demand`` (default: the plan's) with ``promotion``'s uplift."""
    out = (plan.demand if demand is None else demand).copy()
    p = model.products.index(promotion.product)
    first = promotion.start_day - (plan.start_day + 1)
    last = first + promotion.duration_days
    out[p, max(0, first) : max(0, last)] *= 1.0 + promotion.uplift
    return out


def _supply_review(model, obs, plan: Plan, weeks: int, pending, table: _Table, entry: dict) -> None:
    """Supply Review, Pre-S&OP and the executive's decisions, written into ``plan``."""
    ops = model.agents_config.operations
    finance = model.finance
    price, cost = model.price, model.unit_cost
    horizon_days = weeks * DAYS_PER_WEEK
    position = (
        obs.finished_on_hand + obs.production_queued + obs.production_in_process - obs.backlog
    )
    capacity_per_day = np.array(obs.line_capacity_per_day) + model.capacity_coming(obs.day)
    regular = float(capacity_per_day.sum()) * DAYS_PER_WEEK
    overtime_per_line = capacity_per_day * model.overtime_fraction
    overtime = float(overtime_per_line.sum()) * DAYS_PER_WEEK
    weights = overtime_per_line / overtime_per_line.sum() if overtime_per_line.sum() else None
    premium = float(model.overtime_premium @ weights) if weights is not None else 0.0
    capacity = np.full(weeks, regular)

    def needs(demand_per_day: np.ndarray) -> np.ndarray:
        """Production per week that keeps the position at lead-time demand plus safety."""
        weekly = _weekly(demand_per_day, weeks)
        cover = ops.safety_days + ops.planned_lead_time_days
        target = cover * demand_per_day[:, : 4 * DAYS_PER_WEEK].mean(axis=1)
        need = np.zeros_like(weekly)
        projected = position.copy()
        for w in range(weeks):
            need[:, w] = np.maximum(weekly[:, w] + target - projected, 0.0)
            projected = projected + need[:, w] - weekly[:, w]
        return need

    def plan_for(n: np.ndarray, cap: np.ndarray, prebuild: bool):
        return _level(n, cap) if prebuild else _chase(n, cap)

    # Demand shaping: a promotion Sales proposed runs only if the plant can serve it at a profit.
    approved: list[Promotion] = []
    for promotion in pending:
        p = model.products.index(promotion.product)
        sell_price = price.copy()
        sell_price[p] *= 1 - promotion.price_discount
        values = []
        for k in table.scenarios:
            base = plan.demand * k
            lifted = _with_promotion(model, plan, promotion, base)
            _, lost_without = _level(needs(base), capacity + overtime)
            _, lost_with = _level(needs(lifted), capacity + overtime)
            # Units sold more, net of what the promotion crowds out of other products.
            extra = _weekly(lifted - base, weeks).sum(axis=1) - (lost_with - lost_without)
            first = promotion.start_day - (plan.start_day + 1)
            inside = base[p, max(0, first) : max(0, first + promotion.duration_days)].sum()
            discount = promotion.price_discount * price[p] * float(inside)
            gained = finance.value(
                extra, sell_price, cost, promotion.cost + discount, 0.0, horizon_days
            )
            values.append(gained)
        description = (
            f"run Sales' promotion of {promotion.product} from day {promotion.start_day} "
            f"(+{promotion.uplift:.0%} for {promotion.duration_days} days) — or drop it"
        )
        if table.decide("demand_shaping", description, values):
            approved.append(promotion)
            plan.demand = _with_promotion(model, plan, promotion)
    plan.promotions = approved

    # Pre-build: level production into earlier weeks instead of chasing demand.
    values = []
    for k in table.scenarios:
        n = needs(plan.demand * k)
        levelled, lost = _level(n, capacity)
        gained = np.maximum(_chase(n, capacity)[1] - lost, 0.0)
        dollar_days = _extra_stock_dollar_days(levelled, n, cost)
        values.append(finance.value(gained, price, cost, 0.0, dollar_days, horizon_days))
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
        values.append(finance.value(gained, price, cost, on_overtime * premium, 0.0, horizon_days))
    description = f"up to {overtime:,.0f} units a week on overtime at ${premium:,.2f} a unit"
    plan.overtime = table.decide("overtime", description, values)
    usable = capacity + (overtime if plan.overtime else 0.0)

    # Capacity expansion (financial reconciliation only): valued over the asset's life.
    if model.protocol.financial_reconciliation:
        usable = _expansions(model, obs, plan, weeks, usable, needs, table)

    production, lost = plan_for(needs(plan.demand), usable, prebuild)
    plan.production = production
    weekly_demand = _weekly(plan.demand, weeks)
    stock = position[:, None] + np.cumsum(production - weekly_demand, axis=1)
    plan.position = np.column_stack([position, stock[:, :-1]])
    per_day = np.repeat(production / DAYS_PER_WEEK, DAYS_PER_WEEK, axis=1)
    plan.component_need = model.bom.T @ per_day
    finished_now = float(obs.finished_on_hand @ cost)
    other_inventory = max(0.0, obs.inventory_value - finished_now)  # components, transit, WIP
    peak_finished = float(np.maximum(stock, 0.0).max(axis=1) @ cost)
    plan.planned_inventory_value = peak_finished + other_inventory
    _materials(model, obs, plan, table)
    entry["supply_review"] = {
        "weeks": weeks,
        "regular_capacity_per_week": regular,
        "overtime_capacity_per_week": overtime,
        "production_next_4_weeks": {
            name: round(float(production[p, :4].sum()), 1) for p, name in enumerate(model.products)
        },
        "units_short_after_decisions": {
            name: round(float(lost[p]), 1) for p, name in enumerate(model.products)
        },
        "inventory_cap_basis": round(plan.planned_inventory_value, 2),
    }


def _expansions(model, obs, plan: Plan, weeks: int, usable, needs, table: _Table) -> np.ndarray:
    """Offer each capacity option not yet taken; returns the capacity the plan can use."""
    price, cost = model.price, model.unit_cost
    years = model.config.finance.depreciation_years
    for index, option in enumerate(model.config.capacity_options):
        if model.expansion_taken(index):
            continue
        start_week = int(np.ceil(option.lead_days / DAYS_PER_WEEK))
        if start_week >= weeks:
            continue
        bigger = usable.copy()
        bigger[start_week:] += option.delta_per_day * DAYS_PER_WEEK
        window_years = (weeks - start_week) * DAYS_PER_WEEK / 365
        values = []
        for k in table.scenarios:
            n = needs(plan.demand * k)
            gained = np.maximum(_level(n, usable)[1] - _level(n, bigger)[1], 0.0)
            # What the horizon shows, per year, over the asset's life.
            over_life = gained / window_years * years
            values.append(
                model.finance.value(over_life, price, cost, option.capex, 0.0, 365 * years)
            )
        annual_margin = _mean_value(values).margin / years
        if not model.finance.approves_capex(annual_margin, option.capex, years):
            continue
        description = (
            f"add {option.delta_per_day:g} units/day to {option.line} for ${option.capex:,.0f}"
        )
        if table.decide("capacity_expansion", description, values):
            change = CapacityChange(
                option.line, option.delta_per_day, obs.day + option.lead_days, option.capex
            )
            plan.capacity.append((index, change))
            usable = bigger
    return usable


def _materials(model, obs, plan: Plan, table: _Table) -> None:
    """Component gaps against the production plan: air freight and alternate suppliers."""
    proc = model.procurement
    price, cost = model.price, model.unit_cost
    bom = model.bom
    approved_air = 0.0
    alternate = set()
    weeks = plan.production.shape[1]
    for c, component in enumerate(model.components):
        users = bom[:, c] > 0
        if not users.any():
            continue
        # Margin and revenue of the finished goods one unit of this component makes possible.
        unit_margin = float(np.mean((price - cost)[users] / bom[users, c]))
        unit_revenue = float(np.mean(price[users] / bom[users, c]))
        main = proc.sources[c][0][0]
        regular_lead = int(np.ceil(proc.lead_days(main)))
        fast = min(
            (s for s, sup in model.config.suppliers.items() if component in sup.components),
            key=lambda s: (proc.lead_days(s, fast=True), s),
        )
        fast_lead = int(np.ceil(proc.lead_days(fast, fast=True)))
        need = plan.component_need[c]
        if fast_lead < regular_lead:
            # On order now arrives within one regular lead time; what falls short before then
            # and after a rush order could land is what air freight can save.
            available = (
                obs.component_on_hand[c]
                + obs.component_on_order[c]
                - obs.component_requirements_queued[c]
            )
            short = max(0.0, float(need[:regular_lead].sum()) - available)
            short = min(short, float(need[fast_lead:regular_lead].sum()))
            if short >= 1:
                mode = model.config.transport_modes[proc.supplier_mode(fast, fast=True)]
                freight = short * mode.cost_per_unit
                value = OptionValue(short * unit_revenue, short * unit_margin, freight, 0.0, 0.0)
                description = (
                    f"expedite {short:,.0f} {component} from {fast} by {mode_name(model, mode)}"
                )
                if table.decide("air_freight", description, [value]):
                    approved_air += freight
        terms = model.config.suppliers[main].components[component]
        other = proc.alternate(c)
        if terms.capacity_per_week and len(proc.sources[c]) == 1 and other:
            weekly_need = _weekly(plan.component_need[c : c + 1], weeks)[0]
            excess = float(np.maximum(weekly_need - terms.capacity_per_week, 0.0).sum())
            if excess > 0:
                premium = model.config.suppliers[other].components[component].price - terms.price
                value = OptionValue(
                    excess * unit_revenue,
                    excess * unit_margin,
                    excess * max(premium, 0.0),
                    0.0,
                    0.0,
                )
                description = f"buy {excess:,.0f} {component} beyond {main}'s capacity from {other}"
                if table.decide("alternate_supplier", description, [value]):
                    alternate.add(c)
    plan.approved_expedite = approved_air
    plan.alternate = frozenset(alternate)


def mode_name(model, mode) -> str:
    return next(name for name, m in model.config.transport_modes.items() if m is mode)
