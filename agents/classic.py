"""Textbook decision makers: one classic policy per stock point, no functions, no protocol.

:class:`ClassicPlanner` drives a company (a policy per product for production, a policy per
component for purchasing, a sourcing rule and a transport mode); :class:`ChainPlanner` drives a
serial chain (a policy per stage). Both only read observations and return requests.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from agents.config import ChainConfig, CompanyConfig
from agents.policies import Policy, StockView, make_policy
from sim.chain import ChainObservation
from sim.messages import DemandForecast, ProductionOrder, PurchaseOrder, ReplenishmentOrder
from sim.world import CompanyObservation

__all__ = ["ChainPlanner", "ClassicPlanner"]


class ClassicPlanner:
    """Replenishes finished goods by production and components by purchase, policy by policy."""

    owner = "plan"

    def __init__(self, config: CompanyConfig) -> None:
        production, purchasing = config.policies.production, config.policies.purchasing
        self.production: dict[str, Policy] = {
            name: make_policy(production.products.get(name, production.default))
            for name in config.products
        }
        self.purchasing: dict[str, Policy] = {
            name: make_policy(purchasing.components.get(name, purchasing.default))
            for name in config.components
        }
        self.allow_overtime = production.allow_overtime
        self.sourcing = purchasing.sourcing
        self.mode = purchasing.mode

    def __call__(self, obs: CompanyObservation) -> Iterator[object]:
        top = obs.topology
        lead = float(top.production_lead_time_days)
        for p, name in enumerate(top.products):
            policy = self.production[name]
            if not policy.is_review(obs.day):
                continue
            on_hand, backlog = float(obs.finished_on_hand[p]), float(obs.backlog[p])
            supply_line = float(obs.production_queued[p] + obs.production_in_process[p])
            position = on_hand + supply_line - backlog
            view = StockView(
                obs.day,
                position,
                obs.demand_history[:, p],
                max(lead, 1.0),
                on_hand=on_hand,
                backlog=backlog,
                supply_line=supply_line,
            )
            quantity = policy.order(view)
            forecast = policy.forecast()
            if forecast is not None:
                yield DemandForecast(self.owner, name, forecast, horizon_days=28)
            if quantity > 0:
                yield ProductionOrder(name, quantity, overtime=self.allow_overtime)
        for c, name in enumerate(top.components):
            policy = self.purchasing[name]
            if not policy.is_review(obs.day):
                continue
            suppliers = np.flatnonzero(~np.isnan(top.supplier_price[:, c]))
            chosen = self._choose(top, suppliers, c)
            lead = float(np.mean([self._lead(top, s) for s in chosen]))
            on_hand, on_order = float(obs.component_on_hand[c]), float(obs.component_on_order[c])
            needed = float(obs.component_requirements_queued[c])
            # Component demand is derived from customer demand through the BOM (not from
            # consumption, which falls whenever production starves and would feed on itself).
            derived = obs.demand_history @ top.bom[:, c]
            view = StockView(
                obs.day,
                on_hand + on_order - needed,
                derived,
                lead,
                on_hand=on_hand,
                backlog=needed,
                supply_line=on_order,
            )
            quantity = policy.order(view)
            if quantity <= 0:
                continue
            share = quantity / len(chosen)
            for s in chosen:
                yield PurchaseOrder(name, share, top.suppliers[s], self._mode_for(top, s))

    def _mode_for(self, top, s: int) -> str:
        modes = top.supplier_modes[s]
        return self.mode if self.mode in modes else modes[0]

    def _lead(self, top, s: int) -> float:
        m = top.modes.index(self._mode_for(top, s))
        return float(top.supplier_lead_time_days[s] + top.mode_lead_time_days[m])

    def _choose(self, top, suppliers: np.ndarray, c: int) -> list[int]:
        return SOURCING_RULES[self.sourcing](self, top, suppliers, c)


def _split(planner: ClassicPlanner, top, suppliers: np.ndarray, c: int) -> list[int]:
    """Every supplier of the component, in equal shares."""
    return [int(s) for s in suppliers]


def _fastest(planner: ClassicPlanner, top, suppliers: np.ndarray, c: int) -> list[int]:
    """The supplier whose goods arrive soonest (by its mode), the cheaper on a tie."""
    return [int(min(suppliers, key=lambda s: (planner._lead(top, s), top.supplier_price[s, c])))]


def _cheapest(planner: ClassicPlanner, top, suppliers: np.ndarray, c: int) -> list[int]:
    """The supplier with the lowest price, the faster on a tie."""
    return [int(min(suppliers, key=lambda s: (top.supplier_price[s, c], planner._lead(top, s))))]


SOURCING_RULES = {"cheapest": _cheapest, "fastest": _fastest, "split": _split}
"""Whom the textbook planner buys a component from, by ``policies.purchasing.sourcing``."""


class ChainPlanner:
    """Each stage of a serial chain follows its own policy on the position it sees."""

    def __init__(self, config: ChainConfig) -> None:
        self.policies = {name: make_policy(stage.policy) for name, stage in config.stages.items()}

    def __call__(self, obs: ChainObservation) -> Iterator[ReplenishmentOrder]:
        position = obs.on_hand + obs.supply_line - obs.backlog
        view = StockView(
            obs.period,
            position,
            obs.demand_history,
            float(obs.lead_time),
            on_hand=obs.on_hand,
            backlog=obs.backlog,
            supply_line=obs.supply_line,
        )
        yield ReplenishmentOrder(obs.stage, self.policies[obs.stage].order(view))
