"""KPIs: pure functions of what a run recorded, computed after the run, never inside it.

Each KPI of a company run is a function ``name(outcome) -> float`` registered in
:data:`COMPANY_KPIS` under its interface name; its docstring is its definition, with units.
Money is in the config's currency; "per year" figures are annualised over the run length.
A serial chain has its own, smaller set (:func:`chain_kpis`).

KPIs about plans and forecasts (``plan_adherence``, ``plan_nervousness``,
``forecast_disagreement``) read the plans and forecasts the decision makers recorded; they are
NaN where nothing was recorded (classic policies make no plans).

A KPI is NaN, never a made-up number, when what it measures did not happen (a ratio over
nothing); each docstring says when (``NaN when ...``), and a test holds every KPI to it.

A config's ``warmup_days`` are simulated and left out of every KPI: a run is measured from the
first day after its warm-up to its end. What a KPI then counts is registered with it
(:data:`KPI_WINDOWS`): the orders placed, the facts recorded, the amounts booked or the days
closed after the warm-up; rates per day or year are over the days measured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from sim import ledger as rec
from sim.calendar import DAYS_PER_WEEK, DAYS_PER_YEAR, month_start, weekly_totals
from sim.chain import ChainOutcome
from sim.ledger import Account
from sim.world import CompanyOutcome

__all__ = [
    "COMPANY_KPIS",
    "chain_kpi_names",
    "chain_kpis",
    "company_kpis",
    "kpis",
    "measured_from",
    "warmup_periods",
]

COMPANY_KPIS: dict[str, Callable[[CompanyOutcome], float]] = {}
KPI_UNITS: dict[str, str] = {}  # how each KPI reads: share, money, units, days, per_year, ratio
KPI_GROUPS: dict[str, tuple[str, ...]] = {}  # the sections of a KPI table, in order
KPI_WINDOWS: dict[str, str] = {}  # what each company KPI counts after a warm-up (WINDOWS)

WINDOWS = {
    "orders": "the customer orders placed after it",
    "events": "what happened after it (each unit on the day it was lost or scrapped)",
    "booked": "the amounts booked after it",
    "closed": "the days after it: what their closes recorded, with amounts booked on them "
    "turned into rates per day or year over those days",
    "forecasts": "the forecasts issued after it, scored against the demand that followed",
    "plans": "the plans agreed, orders reviewed and meetings held after it",
    "months": "the months that start after it: each one's projection, made as it began, "
    "against its books",
    "close": "unchanged: the close of the last day",
}
"""How a company KPI leaves out a warm-up: what it counts of the run after it."""


def kpi(unit: str, group: str, window: str) -> Callable:
    """Register a company KPI under its function's name, with how it reads, its section and
    what it counts after a warm-up (a key of :data:`WINDOWS`)."""
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}; expected one of {sorted(WINDOWS)}")

    def register(function: Callable[[CompanyOutcome], float]) -> Callable[[CompanyOutcome], float]:
        _declare(function.__name__, unit, group)
        COMPANY_KPIS[function.__name__] = function
        KPI_WINDOWS[function.__name__] = window
        return function

    return register


def _declare(name: str, unit: str, group: str) -> None:
    KPI_UNITS[name] = unit
    KPI_GROUPS[group] = (*KPI_GROUPS.get(group, ()), name)


# ------------------------------------------------------------------------- helpers


def measured_from(outcome: CompanyOutcome) -> int:
    """The first day a company's KPIs measure: the day after its warm-up."""
    start = outcome.config.warmup_days
    if start >= outcome.days:
        raise ValueError(
            f"a warm-up of {start} days leaves nothing of a {outcome.days}-day run to measure"
        )
    return start


def _facts(outcome: CompanyOutcome, kind: type) -> list:
    """The facts of ``kind`` recorded on the days measured."""
    facts = outcome.ledger.of_type(kind)
    start = measured_from(outcome)
    return [f for f in facts if f.day >= start] if start else facts


def _journal(outcome: CompanyOutcome) -> list:
    """The journal entries booked on the days measured."""
    journal, start = outcome.ledger.books.journal, measured_from(outcome)
    return [e for e in journal if e.day >= start] if start else journal


