"""The executive: in silo reads reports; at the S&OP meeting it decides the trade-offs.

It brings its mandate to the meeting — the strategy weights it decides by — and the meeting
puts every costed option to it: an option is taken when its weighted score is positive, and
the reason names each weighted term.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import mesa

from agents.base import View
from agents.config import ExecutiveAgent
from agents.messages import MeetingCalled
from agents.valuation import OptionValue

__all__ = ["Executive", "Mandate", "Ruling"]


@dataclass(frozen=True)
class Mandate:
    """The executive's decision rule: the company's operating profit over the horizon, with
    strategy weights a workshop can change.

    score = service_weight × (margin + penalties avoided) − cost_weight × (cost +
    depreciation) − inventory_weight × (capital charge + storage) − cost of cash timing
    + growth_weight × revenue. With every weight at 1 and growth at 0 (the reference company)
    the score is the option's operating profit; a growth weight takes options that add revenue
    at a loss, on purpose.
    """

    knobs: ExecutiveAgent

    def terms(self, value: OptionValue) -> tuple[tuple[str, float], ...]:
        k = self.knobs
        return (
            ("margin kept", k.service_weight * value.margin),
            ("penalties avoided", k.service_weight * value.penalties),
            ("cost", -k.cost_weight * value.cost),
            ("depreciation", -k.cost_weight * value.depreciation),
            ("capital charge", -k.inventory_weight * value.capital_charge),
            ("storage", -k.inventory_weight * value.storage),
            ("cash timing", -value.timing),
            ("growth", k.growth_weight * value.revenue),
        )

    def score(self, value: OptionValue) -> float:
        return float(sum(t for _, t in self.terms(value)))

    def ruling(self, option: str, description: str) -> bool | None:
        """Whether a person in the room took (True) or declined (False) this option; None:
        the weights decide."""
        return None

    def decide(self, value: OptionValue) -> tuple[bool, str]:
        """Take the option or not, and why (the weighted terms of the score)."""
        score = self.score(value)
        parts = ", ".join(f"{n} {a:+,.0f}" for n, a in self.terms(value) if round(a))
        verdict = "taken" if score > 0 else "declined"
        return bool(score > 0), f"{verdict}: score {score:+,.0f} ({parts or 'nothing at stake'})"


@dataclass(frozen=True)
class Ruling(Mandate):
    """A mandate with a person's rulings on some of the options: ``(option, description)`` →
    taken or not; the weights decide the rest."""

    rulings: dict[tuple[str, str], bool] = field(default_factory=dict)

    def ruling(self, option: str, description: str) -> bool | None:
        return self.rulings.get((option, description))


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
