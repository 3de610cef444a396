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
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim import ledger as rec
from sim.calendar import DAYS_PER_WEEK, DAYS_PER_YEAR
from sim.chain import ChainOutcome
from sim.ledger import Account
from sim.world import CompanyOutcome

__all__ = ["COMPANY_KPIS", "chain_kpis", "company_kpis", "kpis"]

COMPANY_KPIS: dict[str, Callable[[CompanyOutcome], float]] = {}


def kpi(function: Callable[[CompanyOutcome], float]) -> Callable[[CompanyOutcome], float]:
    COMPANY_KPIS[function.__name__] = function
    return function


# ------------------------------------------------------------------------- helpers


def _facts(outcome: CompanyOutcome, kind: type) -> list:
    return [f for f in outcome.ledger.facts if type(f) is kind]


def _flow(outcome: CompanyOutcome, account: Account) -> float:
    """Total of an income or expense account over the run (such accounts start at zero)."""
    return outcome.ledger.books.balance(account)


def _balances(outcome: CompanyOutcome, *accounts: Account) -> np.ndarray:
    """Daily end-of-day balance of the sum of ``accounts``."""
    b = outcome.daily["balances"]
    return b[:, [int(a) for a in accounts]].sum(axis=1)


def _years(outcome: CompanyOutcome) -> float:
    return outcome.days / DAYS_PER_YEAR


def _safe_ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else float("nan")


def _weekly(series: np.ndarray) -> np.ndarray:
    weeks = len(series) // DAYS_PER_WEEK
    return (
        series[: weeks * DAYS_PER_WEEK].reshape(weeks, DAYS_PER_WEEK, *series.shape[1:]).sum(axis=1)
    )


def _variance_ratio(orders: np.ndarray, demand: np.ndarray) -> float:
    """Mean over columns of var(weekly orders) / var(weekly demand) (columns with demand)."""
    o, d = _weekly(orders), _weekly(demand)
    ratios = [
        o[:, j].var(ddof=1) / d[:, j].var(ddof=1)
        for j in range(d.shape[1])
        if len(d) > 1 and d[:, j].var() > 0
    ]
    return float(np.mean(ratios)) if ratios else float("nan")


# ------------------------------------------------------------------------- service


@kpi
def fill_rate(o: CompanyOutcome) -> float:
    """Units shipped from stock on the day they were ordered / units ordered (0–1). NaN when
    no unit was ordered."""
    demanded = float(o.demand.sum())
    on_time = sum(f.quantity for f in _facts(o, rec.OrderShipped) if f.day == f.order_day)
    return _safe_ratio(on_time, demanded)


@kpi
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


@kpi
def lost_sales_units(o: CompanyOutcome) -> float:
    """Units ordered by customers and never shipped because they waited past their patience."""
    return float(sum(f.quantity for f in _facts(o, rec.SaleLost)))


@kpi
def backorder_units_avg(o: CompanyOutcome) -> float:
    """Average end-of-day backlog of customer orders, in units (all products)."""
    return float(o.daily["backlog"].sum(axis=1).mean())


# ------------------------------------------------------------------------- profit and loss


@kpi
def revenue(o: CompanyOutcome) -> float:
    """Sales value of units shipped (price × units), over the run."""
    return _flow(o, Account.REVENUE)


@kpi
def cogs(o: CompanyOutcome) -> float:
    """Cost of goods sold at standard cost (materials + conversion), over the run."""
    return _flow(o, Account.COGS)


@kpi
def purchase_price_variance(o: CompanyOutcome) -> float:
    """Actual minus standard cost of components dispatched (positive = paid more)."""
    return _flow(o, Account.PURCHASE_PRICE_VARIANCE)


@kpi
def gross_margin(o: CompanyOutcome) -> float:
    """Revenue − COGS − purchase price variance: margin on goods at actual material prices."""
    return revenue(o) - cogs(o) - purchase_price_variance(o)


@kpi
def holding_cost(o: CompanyOutcome) -> float:
    """Capital charge on all inventory value plus storage of stock on hand, over the run."""
    return _flow(o, Account.HOLDING_CAPITAL) + _flow(o, Account.HOLDING_STORAGE)


