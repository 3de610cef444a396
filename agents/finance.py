"""Finance: sets budgets, controls working capital, values plans in dollars; pursues its pay.

Finance owns the books: it sees cash, inventory and every account at once; forecasts and plans
are other functions' data. Its own demand belief is the official forecast less its
``skepticism`` (it doubts Sales' number), or, under an agreed plan, the consensus to the degree
of its adherence. Skepticism changes decisions, not only a recorded number: it lowers the
inventory target and makes a cut look cheaper.

- **Monthly budget.** An inventory target of ``inventory_cap_days`` of Finance's forecast of
  cost of goods sold (under a plan, the inventory the plan builds on purpose, by adherence),
  and an expediting budget.
- **Weekly review of orders.** Operations' production and Procurement's purchases come to
  Finance before the world sees them. Over its target — the inventory on its books above the
  budget — Finance scores cutting none, part or all of that excess out of this week's orders
  (purchases first, production first, or across the board, by ``cut_order``) on its
  objective: dollars over target, the capital charge, and the margin it expects a cut to lose
  (nothing for the part of the orders its skeptical belief says is not needed). A cut of
  production takes stock out only for goods it believes would not sell. Paid on working
  capital it cuts the excess; paid on operating profit it cuts only what it believes is
  surplus. The cut grows with the excess; it is not a switch; within the target nothing is
  cut.
- **Learning.** With adaptation on, at each month's close it moves its cap toward its
  working-capital target (:class:`agents.learning.TargetTracker`).
"""

from __future__ import annotations

from collections.abc import Iterable

import mesa
import numpy as np

from agents.base import FunctionAgent, View
from agents.config import FinanceAgent
from agents.learning import TargetTracker
from agents.messages import (
    FinanceProposal,
    ForApproval,
    ForecastReport,
    MeetingCalled,
    OrdersReleased,
    PlanIssued,
    Review,
)
from agents.objective import objective_for
from agents.projection import Opening
from sim.calendar import DAYS_PER_WEEK, DAYS_PER_YEAR, month_of_day
from sim.config import Finance as Books
from sim.config import TransportMode
from sim.ledger import INVENTORY, Account
from sim.messages import DemandForecast, OrdersReview, ProductionOrder, PurchaseOrder
from sim.world import Topology

__all__ = ["Finance"]

CUT_SHARES = np.array([0.0, 0.25, 0.5, 0.75, 1.0])  # candidate cuts, as shares of the excess
RECORD_DAYS = 28
TRAILING_DAYS = 28  # how far back Finance measures revenue and cost run rates


