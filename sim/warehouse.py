"""The finished-goods warehouse: stock by age, customers' open orders, and who gets scarce stock.

It holds what the plant has made and serves customers' orders with it, by an allocation rule
(:data:`ALLOCATION_RULES`, chosen by the config's ``allocation``); an unfilled order waits as a
backorder and is lost once older than its market's patience; stock past its shelf life is
scrapped. Every movement is posted to the books as it happens. The world tells it when (the
DEMAND and CLOSE phases, and when production completes); it decides nothing.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sim import ledger as rec
from sim.demand import split_by_share
from sim.ledger import Account, Ledger

__all__ = ["ALLOCATION_RULES", "TOL", "AllocationRule", "Warehouse", "dust"]

TOL = 1e-6
_DUST_RTOL = 1e-12


def dust(moved):
    """What is float dust of a stock after moving ``moved`` units (a number or an array): a
    millionth of a unit, plus the rounding of quantities as large as the move."""
    return TOL + _DUST_RTOL * np.abs(moved)


def _take_oldest(lots: deque, quantity: float) -> None:
    """Take ``quantity`` units out of ``lots`` ([day made, units], oldest first)."""
    while quantity > TOL and lots:
        oldest = lots[0]
        if oldest[1] <= quantity + TOL:
            quantity -= oldest[1]
            lots.popleft()
        else:
            oldest[1] -= quantity
            quantity = 0.0


class AllocationRule(Protocol):
    """How ``available`` units of a product go to its open ``orders`` ([id, market, day,
    units left]); returns the units each order gets, in the order the list then holds."""

    def give(
        self, orders: list[list], available: float, whole: bool, priority: np.ndarray
    ) -> np.ndarray: ...


def _in_turn(orders: list[list], available: float) -> np.ndarray:
    give = np.zeros(len(orders))
    left = available
    for i, o in enumerate(orders):
        q = min(o[3], left)
        give[i] = q
        left -= q
        if left <= TOL:
            break
    return give


@dataclass(frozen=True)
class FirstComeFirstServed:
    """Oldest order first, whichever its market."""

    def give(self, orders, available, whole, priority):
        orders.sort(key=lambda o: o[0])
        return _in_turn(orders, available)


@dataclass(frozen=True)
class ByPriority:
    """The market with the lowest ``priority`` number first, oldest order first within it."""

    def give(self, orders, available, whole, priority):
        orders.sort(key=lambda o: (priority[o[1]], o[0]))
        return _in_turn(orders, available)


@dataclass(frozen=True)
class FairShare:
    """Every open order gets the same share of what it asks (whole units where demand is)."""

    def give(self, orders, available, whole, priority):
        want = np.array([o[3] for o in orders])
        total = want.sum()
        if total <= available:
            return want
        return np.minimum(split_by_share(available, want / total, whole), want)


ALLOCATION_RULES: dict[str, AllocationRule] = {
    "fifo": FirstComeFirstServed(),
    "priority": ByPriority(),
    "fair_share": FairShare(),
}
"""The allocation rules, by the name a config gives (``allocation``)."""


class Warehouse:
    """Finished goods on hand per product (``on_hand``; by the day made in ``lots``) and the
    customers' open orders (``open_orders[p]``: [id, market, day ordered, units left])."""

    def __init__(
        self,
        ledger: Ledger,
        initial_on_hand: np.ndarray,
        shelf_life_days: Sequence[int | None],
        unit_cost: np.ndarray,
        price: np.ndarray,
        price_factor: np.ndarray,
        markets,
        rule: str,
        whole_units: np.ndarray,
    ) -> None:
        self.ledger, self.books = ledger, ledger.books
        self.on_hand = np.asarray(initial_on_hand, dtype=float).copy()
        # The opening stock counts as made on day 0: shipments take the oldest, and stock
        # past its shelf life is scrapped.
        self.lots: list[deque] = [deque([[0, q]]) if q > 0 else deque() for q in self.on_hand]
        self.shelf_life = list(shelf_life_days)
        self.unit_cost, self.price, self.price_factor = unit_cost, price, price_factor
        self.priority = np.array([m.priority for m in markets])
        self.patience = np.array([m.patience_days for m in markets])
        self.penalty = np.array([m.lost_sale_penalty_per_unit for m in markets])
        self.terms = np.array([m.payment_terms_days for m in markets])
        self.rule = ALLOCATION_RULES[rule]
        self.whole = whole_units
        self.open_orders: list[list[list]] = [[] for _ in self.on_hand]
        self.receivable_due: dict[int, float] = defaultdict(float)
        self._next_order_id = 0

    def backlog(self) -> np.ndarray:
        """Units ordered and not yet shipped nor lost, per product."""
        return np.array([sum(o[3] for o in orders) for orders in self.open_orders])

    def value(self) -> float:
        return float(self.on_hand @ self.unit_cost)

    def serve(self, day: int, p: int, by_market: np.ndarray) -> float:
        """DEMAND of ``day`` for product ``p``: take the new orders of each market
        (``by_market``: the day's demand split over the markets), ship what stock allows by
        the rule, and lose what has waited past its market's patience. Returns the units
        shipped."""
        record, post = self.ledger.record, self.books.post
        for k, q in enumerate(by_market.tolist()):
            if q > 0:
                oid = self._next_order_id
                self._next_order_id += 1
                self.open_orders[p].append([oid, k, day, q])
                record(rec.OrderReceived(day, oid, p, k, q))
        orders = self.open_orders[p]
        if not orders:
            return 0.0
        shipped = self._ship(p, orders, day)
        if shipped:
            post(
                day,
                Account.COGS,
                Account.INVENTORY_FINISHED,
                shipped * self.unit_cost[p],
                "cost of goods shipped",
            )
        still_open = []
        for order in orders:
            oid, k, oday, remaining = order
            if remaining <= TOL:
                continue
            if day - oday >= self.patience[k]:
                record(rec.SaleLost(day, oid, p, k, remaining))
                penalty = remaining * self.penalty[k]
                post(day, Account.PENALTIES, Account.CASH, penalty, "lost-sale penalty")
            else:
                still_open.append(order)
        self.open_orders[p] = still_open
        return shipped

    def _ship(self, p: int, orders: list[list], day: int) -> float:
        """Ship finished goods of product ``p`` to open orders by the allocation rule."""
        available = self.on_hand[p]
        if available <= TOL:
            return 0.0
        record, post = self.ledger.record, self.books.post
        give = self.rule.give(orders, available, bool(self.whole[p]), self.priority)
        shipped = 0.0
        for o, q in zip(orders, give, strict=True):
            if q <= TOL:
                continue
            q = float(q)
            o[3] -= q
            shipped += q
            record(rec.OrderShipped(day, o[0], p, o[1], q, o[2]))
            amount = q * self.price[p] * self.price_factor[day, p]
            post(day, Account.RECEIVABLES, Account.REVENUE, amount, "sale")
            self.receivable_due[day + int(self.terms[o[1]])] += amount
        self.on_hand[p] -= shipped
        _take_oldest(self.lots[p], shipped)
        if self.on_hand[p] != 0.0 and abs(self.on_hand[p]) < dust(shipped):
            # Float dust of a sold-out stock; its value leaves the books with it.
            value = self.on_hand[p] * self.unit_cost[p]
            self.on_hand[p] = 0.0
            self.lots[p].clear()
            post(day, Account.COGS, Account.INVENTORY_FINISHED, value, "rounding")
        return shipped

    def put_away(self, day: int, p: int, quantity: float) -> None:
        """Finished production of ``p`` joins the stock (RECEIVE; posted by the plant)."""
        self.on_hand[p] += quantity
        self.lots[p].append([day, quantity])

    def scrap_expired(self, day: int) -> None:
        """CLOSE: scrap finished goods that reached their product's shelf life today."""
        for p, life in enumerate(self.shelf_life):
            lots = self.lots[p]
            if life is None:
                continue
            expired = 0.0
            while lots and day - lots[0][0] >= life:
                expired += lots.popleft()[1]
            if expired > TOL:
                self.on_hand[p] -= expired
                if abs(self.on_hand[p]) < dust(expired):  # float dust goes with it
                    expired += self.on_hand[p]
                    self.on_hand[p] = 0.0
                    lots.clear()
                self.books.post(
                    day,
                    Account.OBSOLESCENCE,
                    Account.INVENTORY_FINISHED,
                    expired * self.unit_cost[p],
                    "stock past its shelf life scrapped",
                )
                self.ledger.record(rec.StockScrapped(day, p, expired))

    def audit(self, shipped_so_far: np.ndarray) -> list[str]:
        """What no longer adds up: stock below zero, or stock by age against on hand."""
        problems = []
        if (self.on_hand < -TOL).any():
            problems.append("negative stock")
        aged = np.array([sum(q for _, q in lots) for lots in self.lots])
        moved = shipped_so_far + np.abs(self.on_hand)
        if (np.abs(aged - self.on_hand) > dust(moved)).any():
            problems.append(f"finished goods by age {aged} vs on hand {self.on_hand}")
        return problems
