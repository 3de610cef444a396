"""The executive: in silo reads reports; in S&OP chairs the review and decides trade-offs.

Each option arrives valued by Finance; the executive scores it with the company's strategy
weights and takes it when the score is positive, noting why.
"""

from __future__ import annotations

import mesa

from agents.base import FunctionAgent
from agents.config import ExecutiveAgent
from agents.finance import OptionValue

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
        """Take the option or not, and why (the weighted terms of the score)."""
        k = self.knobs
        terms = (
            ("margin kept", k.service_weight * value.margin),
            ("cost", -k.cost_weight * value.cost),
            ("capital charge", -k.inventory_weight * value.carrying),
            ("growth", k.growth_weight * value.revenue),
        )
        score = float(sum(t for _, t in terms))
        parts = ", ".join(f"{name} {amount:+,.0f}" for name, amount in terms if amount)
        verdict = "taken" if score > 0 else "declined"
        return bool(score > 0), f"{verdict}: score {score:+,.0f} ({parts or 'nothing at stake'})"