def _flow(outcome: CompanyOutcome, account: Account) -> float:
    """Total of an income or expense account over the days measured (such accounts start the
    run at zero: after a warm-up, the total less its balance at the warm-up's last close)."""
    start = measured_from(outcome)
    total = outcome.ledger.books.balance(account)
    return total - float(outcome.daily["balances"][start - 1, int(account)]) if start else total


def _daily(outcome: CompanyOutcome, key: str) -> np.ndarray:
    """A daily record (``outcome.daily[key]``) over the days measured."""
    return outcome.daily[key][measured_from(outcome) :]


def _demand(outcome: CompanyOutcome) -> np.ndarray:
    """Units demanded per day and product over the days measured."""
    return outcome.demand[measured_from(outcome) :]


def _balances(outcome: CompanyOutcome, *accounts: Account) -> np.ndarray:
    """End-of-day balance of the sum of ``accounts`` on each day measured."""
    return _daily(outcome, "balances")[:, [int(a) for a in accounts]].sum(axis=1)


def _days(outcome: CompanyOutcome) -> int:
    """How many days are measured."""
    return outcome.days - measured_from(outcome)


def _years(outcome: CompanyOutcome) -> float:
    return _days(outcome) / DAYS_PER_YEAR


def _safe_ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else float("nan")


_STEADY_VARIANCE = 1e-12
"""Weekly demand whose variance is at most this (units²) is steady: what is left is float
dust, and a ratio to it would be meaningless (or infinite)."""


def _variance_ratio(orders: np.ndarray, demand: np.ndarray) -> float:
    """Mean over columns of var(weekly orders) / var(weekly demand), over the columns whose
    weekly demand varies (by more than :data:`_STEADY_VARIANCE`)."""
    o, d = weekly_totals(orders), weekly_totals(demand)
    ratios = [
        o[:, j].var(ddof=1) / d[:, j].var(ddof=1)
        for j in range(d.shape[1])
        if len(d) > 1 and d[:, j].var(ddof=1) > _STEADY_VARIANCE
    ]
    return float(np.mean(ratios)) if ratios else float("nan")


# ------------------------------------------------------------------------- service


@kpi(unit="share", group="Service", window="orders")
def fill_rate(o: CompanyOutcome) -> float:
    """Units shipped from stock on the day they were ordered / units ordered (0–1). NaN when
    no unit was ordered."""
    demanded = float(_demand(o).sum())
    on_time = sum(f.quantity for f in _facts(o, rec.OrderShipped) if f.day == f.order_day)
    return _safe_ratio(on_time, demanded)


@kpi(unit="share", group="Service", window="orders")
def otif(o: CompanyOutcome) -> float:
    """Share of customer orders shipped on time and in full (on their order day, every unit).
    NaN when no order was placed."""
    orders = _facts(o, rec.OrderReceived)
    if not orders:
        return float("nan")
    shipped_on_day: dict[int, float] = {}
    for f in _facts(o, rec.OrderShipped):
        if f.day == f.order_day:
            shipped_on_day[f.order_id] = shipped_on_day.get(f.order_id, 0.0) + f.quantity
    full = sum(1 for f in orders if shipped_on_day.get(f.order_id, 0.0) >= f.quantity - 1e-9)
    return full / len(orders)


@kpi(unit="units", group="Service", window="events")
def lost_sales_units(o: CompanyOutcome) -> float:
    """Units ordered by customers and never shipped because they waited past their patience."""
    return float(sum(f.quantity for f in _facts(o, rec.SaleLost)))


@kpi(unit="units", group="Service", window="closed")
def backorder_units_avg(o: CompanyOutcome) -> float:
    """Average end-of-day backlog of customer orders, in units (all products)."""
    return float(_daily(o, "backlog").sum(axis=1).mean())


# ------------------------------------------------------------------------- profit and loss


@kpi(unit="money", group="Profit and loss", window="booked")
def revenue(o: CompanyOutcome) -> float:
    """Sales value of units shipped (price × units), over the run."""
    return _flow(o, Account.REVENUE)


@kpi(unit="money", group="Profit and loss", window="booked")
def cogs(o: CompanyOutcome) -> float:
    """Cost of goods sold at standard cost (materials + conversion), over the run."""
    return _flow(o, Account.COGS)


@kpi(unit="money", group="Profit and loss", window="booked")
def purchase_price_variance(o: CompanyOutcome) -> float:
    """Actual minus standard cost of components dispatched (positive = paid more)."""
    return _flow(o, Account.PURCHASE_PRICE_VARIANCE)


