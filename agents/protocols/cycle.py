"""The monthly S&OP cycle: Demand Review → Supply Review → Pre-S&OP → Executive S&OP.

Run on the first day of each month by protocols that have a demand review. It produces one
:class:`Plan` that the functions execute until the next cycle, and one decision-log entry that
says what was on the table, what each option was worth and what was chosen, and why.

- Demand Review: Sales' forecast, corrected for the bias Sales has shown so far, with Sales'
  proposed promotions on the table: the consensus, unconstrained demand plan.
- Supply Review (``supply_review``): a rough-cut plan of production per week against the
  plant's regular capacity (all lines pooled) and the components' lead times and supplier
  capacities, with the gaps found ahead of time.
- Pre-S&OP: each gap turned into options — pre-build, overtime, air freight, alternate
  supplier, demand shaping (a promotion the plant cannot serve), capacity expansion — each
  valued in dollars by Finance (with ``financial_reconciliation``: over demand scenarios).
- Executive S&OP: the executive takes each option whose weighted score is positive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agents.finance import OptionValue
from sim.calendar import DAYS_PER_WEEK, month_of_day
from sim.messages import CapacityChange, Promotion
from sim.world import CompanyObservation

__all__ = ["Plan", "run_cycle"]

DAYS_PER_MONTH = 30
SCENARIOS = (0.9, 1.0, 1.1)  # demand multipliers weighed by financial reconciliation


@dataclass
class Plan:
    """The one plan: what the company agreed to on ``start_day``."""

    start_day: int
    demand: np.ndarray  # [product, day ahead] consensus demand per day
    production: np.ndarray | None = None  # [product, week] agreed production per week
    position: np.ndarray | None = None  # [product, week] planned stock position at week start
    component_need: np.ndarray | None = None  # [component, day ahead] from the production plan
    overtime: bool = False
    approved_expedite: float = 0.0
    alternate: frozenset[int] = frozenset()  # components to dual-source
    planned_inventory_value: float | None = None
    promotions: list[Promotion] = field(default_factory=list)
    capacity: list[CapacityChange] = field(default_factory=list)

    def week(self, day: int) -> int:
        return (day - self.start_day) // DAYS_PER_WEEK

    def production_this_week(self, day: int) -> np.ndarray | None:
        if self.production is None:
            return None
        w = self.week(day)
        return self.production[:, w] if w < self.production.shape[1] else None

    def agreed(self, day: int) -> tuple[np.ndarray, np.ndarray] | None:
        """This week's agreed production and the stock position the plan expected now."""
        if self.production is None:
            return None
        w = self.week(day)
        if w >= self.production.shape[1]:
            return None
        return self.production[:, w], self.position[:, w]

    def need_from(self, day: int) -> np.ndarray | None:
        if self.component_need is None:
            return None
        return self.component_need[:, max(0, day - self.start_day) :]

    def demand_from(self, day: int) -> np.ndarray:
        return self.demand[:, max(0, day - self.start_day) :]


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


