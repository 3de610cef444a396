"""The executive: in silo reads reports; at the S&OP meeting it decides the trade-offs.

It brings its mandate to the meeting — the strategy weights it decides by — and the meeting
puts every costed option to it: an option is taken when its weighted score is positive, and
the reason names each weighted term.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import mesa

from agents.base import View
from agents.config import ExecutiveAgent
from agents.messages import MeetingCalled

__all__ = ["Executive", "Mandate", "OptionValue"]


@dataclass(frozen=True)
class OptionValue:
    """An option in dollars over the planning horizon: revenue and margin it adds, what it
    costs, the working capital it ties up on average, and the capital charge on that."""

    revenue: float
    margin: float
    cost: float
    working_capital: float
    carrying: float

    @property
    def cash(self) -> float:
        """Operating cash the option brings over the horizon (margin less its cost)."""
        return self.margin - self.cost

    def as_dict(self) -> dict[str, float]:
        return {
            "revenue": round(self.revenue, 2),
            "margin": round(self.margin, 2),
            "cost": round(self.cost, 2),
            "working_capital": round(self.working_capital, 2),
            "capital_charge": round(self.carrying, 2),
            "cash": round(self.cash, 2),
        }


@dataclass(frozen=True)
class Mandate:
    """The executive's decision rule: strategy weights over an option's dollars."""

    knobs: ExecutiveAgent

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


class Executive(mesa.Agent):
    """Chairs the meeting: brings its :class:`Mandate` when a meeting is called."""

    role = "executive"

    def __init__(self, model: mesa.Model, knobs: ExecutiveAgent) -> None:
        super().__init__(model)
        self.mandate = Mandate(knobs)

    def decide(self, view: View, inbox: Iterable[object]) -> list[object]:
        return [self.mandate for message in inbox if isinstance(message, MeetingCalled)]

    def learned(self) -> dict[tuple[str, str], float]:
        return {}