@kpi(unit="money", group="Profit and loss", window="booked")
def gross_margin(o: CompanyOutcome) -> float:
    """Revenue − COGS − purchase price variance: margin on goods at actual material prices."""
    return revenue(o) - cogs(o) - purchase_price_variance(o)


@kpi(unit="money", group="Profit and loss", window="booked")
def holding_cost(o: CompanyOutcome) -> float:
    """Capital charge on all inventory value plus storage of stock on hand, over the run."""
    return _flow(o, Account.HOLDING_CAPITAL) + _flow(o, Account.HOLDING_STORAGE)


@kpi(unit="money", group="Profit and loss", window="booked")
def transport_cost(o: CompanyOutcome) -> float:
    """Freight on standard (non-expedited) transport modes, over the run."""
    return _flow(o, Account.TRANSPORT)


@kpi(unit="money", group="Profit and loss", window="booked")
def expedite_cost(o: CompanyOutcome) -> float:
    """Freight on expedited transport modes (e.g. air), over the run."""
    return _flow(o, Account.EXPEDITING)


@kpi(unit="money", group="Profit and loss", window="booked")
def overtime_cost(o: CompanyOutcome) -> float:
    """Overtime premium paid for units made beyond regular line capacity, over the run."""
    return _flow(o, Account.OVERTIME)


@kpi(unit="money", group="Profit and loss", window="booked")
def penalty_cost(o: CompanyOutcome) -> float:
    """Contractual penalties for lost sales, over the run."""
    return _flow(o, Account.PENALTIES)


@kpi(unit="money", group="Profit and loss", window="booked")
def promotion_cost(o: CompanyOutcome) -> float:
    """Cost of promotions run, over the run."""
    return _flow(o, Account.PROMOTION)


@kpi(unit="money", group="Profit and loss", window="booked")
def obsolescence_cost(o: CompanyOutcome) -> float:
    """Finished goods written off at standard cost because they reached their shelf life
    (excess that never sold), over the run."""
    return _flow(o, Account.OBSOLESCENCE)


@kpi(unit="money", group="Profit and loss", window="booked")
def capacity_reservation_cost(o: CompanyOutcome) -> float:
    """Fees billed by suppliers for capacity reserved for the company, over the run: every
    reserved unit and week of a reservation's window that starts in the run, whether the
    capacity was used or not (take-or-pay)."""
    return _flow(o, Account.CAPACITY_RESERVATION)


@kpi(unit="money", group="Profit and loss", window="booked")
def capex(o: CompanyOutcome) -> float:
    """Capital expenditure on new capacity during the run (excludes the opening plant)."""
    return sum(
        e.amount
        for e in _journal(o)
        if e.debit == Account.FIXED_ASSETS and e.credit == Account.CASH
    )


@kpi(unit="money", group="Profit and loss", window="booked")
def overhead_cost(o: CompanyOutcome) -> float:
    """Fixed overhead (salaries, rent, systems) over the run."""
    return _flow(o, Account.OVERHEAD)


@kpi(unit="money", group="Profit and loss", window="booked")
def operating_profit(o: CompanyOutcome) -> float:
    """Gross margin − holding − transport − expediting − overtime − penalties − promotions −
    overhead − depreciation − obsolescence − capacity reservations, over the run. Interest is
    below this line; the capital charge on inventory is above it (it is what the inventory
    costs the company)."""
    b = _flow
    return (
        gross_margin(o)
        - holding_cost(o)
        - b(o, Account.TRANSPORT)
        - b(o, Account.EXPEDITING)
        - b(o, Account.OVERTIME)
        - b(o, Account.PENALTIES)
        - b(o, Account.PROMOTION)
        - b(o, Account.OVERHEAD)
        - b(o, Account.DEPRECIATION)
        - b(o, Account.OBSOLESCENCE)
        - b(o, Account.CAPACITY_RESERVATION)
    )


# ------------------------------------------------------------------------- working capital


def _inventory_value(o: CompanyOutcome) -> np.ndarray:
    return _balances(o, *rec.INVENTORY)


@kpi(unit="money", group="Working capital and cash", window="closed")
def avg_inventory_value(o: CompanyOutcome) -> float:
    """Average end-of-day inventory at standard cost: components, in transit, WIP, finished."""
    return float(_inventory_value(o).mean())