def _chase_gap(need: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Units per product a plan that only chases demand week by week cannot make."""
    total = need.sum(axis=0)
    excess = np.maximum(total - capacity, 0.0)
    share = np.divide(need, total, out=np.zeros_like(need), where=total > 0)
    return (share * excess).sum(axis=1)


def _extra_stock_dollar_days(plan: np.ndarray, need: np.ndarray, unit_cost: np.ndarray) -> float:
    """Inventory a plan builds ahead of need, in dollar-days at standard cost."""
    ahead = np.maximum(np.cumsum(plan - need, axis=1), 0.0)
    return float((ahead.sum(axis=1) @ unit_cost) * DAYS_PER_WEEK)


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


def _mean_value(values: list[OptionValue]) -> OptionValue:
    n = len(values)
    return OptionValue(
        sum(v.revenue for v in values) / n,
        sum(v.margin for v in values) / n,
        sum(v.cost for v in values) / n,
        sum(v.working_capital for v in values) / n,
        sum(v.carrying for v in values) / n,
    )


def consensus_demand(model, obs: CompanyObservation, days: int) -> tuple[np.ndarray, float]:
    """The Demand Review: Sales' forecast divided by (1 + the bias Sales has shown)."""
    view = model.view_for("sales", obs)
    forecast = model.sales.forecast(view, days)
    bias = model.measured_sales_bias(obs.day)
    return forecast / (1.0 + bias), bias


def run_cycle(model, obs: CompanyObservation, pending: list[Promotion]) -> tuple[Plan, dict]:
    """One monthly cycle on ``obs.day``; returns the plan and its decision-log entry."""
    protocol = model.protocol
    day = obs.day
    horizon = protocol.horizon_months * DAYS_PER_MONTH
    weeks = int(np.ceil(horizon / DAYS_PER_WEEK))
    days = max(weeks * DAYS_PER_WEEK, 8 * DAYS_PER_WEEK)
    demand, bias = consensus_demand(model, obs, days)
    entry: dict = {
        "day": day,
        "month": month_of_day(day),
        "protocol": protocol.name,
        "demand_review": {
            "sales_bias_measured": round(bias, 4),
            "next_month_units": {
                name: round(float(demand[p, :DAYS_PER_MONTH].sum()), 1)
                for p, name in enumerate(model.products)
            },
            "promotions_proposed": [_promotion_dict(p) for p in pending],
        },
    }
    # The plan counts weeks as Operations does (from the start of the current week).
    plan = Plan(start_day=day - day % DAYS_PER_WEEK, demand=demand)
    if not protocol.supply_review:
        for promotion in pending:
            plan.demand = _with_promotion(model, plan.demand, day, promotion)
        plan.promotions = list(pending)
        entry["decisions"] = [
            {"option": "promotions", "chosen": True, "reason": "no supply review"}
        ]
        return plan, entry
    scenarios = SCENARIOS if protocol.financial_reconciliation else (1.0,)
    table = _Table(model, scenarios)
    _supply_review(model, obs, plan, weeks, pending, table, entry)
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


def _with_promotion(model, demand: np.ndarray, day: int, promotion: Promotion) -> np.ndarray:
    out = demand.copy()
    p = model.products.index(promotion.product)
    start = promotion.start_day - (day + 1)
    end = start + promotion.duration_days
    out[p, max(0, start) : max(0, end)] *= 1.0 + promotion.uplift
    return out


def _weekly(per_day: np.ndarray, weeks: int) -> np.ndarray:
    return (
        per_day[:, : weeks * DAYS_PER_WEEK]
        .reshape(per_day.shape[0], weeks, DAYS_PER_WEEK)
        .sum(axis=2)
    )


def _supply_review(model, obs, plan: Plan, weeks: int, pending, table: _Table, entry: dict) -> None:
    """Supply Review, Pre-S&OP and the executive's decisions, written into ``plan``."""
    ops = model.agents_config.operations
    price, cost = model.price, model.unit_cost
    position = (
        obs.finished_on_hand + obs.production_queued + obs.production_in_process - obs.backlog
    )
    regular = float(obs.line_capacity_per_day.sum()) * DAYS_PER_WEEK
    overtime = float((obs.line_capacity_per_day * model.overtime_fraction).sum()) * DAYS_PER_WEEK
    premium = float(np.mean(model.overtime_premium)) if len(model.overtime_premium) else 0.0
    capacity = np.full(weeks, regular)

    def needs(demand_per_day: np.ndarray) -> np.ndarray:
        weekly = _weekly(demand_per_day, weeks)
        # Position to hold at each week's end: the planned lead time's demand plus safety stock
        # (the position counts what is queued and in production).
        safety = (ops.safety_days + ops.planned_lead_time_days) * demand_per_day[:, :28].mean(
            axis=1
        )
        need = np.zeros_like(weekly)
        projected = position.copy()
        for w in range(weeks):
            need[:, w] = np.maximum(weekly[:, w] + safety - projected, 0.0)
            projected = projected + need[:, w] - weekly[:, w]
        return need

    # Promotions Sales proposed: demand shaping keeps only those the plant can serve profitably.
    approved: list[Promotion] = []
    for promotion in pending:
        values = []
        for k in table.scenarios:
            base = plan.demand * k
            with_promo = _with_promotion(model, base, obs.day, promotion)
            _, lost_without = _level(needs(base), capacity + overtime)
            _, lost_with = _level(needs(with_promo), capacity + overtime)
            extra = np.maximum(
                _weekly(with_promo - base, weeks).sum(axis=1) - (lost_with - lost_without), 0.0
            )
            p = model.products.index(promotion.product)
            days = min(
                promotion.duration_days,
                max(0, weeks * DAYS_PER_WEEK - (promotion.start_day - obs.day)),
            )
            discount = promotion.price_discount * price[p] * float(base[p].mean()) * days
            values.append(
                model.finance.value(
                    extra,
                    price * (1 - promotion.price_discount),
                    cost,
                    promotion.cost + discount,
                    0.0,
                )
            )
        if table.decide(
            "demand_shaping",
            f"run Sales' promotion of {promotion.product} from day {promotion.start_day} "
            f"(+{promotion.uplift:.0%} for {promotion.duration_days} days) — or drop it",
            values,
        ):
            approved.append(promotion)
            plan.demand = _with_promotion(model, plan.demand, obs.day, promotion)
    plan.promotions = approved

    need = needs(plan.demand)
    # Pre-build: level production into earlier weeks instead of chasing demand.
    values = []
    for k in table.scenarios:
        n = needs(plan.demand * k)
        levelled, lost = _level(n, capacity)
        gained = np.maximum(_chase_gap(n, capacity) - lost, 0.0)
        values.append(
            model.finance.value(
                gained, price, cost, 0.0, _extra_stock_dollar_days(levelled, n, cost)
            )
        )
    prebuild = table.decide(
        "pre_build", "build ahead of weeks where demand exceeds regular capacity", values
    )
    # Overtime: capacity above regular at a premium per unit.
    values = []
    for k in table.scenarios:
        n = needs(plan.demand * k)
        _, base_lost = _level(n, capacity) if prebuild else (n, _chase_gap(n, capacity))
        ot_plan, ot_lost = (
            _level(n, capacity + overtime) if prebuild else (n, _chase_gap(n, capacity + overtime))
        )
        gained = np.maximum(base_lost - ot_lost, 0.0)
        units_on_overtime = float(np.maximum(ot_plan.sum(axis=0) - capacity, 0.0).sum())
        values.append(model.finance.value(gained, price, cost, units_on_overtime * premium, 0.0))
    plan.overtime = table.decide(
        "overtime",
        f"up to {overtime:,.0f} units a week on overtime at ${premium:,.2f} a unit",
        values,
    )
    usable = capacity + (overtime if plan.overtime else 0.0)
    # Capacity expansion: considered when the horizon sees past its lead time.
    remaining_years = max(0.0, (model.horizon - obs.day) / 365)
    for option in model.config.capacity_options:
        if not model.protocol.financial_reconciliation or model.expansion_taken(option):
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
            # What the window shows, carried over the rest of the run.
            per_run = gained / window_years * remaining_years
            values.append(model.finance.value(per_run, price, cost, option.capex, 0.0))
        annual_margin = _mean_value(values).margin / max(remaining_years, 1e-9)
        years = model.config.finance.depreciation_years
        if not model.finance.approves_capex(annual_margin, option.capex, years):
            continue
        description = (
            f"add {option.delta_per_day:g} units/day to {option.line} for ${option.capex:,.0f}"
        )
        if table.decide("capacity_expansion", description, values):
            change = CapacityChange(
                option.line, option.delta_per_day, obs.day + option.lead_days, option.capex
            )
            plan.capacity.append(change)
            usable = bigger
    if prebuild:
        production, lost = _level(need, usable)
    else:  # chase: each week makes what it can of its own need
        production = need * np.minimum(1.0, usable / np.maximum(need.sum(axis=0), 1e-9))
        lost = _chase_gap(need, usable)
    plan.production = production
    per_day = np.repeat(production / DAYS_PER_WEEK, DAYS_PER_WEEK, axis=1)
    plan.component_need = model.bom.T @ per_day
    weekly_demand = _weekly(plan.demand, weeks)
    stock = position[:, None] + np.cumsum(production - weekly_demand, axis=1)
    plan.position = np.column_stack([position, stock[:, :-1]])
    finished_now = float(obs.finished_on_hand @ cost)
    other_inventory = max(0.0, obs.inventory_value - finished_now)  # components, transit, WIP
    plan.planned_inventory_value = (
        float(np.maximum(stock, 0.0).max(axis=1) @ cost) + other_inventory
    )
    _materials(model, obs, plan, weeks, table)
    entry["supply_review"] = {
        "weeks": weeks,
        "regular_capacity_per_week": regular,
        "overtime_capacity_per_week": overtime,
        "production_next_month": {
            name: round(float(production[p, :4].sum()), 1) for p, name in enumerate(model.products)
        },
        "units_short_after_decisions": {
            name: round(float(lost[p]), 1) for p, name in enumerate(model.products)
        },
        "peak_inventory_value": round(plan.planned_inventory_value, 2),
    }


def _materials(model, obs, plan: Plan, weeks: int, table: _Table) -> None:
    """Component gaps against the production plan: air freight and alternate suppliers."""
    proc = model.procurement
    price, cost = model.price, model.unit_cost
    bom = model.bom
    approved_air = 0.0
    alternate = set()
    for c, component in enumerate(model.components):
        main = proc.sources[c][0][0]
        lead = int(np.ceil(proc.lead_days(main)))
        need = plan.component_need[c]
        window = min(lead, need.shape[0])
        # What is on order arrives within one lead time (the shipments' dates are known, the
        # rest was ordered less than a lead time ago).
        available = (
            obs.component_on_hand[c]
            + obs.component_on_order[c]
            - obs.component_requirements_queued[c]
        )
        short = max(0.0, float(need[:window].sum()) - available)
        users = bom[:, c] > 0
        if not users.any():
            continue
        per_unit = bom[users, c]
        unit_margin = float(np.mean((price - cost)[users] / per_unit))
        if short > 0:
            fast = min(
                (s for s, sup in model.config.suppliers.items() if component in sup.components),
                key=lambda s: (proc.lead_days(s, fast=True), s),
            )
            mode = model.config.transport_modes[proc._supplier_mode(fast, fast=True)]
            freight = short * mode.cost_per_unit
            gained = np.zeros(len(price))
            value = model.finance.value(gained, price, cost, freight, 0.0)
            value.margin = short * unit_margin
            value.revenue = short * float(np.mean(price[users] / per_unit))
            value.cash = value.margin - value.cost
            if table.decide(
                "air_freight",
                f"expedite {short:,.0f} {component} from {fast} before the regular lead time",
                [value],
            ):
                approved_air += freight
        terms = model.config.suppliers[main].components[component]
        if terms.capacity_per_week and len(proc.sources[c]) == 1:
            weekly_need = _weekly(plan.component_need[c : c + 1], weeks)[0]
            excess = float(np.maximum(weekly_need - terms.capacity_per_week, 0.0).sum())
            other = proc.alternate(c)
            if excess > 0 and other:
                premium = model.config.suppliers[other].components[component].price - terms.price
                value = model.finance.value(
                    np.zeros(len(price)), price, cost, excess * max(premium, 0.0), 0.0
                )
                value.margin = excess * unit_margin
                value.revenue = excess * float(np.mean(price[users] / per_unit))
                value.cash = value.margin - value.cost
                if table.decide(
                    "alternate_supplier",
                    f"buy {excess:,.0f} {component} beyond {main}'s capacity from {other}",
                    [value],
                ):
                    alternate.add(c)
    plan.approved_expedite = approved_air
    plan.alternate = frozenset(alternate)
