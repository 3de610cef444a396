"""Operations: plans production weekly by its own objective; brings capacity realities.

Operations owns the plant and the finished-goods warehouse: it sees stock, backlog, its lines
and what leaves the warehouse at once; customer orders are Sales' data (late in silo). Its
demand belief is the official forecast with weight ``trust_in_official`` and its own
forecaster — on shipments, or on orders when they are shared — with the rest: planning to
Sales' number is a knob, and with a Sales paid on revenue that inflates, a trusting Operations
builds to the inflated number (the Leitax pattern: bloated finished goods, and the plant's
shared capacity spent on the wrong products).

Every week it scores candidate plans on its objective and releases the best one to Finance
for approval. A candidate is a safety stock (a number of standard deviations of its demand
belief over the cover: planned lead time plus a week), a pace (how far to move from last
week's release toward what that target needs: levelling to chasing) and whether to use
overtime. For each it estimates, with a normal model of demand over the cover, the units it
expects to be short and left over, the overtime premium, the regular capacity used and the
change of schedule — the terms it is paid on. Paid on unit cost it levels and keeps lines busy
and overtime off; paid on operating profit it values a shortage at the margin lost.

Under an agreed plan it makes the agreed quantities, corrected for how far stock has drifted
from the plan, to the degree of its plan adherence, and its own choice with the rest.
"""

from __future__ import annotations

from collections.abc import Iterable

import mesa
import numpy as np
from scipy.special import ndtr

from agents.base import FunctionAgent, View
from agents.config import OperationsAgent
from agents.forecasting.demand import make_demand_forecaster
from agents.messages import (
    Decided,
    ForApproval,
    ForecastReport,
    MeetingCalled,
    OrdersReleased,
    PlanIssued,
    Review,
    SupplyProposal,
)
from agents.objective import objective_for
from sim.calendar import DAYS_PER_WEEK, DAYS_PER_YEAR
from sim.ledger import PlanKind
from sim.messages import CapacityChange, DemandForecast, PlanRecord, ProductionOrder
from sim.world import Topology

__all__ = ["Operations"]

SAFETY_FACTORS = np.array([-0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0])  # candidates, in sds
PACES = np.array([0.25, 0.5, 0.75, 1.0])  # share of the way from last week to the need
OVERTIME = np.array([0.0, 1.0])
RECORD_DAYS = 28
PLAN_WEEKS = 4


def expected_shortage(mean: np.ndarray, sd: np.ndarray, stock: np.ndarray) -> np.ndarray:
    """E[(D − stock)⁺] for D ~ Normal(mean, sd), elementwise (sd 0: the plain difference)."""
    sd = np.maximum(sd, 1e-9)
    z = (stock - mean) / sd
    return sd * (np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi) - z * (1.0 - ndtr(z)))


