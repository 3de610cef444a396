"""The executive: in silo reads reports; in S&OP chairs the review and decides trade-offs.

Each option arrives valued by Finance; the executive scores it with the company's strategy
weights and takes it when the score is positive, noting why.
"""

from __future__ import annotations

import mesa

from agents.base import FunctionAgent
from agents.finance import OptionValue
from sim.config import ExecutiveAgent

__all__ = ["Executive"]


class Executive(FunctionAgent):
    function = "executive"

    def __init__(self, model: mesa.Model, knobs: ExecutiveAgent) -> None:
        super().__init__(model, goal="operating_profit")
        self.knobs = knobs

    def score(self, value: OptionValue) -> float:
        """Weighted dollars: margin kept (service), cost, capital charge (inventory), growth."""
        k = self.knobs
        return (
            k.service_weight * value.margin
            - k.cost_weight * value.cost
            - k.inventory_weight * value.carrying
            + k.growth_weight * value.revenue
        )

    def decide(self, value: OptionValue) -> tuple[bool, str]:
        """Take the option or not, and why."""
        score = self.score(value)
        if score > 0:
            return True, f"score {score:,.0f} > 0: margin kept outweighs cost and capital tied up"
        return False, f"score {score:,.0f} <= 0: costs more than the service it buys"
