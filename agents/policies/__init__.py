"""Classic inventory policies, chosen by name: the building blocks of every decision maker.

A policy answers one question at a review: given the inventory position (on hand + on order
− backlog) and the demand seen so far, how much to order now. Policies are small stateful
objects (a forecaster keeps its state); they see only the :class:`StockView` they are given.
Behavioural rules such as Sterman's anchoring and adjustment also need the position's parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import sqrt

import numpy as np

from agents.config import RQ, SS, AnchorAndAdjust, BaseStock, FixedPlan, OrderUpTo, PolicySpec
from agents.forecasting import Forecaster, make_forecaster

__all__ = ["POLICIES", "Policy", "StockView", "make_policy"]


@dataclass(frozen=True, slots=True)
class StockView:
    """One stock point at a review: ``position`` and the per-period demand history.

    ``on_hand``, ``backlog`` and ``supply_line`` (ordered, not yet received) are the parts of
    the position; decision makers that know them fill them in (None: not given).
    """

    period: int
    position: float
    demand_history: np.ndarray
    lead_time: float
    on_hand: float | None = None
    backlog: float | None = None
    supply_line: float | None = None


class Policy:
    """Base: decides an order quantity on review periods, zero in between."""

    def __init__(self, review_period: int) -> None:
        self.review_period = review_period

    def is_review(self, period: int) -> bool:
        return period % self.review_period == 0

    def order(self, view: StockView) -> float:
        """The quantity to order now (may be negative; the world decides if that is allowed)."""
        if not self.is_review(view.period):
            return 0.0
        return self._order(view)

    def _order(self, view: StockView) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def forecast(self) -> float | None:
        """The policy's current forecast of demand per period, if it makes one."""
        return None


class OrderUpToPolicy(Policy):
    """Order up to ``f*T + z*sd*sqrt(T)``, ``T = L + R - 1`` (see ``agents.config.OrderUpTo``)."""

    def __init__(self, spec: OrderUpTo) -> None:
        super().__init__(spec.review_period)
        self.spec = spec
        self.forecaster: Forecaster = make_forecaster(spec.forecaster)

    def level(self, view: StockView) -> float:
        self.forecaster.update(view.demand_history)
        mean, sd = self.forecaster.forecast()
        lead = view.lead_time if self.spec.lead_time is None else self.spec.lead_time
        cover = max(lead + self.review_period - 1, 0.0)
        return mean * cover + self.spec.safety_factor * sd * sqrt(cover)

    def _order(self, view: StockView) -> float:
        return self.level(view) - view.position

    def forecast(self) -> float | None:
        return self.forecaster.forecast()[0]


class BaseStockPolicy(Policy):
    def __init__(self, spec: BaseStock) -> None:
        super().__init__(spec.review_period)
        self.level = spec.level

    def _order(self, view: StockView) -> float:
        return self.level - view.position


class SSPolicy(Policy):
    def __init__(self, spec: SS) -> None:
        super().__init__(spec.review_period)
        self.s, self.S = spec.reorder_point, spec.order_up_to

    def _order(self, view: StockView) -> float:
        return self.S - view.position if view.position <= self.s else 0.0


class RQPolicy(Policy):
    def __init__(self, spec: RQ) -> None:
        super().__init__(spec.review_period)
        self.r, self.Q = spec.reorder_point, spec.quantity

    def _order(self, view: StockView) -> float:
        if view.position > self.r:
            return 0.0
        batches = int(np.floor((self.r - view.position) / self.Q)) + 1
        return batches * self.Q


class FixedPlanPolicy(Policy):
    def __init__(self, spec: FixedPlan) -> None:
        super().__init__(spec.review_period)
        self.quantity = spec.quantity

    def _order(self, view: StockView) -> float:
        return self.quantity


class AnchorAndAdjustPolicy(Policy):
    """Sterman's anchoring and adjustment (see ``agents.config.AnchorAndAdjust``).

    ``order = max(0, R*L̂ + alpha_s * (s_prime - S - beta * SL))``. The expectation ``L̂``
    (units per period) starts at the spec's ``initial_expectation`` if it has one and takes in
    every demand value not seen yet, the current period's included (a Beer Game player reads
    the incoming order before ordering), also when the world skipped the policy (fixed
    opening orders), so it is the same as if the policy had been asked every period.
    """

    def __init__(self, spec: AnchorAndAdjust) -> None:
        super().__init__(spec.review_period)
        self.spec = spec
        self.expected: float | None = spec.initial_expectation
        self.seen = 0

    def _expect(self, history: np.ndarray) -> float:
        theta = self.spec.theta
        for value in history[self.seen :]:
            value = float(value)
            self.expected = (
                value if self.expected is None else theta * value + (1 - theta) * self.expected
            )
        self.seen = len(history)
        return self.expected or 0.0

    def _order(self, view: StockView) -> float:
        if view.on_hand is None or view.backlog is None or view.supply_line is None:
            raise ValueError(
                "anchor_and_adjust needs on_hand, backlog and supply_line in the StockView"
            )
        spec = self.spec
        stock = view.on_hand - view.backlog
        adjustment = spec.alpha_s * (spec.s_prime - stock - spec.beta * view.supply_line)
        return max(0.0, self.review_period * self._expect(view.demand_history) + adjustment)

    def forecast(self) -> float | None:
        return self.expected


POLICIES: dict[str, Callable[[PolicySpec], Policy]] = {
    "order_up_to": OrderUpToPolicy,
    "base_stock": BaseStockPolicy,
    "s_S": SSPolicy,
    "r_Q": RQPolicy,
    "fixed_plan": FixedPlanPolicy,
    "anchor_and_adjust": AnchorAndAdjustPolicy,
}


def make_policy(spec: PolicySpec) -> Policy:
    """Build the policy named by ``spec.policy``."""
    return POLICIES[spec.policy](spec)
