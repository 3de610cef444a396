"""What every function agent shares: a Mesa identity, a goal, and a view of the world.

A function agent is a ``mesa.Agent`` that decides and never acts: its methods take a
read-only observation (through a :class:`View`) and the inputs the protocol hands it, and
return requests. It holds no reference to another agent; the model passes messages between
them.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from agents.config import CompanyConfig
from sim.calendar import DAYS_PER_YEAR
from sim.world import CompanyObservation

__all__ = ["FunctionAgent", "View", "seasonal_profile"]


@dataclass(frozen=True)
class View:
    """An observation as one function sees it.

    With ``shared`` visibility every history is current. Otherwise data that belongs to another
    function is seen ``delay_days`` late: :meth:`late` cuts a history to what had been reported.
    """

    obs: CompanyObservation
    shared: bool
    delay_days: int

    @property
    def day(self) -> int:
        return self.obs.day

    def late(self, history: np.ndarray) -> np.ndarray:
        """``history`` (one row per day up to today) as reported to another function."""
        if self.shared or self.delay_days == 0:
            return history
        return history[: max(0, len(history) - self.delay_days)]


class FunctionAgent(mesa.Agent):
    """Base of Sales, Operations, Procurement, Finance and the Executive."""

    function: str = "function"

    def __init__(self, model: mesa.Model, goal: str) -> None:
        super().__init__(model)
        self.goal = goal  # the KPI the function is paid on

    def __repr__(self) -> str:
        return f"{type(self).__name__}(goal={self.goal!r})"


def seasonal_profile(config: CompanyConfig, days: np.ndarray) -> np.ndarray:
    """Market knowledge: relative demand per product on ``days`` (trend × season), [P, days].

    What a sales team knows of its markets' shape, not their level; planned promotions of the
    config are included (the market expects them).
    """
    t = np.asarray(days, dtype=float)
    rows = []
    for product in config.products.values():
        d = product.demand
        shape = (1.0 + d.trend_per_year * t / DAYS_PER_YEAR) * (
            1.0
            + d.seasonality.amplitude
            * np.cos(2 * np.pi * (t - d.seasonality.peak_day) / DAYS_PER_YEAR)
        )
        for promo in d.promotions:
            inside = (t >= promo.start_day) & (t < promo.start_day + promo.duration_days)
            shape = np.where(inside, shape * (1.0 + promo.uplift), shape)
        rows.append(shape)
    return np.maximum(np.array(rows), 1e-9)
