"""Immutable records of what happened, and the double-entry books they are posted to.

The world appends past-tense facts (``OrderShipped``, ``ShipmentReceived``...) and posts every
movement of value to :class:`Books`, where each entry debits one account and credits another by
the same amount. Inventory is carried at standard cost; the difference between what a component
cost and its standard goes to ``purchase_price_variance``. Holding cost has two parts: storage
(paid in cash) and a capital charge on inventory value, an economic cost credited to the
``capital_charge_equity`` account so it lowers operating profit without moving cash.

KPIs are computed from these records after a run (``sim.metrics``); nothing here decides.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import NamedTuple

import numpy as np

__all__ = ["Account", "Books", "Ledger"]


class Account(IntEnum):
    """Accounts of the books. Assets and expenses have debit balances; the rest credit.

    New accounts are appended, so an account's number stays what it was in older results.
    ``CAPACITY_RESERVATION`` holds the fees suppliers bill for capacity reserved (through
    payables, on their payment terms, like their invoices for components).
    """

    CASH = 0
    RECEIVABLES = 1
    INVENTORY_COMPONENTS = 2
    INVENTORY_IN_TRANSIT = 3
    INVENTORY_WIP = 4
    INVENTORY_FINISHED = 5
    FIXED_ASSETS = 6
    PAYABLES = 7
    EQUITY = 8
    CAPITAL_CHARGE_EQUITY = 9
    REVENUE = 10
    COGS = 11
    PURCHASE_PRICE_VARIANCE = 12
    HOLDING_CAPITAL = 13
    HOLDING_STORAGE = 14
    TRANSPORT = 15
    EXPEDITING = 16
    OVERTIME = 17
    PENALTIES = 18
    PROMOTION = 19
    DEPRECIATION = 20
    INTEREST = 21
    OVERHEAD = 22
    OBSOLESCENCE = 23
    CAPACITY_RESERVATION = 24


ASSETS = (
    Account.CASH,
    Account.RECEIVABLES,
    Account.INVENTORY_COMPONENTS,
    Account.INVENTORY_IN_TRANSIT,
    Account.INVENTORY_WIP,
    Account.INVENTORY_FINISHED,
    Account.FIXED_ASSETS,
)
LIABILITIES = (Account.PAYABLES,)
EQUITY = (Account.EQUITY, Account.CAPITAL_CHARGE_EQUITY)
INCOME = (Account.REVENUE,)
EXPENSES = (
    Account.COGS,
    Account.PURCHASE_PRICE_VARIANCE,
    Account.HOLDING_CAPITAL,
    Account.HOLDING_STORAGE,
    Account.TRANSPORT,
    Account.EXPEDITING,
    Account.OVERTIME,
    Account.PENALTIES,
    Account.PROMOTION,
    Account.DEPRECIATION,
    Account.INTEREST,
    Account.OVERHEAD,
    Account.OBSOLESCENCE,
    Account.CAPACITY_RESERVATION,
)
DEBIT_NORMAL = frozenset(ASSETS + EXPENSES)
_SIGNS = np.array([1.0 if a in DEBIT_NORMAL else -1.0 for a in Account])  # natural sign
INVENTORY = (
    Account.INVENTORY_COMPONENTS,
    Account.INVENTORY_IN_TRANSIT,
    Account.INVENTORY_WIP,
    Account.INVENTORY_FINISHED,
)


class Entry(NamedTuple):
    """One journal entry: ``amount`` moves from ``credit`` to ``debit`` on ``day``. (A named
    tuple, immutable like the facts, and several times quicker to make: a run books tens of
    thousands.)"""

    day: int
    debit: Account
    credit: Account
    amount: float
    memo: str


class Books:
    """A double-entry ledger. Balances are signed: debits positive, credits negative.

    ``balance(account)`` returns the natural-sign balance (positive for a normal balance).
    """

    def __init__(self) -> None:
        self.journal: list[Entry] = []
        # Plain floats, one per account: a posting updates four of them, tens of thousands of
        # times a run, and Python floats add exactly as numpy's do, only without the overhead.
        self._raw = [0.0] * len(Account)
        self._turnover = [0.0] * len(Account)

    def post(self, day: int, debit: Account, credit: Account, amount: float, memo: str) -> None:
        """Post ``amount`` (may be negative: then the direction reverses) on ``day``."""
        if amount == 0.0:
            return
        amount = float(amount)
        if not math.isfinite(amount):
            raise ValueError(f"non-finite amount {amount} for {memo}")
        self.journal.append(Entry(day, debit, credit, amount, memo))
        raw, turnover, size = self._raw, self._turnover, abs(amount)
        raw[debit] += amount
        raw[credit] -= amount
        turnover[debit] += size
        turnover[credit] += size

    def balance(self, account: Account) -> float:
        raw = self._raw[account]
        return raw if account in DEBIT_NORMAL else -raw

    def balances(self) -> np.ndarray:
        """Natural-sign balances of every account, indexed by :class:`Account`."""
        return np.array(self._raw) * _SIGNS

    def turnover(self, account: Account | None = None) -> float:
        """Everything ever posted to ``account`` (all accounts: each entry counted once),
        debits and credits alike: the scale of the rounding in its balance."""
        if account is None:
            return float(np.array(self._turnover).sum() / 2)
        return self._turnover[account]

    def trial_balance_gap(self) -> float:
        """Sum of debits minus credits over all accounts: zero when the books balance."""
        return float(np.array(self._raw).sum())

    def equation_gap(self) -> float:
        """Assets − (liabilities + equity + income − expenses): zero when the books balance."""
        b = self.balances()
        assets = b[list(ASSETS)].sum()
        claims = b[list(LIABILITIES)].sum() + b[list(EQUITY)].sum()
        profit = b[list(INCOME)].sum() - b[list(EXPENSES)].sum()
        return float(assets - claims - profit)


class Ledger:
    """Everything a run recorded: facts, the books, and the daily close snapshots."""

    def __init__(self) -> None:
        self.facts: list[object] = []
        self.books = Books()
        self._by_type: dict[type, list] = {}
        self._indexed = 0  # facts sorted into _by_type so far

    def record(self, fact: object) -> None:
        self.facts.append(fact)

    def of_type(self, kind: type) -> list:
        """The facts of ``kind``, in the order they were recorded (sorted by type once for
        every caller: the KPIs each read a few kinds out of hundreds of thousands of facts)."""
        if self._indexed > len(self.facts):  # the list was replaced: sort it again
            self._by_type, self._indexed = {}, 0
        if self._indexed < len(self.facts):
            by_type = self._by_type
            for fact in self.facts[self._indexed :]:
                group = by_type.get(type(fact))
                if group is None:
                    by_type[type(fact)] = [fact]
                else:
                    group.append(fact)
            self._indexed = len(self.facts)
        return list(self._by_type.get(kind, ()))

    def __getstate__(self) -> dict:
        return {"facts": self.facts, "books": self.books}  # the index is rebuilt on demand

    def __setstate__(self, state: dict) -> None:
        self.facts, self.books = state["facts"], state["books"]
        self._by_type, self._indexed = {}, 0


# ------------------------------------------------------------------------------- facts
# Past-tense, immutable records. Quantities are units; days are simulation days.


@dataclass(frozen=True, slots=True)
class OrderReceived:
    day: int
    order_id: int
    product: int
    market: int
    quantity: float


@dataclass(frozen=True, slots=True)
class OrderShipped:
    day: int
    order_id: int
    product: int
    market: int
    quantity: float
    order_day: int


@dataclass(frozen=True, slots=True)
class SaleLost:
    day: int
    order_id: int
    product: int
    market: int
    quantity: float


@dataclass(frozen=True, slots=True)
class ForecastIssued:
    """A demand forecast of ``per_day`` units a day over the ``horizon_days`` after ``day``.

    ``official``: the company's published demand forecast of record (the one every function is
    handed). ``acted_on``: the number its owner used for its own decisions that day (a
    proposal to a meeting is neither).
    """

    day: int
    owner: str
    product: int
    per_day: float
    horizon_days: int
    official: bool
    acted_on: bool


@dataclass(frozen=True, slots=True)
class ProductionOrdered:
    day: int
    product: int
    line: int
    quantity: float


@dataclass(frozen=True, slots=True)
class ProductionStarted:
    day: int
    product: int
    line: int
    quantity: float
    overtime_quantity: float


@dataclass(frozen=True, slots=True)
class ProductionCompleted:
    day: int
    product: int
    line: int
    quantity: float
    start_day: int


@dataclass(frozen=True, slots=True)
class PurchaseOrderPlaced:
    day: int
    po_id: int
    supplier: int
    component: int
    quantity: float
    mode: int
    unit_price: float


@dataclass(frozen=True, slots=True)
class ShipmentDispatched:
    day: int
    po_id: int
    supplier: int
    component: int
    quantity: float
    mode: int
    late_days: int


@dataclass(frozen=True, slots=True)
class ShipmentReceived:
    day: int
    po_id: int
    supplier: int
    component: int
    quantity: float
    mode: int
    dispatch_day: int


@dataclass(frozen=True, slots=True)
class StockScrapped:
    """Finished goods of ``product`` scrapped because they reached their shelf life."""

    day: int
    product: int
    quantity: float


@dataclass(frozen=True, slots=True)
class PurchaseOrderCancelled:
    day: int
    po_id: int
    supplier: int
    component: int
    quantity: float
    reason: str


@dataclass(frozen=True, slots=True)
class PromotionScheduled:
    day: int
    product: int
    start_day: int
    duration_days: int
    uplift: float
    price_discount: float
    cost: float


@dataclass(frozen=True, slots=True)
class CapacityChanged:
    """A capacity change approved on ``day``: ``capex`` paid then, ``delta_per_day`` more on
    ``line`` in service from ``start_day``, reached in ``ramp_days`` equal daily steps."""

    day: int
    line: int
    delta_per_day: float
    start_day: int
    capex: float
    ramp_days: int = 0


@dataclass(frozen=True, slots=True)
class CapacityReserved:
    """Capacity reserved on ``day`` (take-or-pay): ``extra_per_week`` more units of
    ``component`` at ``supplier`` each week of the ``weeks`` from ``start_day`` (the first day
    of a week), billed ``fee_per_week`` a week whether the company buys them or not."""

    day: int
    supplier: int
    component: int
    extra_per_week: float
    start_day: int
    weeks: int
    fee_per_week: float

    @property
    def end_day(self) -> int:
        """The first day after the window."""
        return self.start_day + 7 * self.weeks


class PlanKind(StrEnum):
    """What a plan's quantities count, week by week."""

    DEMAND = "demand"  # units customers are expected to order
    PRODUCTION = "production"  # units to make


@dataclass(frozen=True, slots=True)
class PlanRecorded:
    """A plan per week from ``start_day``; ``agreed``: reconciled across functions (a plan of
    record everyone executes), else one function's own."""

    day: int
    owner: str
    kind: PlanKind
    product: int
    start_day: int
    quantities: tuple[float, ...]
    agreed: bool


@dataclass(frozen=True, slots=True)
class OrdersReviewed:
    """A review of the week's orders against a working-capital control: the value proposed,
    the value cut, and how far inventory was projected over its target (0 = within it)."""

    day: int
    owner: str
    proposed_value: float
    cut_value: float
    excess_value: float


@dataclass(frozen=True, slots=True)
class DecisionRecorded:
    """A line of the decision log, kept as JSON text so that the record cannot change."""

    day: int
    kind: str
    text: str

    @property
    def entry(self) -> dict:
        return json.loads(self.text)
