"""Finance's valuation of a planning option, with the cost terms the books will post.

An option — build ahead, buy overtime, fly components, switch supplier, drop a promotion, add
capacity — changes units sold, costs, and stock held over the planning horizon. Finance turns
that into dollars line by line, with the rates of the company's books: the margin at standard
cost, the lost-sale penalties avoided, the costs the option incurs, the capital charge *and* the
storage on the stock it builds, and the cost of waiting for cash (customers pay after their
payment terms, suppliers are paid after theirs). The executive decides on these terms; the
decision log shows every one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.calendar import DAYS_PER_YEAR

__all__ = ["OptionValue", "Valuation"]


@dataclass(frozen=True)
class OptionValue:
    """An option in dollars over the planning horizon, by cost term (gains positive):
    revenue and margin it adds, penalties it avoids, what it costs, the depreciation of what it
    builds, the capital charge (on the stock it holds, or the capital it spends) and storage,
    and the cost of the cash timing; plus the working capital
    it ties up on average, and the capital it spends (cash, not a cost: its depreciation is)."""

    revenue: float = 0.0
    margin: float = 0.0
    penalties: float = 0.0
    cost: float = 0.0
    capital_charge: float = 0.0
    storage: float = 0.0
    timing: float = 0.0
    working_capital: float = 0.0
    depreciation: float = 0.0
    capex: float = 0.0

    @property
    def profit(self) -> float:
        """What the option adds to operating profit over the horizon."""
        return (
            self.margin
            + self.penalties
            - self.cost
            - self.depreciation
            - self.capital_charge
            - self.storage
            - self.timing
        )

    def minus(self, other: OptionValue) -> OptionValue:
        """This option's value over ``other``'s, term by term."""
        names = self.__dataclass_fields__
        return OptionValue(**{n: getattr(self, n) - getattr(other, n) for n in names})

    def as_dict(self) -> dict[str, float]:
        out = {name: round(float(getattr(self, name)), 2) for name in self.__dataclass_fields__}
        out["profit"] = round(self.profit, 2)
        return out


@dataclass(frozen=True)
class Valuation:
    """Finance's rates: capital charge and storage per year, and the days customers and
    suppliers take to pay and be paid."""

    capital_rate_per_year: float
    storage_rate_per_year: float
    receivable_days: float
    payable_days: float

    def value(
        self,
        units_gained: np.ndarray,
        unit_price: np.ndarray,
        unit_cost: np.ndarray,
        penalty_per_unit: float,
        cost: float = 0.0,
        stock_dollar_days: float = 0.0,
        on_hand: bool = True,
        horizon_days: float = 1.0,
    ) -> OptionValue:
        """An option that sells ``units_gained`` more per product for ``cost`` (paid to
        suppliers or staff), holding ``stock_dollar_days`` of extra inventory (value × days;
        ``on_hand``: in the warehouse, so storage is paid too) over ``horizon_days``."""
        units = np.asarray(units_gained, dtype=float)
        revenue = float(units @ unit_price)
        margin = float(units @ (unit_price - unit_cost))
        penalties = float(units.sum() * penalty_per_unit)
        capital = stock_dollar_days * self.capital_rate_per_year / DAYS_PER_YEAR
        storage = stock_dollar_days * self.storage_rate_per_year / DAYS_PER_YEAR if on_hand else 0.0
        # Revenue arrives after the customers' terms, costs leave after the suppliers': the
        # money meanwhile is charged at the capital rate.
        timing = (
            (revenue * self.receivable_days - cost * self.payable_days)
            * self.capital_rate_per_year
            / DAYS_PER_YEAR
        )
        return OptionValue(
            revenue=revenue,
            margin=margin,
            penalties=penalties,
            cost=float(cost),
            capital_charge=capital,
            storage=storage,
            timing=timing,
            working_capital=stock_dollar_days / max(horizon_days, 1.0),
        )