@kpi
def transport_cost(o: CompanyOutcome) -> float:
    """Freight on standard (non-expedited) transport modes, over the run."""
    return _flow(o, Account.TRANSPORT)


@kpi
def expedite_cost(o: CompanyOutcome) -> float:
    """Freight on expedited transport modes (e.g. air), over the run."""
    return _flow(o, Account.EXPEDITING)


@kpi
def overtime_cost(o: CompanyOutcome) -> float:
    """Overtime premium paid for units made beyond regular line capacity, over the run."""
    return _flow(o, Account.OVERTIME)


@kpi
def penalty_cost(o: CompanyOutcome) -> float:
    """Contractual penalties for lost sales, over the run."""
    return _flow(o, Account.PENALTIES)


@kpi
def promotion_cost(o: CompanyOutcome) -> float:
    """Cost of promotions run, over the run."""
    return _flow(o, Account.PROMOTION)


@kpi
def capex(o: CompanyOutcome) -> float:
    """Capital expenditure on new capacity during the run (excludes the opening plant)."""
    return sum(
        e.amount
        for e in o.ledger.books.journal
        if e.debit == Account.FIXED_ASSETS and e.credit == Account.CASH
    )


@kpi
def overhead_cost(o: CompanyOutcome) -> float:
    """Fixed overhead (salaries, rent, systems) over the run."""
    return _flow(o, Account.OVERHEAD)


@kpi
def operating_profit(o: CompanyOutcome) -> float:
    """Gross margin − holding − transport − expediting − overtime − penalties − promotions −
    overhead − depreciation, over the run. Interest is below this line; the capital charge on
    inventory is above it (it is what the inventory costs the company)."""
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
        - b(o, Account.CONVERSION_VARIANCE)
    )


# ------------------------------------------------------------------------- working capital


def _inventory_value(o: CompanyOutcome) -> np.ndarray:
    return _balances(o, *rec.INVENTORY)


@kpi
def avg_inventory_value(o: CompanyOutcome) -> float:
    """Average end-of-day inventory at standard cost: components, in transit, WIP, finished."""
    return float(_inventory_value(o).mean())


@kpi
def inventory_turns(o: CompanyOutcome) -> float:
    """COGS per year / average inventory value (times per year). NaN when no inventory was
    held."""
    return _safe_ratio(cogs(o) / _years(o), avg_inventory_value(o))


@kpi
def dio_days(o: CompanyOutcome) -> float:
    """Days inventory outstanding: average inventory value / COGS per day. NaN when nothing
    was sold (no COGS)."""
    return _safe_ratio(avg_inventory_value(o), cogs(o) / o.days)


@kpi
def dso_days(o: CompanyOutcome) -> float:
    """Days sales outstanding: average receivables / revenue per day. NaN when nothing was
    sold."""
    return _safe_ratio(float(_balances(o, Account.RECEIVABLES).mean()), revenue(o) / o.days)


def _purchases(o: CompanyOutcome) -> float:
    """Everything billed to the company by suppliers and carriers over the run."""
    return sum(e.amount for e in o.ledger.books.journal if e.credit == Account.PAYABLES)


@kpi
def dpo_days(o: CompanyOutcome) -> float:
    """Days payables outstanding: average payables / purchases (components + freight) per day.
    NaN when nothing was bought."""
    return _safe_ratio(float(_balances(o, Account.PAYABLES).mean()), _purchases(o) / o.days)


@kpi
def cash_to_cash_days(o: CompanyOutcome) -> float:
    """DIO + DSO − DPO, in days. NaN when any of the three is."""
    return dio_days(o) + dso_days(o) - dpo_days(o)


def _working_capital(o: CompanyOutcome) -> np.ndarray:
    return _balances(o, Account.RECEIVABLES, *rec.INVENTORY) - _balances(o, Account.PAYABLES)


@kpi
def working_capital_avg(o: CompanyOutcome) -> float:
    """Average end-of-day receivables + inventory − payables."""
    return float(_working_capital(o).mean())


