"""Messages between the functions, and between them and the planning meeting.

Requests for the world (production and purchase orders, promotions, records) are
``sim.messages``; these are what the functions tell each other. The model delivers them:
reports are information and reach other functions ``information_delay_days`` late unless the
protocol shares data; orders waiting for approval, their release, and everything of the
meeting are delivered at once (they are one workflow, not a report).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.messages import ProductionOrder, Promotion, PurchaseOrder

__all__ = [
    "Budget",
    "Decided",
    "DemandProposal",
    "FinanceProposal",
    "ForApproval",
    "ForecastReport",
    "MaterialProposal",
    "MeetingCalled",
    "OrdersReleased",
    "PlanIssued",
    "Review",
    "SupplyProposal",
]


@dataclass(frozen=True)
class ForecastReport:
    """Sales' demand forecast, per product and day from ``day + 1`` (``per_day``: [P, days]).

    ``official``: it is the company's published forecast (no demand review makes one)."""

    owner: str
    day: int
    per_day: np.ndarray
    official: bool

    def from_day(self, day: int, days: int) -> np.ndarray:
        """The forecast of days ``day + 1 .. day + days``, [P, days] (the last day repeated if
        the forecast ends sooner)."""
        start = day - self.day
        rows = self.per_day[:, start : start + days]
        if rows.shape[1] < days:
            tail = self.per_day[:, -1:] if self.per_day.shape[1] else np.zeros((len(rows), 1))
            rows = np.hstack([rows, np.repeat(tail, days - rows.shape[1], axis=1)])
        return rows


@dataclass(frozen=True)
class Review:
    """The weekly review is due: each function makes its week's decisions."""

    day: int


@dataclass(frozen=True)
class Decided:
    """A line for the model's record of what a function chose (``decision`` for ``item``)."""

    function: str
    decision: str
    item: str
    value: float


@dataclass(frozen=True)
class ExceptionRaised:
    """A function tells the planning process that the plan no longer holds (a supplier has
    failed, demand broke out of its band); protocols with exception reviews meet on it."""

    function: str
    reason: str


@dataclass(frozen=True)
class ForApproval:
    """Orders a function wants released; Finance reviews them before the world sees them.

    ``rush``: expedited purchases, released within the expediting budget."""

    owner: str
    orders: tuple[ProductionOrder | PurchaseOrder, ...]
    rush: bool = False


@dataclass(frozen=True)
class OrdersReleased:
    """What Finance released of ``owner``'s orders (after any cut)."""

    owner: str
    orders: tuple[ProductionOrder | PurchaseOrder, ...]


@dataclass(frozen=True)
class Budget:
    """Finance's monthly budget: the inventory it will hold the company to (value at standard
    cost) and the expediting it will pay for this month."""

    day: int
    inventory_target: float
    expedite_budget: float


@dataclass(frozen=True)
class MeetingCalled:
    """The monthly planning meeting asks each function for its proposal: the plan will run
    from ``plan_start`` for ``weeks`` weeks (days needed ahead: ``days``)."""

    day: int
    plan_start: int
    weeks: int
    days: int


@dataclass(frozen=True)
class DemandProposal:
    """Sales at the meeting: its unconstrained forecast per product and day from ``day + 1``
    [P, days] and the promotions it wants to run."""

    owner: str
    day: int
    per_day: np.ndarray
    promotions: tuple[Promotion, ...] = ()
    expected_uplift: np.ndarray | None = None  # [product] what Sales expects a promotion to add


@dataclass(frozen=True)
class SupplyProposal:
    """Operations at the meeting: the plant as it is (capacity per line per day, what is
    coming, overtime limits and premiums, which line makes what), the finished-goods position
    per product, and the cover it plans with (lead time and safety, in days of demand)."""

    owner: str
    capacity_per_day: np.ndarray  # [line] regular, in force today
    capacity_coming: np.ndarray  # [line] approved, not yet in force
    overtime_fraction: np.ndarray  # [line]
    overtime_premium: np.ndarray  # [line] per unit
    line_makes: np.ndarray  # [line, product]
    position: np.ndarray  # [product] on hand + in production - backlog
    lead_time_days: float
    safety_days: float
    queued: np.ndarray | None = None  # [product] released to the lines, not started


@dataclass(frozen=True)
class ComponentSupply:
    """One component as Procurement sees it: where it comes from and what is on its way."""

    main_supplier: str
    regular_lead_days: float
    fast_supplier: str
    fast_mode: str
    fast_lead_days: float
    fast_freight_per_unit: float
    fast_price_premium: float  # fast source's price over the main supplier's, per unit
    alternate: str | None
    alternate_price_premium: float
    main_capacity_per_week: float | None
    available: float  # on hand + on order - needed by queued production
    overdue: float  # units on order past their quote, at any supplier
    stuck: float = 0.0  # of that, at suppliers Procurement judges to have failed
    lot: float = 0.0  # units it bought in its last order (how it buys: lots, not daily)


@dataclass(frozen=True)
class MaterialProposal:
    """Procurement at the meeting: each component's supply, in the order of the topology."""

    owner: str
    components: tuple[ComponentSupply, ...]
    safety_days: float = 0.0  # days of need it keeps as a buffer


@dataclass(frozen=True)
class FinanceProposal:
    """Finance at the meeting: the rates it values options with, the hurdle capital spending
    must clear, its inventory target, and the inventory on its books over the last weeks (all
    of it, and the finished goods part), at standard cost."""

    owner: str
    capital_rate_per_year: float
    storage_rate_per_year: float
    hurdle_rate: float
    inventory_target: float
    inventory_value: float
    finished_goods_value: float
    receivable_days: float = 0.0  # how long customers take to pay, on average
    payable_days: float = 0.0  # how long the company takes to pay suppliers, on average
    opening: object | None = None  # the books as they stand (agents.projection.Opening)
    balances: np.ndarray | None = None  # [day, account] at each close so far
    pending_capex: tuple[tuple[float, int], ...] = ()  # (capex, first day in service) to come


@dataclass(frozen=True)
class PlanIssued:
    """The one plan, sent to every function after the meeting (``plan`` is
    :class:`agents.protocols.Plan`)."""

    plan: object
    approved_promotions: tuple[Promotion, ...] = field(default=())
