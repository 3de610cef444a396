"""Procurement: buys components weekly; wants low prices and few surprises.

It picks suppliers by its sourcing rule, buys by the cheap mode, rounds orders up to a volume
price break when it is close to one, and expedites by the fast mode when a shortage is near.
In silo it sees only what production consumed (and the orders Operations already released),
so a change of plan reaches it late; with a plan it buys to the plan's material needs.
"""

from __future__ import annotations

import mesa
import numpy as np

from agents.base import FunctionAgent, View
from agents.config import CompanyConfig, ProcurementAgent
from sim.calendar import DAYS_PER_WEEK
from sim.messages import PurchaseOrder
from sim.world import mean_days as _mean_days

__all__ = ["Procurement"]


class Procurement(FunctionAgent):
    function = "procurement"

    def __init__(self, model: mesa.Model, config: CompanyConfig, knobs: ProcurementAgent) -> None:
        super().__init__(model, goal=knobs.incentive)
        self.config = config
        self.knobs = knobs
        self.components = tuple(config.components)
        self.suppliers = tuple(config.suppliers)
        modes = config.transport_modes
        self._mode_days = {m: _mean_days(t.lead_time_days) for m, t in modes.items()}
        self._mode_cost = {m: t.cost_per_unit for m, t in modes.items()}
        self.sources: list[list[tuple[str, float]]] = [self._sources(c) for c in self.components]

    # -- who sells what, how fast

    def supplier_mode(self, supplier: str, fast: bool) -> str:
        modes = self.config.suppliers[supplier].modes
        wanted = self.knobs.expedite_mode if fast else self.knobs.mode
        if wanted in modes:
            return wanted
        if fast:
            return min(modes, key=lambda m: (self._mode_days[m], self._mode_cost[m], m))
        return min(modes, key=lambda m: (self._mode_cost[m], self._mode_days[m], m))

    def lead_days(self, supplier: str, fast: bool = False) -> float:
        sup = self.config.suppliers[supplier]
        return _mean_days(sup.lead_time_days) + max(
            1.0, self._mode_days[self.supplier_mode(supplier, fast)]
        )

    def _sources(self, component: str) -> list[tuple[str, float]]:
        """Suppliers of ``component`` with the share each gets, by the sourcing rule."""
        sellers = [s for s, sup in self.config.suppliers.items() if component in sup.components]

        def price(s: str) -> float:
            return self.config.suppliers[s].components[component].price

        cheapest = min(sellers, key=lambda s: (price(s), s))
        reliable = max(sellers, key=lambda s: (self.config.suppliers[s].reliability, -price(s), s))
        rule = self.knobs.sourcing
        if rule == "cheapest" or (rule == "dual" and cheapest == reliable):
            return [(cheapest, 1.0)]
        if rule == "reliable":
            return [(reliable, 1.0)]
        return [(cheapest, self.knobs.dual_share), (reliable, 1.0 - self.knobs.dual_share)]

    def alternate(self, c: int) -> str | None:
        """The most reliable supplier other than the current main one, if there is one."""
        main = self.sources[c][0][0]
        component = self.components[c]
        others = [
            s
            for s, sup in self.config.suppliers.items()
            if component in sup.components and s != main
        ]
        return (
            max(others, key=lambda s: (self.config.suppliers[s].reliability, s)) if others else None
        )

    # -- weekly buying

    def own_need_rate(self, view: View, bom: np.ndarray) -> np.ndarray:
        """Component need per day as Procurement sees it without a plan."""
        if view.shared:
            window = view.obs.demand_history[-self.knobs.forecast_days :]
            return window.mean(axis=0) @ bom if len(window) else np.zeros(len(self.components))
        window = view.obs.consumption_history[-self.knobs.forecast_days :]
        return window.mean(axis=0) if len(window) else np.zeros(len(self.components))

    def propose(
        self,
        view: View,
        bom: np.ndarray,
        planned_need: np.ndarray | None,
        adherence: float,
        alternate: frozenset[int] = frozenset(),
        official: np.ndarray | None = None,
    ) -> list[PurchaseOrder]:
        """Regular purchase orders for this week.

        ``planned_need`` is the plan's component need per day ahead [C, days], or None;
        ``official`` the company's official demand forecast per product and day (Sales' number,
        or the consensus), which Procurement explodes through the BOM when there is no supply
        plan; components in ``alternate`` are split evenly between the main and the alternate
        supplier.
        """
        obs, k = view.obs, self.knobs
        own_rate = self.own_need_rate(view, bom) if official is None else official @ bom
        orders = []
        for c, component in enumerate(self.components):
            lead = max(self.lead_days(s) for s, _ in self.sources[c])
            cover = int(np.ceil(lead + DAYS_PER_WEEK - 1 + k.safety_lead_time_days))
            need = own_rate[c] * cover
            if planned_need is not None:
                planned = planned_need[c, :cover].sum() + own_rate[c] * max(
                    0, cover - planned_need.shape[1]
                )
                need = adherence * planned + (1 - adherence) * need
            position = (
                obs.component_on_hand[c]
                + obs.component_on_order[c]
                - obs.component_requirements_queued[c]
            )
            quantity = need - position
            if quantity <= 0:
                continue
            sources = self.sources[c]
            other = self.alternate(c) if c in alternate and len(sources) == 1 else None
            if other is not None:
                sources = [(sources[0][0], 0.5), (other, 0.5)]
            for supplier, share in sources:
                q = self._to_price_break(supplier, component, quantity * share)
                orders.append(
                    PurchaseOrder(component, q, supplier, self.supplier_mode(supplier, fast=False))
                )
        return orders

    def _to_price_break(self, supplier: str, component: str, quantity: float) -> float:
        # Paid on purchase price, Procurement chases volume discounts; on operating profit it
        # buys what is needed.
        if not self.knobs.buy_to_price_break or self.knobs.incentive == "operating_profit":
            return quantity
        for tier in self.config.suppliers[supplier].components[component].price_breaks:
            if self.knobs.price_break_reach * tier.min_quantity <= quantity < tier.min_quantity:
                return tier.min_quantity
        return quantity

    def expedite(
        self, view: View, bom: np.ndarray, planned_need: np.ndarray | None, budget: float
    ) -> tuple[list[PurchaseOrder], float]:
        """Fast orders for shortages expected before a regular order could arrive, within
        ``budget`` dollars of fast freight; returns the orders and what they spend.

        Without a plan, any shortage over a day's need is rushed. With one, rushing was decided
        in the review; between reviews only a disruption (a week's need or more) is rushed."""
        obs = view.obs
        rate = self.own_need_rate(view, bom)
        orders, spent = [], 0.0
        for c, component in enumerate(self.components):
            sellers = [s for s, sup in self.config.suppliers.items() if component in sup.components]
            fast = min(sellers, key=lambda s: (self.lead_days(s, fast=True), s))
            regular = min(self.lead_days(s) for s, _ in self.sources[c])
            if self.lead_days(fast, fast=True) >= regular:
                continue  # no faster way: the regular order is the rush order
            # Expedite only what would run out before anything sent now by the fast way arrives.
            horizon = int(np.ceil(self.lead_days(fast, fast=True)))
            need = rate[c] * horizon if planned_need is None else planned_need[c, :horizon].sum()
            # Production already released needs its parts first; it is part of the same need.
            need = max(need, obs.component_requirements_queued[c])
            coming = obs.component_arrivals[:horizon, c].sum()
            short = need - obs.component_on_hand[c] - coming
            threshold = rate[c] * (1 if planned_need is None else DAYS_PER_WEEK)
            if short <= threshold:
                continue
            mode = self.supplier_mode(fast, fast=True)
            freight = self._mode_cost[mode] * short
            if spent + freight > budget:
                short = max(0.0, (budget - spent) / max(self._mode_cost[mode], 1e-9))
                freight = self._mode_cost[mode] * short
            if short < 1:
                continue
            orders.append(PurchaseOrder(component, short, fast, mode))
            spent += freight
        return orders, spent
