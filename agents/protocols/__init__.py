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
  ``information_delay_days`` late (Operations forecasts from shipments, Finance sees the books
  at the delay); ``shared``: everyone sees customer orders and stock as they are.
- demand review: one debiased demand plan that every function plans with, and Sales'
  promotions on the table before they run.
- supply review: a capacity- and material-constrained supply plan over ``horizon_months``,
  with costed options (pre-build, overtime, air freight, alternate supplier, demand shaping,
  capacity) that the executive decides on; the functions execute it with their plan adherence.
- financial reconciliation: every option valued over the whole horizon against demand
  scenarios, and capacity expansions considered.

A protocol configured with the pieces of another behaves exactly like it: the pieces, not the
name, decide.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from agents.config import ProtocolOptions

__all__ = ["PROTOCOLS", "Protocol", "make_protocol"]


@dataclass(frozen=True)
class Protocol:
    name: str
    visibility: str
    demand_review: bool
    supply_review: bool
    financial_reconciliation: bool
    horizon_months: int

    @property
    def shared(self) -> bool:
        return self.visibility == "shared"

    @property
    def has_cycle(self) -> bool:
        return self.demand_review or self.supply_review


PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (
        Protocol("silo", "own", False, False, False, 3),
        Protocol("info_sharing", "shared", False, False, False, 3),
        Protocol("consensus_demand", "shared", True, False, False, 3),
        Protocol("sop", "shared", True, True, False, 3),
        Protocol("ibp", "shared", True, True, True, 9),
    )
}


def make_protocol(name: str, options: ProtocolOptions | None = None) -> Protocol:
    """The protocol named ``name`` with any of its pieces overridden by ``options``."""
    try:
        protocol = PROTOCOLS[name]
    except KeyError:
        raise ValueError(f"unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}") from None
    if options is None:
        return protocol
    changes = {k: v for k, v in options.model_dump().items() if v is not None}
    return replace(protocol, **changes)
