"""Finance: turns plans into dollars, sets budgets and caps; wants low cost, margin and cash.

Finance sees the books (late, in silo: at the month's close). It caps inventory at a number of
days of cost of goods sold and, when stock runs over the cap, cuts the orders of Operations and
Procurement after the fact; it rations expediting; it discounts the forecasts it doubts. With a
supply review it values every option in dollars and lifts the cap to the inventory the plan
builds on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from agents.base import FunctionAgent, View
from agents.config import CompanyConfig, FinanceAgent
from sim.calendar import DAYS_PER_YEAR
from sim.ledger import Account

__all__ = ["Finance", "OptionValue"]


@dataclass(frozen=True)
class OptionValue:
    """An option in dollars over the planning horizon: revenue and margin it adds, what it
    costs, the working capital it ties up on average, and the capital charge on that."""

    revenue: float
    margin: float
    cost: float
    working_capital: float
    carrying: float

    @property
    def cash(self) -> float:
        """Operating cash the option brings over the horizon (margin less its cost)."""
        return self.margin - self.cost

    def as_dict(self) -> dict[str, float]:
        return {
            "revenue": round(self.revenue, 2),
            "margin": round(self.margin, 2),
            "cost": round(self.cost, 2),
            "working_capital": round(self.working_capital, 2),
            "capital_charge": round(self.carrying, 2),
            "cash": round(self.cash, 2),
        }


class Finance(FunctionAgent):
    function = "finance"

    def __init__(self, model: mesa.Model, config: CompanyConfig, knobs: FinanceAgent) -> None:
        super().__init__(model, goal=knobs.incentive)
        self.knobs = knobs
        self.rate = config.finance.capital_charge_rate_per_year
        self.cap_value = np.inf
        self.cutting = False
        self.expedite_spent = 0.0
        self.expedite_budget = knobs.expedite_budget_per_month

    def close_month(
        self, view: View, planned_inventory_value: float | None, approved_expedite: float | None
    ) -> None:
        """Month start: set the inventory cap and the expediting budget for the month.

        With an agreed supply plan (``planned_inventory_value`` and ``approved_expedite`` given)
        the cap makes room for the stock the plan builds and the budget is what the executive
        approved; without one, the cap and the budget are Finance's own rules.
        """
        balances = view.late(view.obs.state_history["balances"])
        if len(balances) >= 30:
            cogs_per_day = (balances[-1, Account.COGS] - balances[-30, Account.COGS]) / 29
        else:
            cogs_per_day = np.nan
        cap = self.knobs.inventory_cap_days * cogs_per_day if np.isfinite(cogs_per_day) else np.inf
        if planned_inventory_value is not None:
            cap = max(cap, 1.1 * planned_inventory_value)
        self.cap_value = cap
        self.expedite_spent = 0.0
        own = self.knobs.expedite_budget_per_month
        # With a plan, rushing is bought in the review; a quarter of Finance's own budget stays
        # in reserve for what no review foresaw (a supplier failing between cycles).
        self.expedite_budget = own if approved_expedite is None else approved_expedite + 0.25 * own

    def review(self, view: View) -> float:
        """Weekly: the factor Finance applies to this week's orders (1 = no cut)."""
        balances = view.late(view.obs.state_history["balances"])
        if not len(balances):
            return 1.0
        inventory = balances[
            -1,
            [
                Account.INVENTORY_COMPONENTS,
                Account.INVENTORY_IN_TRANSIT,
                Account.INVENTORY_WIP,
                Account.INVENTORY_FINISHED,
            ],
        ].sum()
        # Paid on operating profit, Finance tolerates stock up to twice the cap before cutting.
        cap = self.cap_value * (2.0 if self.knobs.incentive == "operating_profit" else 1.0)
        self.cutting = bool(inventory > cap)
        return 1.0 - self.knobs.cut_fraction if self.cutting else 1.0

    def expedite_allowance(self) -> float:
        return max(0.0, self.expedite_budget - self.expedite_spent)

    def spend_expedite(self, amount: float) -> None:
        self.expedite_spent += amount

    def skeptical(self, forecast: np.ndarray) -> np.ndarray:
        """Finance's own version of a forecast it doubts."""
        return forecast * (1.0 - self.knobs.skepticism)

    def value(
        self,
        units_gained: np.ndarray,
        unit_price: np.ndarray,
        unit_cost: np.ndarray,
        cost: float,
        dollar_days: float,
        horizon_days: float,
    ) -> OptionValue:
        """Dollar value of an option that sells ``units_gained`` more per product for ``cost``,
        holding ``dollar_days`` of extra inventory (value × days) over ``horizon_days``."""
        revenue = float(units_gained @ unit_price)
        margin = float(units_gained @ (unit_price - unit_cost))
        carrying = dollar_days * self.rate / DAYS_PER_YEAR
        return OptionValue(revenue, margin, float(cost), dollar_days / horizon_days, carrying)

    def approves_capex(self, annual_margin: float, capex: float, years: float) -> bool:
        """Capital spending pays if its margin, discounted at the hurdle rate, beats its cost."""
        r = self.knobs.capex_hurdle_rate
        annuity = years if r == 0 else (1 - (1 + r) ** -years) / r
        return annual_margin * annuity > capex
