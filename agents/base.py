"""What every function agent shares: a Mesa identity, its own objective, its own view.

A function agent is a ``mesa.Agent`` with one entry point, :meth:`FunctionAgent.decide`: it
receives its :class:`View` of the world and the messages in its inbox, and returns messages —
requests for the world (production orders, purchase orders, promotions, records) and messages
for other functions (a forecast report, orders to approve, a proposal for the meeting). It
never changes the world and holds no reference to another agent; the model carries the
messages. Its randomness comes from its own decision stream, spawned from the model's seeded
generator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import mesa
import numpy as np

from agents.objective import Objective
from sim.ledger import INVENTORY, Account
from sim.world import CompanyObservation, Topology

__all__ = ["FunctionAgent", "View"]

# Observation fields whose end-of-day history the world keeps (their name in state_history).
_HISTORY_OF = {
    "finished_on_hand": "finished_on_hand",
    "backlog": "backlog",
    "production_queued": "production_queued",
    "production_in_process": "production_in_process",
    "component_on_hand": "component_on_hand",
    "component_on_order": "component_on_order",
    "line_capacity_per_day": "line_capacity",
}


@dataclass(frozen=True)
class View:
    """The observation as one function sees it.

    Data the function owns (``own``: observation field and history names) is current. Data of
    other functions is ``delay_days`` late — as it was reported at the close of day
    ``day - delay_days`` — unless the protocol shares it (``delay_days`` 0).
    """

    obs: CompanyObservation
    own: frozenset[str]
    delay_days: int

    @property
    def day(self) -> int:
        return self.obs.day

    @property
    def topology(self) -> Topology:
        return self.obs.topology

    def _current(self, name: str) -> bool:
        return self.delay_days == 0 or name in self.own

    def state(self, name: str) -> np.ndarray:
        """The state ``name`` (an observation field) as this function knows it today."""
        if self._current(name):
            return getattr(self.obs, name)
        records = self.obs.state_history[_HISTORY_OF[name]]
        if not len(records):
            return getattr(self.obs, name)  # nothing reported yet: the opening state
        return records[max(0, min(len(records), self.day - self.delay_days + 1) - 1)]

    def history(self, name: str) -> np.ndarray:
        """The daily history ``name`` (``demand_history``, ``shipped_history``...) as reported
        to this function: every day up to today, or up to ``delay_days`` ago."""
        rows = getattr(self.obs, name)
        return rows if self._current(name) else rows[: max(0, len(rows) - self.delay_days)]

    def records(self, name: str) -> np.ndarray:
        """End-of-day records ``name`` of the world (``state_history``), as reported."""
        rows = self.obs.state_history[name]
        return rows if self._current(name) else rows[: max(0, len(rows) - self.delay_days)]

    def inventory_value(self) -> float:
        """Inventory at standard cost, from the books as reported to this function."""
        if self._current("balances"):
            return float(self.obs.inventory_value)
        balances = self.records("balances")
        return float(balances[-1, list(INVENTORY)].sum()) if len(balances) else 0.0

    def balance(self, account: Account) -> float:
        balances = self.records("balances")
        return float(balances[-1, account]) if len(balances) else 0.0


class FunctionAgent(mesa.Agent):
    """Base of Sales, Operations, Procurement and Finance.

    ``role`` names the function in records and messages; ``OWN`` lists the data it owns (its
    view of them is never late). ``objective`` is what it is paid on; ``adherence`` how far it
    adopts an agreed plan instead of its own numbers. ``learning`` says whether it adapts.
    ``seat`` holds a person's decisions when someone plays the function (see
    :mod:`agents.seats`); its reviews then carry them out in place of its own choice.
    """

    role: ClassVar[str] = "function"
    OWN: ClassVar[frozenset[str]] = frozenset()
    seat: object | None = None  # a person's decisions for the month (agents.seats), if any

    def __init__(self, model: mesa.Model, objective: Objective, adherence: float) -> None:
        super().__init__(model)
        self.stream: np.random.Generator = model.rng.spawn(1)[0]  # its decision stream
        self.objective = objective
        self.adherence = adherence

    def decide(self, view: View, inbox: Iterable[object]) -> list[object]:
        """React to ``inbox`` with what this function sees; return outgoing messages."""
        raise NotImplementedError  # pragma: no cover

    def observe(self, view: View) -> None:
        """Take in what ``view`` shows that is new since the last call (its forecaster's
        data): :meth:`decide` starts with it, and calling it again the same day changes
        nothing."""

    def learned(self) -> dict[tuple[str, str], float]:
        """The current value of every knob it adapts, keyed ``(knob, item)``."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(paid on {self.objective.describe()})"
