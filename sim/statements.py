"""Monthly financial statements — profit and loss, balance sheet, cash flow — from the movements
between accounts day by day.

The same function makes the statements of the books a run posted and of a projection of a plan
(:mod:`agents.projection`), which moves value between the same pairs of accounts by the same
rules; so a projection can be read against the books line by line. Nothing here decides.

Lines (money per calendar month; balance-sheet lines at the month's close):

- ``pnl``: ``revenue``, then one line per expense account (``cogs``,
  ``purchase_price_variance``, ``holding_capital``…), ``gross_margin`` (revenue − COGS −
  purchase price variance), ``operating_profit`` (every expense but interest, as
  :func:`sim.metrics.operating_profit`) and ``net_profit`` (after interest).
- ``balance``: ``cash``, ``receivables``, ``inventory`` (components, in transit, work in
  process and finished goods at standard cost), ``fixed_assets``, ``payables``.
- ``cash``: money in (positive) and out (negative) by what it paid for: ``collections`` from
  customers, ``supplier_payments``, ``conversion`` (labour and overhead of production), one
  ``<expense>`` line per expense paid in cash (``overtime``, ``holding_storage``…), ``capex``,
  ``opening`` (the opening position on day 0) and ``net_cash_flow``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calendar import DAYS_PER_YEAR, MONTH_LENGTHS, month_of_day
from sim.ledger import DEBIT_NORMAL, EXPENSES, INCOME, INVENTORY, Account, Books

__all__ = [
    "BALANCE_LINES",
    "Flows",
    "Statements",
    "books_statements",
    "journal_flows",
    "month_starts",
    "statements",
    "summary_lines",
]

Flows = dict[tuple[Account, Account], np.ndarray]
"""Amounts moved per day, keyed by (debit account, credit account)."""

_GROSS = (Account.COGS, Account.PURCHASE_PRICE_VARIANCE)
_BELOW_OPERATING = (Account.INTEREST,)
_CASH_NAMES = {
    Account.RECEIVABLES: "collections",
    Account.PAYABLES: "supplier_payments",
    Account.INVENTORY_WIP: "conversion",
    Account.FIXED_ASSETS: "capex",
    Account.EQUITY: "opening",
}
BALANCE_LINES = ("cash", "receivables", "inventory", "fixed_assets", "payables")


def month_starts(first_day: int, days: int) -> np.ndarray:
    """The first day of each calendar month that days ``first_day .. first_day + days - 1``
    touch (the first one may be ``first_day`` itself, mid-month)."""
    starts, day = [first_day], first_day
    while True:
        year, in_year = divmod(day, DAYS_PER_YEAR)
        edges = np.cumsum((0, *MONTH_LENGTHS))
        day = year * DAYS_PER_YEAR + int(edges[np.searchsorted(edges, in_year, side="right")])
        if day >= first_day + days:
            return np.array(starts)
        starts.append(day)


def journal_flows(books: Books, first_day: int, days: int) -> Flows:
    """What ``books`` posted on days ``first_day .. first_day + days - 1``, per pair of
    accounts and day (reversed postings count negative, as they move the balances)."""
    flows: Flows = {}
    for e in books.journal:
        i = e.day - first_day
        if 0 <= i < days:
            key = (e.debit, e.credit)
            if key not in flows:
                flows[key] = np.zeros(days)
            flows[key][i] += e.amount
    return flows


def _signed(account: Account) -> float:
    return 1.0 if account in DEBIT_NORMAL else -1.0


def _cash_line(counterpart: Account) -> str:
    return _CASH_NAMES.get(counterpart, counterpart.name.lower())


@dataclass(frozen=True)
class Statements:
    """Statements per calendar month: ``month`` is the month index of the run (0 = the first
    January), ``first_day`` each month's first day covered; ``lines[(statement, line)]`` the
    amounts per month."""

    month: np.ndarray
    first_day: np.ndarray
    lines: dict[tuple[str, str], np.ndarray]

    def line(self, statement: str, name: str) -> np.ndarray:
        """One line's amounts per month (zeros for a line nothing was posted to)."""
        return self.lines.get((statement, name), np.zeros(len(self.month)))

    def frame(self) -> pd.DataFrame:
        """One row per month and line: ``month``, ``first_day``, ``statement``, ``line``,
        ``amount``."""
        rows = [
            (int(m), int(d), statement, name, float(values[i]))
            for (statement, name), values in self.lines.items()
            for i, (m, d) in enumerate(zip(self.month, self.first_day, strict=True))
        ]
        return pd.DataFrame(rows, columns=["month", "first_day", "statement", "line", "amount"])

    def names(self, statement: str) -> list[str]:
        return [name for s, name in self.lines if s == statement]