@kpi
def ending_cash(o: CompanyOutcome) -> float:
    """Cash at the close of the last day (negative = overdraft)."""
    return float(o.daily["balances"][-1, int(Account.CASH)])


@kpi
def roi(o: CompanyOutcome) -> float:
    """Operating profit per year / average capital employed (working capital + fixed assets).
    NaN when no capital was employed on average."""
    employed = float((_working_capital(o) + _balances(o, Account.FIXED_ASSETS)).mean())
    return _safe_ratio(operating_profit(o) / _years(o), employed)


# ------------------------------------------------------------------------- planning


def _forecast_of_record(o: CompanyOutcome) -> list:
    """The company's demand forecast: what Sales submits (the consensus under a demand review),
    or, with no Sales function, the forecast the plan was made with."""
    issued = _facts(o, rec.ForecastIssued)
    owners = {f.owner for f in issued}
    owner = "sales" if "sales" in owners else "plan"
    return [f for f in issued if f.owner == owner]


def _forecast_errors(o: CompanyOutcome) -> tuple[np.ndarray, np.ndarray]:
    forecasts, actuals = [], []
    cumulative = np.vstack([np.zeros((1, o.demand.shape[1])), np.cumsum(o.demand, axis=0)])
    for f in _forecast_of_record(o):
        end = f.day + 1 + f.horizon_days
        if end > o.days:
            continue
        actual = (cumulative[end, f.product] - cumulative[f.day + 1, f.product]) / f.horizon_days
        forecasts.append(f.per_day)
        actuals.append(actual)
    return np.array(forecasts), np.array(actuals)


@kpi
def forecast_mape(o: CompanyOutcome) -> float:
    """Mean absolute percentage error of the demand forecast of record (Sales' number, or the
    consensus under a demand review; the planner's with classic policies) per day against the
    average demand actually seen over each forecast's horizon (0.1 = 10%); forecasts whose
    horizon had no demand, or ends after the run, are left out. NaN when no forecast is left:
    classic policies other than ``order_up_to`` (which forecasts) issue none, and a run
    shorter than the forecast horizon scores none."""
    f, a = _forecast_errors(o)
    mask = a > 0
    return float(np.mean(np.abs(f[mask] - a[mask]) / a[mask])) if mask.any() else float("nan")


@kpi
def forecast_bias(o: CompanyOutcome) -> float:
    """Σ(forecast − actual) / Σ actual over the demand forecasts of record (positive =
    over-forecasting). NaN when no forecast can be scored (as for ``forecast_mape``) or their
    horizons had no demand."""
    f, a = _forecast_errors(o)
    return _safe_ratio(float((f - a).sum()), float(a.sum()))


@kpi
def bullwhip_production(o: CompanyOutcome) -> float:
    """Var(weekly production ordered) / var(weekly customer demand), averaged over products
    whose weekly demand varies. NaN when none does (a run shorter than two weeks, or steady
    demand)."""
    ordered = np.zeros_like(o.demand)
    for f in _facts(o, rec.ProductionOrdered):
        ordered[f.day, f.product] += f.quantity
    return _variance_ratio(ordered, o.demand)


@kpi
def bullwhip_procurement(o: CompanyOutcome) -> float:
    """Var(weekly components purchased) / var(weekly component needs implied by customer
    demand through the BOM), averaged over components whose weekly needs vary. NaN when there
    are no components or no needs vary (as for ``bullwhip_production``)."""
    if not len(o.topology.components):
        return float("nan")
    bought = np.zeros_like(o.consumption)
    for f in _facts(o, rec.PurchaseOrderPlaced):
        bought[f.day, f.component] += f.quantity
    return _variance_ratio(bought, o.demand @ o.topology.bom)


