"""Seats: a person taking a function's decisions in place of its agent, for a month at a time.

A seat's decisions are standing instructions for the month: the function's weekly reviews
carry them out with everything else the function does unchanged — Operations' frozen horizon,
Finance's review of every order against its budget, the meeting's plan. A seat left empty, or
a person who has not decided when the round closes, leaves the month to the agent.

- **Sales**: the forecast it reports (units a week per product; beyond the month the agent's
  seasonal shape, scaled to it) and a promotion to announce (a product, on the agent's terms).
- **Operations**: units to release a week per product, and whether the lines may work
  overtime.
- **Procurement**: per component, units to order a week, from which supplier, by which mode.
- **Finance**: the inventory cap (days of cost of goods sold), the month's expediting budget,
  and the hurdle rate capital spending must clear (its approval of capex at the meeting).
- **Executive** (under a protocol that meets): the options the meeting puts on the table,
  taken or declined; those it leaves alone are decided by the executive's weights.

Each decision is checked against the company (:func:`decision_problems`) before it is taken:
a negative quantity, an unknown product, a supplier that does not sell a component, a mode the
supplier does not ship by are refused with a sentence saying what is allowed.

:func:`brief` is what a seat sees when it decides: its function's view under the protocol —
its own data current, the rest as late as the protocol makes it — and what its agent would do.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.calendar import DAYS_PER_WEEK, month_of_day
from sim.ledger import Account

__all__ = [
    "DECISIONS",
    "ROLES",
    "ExecutiveDecision",
    "FinanceDecision",
    "OperationsDecision",
    "ProcurementDecision",
    "PurchaseLine",
    "SalesDecision",
    "brief",
    "decision_problems",
    "parse_decision",
    "validated",
]

ROLES = ("sales", "operations", "procurement", "finance")
"""The functions a person may play, in the order they decide."""

Units = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SalesDecision(_Decision):
    """Sales' month: the forecast it reports and a promotion to announce, if any."""

    forecast: dict[str, Units] = Field(default_factory=dict)  # units a week, per product
    promotion: str | None = None  # a product

    def describe(self) -> str:
        parts = [f"forecast {_units(self.forecast)} a week"] if self.forecast else []
        parts.append(f"promote {self.promotion}" if self.promotion else "no promotion")
        return "; ".join(parts)


class OperationsDecision(_Decision):
    """Operations' month: units released a week per product, and overtime allowed or not."""

    production: dict[str, Units] = Field(default_factory=dict)
    overtime: bool | None = None  # None: as the agent would choose

    def describe(self) -> str:
        made = f"make {_units(self.production)} a week" if self.production else "the agent's plan"
        overtime = {None: "as the agent chooses", True: "allowed", False: "off"}[self.overtime]
        return f"{made}; overtime {overtime}"


class PurchaseLine(_Decision):
    units: Units  # a week
    supplier: str
    mode: str


class ProcurementDecision(_Decision):
    """Procurement's month: per component, units ordered a week, the supplier and the mode."""

    orders: dict[str, PurchaseLine] = Field(default_factory=dict)

    def describe(self) -> str:
        lines = [
            f"{c} {o.units:,.0f}/wk from {o.supplier} by {o.mode}" for c, o in self.orders.items()
        ]
        return "; ".join(lines) or "nothing ordered"


class FinanceDecision(_Decision):
    """Finance's month: the inventory cap, the expediting budget and the capex hurdle."""

    inventory_cap_days: Annotated[float, Field(ge=1, le=365, allow_inf_nan=False)]
    expedite_budget: Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]
    # What capex must earn (only a protocol that values capacity, IBP, asks); None: its knob.
    hurdle_rate: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] | None = None

    def describe(self) -> str:
        hurdle = "" if self.hurdle_rate is None else f", hurdle {self.hurdle_rate:.0%}"
        return (
            f"cap {self.inventory_cap_days:g} days of cost of goods, expediting "
            f"${self.expedite_budget:,.0f}{hurdle}"
        )


class ExecutiveDecision(_Decision):
    """The executive at the meeting: option (its number on the table) → taken or not."""

    rulings: dict[int, bool] = Field(default_factory=dict)

    def describe(self) -> str:
        taken = sum(self.rulings.values())
        return f"took {taken}, declined {len(self.rulings) - taken} of the options"


DECISIONS: dict[str, type[_Decision]] = {
    "sales": SalesDecision,
    "operations": OperationsDecision,
    "procurement": ProcurementDecision,
    "finance": FinanceDecision,
    "executive": ExecutiveDecision,
}


def _units(by: dict[str, float]) -> str:
    return ", ".join(f"{name} {units:,.0f}" for name, units in by.items())