class Operations(FunctionAgent):
    """The supply side of the company (see the module docstring)."""

    role = "operations"
    OWN = frozenset(
        {
            "finished_on_hand",
            "backlog",
            "production_queued",
            "production_in_process",
            "line_capacity_per_day",
            "shipped_history",
            "consumption_history",
        }
    )

    def __init__(
        self,
        model: mesa.Model,
        knobs: OperationsAgent,
        topology: Topology,
        holding_rate_per_year: float,
        lost_sale_penalty: float,
    ) -> None:
        super().__init__(
            model, objective_for("operations", knobs.incentive, knobs.pay), knobs.plan_adherence
        )
        self.knobs = knobs
        self.products = topology.products
        self.lines = topology.lines
        self.line_makes = np.asarray(topology.line_makes)
        self.unit_cost = np.asarray(topology.product_standard_cost, dtype=float)
        self.margin = np.asarray(topology.price, dtype=float) - self.unit_cost + lost_sale_penalty
        self.overtime_fraction = np.asarray(topology.line_overtime_fraction, dtype=float)
        self.overtime_premium = np.asarray(topology.line_overtime_premium_per_unit, dtype=float)
        self.holding_rate = holding_rate_per_year
        P = len(self.products)
        self.forecaster = make_demand_forecaster(knobs.forecaster, P)
        self.cover = knobs.planned_lead_time_days + DAYS_PER_WEEK - 1
        self.last_released = np.zeros(P)
        self.frozen: list[np.ndarray] = []  # decided, waiting out the frozen horizon
        self.official: ForecastReport | None = None
        self.plan = None
        self.approved_changes: list[CapacityChange] = []
        self.safety_days = 0.0
        self.chosen: tuple[float, float, bool] | None = None  # (safety factor, pace, overtime)

    # ------------------------------------------------------------------ what it sees

    def _signal(self, view: View) -> np.ndarray:
        """Demand as Operations sees it: customer orders when they reach it at once, else what
        left its warehouse (current, but blind to orders that were never served)."""
        return view.history("demand_history" if view.delay_days == 0 else "shipped_history")

    def belief(self, view: View, days: int) -> np.ndarray:
        """Demand Operations plans for on days ``day + 1 ..`` [P, days]: its silo belief (the
        official forecast by its trust, its own forecast for the rest), then the agreed
        consensus to the degree of its adherence."""
        own = self.forecaster.ahead(view.day, days)
        trust = self.knobs.trust_in_official if self.official is not None else 0.0
        official = self.official.from_day(view.day, days) if self.official is not None else own
        silo = trust * official + (1 - trust) * own
        consensus = self.plan.demand_from(view.day, days) if self.plan is not None else None
        if consensus is None:
            return silo
        return self.adherence * consensus + (1 - self.adherence) * silo

    def position(self, view: View) -> np.ndarray:
        """Finished goods on hand and in production, less what customers wait for."""
        return (
            view.state("finished_on_hand")
            + view.state("production_queued")
            + view.state("production_in_process")
            - view.state("backlog")
        )

    # ------------------------------------------------------------------ deciding

    def observe(self, view: View) -> None:
        signal = self._signal(view)
        first = self.forecaster.last_day + 1
        if first < len(signal):
            self.forecaster.observe(first, signal[first:])

    def decide(self, view: View, inbox: Iterable[object]) -> list[object]:
        self.observe(view)
        out: list[object] = []
        for message in inbox:
            match message:
                case ForecastReport():
                    self.official = message
                case OrdersReleased():
                    released = np.zeros(len(self.products))
                    for order in message.orders:
                        released[self.products.index(order.product)] += order.quantity
                    self.last_released = released
                case PlanIssued():
                    self.plan = message.plan
                    out += self._build(view.day, message.plan.capacity)
                case MeetingCalled():
                    out.append(self._proposal(view))
                case Review():
                    out += self._week(view)
        return out

    def candidates(self, view: View) -> dict[str, np.ndarray]:
        """Every candidate plan and its terms: arrays over (safety factor, pace, overtime)."""
        belief = self.belief(view, self.cover)
        mean = belief.sum(axis=1)
        sd = self.forecaster.error_sd() * np.sqrt(self.cover)
        position = self.position(view)
        need = np.maximum(mean + SAFETY_FACTORS[:, None] * sd - position, 0.0)  # [Z, P]
        last = self.last_released
        q = np.maximum(last + PACES[None, :, None] * (need[:, None, :] - last), 0.0)  # [Z,S,P]
        if self.knobs.lot_size > 0:
            q = np.ceil(q / self.knobs.lot_size - 1e-9) * self.knobs.lot_size
        capacity = np.asarray(view.state("line_capacity_per_day"), dtype=float)
        regular = max(
            0.0, capacity.sum() * DAYS_PER_WEEK - float(view.state("production_queued").sum())
        )
        overtime_room = float((capacity * self.overtime_fraction).sum()) * DAYS_PER_WEEK
        weights = capacity * self.overtime_fraction
        premium = float(self.overtime_premium @ weights / weights.sum()) if weights.sum() else 0.0
        total = q.sum(axis=2)  # [Z, S]
        on_regular = np.minimum(total, regular)
        on_overtime = (
            OVERTIME[None, None, :]
            * np.minimum(np.maximum(total - regular, 0.0), overtime_room)[..., None]
        )  # [Z, S, O]
        made = (on_regular[..., None] + on_overtime) / np.maximum(total, 1e-9)[..., None]
        stock = position + np.minimum(made, 1.0)[..., None] * q[:, :, None, :]  # [Z,S,O,P]
        short = expected_shortage(mean, sd, stock)
        left = stock - mean + short
        holding = (
            (left * self.unit_cost).sum(axis=-1)
            * self.holding_rate
            * (DAYS_PER_WEEK / DAYS_PER_YEAR)
        )
        overtime_cost = on_overtime * premium
        shape = short.shape[:-1]
        return {
            "quantities": np.broadcast_to(q[:, :, None, :], (*shape, len(self.products))),
            "overtime": -overtime_cost,
            "utilization": np.broadcast_to(on_regular[..., None], shape),
            "schedule_changes": np.broadcast_to(-np.abs(q - last).sum(axis=2)[..., None], shape),
            "shortage": -short.sum(axis=-1),
            "holding": -holding,
            "operating_profit": -(short * self.margin).sum(axis=-1) - overtime_cost - holding,
            "safety_units": np.broadcast_to(
                (SAFETY_FACTORS[:, None] * sd)[:, None, None, :], (*shape, len(self.products))
            ),
        }

    def best(self, view: View) -> tuple[np.ndarray, bool, tuple[float, float, bool], float]:
        """The candidate that scores best on Operations' own objective: its quantities per
        product, whether overtime may be used, (safety factor, pace, overtime), and the
        safety stock it holds in days of demand. Changes nothing."""
        terms = self.candidates(view)
        score = np.asarray(self.objective.score(terms))
        z, s, o = np.unravel_index(int(np.argmax(score)), score.shape)
        chosen = (float(SAFETY_FACTORS[z]), float(PACES[s]), bool(OVERTIME[o]))
        rate = np.maximum(self.belief(view, self.cover).mean(axis=1), 1e-9)
        safety_days = float(np.clip((terms["safety_units"][z, s, o] / rate).mean(), 0, 60))
        return terms["quantities"][z, s, o].copy(), bool(OVERTIME[o]), chosen, safety_days

    def choose(self, view: View) -> tuple[np.ndarray, bool]:
        """The week's quantities per product and whether overtime may be used (see
        :meth:`best`)."""
        quantities, overtime, self.chosen, self.safety_days = self.best(view)
        return quantities, overtime

    def with_plan(
        self, view: View, quantities: np.ndarray, overtime: bool, day: int | None = None
    ) -> tuple[np.ndarray, bool]:
        """Its own ``quantities`` and ``overtime`` with the agreed plan for the review on
        ``day`` (default today) blended in by its adherence. Changes nothing."""
        agreed = self.plan.agreed(view.day if day is None else day) if self.plan else None
        if agreed is None:
            return quantities, overtime
        planned, expected_position = agreed
        on_plan = np.maximum(planned + expected_position - self.position(view), 0.0)
        quantities = self.adherence * on_plan + (1 - self.adherence) * quantities
        return quantities, overtime or bool(self.plan.overtime)

    def _week(self, view: View) -> list[object]:
        day = view.day
        quantities, overtime = self.with_plan(view, *self.choose(view))
        if self.seat is not None:
            made = self.seat.production
            quantities = np.array(
                [made.get(name, q) for name, q in zip(self.products, quantities, strict=True)]
            )
            overtime = overtime if self.seat.overtime is None else self.seat.overtime
        self.frozen.append(quantities)
        release = (
            self.frozen.pop(0)
            if len(self.frozen) > self.knobs.frozen_weeks
            else np.zeros(len(self.products))
        )
        belief = self.belief(view, RECORD_DAYS)
        weekly = belief.reshape(len(self.products), -1, DAYS_PER_WEEK).sum(axis=2)
        out: list[object] = []
        for p, name in enumerate(self.products):
            out.append(DemandForecast(self.role, name, float(belief[p].mean()), RECORD_DAYS))
            plan = (float(release[p]), *(float(x) for x in weekly[p, 1:PLAN_WEEKS]))
            out.append(PlanRecord(self.role, PlanKind.PRODUCTION, name, day, plan))
        orders = tuple(
            ProductionOrder(name, float(release[p]), overtime=overtime)
            for p, name in enumerate(self.products)
            if release[p] >= 1
        )
        out.append(ForApproval(self.role, orders))
        z, pace, chosen_overtime = self.chosen
        out += [
            Decided(self.role, "safety_factor", "all", z),
            Decided(self.role, "pace", "all", pace),
            Decided(self.role, "overtime", "all", float(chosen_overtime)),
        ]
        return out

    # ------------------------------------------------------------------ the meeting

    def _proposal(self, view: View) -> SupplyProposal:
        capacity = np.asarray(view.state("line_capacity_per_day"), dtype=float)
        coming = np.zeros(len(self.lines))
        for change in self.approved_changes:
            if change.start_day > view.day:
                coming[self.lines.index(change.line)] += change.delta_per_day
        return SupplyProposal(
            self.role,
            capacity.copy(),
            coming,
            self.overtime_fraction,
            self.overtime_premium,
            self.line_makes,
            self.position(view),
            float(self.knobs.planned_lead_time_days),
            self.safety_days,
            np.asarray(view.state("production_queued"), dtype=float),
        )

    def _build(self, day: int, changes: Iterable[CapacityChange]) -> list[object]:
        """Capacity the meeting approved: Operations has it built."""
        new = [c for c in changes if c not in self.approved_changes and c.start_day > day]
        self.approved_changes += new
        return list(new)