@kpi(unit="units", group="Working capital and cash", window="events")
def scrapped_units(o: CompanyOutcome) -> float:
    """Finished units scrapped because they reached their shelf life, over the run."""
    return float(sum(f.quantity for f in _facts(o, rec.StockScrapped)))


@kpi(unit="per_year", group="Working capital and cash", window="closed")
def inventory_turns(o: CompanyOutcome) -> float:
    """COGS per year / average inventory value (times per year). NaN when no inventory was
    held."""
    return _safe_ratio(cogs(o) / _years(o), avg_inventory_value(o))


@kpi(unit="days", group="Working capital and cash", window="closed")
def dio_days(o: CompanyOutcome) -> float:
    """Days inventory outstanding: average inventory value / COGS per day. NaN when nothing
    was sold (no COGS)."""
    return _safe_ratio(avg_inventory_value(o), cogs(o) / _days(o))


@kpi(unit="days", group="Working capital and cash", window="closed")
def dso_days(o: CompanyOutcome) -> float:
    """Days sales outstanding: average receivables / revenue per day. NaN when nothing was
    sold."""
    return _safe_ratio(float(_balances(o, Account.RECEIVABLES).mean()), revenue(o) / _days(o))


def _purchases(o: CompanyOutcome) -> float:
    """Everything billed to the company by suppliers and carriers over the run."""
    return sum(e.amount for e in _journal(o) if e.credit == Account.PAYABLES)


@kpi(unit="days", group="Working capital and cash", window="closed")
def dpo_days(o: CompanyOutcome) -> float:
    """Days payables outstanding: average payables / purchases (components, freight and
    capacity reservations) per day. NaN when nothing was bought."""
    return _safe_ratio(float(_balances(o, Account.PAYABLES).mean()), _purchases(o) / _days(o))


@kpi(unit="days", group="Working capital and cash", window="closed")
def cash_to_cash_days(o: CompanyOutcome) -> float:
    """DIO + DSO − DPO, in days. NaN when any of the three is."""
    return dio_days(o) + dso_days(o) - dpo_days(o)


def _working_capital(o: CompanyOutcome) -> np.ndarray:
    return _balances(o, Account.RECEIVABLES, *rec.INVENTORY) - _balances(o, Account.PAYABLES)


@kpi(unit="money", group="Working capital and cash", window="closed")
def working_capital_avg(o: CompanyOutcome) -> float:
    """Average end-of-day receivables + inventory − payables."""
    return float(_working_capital(o).mean())


@kpi(unit="money", group="Working capital and cash", window="close")
def ending_cash(o: CompanyOutcome) -> float:
    """Cash at the close of the last day (negative = overdraft)."""
    return float(o.daily["balances"][-1, int(Account.CASH)])


@kpi(unit="share", group="Working capital and cash", window="closed")
def roi(o: CompanyOutcome) -> float:
    """Operating profit per year / average capital employed (working capital + fixed assets).
    NaN when no capital was employed on average."""
    employed = float((_working_capital(o) + _balances(o, Account.FIXED_ASSETS)).mean())
    return _safe_ratio(operating_profit(o) / _years(o), employed)


# ------------------------------------------------------------------------- planning


def _scored(o: CompanyOutcome, keep) -> tuple[np.ndarray, np.ndarray]:
    """(forecast, actual) per day for the forecasts ``keep`` selects whose horizon has passed."""
    start, demand = measured_from(o), _demand(o)
    # cumulative[d - start] = demanded from the start of the days measured to before day d.
    cumulative = np.vstack([np.zeros((1, demand.shape[1])), np.cumsum(demand, axis=0)])
    forecasts, actuals = [], []
    for f in _facts(o, rec.ForecastIssued):
        end = f.day + 1 + f.horizon_days
        if not keep(f) or end > o.days:
            continue
        forecasts.append(f.per_day)
        first, last = f.day + 1 - start, end - start
        actuals.append(
            (cumulative[last, f.product] - cumulative[first, f.product]) / f.horizon_days
        )
    return np.array(forecasts), np.array(actuals)


def _mape(f: np.ndarray, a: np.ndarray) -> float:
    mask = a > 0
    return float(np.mean(np.abs(f[mask] - a[mask]) / a[mask])) if mask.any() else float("nan")


