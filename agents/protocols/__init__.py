"""The protocol ladder, from functional silos to IBP: what each function sees and how its
proposals become the plan that is executed.

A protocol is a small record of composable pieces, chosen by name:

| name               | visibility | demand | supply | exceptions | financial  |
|--------------------|------------|--------|--------|------------|------------|
| ``silo``           | own        | no     | no     | no         | no         |
| ``info_sharing``   | shared     | no     | no     | no         | no         |
| ``consensus_demand`` | shared   | yes    | no     | no         | no         |
| ``sop``            | shared     | yes    | yes    | yes        | no         |
| ``ibp``            | shared     | yes    | yes    | yes        | yes (18 months) |

(demand: a demand review; supply: a supply review; exceptions: exception reviews between
meetings; financial: financial reconciliation over a longer horizon.)

- visibility ``own``: each function sees its own data at once and the rest
  ``information_delay_days`` late (reports between functions travel as late); ``shared``:
  everyone sees orders, stock and reports as they are.
- demand review: one consensus demand plan, built from a statistical baseline and Sales'
  forecast as far as its track record shows it adds value, with Sales' promotions on the
  table before they run (see :mod:`agents.protocols.meeting`).
- supply review: a capacity- (line by line) and material-constrained supply plan over
  ``horizon_months``, with costed options (pre-build, overtime, air freight, alternate
  supplier, demand shaping) that the executive decides on; the functions execute it with
  their plan adherence. ``options`` limits which kinds may be put on the table.
- exception reviews: when a function raises an exception between meetings (a supplier that
  has failed, demand far outside the plan), the plan is reviewed at the next weekly review
  instead of waiting for the month.
- financial reconciliation (IBP): the plan made for product families by month over the long
  horizon, projected into monthly profit and loss, balance sheet and cash flow against the
  budget; every option valued over demand scenarios drawn from the forecast errors the
  company has observed, with its risk; capacity expansions considered, valued within the
  horizon (see :mod:`agents.protocols.ibp`).

A protocol configured with the pieces of another behaves exactly like it: the pieces, not the
name, decide. :class:`agents.protocols.meeting.Meeting` reconciles the functions' proposals
into the plan (``reconcile(proposals, context) -> plan, decision-log entry``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from agents.config import OPTION_KINDS, PROTOCOL_NAMES, ProtocolOptions

__all__ = ["PIECE_NAMES", "PROTOCOLS", "Pieces", "make_protocol"]


@dataclass(frozen=True)
class Pieces:
    """What a protocol is made of (see the module docstring)."""

    name: str
    visibility: Literal["own", "shared"]
    demand_review: bool
    supply_review: bool
    exception_reviews: bool
    financial_reconciliation: bool
    horizon_months: int
    options: tuple[str, ...] = OPTION_KINDS

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
        Pieces("silo", "own", False, False, False, False, 3),
        Pieces("info_sharing", "shared", False, False, False, False, 3),
        Pieces("consensus_demand", "shared", True, False, False, False, 3),
        Pieces("sop", "shared", True, True, True, False, 3),
        Pieces("ibp", "shared", True, True, True, True, 18),
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
    if "options" in changes:
        changes["options"] = tuple(changes["options"])
    return replace(protocol, **changes)


PIECE_NAMES = (
    "visibility",
    "demand_review",
    "supply_review",
    "exception_reviews",
    "financial_reconciliation",
    "horizon_months",
)
"""The pieces a protocol is composed of (what attribution can switch one at a time)."""