@kpi
def forecast_disagreement(o: CompanyOutcome) -> float:
    """Versions of the truth: for every product and weekly review where Sales, Operations and
    Finance each issued a forecast, (highest − lowest) / mean of their numbers; averaged
    (0 = one number). NaN when the functions are not modelled (classic policies), or no
    review had all three forecasts of a product with demand."""
    by_review: dict[tuple[int, int], list[float]] = {}
    for f in _facts(o, rec.ForecastIssued):
        if f.owner in ("sales", "operations", "finance"):
            by_review.setdefault((f.day, f.product), []).append(f.per_day)
    spreads = [
        (max(v) - min(v)) / np.mean(v) for v in by_review.values() if len(v) == 3 and np.mean(v) > 0
    ]
    return float(np.mean(spreads)) if spreads else float("nan")


def _production_plans(o: CompanyOutcome) -> list:
    """The agreed production plans (made by a supply review); none in silo."""
    return [f for f in _facts(o, rec.PlanRecorded) if f.kind == "production" and f.owner == "sop"]


@kpi
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


@kpi
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


@kpi
def finance_cut_share(o: CompanyOutcome) -> float:
    """Share of weekly reviews in which Finance cut production and purchase orders because
    inventory was over its cap (0–1). NaN when Finance is not modelled."""
    reviews = [f.entry for f in _facts(o, rec.DecisionRecorded)]
    cuts = [e["cut"] for e in reviews if e.get("kind") == "finance_review"]
    return float(np.mean(cuts)) if cuts else float("nan")


@kpi
def capacity_utilization(o: CompanyOutcome) -> float:
    """Units made on regular time / regular capacity, over all lines and days (0–1). NaN
    when there was no regular capacity (every line at 0 units per day)."""
    capacity = float(o.daily["line_capacity"].sum())
    return _safe_ratio(float(o.daily["line_regular_used"].sum()), capacity)


@kpi
def overtime_share(o: CompanyOutcome) -> float:
    """Share of units made on overtime (0–1). NaN when nothing was made."""
    regular = float(o.daily["line_regular_used"].sum())
    overtime = float(o.daily["line_overtime_used"].sum())
    return _safe_ratio(overtime, regular + overtime)


def company_kpis(outcome: CompanyOutcome) -> dict[str, float]:
    """Every registered company KPI of ``outcome``, by name."""
    return {name: float(function(outcome)) for name, function in COMPANY_KPIS.items()}


# ------------------------------------------------------------------------- serial chain


