"""The annual operating plan month by month, and the default one derived from a first-year run.

A config may state its budget (:class:`agents.config.OperatingPlan`); without one, IBP plans
against a budget derived from a first-year run of the same company under ``sop``, on demand
drawn from a seed of its own (so the budget knows what a typical year looks like, not the
demand of the run it is used in). Years after the first grow revenue, margin and profit by the
demand growth Sales' market intelligence expects (revenue-weighted over products); inventory
grows with them; the cash a year adds is the first year's.
"""

from __future__ import annotations

import numpy as np

from agents.config import BudgetYear, CompanyConfig, FamilyBudget, OperatingPlan, ProtocolOptions
from sim import ledger as rec
from sim.calendar import DAYS_PER_YEAR, MONTH_LENGTHS
from sim.families import family_index

__all__ = ["BUDGET_LINES", "budget_for", "derive_budget", "monthly_budget"]

BUDGET_LINES = ("revenue", "gross_margin", "operating_profit", "inventory", "cash")
BUDGET_SEED_TAG = 0x62756467  # the budget run's own seed, derived from the config's


def monthly_budget(plan: OperatingPlan, opening_cash: float, months: int) -> dict[str, np.ndarray]:
    """Each budget line per calendar month of the run, 0 .. ``months`` - 1 (NaN past the
    budget's years): revenue and gross margin phased by ``plan.phasing``; operating profit as
    the month's gross margin less the year's costs below it spread by days (they are mostly
    fixed); inventory at the year's average; cash on a straight line to each year's end."""
    weights = np.array(plan.month_weights())
    days = np.array(MONTH_LENGTHS) / DAYS_PER_YEAR
    out = {name: np.full(months, np.nan) for name in BUDGET_LINES}
    cash_before = opening_cash
    for y, year in enumerate(plan.years):
        first = 12 * y
        if first >= months:
            break
        span = slice(first, min(first + 12, months))
        n = span.stop - span.start
        out["revenue"][span] = year.revenue * weights[:n]
        out["gross_margin"][span] = year.gross_margin * weights[:n]
        # Costs between gross margin and operating profit are mostly fixed: spread by days.
        fixed = year.gross_margin - year.operating_profit
        out["operating_profit"][span] = year.gross_margin * weights[:n] - fixed * days[:n]
        out["inventory"][span] = year.average_inventory
        out["cash"][span] = cash_before + (year.ending_cash - cash_before) * (
            np.arange(1, n + 1) / 12
        )
        cash_before = year.ending_cash
    return out


def family_budget(plan: OperatingPlan, families: tuple[str, ...], months: int) -> np.ndarray:
    """Revenue per family and month [F, months] where the budget states families (NaN
    elsewhere)."""
    weights = np.array(plan.month_weights())
    out = np.full((len(families), months), np.nan)
    for y, year in enumerate(plan.years):
        first = 12 * y
        if first >= months:
            break
        n = min(12, months - first)
        for f, name in enumerate(families):
            if name in year.families:
                out[f, first : first + n] = year.families[name].revenue * weights[:n]
    return out


def budget_for(config: CompanyConfig) -> OperatingPlan:
    """The config's budget, or the one derived from a first-year run."""
    if config.budget is not None:
        return config.budget
    key = config.model_dump_json(exclude={"budget", "protocol", "protocol_options"})
    if key not in _DERIVED:
        if len(_DERIVED) >= 16:
            _DERIVED.pop(next(iter(_DERIVED)))
        _DERIVED[key] = derive_budget(config)
    return _DERIVED[key]


_DERIVED: dict[str, OperatingPlan] = {}  # derived budgets of the configs seen in this process


def derive_budget(config: CompanyConfig) -> OperatingPlan:
    """A budget from a first-year run of ``config`` under ``sop`` (see the module docstring)."""
    from agents.model import OnePlanModel  # the model plans against budgets: import late
    from sim.metrics import avg_inventory_value, ending_cash, gross_margin, operating_profit
    from sim.metrics import revenue as revenue_of
    from sim.statements import books_statements

    seed = int(np.random.SeedSequence([config.seed, BUDGET_SEED_TAG]).generate_state(1)[0])
    first_year = config.model_copy(
        update={
            "protocol": "sop",
            "protocol_options": ProtocolOptions(),
            "horizon_days": DAYS_PER_YEAR,
            "budget": None,
        }
    )
    outcome = OnePlanModel(first_year, seed, DAYS_PER_YEAR).run()
    revenue, margin = revenue_of(outcome), gross_margin(outcome)
    profit, inventory = operating_profit(outcome), avg_inventory_value(outcome)
    cash_end = ending_cash(outcome)
    statements = books_statements(
        outcome.ledger.books, np.zeros(outcome.daily["balances"].shape[1]), 0, DAYS_PER_YEAR
    )
    monthly = statements.line("pnl", "revenue")
    phasing = tuple(float(max(x, 1e-9) / max(monthly.sum(), 1e-9) * 12) for x in monthly)
    families, family_of = family_index(tuple(config.products), config.families)
    sold = np.zeros(len(config.products))
    price = np.array([p.price for p in config.products.values()])
    cost = np.asarray(outcome.topology.product_standard_cost)
    for fact in outcome.ledger.of_type(rec.OrderShipped):
        sold[fact.product] += fact.quantity
    margin_p = sold * (price - cost)
    by_revenue = sold * price
    priors = config.agents.sales.market_intelligence
    trend = np.array(
        [priors[name].trend_per_year if name in priors else 0.0 for name in config.products]
    )
    growth = float(trend @ by_revenue / max(by_revenue.sum(), 1e-9))
    years = []
    opening = config.finance.opening_cash
    added = cash_end - opening
    for y in range(-(-config.horizon_days // DAYS_PER_YEAR)):
        scale = (1 + growth) ** y
        fams = {}
        for f, name in enumerate(families):
            members = family_of == f
            share_r = by_revenue[members].sum() / max(by_revenue.sum(), 1e-9)
            share_m = margin_p[members].sum() / max(margin_p.sum(), 1e-9)
            fams[name] = FamilyBudget.model_construct(
                revenue=round(revenue * share_r * scale, 2),
                gross_margin=round(margin * share_m * scale, 2),
            )
        # What a run made is not held to the bounds a stated budget's numbers are.
        years.append(
            BudgetYear.model_construct(
                revenue=round(revenue * scale, 2),
                gross_margin=round(margin * scale, 2),
                operating_profit=round(profit * scale, 2),
                average_inventory=round(inventory * scale, 2),
                ending_cash=round(opening + added * (y + 1), 2),
                families=fams,
            )
        )
    return OperatingPlan.model_construct(
        years=tuple(years), phasing=tuple(round(w, 4) for w in phasing)
    )