def validated(cls: type[BaseModel], data: object, role: str) -> BaseModel:
    """``data`` (as sent by a page) as a ``cls``, or a ``ValueError`` naming the first field
    that is wrong, what is allowed and what was given."""
    if not isinstance(data, dict):
        raise ValueError(f"a decision of {role} has the fields {', '.join(cls.model_fields)}")
    try:
        return cls.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or role
        value = first.get("input")
        shown = f" (got {value!r})" if not isinstance(value, dict | list) else ""
        raise ValueError(f"{where}: {first['msg'].lower()}{shown}") from None


def parse_decision(role: str, data: object, model) -> _Decision:
    """``data`` (as sent by a page) as ``role``'s decision for ``model``'s company, or a
    ``ValueError`` saying what is wrong and what is allowed."""
    cls = DECISIONS.get(role)
    if cls is None:
        raise ValueError(f"unknown seat {role!r}; seats: {', '.join(DECISIONS)}")
    decision = validated(cls, data, role)
    problems = decision_problems(role, decision, model)
    if problems:
        raise ValueError(problems[0])
    return decision


def decision_problems(role: str, decision: _Decision, model) -> list[str]:
    """What in ``decision`` does not fit ``model``'s company (empty: nothing)."""
    top = model.world.topology
    problems: list[str] = []

    def known(names, allowed, what):
        for name in names:
            if name not in allowed:
                problems.append(f"unknown {what} {name!r}; {what}s: {', '.join(allowed)}")

    match decision:
        case SalesDecision():
            known(decision.forecast, top.products, "product")
            if decision.promotion is not None:
                known([decision.promotion], top.products, "product")
        case OperationsDecision():
            known(decision.production, top.products, "product")
        case ProcurementDecision():
            known(decision.orders, top.components, "component")
            sources = _sources(model)
            for component, line in decision.orders.items():
                offered = sources.get(component, {})
                if line.supplier not in offered:
                    problems.append(
                        f"{component}: {line.supplier!r} does not sell it; suppliers: "
                        f"{', '.join(offered) or 'none'}"
                    )
                elif line.mode not in offered[line.supplier]:
                    problems.append(
                        f"{component}: {line.supplier} ships by "
                        f"{', '.join(offered[line.supplier])}, not {line.mode!r}"
                    )
    return problems


def _sources(model) -> dict[str, dict[str, list[str]]]:
    """component → supplier → the modes it ships by."""
    out: dict[str, dict[str, list[str]]] = {}
    for name, supplier in model.config.suppliers.items():
        for component in supplier.components:
            out.setdefault(component, {})[name] = list(supplier.modes)
    return out


# ---------------------------------------------------------------------------- what a seat sees


def brief(model, role: str, view) -> dict:
    """What ``role`` sees when it decides, and what its agent would do (JSON-able)."""
    agent = next(a for a in model.functions if a.role == role)
    agent.observe(view)  # what it decides on today (its decision starts with the same)
    top = view.topology
    late = view.delay_days
    out: dict = {
        "role": role,
        "day": view.day,
        "month": month_of_day(view.day),
        "protocol": model.pieces.name,
        "late_days": late,
        "note": (
            f"your own data is current; the rest is as reported {late} days ago"
            if late
            else "everyone sees the same data, current"
        ),
    }
    weeks = 4
    recent = slice(-weeks * DAYS_PER_WEEK, None)
    plan = model.plan
    if role == "sales":
        demand = view.history("demand_history")[recent].sum(axis=0) / weeks
        shipped = view.history("shipped_history")[recent].sum(axis=0) / weeks
        days = 4 * DAYS_PER_WEEK
        own = agent.expected(view.day, days) * (1.0 + agent.trying[:, None])
        play = agent.knobs.promotion
        out["promotion_terms"] = {
            "discount": play.price_discount,
            "days": play.duration_days,
            "lead_days": play.lead_days,
            "cost": play.cost,
        }
        out["promotable"] = [
            name
            for p, name in enumerate(top.products)
            if play.enabled and agent.promotion_allowed(p, view.day + play.lead_days)
        ]
        out["products"] = _rows(
            top.products,
            orders_per_week=demand,
            shipped_per_week=shipped,
            backlog=view.state("backlog"),
            on_hand=view.state("finished_on_hand"),
            agent_forecast_per_week=own.mean(axis=1) * DAYS_PER_WEEK,
            plan_per_week=_plan_demand(plan, view.day),
        )
        out["default"] = {
            "forecast": {
                n: round(float(x) * DAYS_PER_WEEK)
                for n, x in zip(top.products, own.mean(axis=1), strict=True)
            },
            "promotion": None,
        }
    elif role == "operations":
        quantities, overtime, _, _ = agent.best(view)
        plan_day = max(view.day, plan.start_day) if plan is not None else view.day
        quantities, overtime = agent.with_plan(view, quantities, overtime, plan_day)
        official = agent.official
        forecast = (
            official.from_day(view.day, 4 * DAYS_PER_WEEK).mean(axis=1) * DAYS_PER_WEEK
            if official is not None
            else None
        )
        out["products"] = _rows(
            top.products,
            on_hand=view.state("finished_on_hand"),
            backlog=view.state("backlog"),
            in_production=view.state("production_queued") + view.state("production_in_process"),
            shipped_per_week=view.history("shipped_history")[recent].sum(axis=0) / weeks,
            forecast_received_per_week=forecast,
            plan_per_week=_plan_production(plan, view.day),
        )
        capacity = np.asarray(view.state("line_capacity_per_day"), dtype=float)
        out["lines"] = [
            {
                "line": line,
                "regular_per_week": round(float(capacity[i]) * DAYS_PER_WEEK),
                "overtime_per_week": round(
                    float(capacity[i] * top.line_overtime_fraction[i]) * DAYS_PER_WEEK
                ),
                "overtime_premium_per_unit": float(top.line_overtime_premium_per_unit[i]),
            }
            for i, line in enumerate(top.lines)
        ]
        out["default"] = {
            "production": {
                n: round(float(q)) for n, q in zip(top.products, quantities, strict=True)
            },
            "overtime": bool(overtime),
        }
    elif role == "procurement":
        need, orders = _standing_orders(agent, view)
        out["components"] = _rows(
            top.components,
            on_hand=view.state("component_on_hand"),
            on_order=view.state("component_on_order"),
            need_per_week=need,
        )
        out["sources"] = {
            component: [
                {
                    "supplier": s.name,
                    "mode": s.mode,
                    "lead_days": round(s.lead_days, 1),
                    "price": s.price(0),
                    "freight": s.freight,
                }
                for s in agent.sources[c]
            ]
            for c, component in enumerate(top.components)
        }
        out["default"] = {"orders": orders}
    elif role == "finance":
        balances = view.records("balances")
        cogs = agent.cogs_per_day(view)
        out["books"] = {
            "cash": round(view.balance(Account.CASH)),
            "inventory": round(view.inventory_value()),
            "cost_of_goods_per_week": round(cogs * DAYS_PER_WEEK) if np.isfinite(cogs) else None,
            "inventory_target": (
                round(agent.inventory_target) if np.isfinite(agent.inventory_target) else None
            ),
            "days_on_books": len(balances),
        }
        out["default"] = {
            "inventory_cap_days": round(float(agent.cap.value), 1),
            "expedite_budget": round(float(agent.knobs.expedite_budget_per_month)),
        }
        if model.pieces.financial_reconciliation:  # only IBP values capacity against it
            out["default"]["hurdle_rate"] = float(agent.knobs.capex_hurdle_rate)
    return out


