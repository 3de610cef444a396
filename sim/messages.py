"""Requests that decision makers hand to the world (present tense: what should happen).

The world validates and executes them in its ``EXECUTE`` phase; a request that names something
unknown is a bug in the decision maker and raises :class:`DecisionError`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DecisionError",
    "DemandForecast",
    "ProductionOrder",
    "PurchaseOrder",
    "ReplenishmentOrder",
]


class DecisionError(ValueError):
    """A decision the world cannot execute (unknown name, negative quantity...)."""


@dataclass(frozen=True, slots=True)
class ProductionOrder:
    """Make ``quantity`` units of ``product`` (on ``line``, or the least loaded line that can).

    ``overtime`` allows the job to use the line's overtime capacity at its premium.
    """

    product: str
    quantity: float
    line: str | None = None
    overtime: bool = True


@dataclass(frozen=True, slots=True)
class PurchaseOrder:
    """Buy ``quantity`` units of ``component`` from ``supplier``, shipped by ``mode``."""

    component: str
    quantity: float
    supplier: str
    mode: str


@dataclass(frozen=True, slots=True)
class DemandForecast:
    """A forecast of demand per day for the next ``horizon_days`` (recorded, not executed)."""

    owner: str
    product: str
    per_day: float
    horizon_days: int = 28


@dataclass(frozen=True, slots=True)
class ReplenishmentOrder:
    """A serial-chain stage orders ``quantity`` from the stage upstream (negative = return)."""

    stage: str
    quantity: float