@kpi(unit="share", group="Planning", window="forecasts")
def forecast_mape(o: CompanyOutcome) -> float:
    """Mean absolute percentage error of the demand forecasts the decision makers acted on
    (each function's own number as it used it, the planner's under classic policies), per day
    against the average demand actually seen over each forecast's horizon (0.1 = 10%);
    forecasts whose horizon had no demand, or ends after the run, are left out. NaN when no
    forecast is left: classic policies other than ``order_up_to`` (which forecasts) issue none,
    and a run shorter than the forecast horizon scores none."""
    return _mape(*_scored(o, lambda f: f.acted_on))


@kpi(unit="share", group="Planning", window="forecasts")
def forecast_bias(o: CompanyOutcome) -> float:
    """Σ(forecast − actual) / Σ actual over the demand forecasts the decision makers acted on
    (positive = over-forecasting). NaN when no forecast can be scored (as for
    ``forecast_mape``) or their horizons had no demand."""
    f, a = _scored(o, lambda f: f.acted_on)
    return _safe_ratio(float((f - a).sum()), float(a.sum()))


@kpi(unit="share", group="Planning", window="forecasts")
def demand_plan_mape(o: CompanyOutcome) -> float:
    """Mean absolute percentage error of the company's published demand forecast of record
    (Sales' number, or the consensus under a demand review; the planner's under classic
    policies), measured like ``forecast_mape``; NaN when it is."""
    return _mape(*_scored(o, lambda f: f.official))


@kpi(unit="share", group="Planning", window="forecasts")
def demand_plan_bias(o: CompanyOutcome) -> float:
    """Σ(forecast − actual) / Σ actual of the published demand forecast of record; NaN as
    ``forecast_bias`` is."""
    f, a = _scored(o, lambda f: f.official)
    return _safe_ratio(float((f - a).sum()), float(a.sum()))


@kpi(unit="ratio", group="Planning", window="closed")
def bullwhip_production(o: CompanyOutcome) -> float:
    """Var(weekly production ordered) / var(weekly customer demand), averaged over products
    whose weekly demand varies. NaN when none does (a run shorter than two weeks, or steady
    demand)."""
    start, ordered = measured_from(o), np.zeros_like(o.demand)
    for f in _facts(o, rec.ProductionOrdered):
        ordered[f.day, f.product] += f.quantity
    return _variance_ratio(ordered[start:], _demand(o))


@kpi(unit="ratio", group="Planning", window="closed")
def bullwhip_procurement(o: CompanyOutcome) -> float:
    """Var(weekly components purchased) / var(weekly component needs implied by customer
    demand through the BOM), averaged over components whose weekly needs vary. NaN when there
    are no components or no needs vary (as for ``bullwhip_production``)."""
    if not len(o.topology.components):
        return float("nan")
    start, bought = measured_from(o), np.zeros_like(o.consumption)
    for f in _facts(o, rec.PurchaseOrderPlaced):
        bought[f.day, f.component] += f.quantity
    return _variance_ratio(bought[start:], _demand(o) @ o.topology.bom)


@kpi(unit="share", group="Planning", window="forecasts")
def forecast_disagreement(o: CompanyOutcome) -> float:
    """Versions of the truth: for every product and review where two or more decision makers
    acted on their own demand forecast, (highest − lowest) / mean of those numbers; averaged
    (0 = one number). NaN when no two forecasts were acted on the same day (classic policies,
    or one number of record under a demand review)."""
    by_review: dict[tuple[int, int], dict[str, float]] = {}
    for f in _facts(o, rec.ForecastIssued):
        if f.acted_on:
            by_review.setdefault((f.day, f.product), {})[f.owner] = f.per_day
    spreads = [
        (max(v) - min(v)) / np.mean(v)
        for numbers in by_review.values()
        if len(numbers) >= 2 and np.mean(v := list(numbers.values())) > 0
    ]
    return float(np.mean(spreads)) if spreads else float("nan")


def _production_plans(o: CompanyOutcome) -> list:
    """The agreed production plans (reconciled across functions); none in silo."""
    return [
        f for f in _facts(o, rec.PlanRecorded) if f.kind is rec.PlanKind.PRODUCTION and f.agreed
    ]