class Finance(FunctionAgent):
    """The money side of the company (see the module docstring)."""

    role = "finance"
    OWN = frozenset({"balances", "cash", "inventory_value"})

    def __init__(
        self,
        model: mesa.Model,
        knobs: FinanceAgent,
        topology: Topology,
        books: Books,
        modes: dict[str, TransportMode],
        conversion_cost: np.ndarray,
        adaptation: bool,
        receivable_days: float = 0.0,
        payable_days: float = 0.0,
    ) -> None:
        super().__init__(
            model, objective_for("finance", knobs.incentive, knobs.pay), knobs.plan_adherence
        )
        self.knobs = knobs
        self.adaptation = adaptation
        self.products, self.components = topology.products, topology.components
        self.price = np.asarray(topology.price, dtype=float)
        self.unit_cost = np.asarray(topology.product_standard_cost, dtype=float)
        self.component_cost = np.asarray(topology.component_standard_cost, dtype=float)
        self.conversion = np.asarray(conversion_cost, dtype=float)
        self.freight = {name: mode.cost_per_unit for name, mode in modes.items()}
        self.receivable_days, self.payable_days = receivable_days, payable_days
        self.fixed_assets, self.depreciation_years = books.fixed_assets, books.depreciation_years
        self.capacity_approved: list = []
        self.capital_rate = books.capital_charge_rate_per_year
        self.storage_rate = books.storage_cost_rate_per_year
        learning = knobs.learning
        self.cap = TargetTracker(
            knobs.inventory_cap_days, learning.rate, learning.min_cap_days, learning.max_cap_days
        )
        self.official: ForecastReport | None = None
        self.plan = None
        self.month = -1
        self.inventory_target = np.inf
        self.expedite_budget = knobs.expedite_budget_per_month
        self.expedite_spent = 0.0

    # ------------------------------------------------------------------ what it believes

    def belief(self, view: View, days: int) -> np.ndarray | None:
        """Demand per product per day Finance budgets on, for days ``day + 1 ..`` (None until
        it has heard a forecast)."""
        own = (
            self.official.from_day(view.day, days) * (1.0 - self.knobs.skepticism)
            if self.official is not None
            else None
        )
        consensus = self.plan.demand_from(view.day, days) if self.plan is not None else None
        if consensus is None:
            return own
        return consensus if own is None else self.adherence * consensus + (1 - self.adherence) * own

    def cogs_per_day(self, view: View) -> float:
        """Cost of goods Finance expects to sell per day: from its belief, else the run rate."""
        belief = self.belief(view, RECORD_DAYS)
        if belief is not None:
            return float(belief.mean(axis=1) @ self.unit_cost)
        balances = view.records("balances")
        if len(balances) < 2:
            return np.nan
        window = balances[-TRAILING_DAYS:]
        return float(window[-1, Account.COGS] - window[0, Account.COGS]) / max(1, len(window) - 1)

    # ------------------------------------------------------------------ deciding

    def decide(self, view: View, inbox: Iterable[object]) -> list[object]:
        out: list[object] = []
        requests: list[ForApproval] = []
        for message in inbox:
            match message:
                case ForecastReport():
                    self.official = message
                case PlanIssued():
                    self.plan = message.plan
                    self.capacity_approved += [
                        c for c in message.plan.capacity if c not in self.capacity_approved
                    ]
                    self._budget(view)
                case MeetingCalled():
                    out.append(self._proposal(view))
                case ForApproval():
                    requests.append(message)
                case Review():
                    if month_of_day(view.day) != self.month:
                        self._close_month(view)
                    belief = self.belief(view, RECORD_DAYS)
                    if belief is not None:
                        for p, name in enumerate(self.products):
                            out.append(
                                DemandForecast(
                                    self.role, name, float(belief[p].mean()), RECORD_DAYS
                                )
                            )
        regular = [r for r in requests if not r.rush]
        if regular:
            out += self.review(view, regular)
        for request in (r for r in requests if r.rush):
            out += self._release_rush(request)
        return out

    def _close_month(self, view: View) -> None:
        """Month start: learn from last month's inventory, then set the budget."""
        if self.adaptation and self.month >= 0:
            balances = view.records("balances")
            if len(balances) > TRAILING_DAYS:
                window = balances[-TRAILING_DAYS:]
                cogs = (window[-1, Account.COGS] - window[0, Account.COGS]) / (len(window) - 1)
                held = window[:, list(INVENTORY)].sum(axis=1).mean()
                if cogs > 0:
                    self.cap.learn(float(held / cogs), self.knobs.inventory_target_days)
        self.month = month_of_day(view.day)
        self.expedite_spent = 0.0
        self._budget(view)

    def _budget(self, view: View) -> None:
        cogs = self.cogs_per_day(view)
        seat = self.seat
        cap = self.cap.value if seat is None else seat.inventory_cap_days
        own = cap * cogs if np.isfinite(cogs) else np.inf
        own_expedite = (
            self.knobs.expedite_budget_per_month if seat is None else seat.expedite_budget
        )
        planned = getattr(self.plan, "planned_inventory_value", None) if self.plan else None
        if planned is None:
            self.inventory_target, self.expedite_budget = own, own_expedite
            return
        a = self.adherence
        self.inventory_target = a * planned + (1 - a) * own
        self.expedite_budget = a * self.plan.approved_expedite + (1 - a) * own_expedite

    def review_terms(
        self,
        view: View,
        purchases: float,
        production: float,
        official_value: float,
        believed_making: float | None = None,
    ) -> dict[str, np.ndarray]:
        """The terms of each candidate cut, given the value of the purchases (at standard
        cost) and of the production (the conversion it adds) proposed this week.

        A cut of purchases takes its value out of inventory. A cut of production takes out
        only what Finance believes would not sell within the review (``believed_making``, the
        conversion of what it believes will sell): goods that sell leave inventory as they are
        made, and without them the components stay and the sale is lost. The margin a cut
        loses is nothing for what Finance doubts was needed, the margin rate of the rest.
        """
        horizon = self.knobs.review_weeks * DAYS_PER_WEEK
        # Open-to-buy: what the books hold over the target is what this week's orders may be
        # cut by (orders placed now arrive over weeks; the stock on the books is what counts).
        on_books = view.inventory_value()
        excess = max(0.0, on_books - self.inventory_target)
        proposed = purchases + production
        # What Finance believes the orders were made for beyond need: its skeptical belief of
        # demand against the number the orders were built on.
        belief = self.belief(view, RECORD_DAYS)
        believed = float(belief.mean(axis=1) @ self.unit_cost) if belief is not None else 0.0
        surplus = max(0.0, 1.0 - believed / official_value) if official_value > 0 else 0.0
        spare = (
            production * surplus
            if believed_making is None
            else max(0.0, production - believed_making)
        )
        doubted_purchases = surplus * purchases
        # Candidates: shares of the excess, and the points where the objective (piecewise
        # linear in the cut) may turn: what it doubts, all purchases, purchases and spare.
        totals = np.append(
            CUT_SHARES * excess,
            [doubted_purchases + spare, purchases, purchases + spare, excess],
        )
        # The control acts only on what runs over the target: within it, nothing is cut.
        totals = np.unique(np.clip(totals, 0.0, min(proposed, excess)))
        split = np.array([self._cuts(c, purchases, production) for c in totals])
        from_purchases, from_production = split[:, 0], split[:, 1]
        reduced = from_purchases + np.minimum(from_production, spare)
        margin_rate = float(
            ((self.price - self.unit_cost) @ self.unit_cost) / (self.unit_cost @ self.unit_cost)
        )
        lost = margin_rate * (
            np.maximum(from_purchases - doubted_purchases, 0.0)
            + np.maximum(from_production - spare, 0.0)
        )
        carrying = (on_books + proposed - reduced) * self.capital_rate * horizon / DAYS_PER_YEAR
        return {
            "cut": totals,
            "excess": np.full_like(totals, excess),
            "budget_excess": -np.maximum(excess - reduced, 0.0),
            "working_capital": -carrying,
            "margin": -lost,
            "operating_profit": -carrying - lost,
        }

    def review(self, view: View, requests: list[ForApproval]) -> list[object]:
        """Release this week's orders, cut by the candidate Finance's objective prefers."""
        purchases = [o for r in requests for o in r.orders if isinstance(o, PurchaseOrder)]
        production = [o for r in requests for o in r.orders if isinstance(o, ProductionOrder)]
        value_p = sum(o.quantity * self._component_cost(o.component) for o in purchases)
        value_m = sum(o.quantity * self._conversion(o.product) for o in production)
        official = (
            self.official.from_day(view.day, RECORD_DAYS).mean(axis=1) if self.official else None
        )
        consensus = self.plan.demand_from(view.day, RECORD_DAYS) if self.plan is not None else None
        basis = consensus.mean(axis=1) if consensus is not None else official
        official_value = float(basis @ self.unit_cost) if basis is not None else 0.0
        belief = self.belief(view, RECORD_DAYS)
        making = (
            float(belief.mean(axis=1) @ self.conversion) * self.knobs.review_weeks * DAYS_PER_WEEK
            if belief is not None
            else None
        )
        terms = self.review_terms(view, value_p, value_m, official_value, making)
        best = int(np.argmax(np.asarray(self.objective.score(terms))))
        cut = float(terms["cut"][best])
        from_p, from_m = self._cuts(cut, value_p, value_m)
        keep_p = 1.0 - from_p / value_p if value_p > 0 else 1.0
        keep_m = 1.0 - from_m / value_m if value_m > 0 else 1.0
        out: list[object] = [
            OrdersReview(self.role, value_p + value_m, cut, float(terms["excess"][best]))
        ]
        released_p = [_scaled(o, keep_p) for o in purchases]
        released_m = [_scaled(o, keep_m) for o in production]
        out += [o for o in released_p + released_m if o.quantity >= 1]
        for request in requests:
            mine = released_p if request.owner != "operations" else released_m
            out.append(OrdersReleased(request.owner, tuple(o for o in mine if o.quantity >= 1)))
        return out

    def _cuts(self, cut: float, purchases: float, production: float) -> tuple[float, float]:
        """``cut`` dollars split into what comes off purchases and off production, by
        ``cut_order``."""
        if cut <= 0:
            return 0.0, 0.0
        order = self.knobs.cut_order
        if order == "across_the_board":
            share = min(1.0, cut / max(purchases + production, 1e-9))
            return purchases * share, production * share
        first, second = (
            (purchases, production) if order == "purchases_first" else (production, purchases)
        )
        from_first = min(cut, first)
        from_second = min(cut - from_first, second)
        return (
            (from_first, from_second) if order == "purchases_first" else (from_second, from_first)
        )

    def _release_rush(self, request: ForApproval) -> list[object]:
        """Rush orders are released while the month's expediting budget lasts."""
        out: list[object] = []
        for order in request.orders:
            freight = self.freight[order.mode] * order.quantity
            left = max(0.0, self.expedite_budget - self.expedite_spent)
            if freight > left:
                order = _scaled(order, left / freight if freight > 0 else 0.0)
                freight = left
            if order.quantity >= 1:
                self.expedite_spent += freight
                out.append(order)
        return out

    def _component_cost(self, component: str) -> float:
        return float(self.component_cost[self.components.index(component)])

    def _conversion(self, product: str) -> float:
        return float(self.conversion[self.products.index(product)])

    # ------------------------------------------------------------------ the meeting

    def _proposal(self, view: View) -> FinanceProposal:
        return FinanceProposal(
            self.role,
            self.capital_rate,
            self.storage_rate,
            self.hurdle_rate,
            float(self.inventory_target),
            *self._inventory_lately(view),
            self.receivable_days,
            self.payable_days,
            Opening.of(view.obs, self._daily_depreciation(view.day)),
            view.records("balances"),
            tuple((c.capex, c.start_day) for c in self.capacity_approved if c.start_day > view.day),
        )

    @property
    def hurdle_rate(self) -> float:
        """What capital spending must earn a year: its knob, or the person's in its seat."""
        seat = self.seat
        if seat is None or seat.hurdle_rate is None:
            return self.knobs.capex_hurdle_rate
        return seat.hurdle_rate

    def _daily_depreciation(self, day: int) -> float:
        """What the books depreciate a day: the opening assets, and the capacity approved
        since, from the day it is in service."""
        years = self.depreciation_years * DAYS_PER_YEAR
        added = sum(c.capex for c in self.capacity_approved if c.start_day <= day)
        return (self.fixed_assets + added) / years

    def _inventory_lately(self, view: View) -> tuple[float, float]:
        """Inventory on the books over the last weeks, all of it and the finished goods part
        (an average, not one day between two deliveries)."""
        balances = view.records("balances")[-TRAILING_DAYS:]
        if not len(balances):
            return view.inventory_value(), 0.0
        total = float(balances[:, list(INVENTORY)].sum(axis=1).mean())
        return total, float(balances[:, Account.INVENTORY_FINISHED].mean())

    def learned(self) -> dict[tuple[str, str], float]:
        return {("inventory_cap_days", "all"): self.cap.value}


def _scaled(order: ProductionOrder | PurchaseOrder, share: float):
    """``order`` with its quantity scaled by ``share`` (whole units, rounded down)."""
    quantity = float(np.floor(order.quantity * share + 1e-9))
    if isinstance(order, ProductionOrder):
        return ProductionOrder(order.product, quantity, order.line, order.overtime)
    return PurchaseOrder(order.component, quantity, order.supplier, order.mode)