def _standing_orders(agent, view) -> tuple[np.ndarray, dict]:
    """What Procurement needs a week over the coming month, and the standing weekly orders
    its agent would suggest for the month: per component, enough to bring what it has and
    has on order up to the need of its lead time and the month, spread over the month's
    weeks, from the source its own objective picks for a lot now (else the cheapest landed
    regular source). Changes nothing."""
    weeks = 4
    days = weeks * DAYS_PER_WEEK
    need = agent.need(view)
    cumulative = np.cumsum(need, axis=1)
    position = (
        np.asarray(view.state("component_on_hand"), dtype=float)
        + np.asarray(view.state("component_on_order"), dtype=float)
        - np.asarray(view.state("component_requirements_queued"), dtype=float)
    )
    lateness = agent.expected_lateness(view)
    cover = agent.finished_cover(view)
    orders = {}
    for c, component in enumerate(view.topology.components):
        sources = agent.sources[c]
        if not sources:
            continue
        rate = max(float(cumulative[c, days - 1]) / days, 1e-9)
        chosen = agent.choose(c, cumulative[c], position[c], rate, lateness, cover[c])
        if chosen is not None and chosen["orders"]:
            source = max(chosen["orders"], key=lambda leg: leg[1])[0]
        else:
            source = min(sources, key=lambda s: (s.price(0) + s.freight, s.lead_days))
        horizon = min(cumulative.shape[1], int(np.ceil(source.lead_days)) + days) - 1
        short = max(0.0, float(cumulative[c, horizon]) - float(position[c]))
        orders[component] = {
            "units": round(short / weeks),
            "supplier": source.name,
            "mode": source.mode,
        }
    return need[:, :days].mean(axis=1) * DAYS_PER_WEEK, orders


def _rows(names, **columns) -> list[dict]:
    rows = []
    for i, name in enumerate(names):
        row: dict = {"name": name}
        for key, values in columns.items():
            row[key] = None if values is None else round(float(np.asarray(values)[i]), 1)
        rows.append(row)
    return rows


def _plan_demand(plan, day: int):
    if plan is None:
        return None
    demand = plan.demand_from(day, 4 * DAYS_PER_WEEK)
    return None if demand is None else demand.mean(axis=1) * DAYS_PER_WEEK


def _plan_production(plan, day: int):
    if plan is None or plan.production is None:
        return None
    week = max(0, plan.week(day))  # a plan made today starts at the next weekly review
    if week >= plan.production.shape[1]:
        return None
    return plan.production[:, week : week + 4].mean(axis=1)