@kpi(unit="share", group="Planning", window="plans")
def plan_adherence(o: CompanyOutcome) -> float:
    """1 − Σ|production ordered − production agreed| / Σ agreed, week by week and product by
    product while each agreed plan is in force (1 = executed exactly as agreed). NaN where no
    plan is agreed across functions (silo and the rungs without a supply review)."""
    plans = sorted(_production_plans(o), key=lambda f: (f.product, f.day))
    if not plans:
        return float("nan")
    ordered = np.zeros((o.days + 1, o.demand.shape[1]))
    for f in _facts(o, rec.ProductionOrdered):
        ordered[f.day + 1, f.product] += f.quantity
    cumulative = np.cumsum(ordered, axis=0)  # cumulative[d] = ordered on days before d
    planned = gap = 0.0
    for f, following in zip(plans, [*plans[1:], None], strict=True):
        # A plan is in force from its start until the product's next plan starts.
        end = (
            following.start_day
            if following is not None and following.product == f.product
            else o.days
        )
        for i, q in enumerate(f.quantities):
            lo, hi = (
                f.start_day + i * DAYS_PER_WEEK,
                min(f.start_day + (i + 1) * DAYS_PER_WEEK, end, o.days),
            )
            if lo >= hi or hi - lo < DAYS_PER_WEEK:
                break
            planned += q
            gap += abs(cumulative[hi, f.product] - cumulative[lo, f.product] - q)
    return 1.0 - gap / planned if planned else float("nan")


@kpi(unit="share", group="Planning", window="plans")
def plan_nervousness(o: CompanyOutcome) -> float:
    """How much each new agreed production plan changes the weeks the previous one already
    covered: Σ|new − old| / Σ old over overlapping weeks, averaged over successive plans
    (0 = stable). NaN where no plan is agreed."""
    last: dict[int, dict[int, float]] = {}
    changes = []
    for f in _production_plans(o):
        first = f.start_day // DAYS_PER_WEEK
        new = {first + i: q for i, q in enumerate(f.quantities)}
        old = last.get(f.product)
        if old:
            overlap = [w for w in new if w in old]
            base = sum(old[w] for w in overlap)
            if overlap and base > 0:
                changes.append(sum(abs(new[w] - old[w]) for w in overlap) / base)
        last[f.product] = new
    return float(np.mean(changes)) if changes else float("nan")


@kpi(unit="share", group="Planning", window="plans")
def finance_cut_share(o: CompanyOutcome) -> float:
    """Share of the reviews of orders against a working-capital control in which orders were
    cut because inventory was projected over its target (0–1). NaN when no such control
    reviewed orders (classic policies)."""
    reviews = _facts(o, rec.OrdersReviewed)
    return float(np.mean([r.cut_value > 0 for r in reviews])) if reviews else float("nan")


@kpi(unit="money", group="Planning", window="plans")
def orders_cut_value(o: CompanyOutcome) -> float:
    """Value of production and purchase orders cut by working-capital reviews, over the run
    (production at the conversion it would have added, purchases at standard cost)."""
    return float(sum(r.cut_value for r in _facts(o, rec.OrdersReviewed)))


@kpi(unit="share", group="Planning", window="closed")
def capacity_utilization(o: CompanyOutcome) -> float:
    """Units made on regular time / regular capacity, over all lines and days (0–1). NaN
    when there was no regular capacity (every line at 0 units per day)."""
    capacity = float(_daily(o, "line_capacity").sum())
    return _safe_ratio(float(_daily(o, "line_regular_used").sum()), capacity)


@kpi(unit="share", group="Planning", window="closed")
def overtime_share(o: CompanyOutcome) -> float:
    """Share of units made on overtime (0–1). NaN when nothing was made."""
    regular = float(_daily(o, "line_regular_used").sum())
    overtime = float(_daily(o, "line_overtime_used").sum())
    return _safe_ratio(overtime, regular + overtime)


def _month_ahead(o: CompanyOutcome, line: str) -> list[tuple[float, float]]:
    """(projected, actual) of ``line`` for each month an IBP meeting projected at its start
    and the books then closed (from the decision log's plan-versus-actual reviews), of the
    months that start on a day measured (a review is held the month after the one it
    scores)."""
    start, pairs = measured_from(o), []
    for fact in _facts(o, rec.DecisionRecorded):
        review = fact.entry.get("ibp", {}).get("plan_vs_actual", {})
        if line in review.get("actual", {}) and month_start(review["month"]) >= start:
            pairs.append((review["projected"][line], review["actual"][line]))
    return pairs


