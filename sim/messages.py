"""Requests that decision makers hand to the world (present tense: what should happen).

The world validates and executes them in its ``EXECUTE`` phase; a request that names something
unknown is a bug in the decision maker and raises :class:`DecisionError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.ledger import PlanKind

__all__ = [
    "CapacityChange",
    "DecisionError",
    "DecisionRecord",
    "DemandForecast",
    "OrdersReview",
    "PlanRecord",
    "ProductionOrder",
    "Promotion",
    "PurchaseOrder",
    "ReplenishmentOrder",
    "ReserveCapacity",
    "index_of",
    "whole_units",
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
class ReserveCapacity:
    """Reserve ``extra_per_week`` more units of ``component`` a week at ``supplier`` for
    ``weeks`` whole weeks from ``start_day``, on the terms the supplier offers
    (``suppliers.*.components.*.reservation``; :attr:`sim.world.Topology.reservation_offers`).

    ``start_day`` is the first day of a week (a multiple of 7), at least the offer's
    ``lead_days`` after today; ``weeks`` is at least its ``min_weeks``; what is reserved in any
    week, this and earlier reservations together, is at most its ``extra_per_week``. The fee
    is billed for every reserved unit and week, used or not.
    """

    supplier: str
    component: str
    extra_per_week: float
    start_day: int
    weeks: int


@dataclass(frozen=True, slots=True)
class DemandForecast:
    """A forecast of demand per day for the next ``horizon_days`` (recorded, not executed).

    ``official``: it is the company's published forecast of record; ``acted_on``: its owner
    used it for its own decisions (see :class:`sim.ledger.ForecastIssued`).
    """

    owner: str
    product: str
    per_day: float
    horizon_days: int = 28
    official: bool = False
    acted_on: bool = True


@dataclass(frozen=True, slots=True)
class ReplenishmentOrder:
    """A serial-chain stage orders ``quantity`` from the stage upstream (negative = return)."""

    stage: str
    quantity: float


@dataclass(frozen=True, slots=True)
class Promotion:
    """Run a promotion: ``product`` sells at ``1 - price_discount`` of list price on days
    ``[start_day, start_day + duration_days)``; ``cost`` (media, displays) is paid on the first
    day. ``start_day`` must be in the future. How much demand rises is the market's answer
    (``products.*.demand.price_elasticity``), not the requester's."""

    product: str
    start_day: int
    duration_days: int
    price_discount: float
    cost: float = 0.0


@dataclass(frozen=True, slots=True)
class CapacityChange:
    """Add ``delta_per_day`` of regular capacity to ``line``, in service from ``start_day``
    (after today) and rising in ``ramp_days`` equal daily steps from then: on day
    ``start_day + k`` the line has ``(k + 1) / ramp_days`` of it, all of it from day
    ``start_day + ramp_days - 1`` on (0: all at once). ``capex`` is paid in cash now and
    depreciated like the plant from ``start_day``, when the asset is in service."""

    line: str
    delta_per_day: float
    start_day: int
    capex: float = 0.0
    ramp_days: int = 0


@dataclass(frozen=True, slots=True)
class PlanRecord:
    """A plan to record (not executed): ``quantities`` per week from ``start_day`` on.

    ``kind`` says what is counted (:class:`sim.ledger.PlanKind`); ``owner`` who made it;
    ``agreed``: the plan was reconciled across functions, not one function's own.
    """

    owner: str
    kind: PlanKind
    product: str
    start_day: int
    quantities: tuple[float, ...]
    agreed: bool = False


@dataclass(frozen=True, slots=True)
class OrdersReview:
    """Record a review of orders against a working-capital control (see
    :class:`sim.ledger.OrdersReviewed`)."""

    owner: str
    proposed_value: float
    cut_value: float
    excess_value: float


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A line of the decision log (recorded, not executed): ``entry`` must be JSON-able."""

    kind: str
    entry: dict


def index_of(index: dict[str, int], name: str, what: str) -> int:
    """The position of ``name`` among the world's ``what`` (a product, a supplier...), or a
    :class:`DecisionError` naming those it knows."""
    try:
        return index[name]
    except KeyError:
        raise DecisionError(f"unknown {what} {name!r}; known: {', '.join(index)}") from None


def whole_units(quantity: float) -> float:
    """An order's quantity in whole units (rounded up), or a :class:`DecisionError`."""
    if not np.isfinite(quantity) or quantity < 0:
        raise DecisionError(f"order quantity must be finite and >= 0, got {quantity}")
    return float(np.ceil(quantity - 1e-9))