def summary_lines(moved: np.ndarray, close: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """The headline lines from each account's natural-sign change over a period (``moved``)
    and its balance at the period's close (``close``), accounts on the first axis (a vector
    for one period, a matrix for many): revenue, gross margin, operating and net profit, cash,
    receivables, inventory, fixed assets, payables."""
    revenue = sum(moved[a] for a in INCOME)
    return {
        ("pnl", "revenue"): revenue,
        ("pnl", "gross_margin"): revenue - sum(moved[a] for a in _GROSS),
        ("pnl", "operating_profit"): revenue
        - sum(moved[a] for a in EXPENSES if a not in _BELOW_OPERATING),
        ("pnl", "net_profit"): revenue - sum(moved[a] for a in EXPENSES),
        ("balance", "cash"): close[Account.CASH],
        ("balance", "receivables"): close[Account.RECEIVABLES],
        ("balance", "inventory"): close[list(INVENTORY)].sum(axis=0),
        ("balance", "fixed_assets"): close[Account.FIXED_ASSETS],
        ("balance", "payables"): close[Account.PAYABLES],
    }


def statements(flows: Flows, opening: np.ndarray, first_day: int, days: int) -> Statements:
    """Monthly statements of ``flows`` (per day from ``first_day``, over ``days`` days) on top
    of ``opening``, the natural-sign balance of every account before ``first_day``."""
    starts = month_starts(first_day, days)
    edges = np.append(starts - first_day, days)
    n = len(starts)

    def per_month(values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values, edges[:-1]) if days else np.zeros(n)

    net = np.zeros((len(Account), days))  # natural-sign change of each account per day
    cash: dict[str, np.ndarray] = {}
    for (debit, credit), amounts in flows.items():
        net[debit] += _signed(debit) * amounts
        net[credit] -= _signed(credit) * amounts
        if debit == Account.CASH and credit != Account.CASH:
            cash.setdefault(_cash_line(credit), np.zeros(n))
            cash[_cash_line(credit)] += per_month(amounts)
        elif credit == Account.CASH and debit != Account.CASH:
            cash.setdefault(_cash_line(debit), np.zeros(n))
            cash[_cash_line(debit)] -= per_month(amounts)
    month_net = np.stack([per_month(row) for row in net]) if days else np.zeros((len(Account), n))
    close = np.asarray(opening, dtype=float)[:, None] + np.cumsum(month_net, axis=1)

    lines = summary_lines(month_net, close)
    for account in EXPENSES:
        lines["pnl", account.name.lower()] = month_net[account]
    for name in sorted(cash):
        lines["cash", name] = cash[name]
    lines["cash", "net_cash_flow"] = month_net[Account.CASH]
    months = month_of_day(starts)
    return Statements(month=months, first_day=starts, lines=lines)


def books_statements(
    books: Books, balances_before: np.ndarray, first_day: int, days: int
) -> Statements:
    """The statements of what ``books`` posted on days ``first_day ..`` (``balances_before``:
    every account's balance at the close of the day before; zeros before day 0)."""
    return statements(journal_flows(books, first_day, days), balances_before, first_day, days)