@kpi(unit="share", group="Planning", window="months")
def projection_error_revenue(o: CompanyOutcome) -> float:
    """Mean absolute error of IBP's month-ahead projection of revenue, as a share of the
    month's actual revenue (each meeting's projection of the month it opens, against the
    books at the month's close). NaN without IBP meetings, or before a month has closed."""
    pairs = [(p, a) for p, a in _month_ahead(o, "revenue") if a > 0]
    return float(np.mean([abs(p - a) / a for p, a in pairs])) if pairs else float("nan")


@kpi(unit="share", group="Planning", window="months")
def projection_error_operating_profit(o: CompanyOutcome) -> float:
    """Mean absolute error of IBP's month-ahead projection of operating profit, as a share of
    the month's actual revenue (profit can be near zero; revenue is the scale it moves on).
    NaN without IBP meetings, or before a month has closed."""
    profit = _month_ahead(o, "operating_profit")
    revenue = [a for _, a in _month_ahead(o, "revenue")]
    pairs = [(p, a, r) for (p, a), r in zip(profit, revenue, strict=True) if r > 0]
    return float(np.mean([abs(p - a) / r for p, a, r in pairs])) if pairs else float("nan")


def company_kpis(outcome: CompanyOutcome) -> dict[str, float]:
    """Every registered company KPI of ``outcome``, by name."""
    return {name: float(function(outcome)) for name, function in COMPANY_KPIS.items()}


# ------------------------------------------------------------------------- serial chain


def chain_kpis(outcome: ChainOutcome, warmup_periods: int = 0) -> dict[str, float]:
    """KPIs of a serial chain, over periods after ``warmup_periods`` (:func:`kpis` leaves out
    every period that starts in the config's ``warmup_days``).

    - ``fill_rate``: customer demand shipped in its own period / customer demand (stage 0);
      NaN when there was no demand;
    - ``cycle_service_level``: share of periods that end with no customer backlog;
    - ``lost_sales_units``, ``backorder_units_avg`` (customer backlog per period);
    - ``holding_cost`` (on end-of-period stock on hand), ``in_transit_holding_cost`` (on
      end-of-period goods shipped to a stage and not yet received, at the stage's in-transit
      rate), ``backorder_cost`` (on end-of-period backlog), ``total_cost`` (their sum) and
      ``cost_per_period`` (all stages);
    - ``cost_<stage>``: the stage's holding, backorder and in-transit holding (of the goods on
      their way to it);
    - ``in_transit_holding_cost_<stage>`` and ``in_transit_avg_<stage>``: the in-transit
      holding of the goods on their way to the stage, and their average end-of-period units;
    - ``bullwhip_<stage>``: var(orders placed by the stage) / var(customer demand); NaN
      when customer demand does not vary (steady, or a single period);
    - ``on_hand_avg_<stage>``: average end-of-period stock per stage.
    """
    s = slice(warmup_periods, None)
    demand = outcome.customer_demand[s]
    result: dict[str, float] = {
        "fill_rate": _safe_ratio(float(outcome.shipped_on_time[s, 0].sum()), float(demand.sum())),
        "cycle_service_level": float((outcome.backlog[s, 0] <= 1e-9).mean()),
        "lost_sales_units": float(outcome.lost[s, 0].sum()),
        "backorder_units_avg": float(outcome.backlog[s, 0].mean()),
    }
    config = outcome.config
    h = np.array([st.holding_cost_per_unit_per_period for st in config.stages.values()])
    b = np.array([st.backorder_cost_per_unit_per_period for st in config.stages.values()])
    holding = outcome.on_hand[s] * h
    in_transit = outcome.in_transit[s] * np.array(config.in_transit_holding_rates())
    backorder = outcome.backlog[s] * b
    periods = len(demand)
    result["holding_cost"] = float(holding.sum())
    result["in_transit_holding_cost"] = float(in_transit.sum())
    result["backorder_cost"] = float(backorder.sum())
    result["total_cost"] = (
        result["holding_cost"] + result["in_transit_holding_cost"] + result["backorder_cost"]
    )
    result["cost_per_period"] = _safe_ratio(result["total_cost"], periods)
    demand_var = float(demand.var(ddof=1)) if periods > 1 else 0.0
    for i, name in enumerate(outcome.stages):
        result[f"cost_{name}"] = float(
            holding[:, i].sum() + backorder[:, i].sum() + in_transit[:, i].sum()
        )
        result[f"in_transit_holding_cost_{name}"] = float(in_transit[:, i].sum())
        result[f"in_transit_avg_{name}"] = float(outcome.in_transit[s, i].mean())
        orders_var = float(outcome.ordered[s, i].var(ddof=1)) if periods > 1 else 0.0
        steady = demand_var <= _STEADY_VARIANCE
        result[f"bullwhip_{name}"] = float("nan") if steady else orders_var / demand_var
        result[f"on_hand_avg_{name}"] = float(outcome.on_hand[s, i].mean())
    return result