def chain_kpis(outcome: ChainOutcome, warmup_periods: int = 0) -> dict[str, float]:
    """KPIs of a serial chain, over periods after ``warmup_periods``.

    - ``fill_rate``: customer demand shipped in its own period / customer demand (stage 0);
      NaN when there was no demand;
    - ``cycle_service_level``: share of periods that end with no customer backlog;
    - ``lost_sales_units``, ``backorder_units_avg`` (customer backlog per period);
    - ``holding_cost``, ``backorder_cost``, ``total_cost`` and ``cost_per_period``
      (all stages), ``cost_<stage>`` per stage;
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
    stages = outcome.config.stages
    h = np.array([st.holding_cost_per_unit_per_period for st in stages.values()])
    b = np.array([st.backorder_cost_per_unit_per_period for st in stages.values()])
    holding = outcome.on_hand[s] * h
    backorder = outcome.backlog[s] * b
    periods = len(demand)
    result["holding_cost"] = float(holding.sum())
    result["backorder_cost"] = float(backorder.sum())
    result["total_cost"] = result["holding_cost"] + result["backorder_cost"]
    result["cost_per_period"] = _safe_ratio(result["total_cost"], periods)
    demand_var = float(demand.var(ddof=1)) if periods > 1 else 0.0
    for i, name in enumerate(outcome.stages):
        result[f"cost_{name}"] = float(holding[:, i].sum() + backorder[:, i].sum())
        orders_var = float(outcome.ordered[s, i].var(ddof=1)) if periods > 1 else 0.0
        result[f"bullwhip_{name}"] = _safe_ratio(orders_var, demand_var)
        result[f"on_hand_avg_{name}"] = float(outcome.on_hand[s, i].mean())
    return result


def kpis(outcome: CompanyOutcome | ChainOutcome) -> dict[str, float]:
    """The KPIs of any run."""
    if isinstance(outcome, ChainOutcome):
        return chain_kpis(outcome)
    return company_kpis(outcome)


# How each KPI reads: used by reports and tables (anything not listed reads as a plain number).
KPI_UNITS: dict[str, str] = {
    "fill_rate": "share",
    "otif": "share",
    "cycle_service_level": "share",
    "lost_sales_units": "units",
    "backorder_units_avg": "units",
    "revenue": "money",
    "cogs": "money",
    "purchase_price_variance": "money",
    "gross_margin": "money",
    "holding_cost": "money",
    "transport_cost": "money",
    "expedite_cost": "money",
    "overtime_cost": "money",
    "penalty_cost": "money",
    "promotion_cost": "money",
    "overhead_cost": "money",
    "capex": "money",
    "operating_profit": "money",
    "avg_inventory_value": "money",
    "inventory_turns": "per_year",
    "dio_days": "days",
    "dso_days": "days",
    "dpo_days": "days",
    "cash_to_cash_days": "days",
    "working_capital_avg": "money",
    "ending_cash": "money",
    "roi": "share",
    "forecast_mape": "share",
    "forecast_bias": "share",
    "forecast_disagreement": "share",
    "plan_adherence": "share",
    "plan_nervousness": "share",
    "finance_cut_share": "share",
    "bullwhip_production": "ratio",
    "bullwhip_procurement": "ratio",
    "capacity_utilization": "share",
    "overtime_share": "share",
    "backorder_cost": "money",
    "total_cost": "money",
    "cost_per_period": "money",
}

KPI_GROUPS: dict[str, tuple[str, ...]] = {
    "Service": (
        "fill_rate",
        "otif",
        "cycle_service_level",
        "lost_sales_units",
        "backorder_units_avg",
    ),
    "Profit and loss": (
        "revenue",
        "cogs",
        "purchase_price_variance",
        "gross_margin",
        "holding_cost",
        "transport_cost",
        "expedite_cost",
        "overtime_cost",
        "penalty_cost",
        "promotion_cost",
        "overhead_cost",
        "operating_profit",
        "capex",
        "backorder_cost",
        "total_cost",
        "cost_per_period",
    ),
    "Working capital and cash": (
        "avg_inventory_value",
        "inventory_turns",
        "dio_days",
        "dso_days",
        "dpo_days",
        "cash_to_cash_days",
        "working_capital_avg",
        "ending_cash",
        "roi",
    ),
    "Planning": (
        "forecast_mape",
        "forecast_bias",
        "forecast_disagreement",
        "plan_adherence",
        "plan_nervousness",
        "finance_cut_share",
        "bullwhip_production",
        "bullwhip_procurement",
        "capacity_utilization",
        "overtime_share",
    ),
}


def kpi_unit(name: str) -> str:
    """How KPI ``name`` reads: share, money, units, days, per_year, ratio or number."""
    if name in KPI_UNITS:
        return KPI_UNITS[name]
    for prefix, unit in (("cost_", "money"), ("bullwhip_", "ratio"), ("on_hand_avg_", "units")):
        if name.startswith(prefix):
            return unit
    return "number"


def kpi_reference() -> str:
    """Every KPI with its definition, as Markdown (the source of ``docs/kpis.md``)."""
    lines = [
        "# KPI reference",
        "",
        "Generated from the docstrings in `sim/metrics.py` by `oneplan kpis`; do not edit by hand.",
        "Money is in the config's currency over the whole run unless a KPI says otherwise.",
        "",
        "## Company",
        "",
        "| KPI | reads as | definition |",
        "|---|---|---|",
    ]
    for name, function in COMPANY_KPIS.items():
        lines.append(
            f"| `{name}` | {kpi_unit(name)} | {' '.join((function.__doc__ or '').split())} |"
        )
    lines += ["", "## Serial chain", "", (chain_kpis.__doc__ or "").strip().split("\n\n", 1)[0], ""]
    body = (chain_kpis.__doc__ or "").split("\n\n", 1)[1]
    lines += [
        line[4:] if line.startswith("    ") else line for line in body.strip("\n").splitlines()
    ]
    return "\n".join(lines) + "\n"
