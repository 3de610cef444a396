"""The protocol ladder, from functional silos to IBP: what each function sees and how its
proposals become the plan that is executed.

A protocol is a small record of composable pieces, chosen by name:

| name               | visibility | demand review | supply review | financial reconciliation |
|--------------------|------------|---------------|---------------|--------------------------|
| ``silo``           | own        | no            | no            | no                       |
| ``info_sharing``   | shared     | no            | no            | no                       |
| ``consensus_demand`` | shared   | yes           | no            | no                       |
| ``sop``            | shared     | yes           | yes           | no                       |
| ``ibp``            | shared     | yes           | yes           | yes (longer horizon)     |

- visibility ``own``: each function sees its own data at once and the rest
  ``information_delay_days`` late (reports between functions travel as late); ``shared``:
  everyone sees orders, stock and reports as they are.
- demand review: one consensus demand plan, built from a statistical baseline and Sales'
  forecast as far as its track record shows it adds value, with Sales' promotions on the
  table before they run (see :mod:`agents.protocols.meeting`).
- supply review: a capacity- and material-constrained supply plan over ``horizon_months``,
  with costed options (pre-build, overtime, air freight, alternate supplier, demand shaping)
  that the executive decides on; the functions execute it with their plan adherence.
- financial reconciliation: every option valued over demand scenarios, and capacity
  expansions considered.

A protocol configured with the pieces of another behaves exactly like it: the pieces, not the
name, decide. :class:`agents.protocols.meeting.Meeting` reconciles the functions' proposals
into the plan (``reconcile(proposals, context) -> plan, decision-log entry``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from agents.config import PROTOCOL_NAMES, ProtocolOptions

__all__ = ["PROTOCOLS", "Pieces", "make_protocol"]


@dataclass(frozen=True)
class Pieces:
    """What a protocol is made of (see the module docstring)."""

    name: str
    visibility: Literal["own", "shared"]
    demand_review: bool
    supply_review: bool
    financial_reconciliation: bool
    horizon_months: int

    @property
    def shared(self) -> bool:
        return self.visibility == "shared"

    @property
    def meets(self) -> bool:
        """Whether the functions meet monthly to make one plan."""
        return self.demand_review or self.supply_review


PROTOCOLS: dict[str, Pieces] = {
    p.name: p
    for p in (
        Pieces("silo", "own", False, False, False, 3),
        Pieces("info_sharing", "shared", False, False, False, 3),
        Pieces("consensus_demand", "shared", True, False, False, 3),
        Pieces("sop", "shared", True, True, False, 3),
        Pieces("ibp", "shared", True, True, True, 9),
    )
}
assert set(PROTOCOLS) == set(PROTOCOL_NAMES) - {"classic"}, "the ladder and the config disagree"


def make_protocol(name: str, options: ProtocolOptions | None = None) -> Pieces:
    """The pieces of protocol ``name``, any of them overridden by ``options``."""
    try:
        protocol = PROTOCOLS[name]
    except KeyError:
        raise ValueError(f"unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}") from None
    if options is None:
        return protocol
    changes = {k: v for k, v in options.model_dump().items() if v is not None}
    return replace(protocol, **changes)