def chain_kpi_names(stages: Iterable[str]) -> list[str]:
    """The names :func:`chain_kpis` reports for a chain of ``stages``, in its order."""
    names = [
        "fill_rate",
        "cycle_service_level",
        "lost_sales_units",
        "backorder_units_avg",
        "holding_cost",
        "in_transit_holding_cost",
        "backorder_cost",
        "total_cost",
        "cost_per_period",
    ]
    for stage in stages:
        names += [
            f"cost_{stage}",
            f"in_transit_holding_cost_{stage}",
            f"in_transit_avg_{stage}",
            f"bullwhip_{stage}",
            f"on_hand_avg_{stage}",
        ]
    return names


def warmup_periods(outcome: ChainOutcome) -> int:
    """The periods of a chain its config's ``warmup_days`` cover, wholly or in part."""
    config = outcome.config
    periods = -(-config.warmup_days // config.period_days)
    if periods >= outcome.periods:
        raise ValueError(
            f"a warm-up of {config.warmup_days} days leaves nothing of a "
            f"{outcome.periods}-period run to measure"
        )
    return periods


def kpis(outcome: CompanyOutcome | ChainOutcome) -> dict[str, float]:
    """The KPIs of any run, after its config's warm-up."""
    if isinstance(outcome, ChainOutcome):
        return chain_kpis(outcome, warmup_periods(outcome))
    return company_kpis(outcome)


# The serial chain's own KPIs (the ones a company shares with a chain are declared above).
for _name, _unit, _group in (
    ("cycle_service_level", "share", "Service"),
    ("in_transit_holding_cost", "money", "Profit and loss"),
    ("backorder_cost", "money", "Profit and loss"),
    ("total_cost", "money", "Profit and loss"),
    ("cost_per_period", "money", "Profit and loss"),
):
    _declare(_name, _unit, _group)


def kpi_unit(name: str) -> str:
    """How KPI ``name`` reads: share, money, units, days, per_year, ratio or number."""
    if name in KPI_UNITS:
        return KPI_UNITS[name]
    prefixes = (
        ("cost_", "money"),
        ("in_transit_holding_cost_", "money"),
        ("bullwhip_", "ratio"),
        ("on_hand_avg_", "units"),
        ("in_transit_avg_", "units"),
    )
    for prefix, unit in prefixes:
        if name.startswith(prefix):
            return unit
    return "number"


def kpi_reference() -> str:
    """Every KPI with its definition, as Markdown (the source of ``docs/kpis.md``)."""
    lines = [
        "# KPI reference",
        "",
        "Generated from the docstrings in `sim/metrics.py` by `oneplan kpis`; do not edit by hand.",
        "Money is in the config's currency over the whole run (after any warm-up) unless a KPI",
        "says otherwise.",
        "",
        "## Company",
        "",
        'A config\'s `warmup_days` are simulated and left out of every KPI: "the run" below is',
        "the days after the warm-up, and the last column says what a KPI then counts.",
        "",
        "| KPI | reads as | definition | after a warm-up, counts |",
        "|---|---|---|---|",
    ]
    for name, function in COMPANY_KPIS.items():
        definition = " ".join((function.__doc__ or "").split())
        lines.append(
            f"| `{name}` | {kpi_unit(name)} | {definition} | {WINDOWS[KPI_WINDOWS[name]]} |"
        )
    lines += ["", "## Serial chain", "", (chain_kpis.__doc__ or "").strip().split("\n\n", 1)[0], ""]
    body = (chain_kpis.__doc__ or "").split("\n\n", 1)[1]
    lines += [
        line[4:] if line.startswith("    ") else line for line in body.strip("\n").splitlines()
    ]
    return "\n".join(lines) + "\n"
