"""Sales: brings the demand forecast (and its optimism), and runs promotions to reach targets.

Sales sees customer orders directly. It knows the shape of its markets (trend, season) and
tracks their level; paid on revenue it inflates its forecast by ``optimism_bias`` and, when it
falls behind a stretched target, runs a promotion; paid on operating profit it forecasts
straight and promotes only when a promotion pays for itself.
"""

from __future__ import annotations

import mesa
import numpy as np

from agents.base import FunctionAgent, View, seasonal_profile
from agents.config import CompanyConfig, SalesAgent
from sim.messages import Promotion

__all__ = ["Sales"]

TARGET_WINDOW_DAYS = 28


class Sales(FunctionAgent):
    function = "sales"

    def __init__(self, model: mesa.Model, config: CompanyConfig, knobs: SalesAgent) -> None:
        super().__init__(
            model, goal="revenue" if knobs.incentive == "revenue" else "operating_profit"
        )
        self.config = config
        self.knobs = knobs
        self.products = tuple(config.products)
        self.price = np.array([p.price for p in config.products.values()])
        self.level: np.ndarray | None = None  # deseasonalised demand per day, per product
        self.seen = 0
        self.promotions: list[tuple[int, int, int, float]] = []  # product, start, end, uplift
        self.last_promotion_day = -(10**9)

    @property
    def bias(self) -> float:
        return self.knobs.optimism_bias if self.knobs.incentive == "revenue" else 0.0

    # -- the market as Sales knows it

    def _shape(self, days: np.ndarray) -> np.ndarray:
        shape = seasonal_profile(self.config, days)
        for p, start, end, uplift in self.promotions:
            inside = (days >= start) & (days < end)
            shape[p] = np.where(inside, shape[p] * (1 + uplift), shape[p])
        return shape

    def observe(self, view: View) -> None:
        """Update the demand level with the orders seen since the last call."""
        history = view.obs.demand_history
        new_days = np.arange(self.seen, len(history))
        if len(new_days) == 0:
            return
        deseasonalised = history[self.seen :].T / self._shape(new_days)
        alpha = self.knobs.level_alpha
        for column in deseasonalised.T:
            self.level = (
                column.copy() if self.level is None else alpha * column + (1 - alpha) * self.level
            )
        self.seen = len(history)

    def expected(self, days: np.ndarray) -> np.ndarray:
        """Unbiased expected demand per product on ``days`` [P, len(days)]."""
        if self.level is None:
            return np.zeros((len(self.products), len(days)))
        return self.level[:, None] * self._shape(days)

    def forecast(self, view: View, horizon_days: int) -> np.ndarray:
        """Sales' forecast of demand per product and day for the next ``horizon_days`` days."""
        days = np.arange(view.day + 1, view.day + 1 + horizon_days)
        return self.expected(days) * (1.0 + self.bias)

    # -- promotions

    def propose_promotion(self, view: View) -> Promotion | None:
        """A promotion to close the gap to target, or None (reviewed weekly)."""
        play = self.knobs.promotion
        day = view.day
        if not play.enabled or day < TARGET_WINDOW_DAYS or self.level is None:
            return None
        if day - self.last_promotion_day < play.min_days_between:
            return None
        window = np.arange(day - TARGET_WINDOW_DAYS + 1, day + 1)
        expected = self.expected(window).sum(axis=1) * self.price
        if self.knobs.incentive == "revenue":
            target = expected * (1.0 + self.knobs.target_stretch)
            shipped = view.obs.shipped_history[-TARGET_WINDOW_DAYS:].sum(axis=0) * self.price
            gap = (target - shipped) / np.maximum(target, 1e-9)
            p = int(np.argmax(gap))
            if gap[p] <= play.trigger_gap:
                return None
        else:
            profit = self._promotion_profit(day, np.array(view.obs.topology.product_standard_cost))
            p = int(np.argmax(profit))
            if profit[p] <= 0:
                return None
        start = day + play.lead_days
        return Promotion(
            self.products[p], start, play.duration_days, play.uplift, play.price_discount, play.cost
        )

    def _promotion_profit(self, day: int, cost: np.ndarray) -> np.ndarray:
        """Expected margin a promotion starting after the lead would add, per product."""
        play = self.knobs.promotion
        days = np.arange(day + play.lead_days, day + play.lead_days + play.duration_days)
        base = self.expected(days).sum(axis=1)
        unit_margin = self.price * (1 - play.price_discount) - cost
        return (
            base * play.uplift * unit_margin - base * self.price * play.price_discount - play.cost
        )

    def commit(self, promotion: Promotion, day: int) -> None:
        """Remember a promotion that will run (Sales plans with it from now on)."""
        p = self.products.index(promotion.product)
        self.promotions.append(
            (
                p,
                promotion.start_day,
                promotion.start_day + promotion.duration_days,
                promotion.uplift,
            )
        )
        self.last_promotion_day = day
