"""Finance's projection of a plan into the books: what the plan will post, day by day, by the
rules the company's books post by — so that it can be read as monthly statements (profit and
loss, balance sheet, cash flow; :mod:`sim.statements`) next to the books themselves.

The projection starts at a meeting (the DECIDE phase of its day) from the books as they stand:
the balances at the previous close, what has been posted today, stock, work in process,
components on their way, and what customers and the company owe by the day it falls due. Then
it runs the world's order of phases over a :class:`FlowPlan` — the orders expected, the
production started, the components dispatched by suppliers, promotions and capital spending:

- RECEIVE: production completes after the production lead time (work in process already
  started completes in equal parts over it); components arrive after their transit;
- DEMAND: orders come in market by market (by the markets' shares), are served from finished
  goods — in priority order of the markets under ``allocation: priority``, oldest first
  otherwise — and are lost with their penalty once they have waited the market's patience;
  a sale is owed at the market's payment terms;
- EXECUTE: production starts (components issued at standard cost, conversion paid), overtime
  is paid, suppliers dispatch (owed at their payment terms: price and freight), promotions and
  capital spending are paid;
- CLOSE: the capital charge on all inventory, storage on stock on hand, overhead,
  depreciation, collections and payments that fall due, overdraft interest.

Given the flows the world will execute, the projection posts what the books post, line by line
(tested on a deterministic world). What it cannot know — demand, and how well the plan will be
executed — is what the plan-versus-actual comparison at the next meeting measures.
It does not model stock scrapped at the end of a shelf life.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.calendar import DAYS_PER_YEAR
from sim.config import WorldConfig
from sim.ledger import INVENTORY, Account
from sim.statements import Flows, Statements, statements
from sim.world import CompanyObservation

__all__ = [
    "BookTerms",
    "BuyingTerms",
    "Capex",
    "FlowPlan",
    "Opening",
    "Purchase",
    "project",
    "projected_statements",
]


@dataclass(frozen=True)
class BuyingTerms:
    """What buying a component from a supplier by its first (regular) mode posts: the
    supplier's base price, the mode's freight, how long supplier and mode take on average,
    and when the supplier is paid."""

    price: float
    freight_per_unit: float
    expedite: bool
    supplier_lead_days: float
    transit_days: float
    payment_terms_days: int


@dataclass(frozen=True)
class BookTerms:
    """The rules the books post by, from the company's config (per product, component and
    market, in the order of the config)."""

    price: np.ndarray
    product_cost: np.ndarray
    material_cost: np.ndarray
    conversion_cost: np.ndarray
    component_cost: np.ndarray
    market_share: np.ndarray
    market_terms_days: np.ndarray
    market_patience_days: np.ndarray
    market_penalty: np.ndarray
    market_priority: np.ndarray
    priority_allocation: bool
    production_lead_days: int
    capital_rate_per_year: float
    storage_rate_per_year: float
    overdraft_rate_per_year: float
    overhead_per_year: float
    depreciation_years: float
    bom: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # [product, component]
    buying: dict[tuple[str, int], BuyingTerms] = field(default_factory=dict)

    @classmethod
    def of(cls, config: WorldConfig) -> BookTerms:
        products, components = config.products.values(), config.components
        names = list(components)
        component_cost = np.array([components[c].standard_cost for c in names], dtype=float)
        bom = np.array([[p.bom.get(c, 0.0) for c in names] for p in products], dtype=float)
        material = bom @ component_cost if names else np.zeros(len(config.products))
        conversion = np.array([p.conversion_cost_per_unit for p in products], dtype=float)
        markets = list(config.markets.values())
        f = config.finance
        return cls(
            price=np.array([p.price for p in products], dtype=float),
            product_cost=material + conversion,
            material_cost=material,
            conversion_cost=conversion,
            component_cost=component_cost,
            market_share=np.array([m.share for m in markets], dtype=float),
            market_terms_days=np.array([m.payment_terms_days for m in markets], dtype=int),
            market_patience_days=np.array([m.patience_days for m in markets], dtype=int),
            market_penalty=np.array([m.lost_sale_penalty_per_unit for m in markets], dtype=float),
            market_priority=np.array([m.priority for m in markets], dtype=float),
            priority_allocation=config.allocation == "priority",
            production_lead_days=config.plant.production_lead_time_days,
            capital_rate_per_year=f.capital_charge_rate_per_year,
            storage_rate_per_year=f.storage_cost_rate_per_year,
            overdraft_rate_per_year=f.overdraft_interest_rate_per_year,
            overhead_per_year=f.overhead_per_year,
            depreciation_years=f.depreciation_years,
            bom=bom,
            buying=_buying(config, names),
        )


def _buying(config: WorldConfig, components: list[str]) -> dict[tuple[str, int], BuyingTerms]:
    out = {}
    for name, supplier in config.suppliers.items():
        if not supplier.modes:
            continue
        mode = config.transport_modes[supplier.modes[0]]
        for component, terms in supplier.components.items():
            out[name, components.index(component)] = BuyingTerms(
                price=terms.price,
                freight_per_unit=mode.cost_per_unit,
                expedite=mode.expedite,
                supplier_lead_days=_mean_days(supplier.lead_time_days),
                transit_days=_mean_days(mode.lead_time_days),
                payment_terms_days=supplier.payment_terms_days,
            )
    return out


def _mean_days(delay) -> float:
    """The mean of a delay (a property of some kinds, a method of others)."""
    mean = delay.mean
    return float(mean() if callable(mean) else mean)


@dataclass(frozen=True)
class Opening:
    """The books and the stock at a meeting (its DECIDE phase on ``day``)."""

    day: int
    balances: np.ndarray  # natural-sign balance of every account at the previous close
    posted_today: tuple[tuple[int, int, float], ...]  # (debit, credit, amount) so far today
    finished: np.ndarray  # [product] on hand
    backlog: np.ndarray  # [product] ordered, not yet shipped nor lost
    components: np.ndarray  # [component] on hand
    in_process: np.ndarray  # [product] started, not completed
    on_order: np.ndarray  # [component] at suppliers or in transit
    arrivals: np.ndarray  # [day ahead 1.., component] dispatched, arriving that day
    receivable_due: np.ndarray  # [day from today] owed by customers
    payable_due: np.ndarray  # [day from today] owed to suppliers and carriers
    daily_depreciation: float  # of the assets in service

    @classmethod
    def of(cls, obs: CompanyObservation, daily_depreciation: float) -> Opening:
        """The opening of a projection made on ``obs.day``, from what the company sees."""
        history = obs.state_history.get("balances")
        before = (
            np.asarray(history[-1], dtype=float)
            if history is not None and len(history)
            else np.zeros(len(Account))
        )
        return cls(
            day=obs.day,
            balances=before,
            posted_today=obs.posted_today,
            finished=np.asarray(obs.finished_on_hand, dtype=float),
            backlog=np.asarray(obs.backlog, dtype=float),
            components=np.asarray(obs.component_on_hand, dtype=float),
            in_process=np.asarray(obs.production_in_process, dtype=float),
            on_order=np.asarray(obs.component_on_order, dtype=float),
            arrivals=np.asarray(obs.component_arrivals, dtype=float),
            receivable_due=np.asarray(obs.receivable_due, dtype=float),
            payable_due=np.asarray(obs.payable_due, dtype=float),
            daily_depreciation=float(daily_depreciation),
        )


@dataclass(frozen=True)
class Purchase:
    """Components a supplier dispatches per day (index 0: the meeting's day), at ``price``
    with ``freight_per_unit`` by a mode taking ``transit_days``, owed after
    ``payment_terms_days``."""

    component: int
    dispatch: np.ndarray
    price: float
    freight_per_unit: float
    expedite: bool
    transit_days: int
    payment_terms_days: int


@dataclass(frozen=True)
class Capex:
    """Capital spent on day index ``day`` and depreciated from ``in_service`` on (``paid``:
    False for capital spent before the projection, whose depreciation is still to start)."""

    day: int
    amount: float
    in_service: int
    paid: bool = True


@dataclass(frozen=True)
class FlowPlan:
    """What the plan does per day over the projection (index 0: the meeting's day, whose
    orders are already in)."""

    demand: np.ndarray  # [product, day] orders expected
    starts: np.ndarray  # [product, day] units started
    overtime_premium: np.ndarray  # [day] paid for production beyond regular capacity
    purchases: tuple[Purchase, ...] = ()
    price_factor: np.ndarray | None = None  # [product, day] of list price (promotions)
    promotion_cost: np.ndarray | None = None  # [day]
    capex: tuple[Capex, ...] = field(default=())
    fees: tuple[tuple[int, float, int], ...] = ()  # reservation bills: (day, amount, days to pay)

    @property
    def days(self) -> int:
        return self.demand.shape[1]


def _ship(terms: BookTerms, opening: Opening, plan: FlowPlan, completions: np.ndarray):
    """Units shipped and lost per product, market and day: the DEMAND phase day by day.

    It runs a queue of orders per product, one day at a time, on plain Python numbers (they
    add exactly as numpy's do, without numpy's cost per element)."""
    P, D = plan.demand.shape
    share = terms.market_share.tolist()
    K = len(share)
    markets = range(K)
    patience = terms.market_patience_days.tolist()
    rank = None
    if terms.priority_allocation:
        order = np.argsort(terms.market_priority, kind="stable").tolist()
        rank = {k: i for i, k in enumerate(order)}
    shipped, lost = np.zeros((P, K, D)), np.zeros((P, K, D))
    for p in range(P):
        stock = float(opening.finished[p])
        queue = [[0, k, float(opening.backlog[p]) * share[k]] for k in markets]
        queue = [q for q in queue if q[2] > 0]
        demand, made = plan.demand[p].tolist(), completions[p].tolist()
        sent = [[0.0] * D for _ in markets]
        gone = [[0.0] * D for _ in markets]
        for t in range(D):
            stock += made[t]  # RECEIVE
            if t == 0:
                continue  # today's demand phase has run
            for k in markets:
                q = demand[t] * share[k]
                if q > 0:
                    queue.append([t, k, q])
            if rank is not None:
                queue.sort(key=lambda o: (rank[o[1]], o[0]))
            left = []
            for o in queue:
                give = min(o[2], stock)
                if give > 0:
                    stock -= give
                    o[2] -= give
                    sent[o[1]][t] += give
                if o[2] > 1e-9:
                    if t - o[0] >= patience[o[1]]:
                        gone[o[1]][t] += o[2]
                    else:
                        left.append(o)
            queue = left
        shipped[p], lost[p] = sent, gone
    return shipped, lost


def _shifted(values: np.ndarray, by: int, days: int) -> np.ndarray:
    """``values`` [day] moved ``by`` days later, within ``days``."""
    out = np.zeros(days)
    if by < days:
        out[by:] = values[: days - by]
    return out


def _due(opening_due: np.ndarray, days: int) -> np.ndarray:
    out = np.zeros(days)
    n = min(days, len(opening_due))
    out[:n] = opening_due[:n]
    return out


def project(terms: BookTerms, opening: Opening, plan: FlowPlan) -> Flows:
    """What the books will post, per pair of accounts and day, if ``plan`` is what happens."""
    D = plan.days
    P = plan.demand.shape[0]
    flows: Flows = {}

    def post(debit: Account, credit: Account, amounts: np.ndarray) -> None:
        if np.any(amounts):
            key = (debit, credit)
            flows[key] = flows.get(key, np.zeros(D)) + amounts

    for debit, credit, amount in opening.posted_today:
        today = np.zeros(D)
        today[0] = amount
        post(Account(debit), Account(credit), today)

    # Production: started at EXECUTE, finished goods after the lead time (at RECEIVE; with no
    # lead time at once, for the next day's demand).
    lead = terms.production_lead_days
    completions = np.zeros((P, D))  # what reaches finished goods, for the demand of the day
    if lead == 0:
        completions[:, 1:] = plan.starts[:, :-1]
        finished = plan.starts  # on the books at once, sold from the next day
    else:
        completions[:, lead:] = plan.starts[:, : max(0, D - lead)]
        if lead > 1:  # work in process completes in equal parts over the lead time
            completions[:, 1:lead] += (opening.in_process / (lead - 1))[:, None]
        finished = completions
    post(Account.INVENTORY_WIP, Account.INVENTORY_COMPONENTS, terms.material_cost @ plan.starts)
    post(Account.INVENTORY_WIP, Account.CASH, terms.conversion_cost @ plan.starts)
    post(Account.OVERTIME, Account.CASH, np.asarray(plan.overtime_premium, dtype=float))
    post(Account.INVENTORY_FINISHED, Account.INVENTORY_WIP, terms.product_cost @ finished)

    # Sales: revenue owed at each market's terms, cost of goods at standard, lost-sale fines.
    shipped, lost = _ship(terms, opening, plan, completions)
    factor = np.ones((P, D)) if plan.price_factor is None else plan.price_factor
    sold = shipped.sum(axis=1)
    receivable = _due(opening.receivable_due, D)
    revenue = np.zeros(D)
    for k, days_to_pay in enumerate(terms.market_terms_days):
        amount = (shipped[:, k, :] * terms.price[:, None] * factor).sum(axis=0)
        revenue += amount
        receivable += _shifted(amount, int(days_to_pay), D)
    post(Account.RECEIVABLES, Account.REVENUE, revenue)
    post(Account.COGS, Account.INVENTORY_FINISHED, terms.product_cost @ sold)
    post(Account.PENALTIES, Account.CASH, (lost.sum(axis=0) * terms.market_penalty[:, None]).sum(0))

    # Components: dispatched (owed at the supplier's terms), received after their transit.
    payable = _due(opening.payable_due, D)
    received = np.zeros(D)
    ahead = np.asarray(opening.arrivals, dtype=float)
    n = min(len(ahead), D - 1)
    if n > 0:
        received[1 : 1 + n] += ahead[:n] @ terms.component_cost
    for buy in plan.purchases:
        cost = terms.component_cost[buy.component]
        units = np.asarray(buy.dispatch, dtype=float)
        post(Account.INVENTORY_IN_TRANSIT, Account.PAYABLES, units * cost)
        post(Account.PURCHASE_PRICE_VARIANCE, Account.PAYABLES, units * (buy.price - cost))
        freight = Account.EXPEDITING if buy.expedite else Account.TRANSPORT
        post(freight, Account.PAYABLES, units * buy.freight_per_unit)
        owed = units * (buy.price + buy.freight_per_unit)
        payable += _shifted(owed, buy.payment_terms_days, D)
        received += _shifted(units * cost, max(1, buy.transit_days), D)
    post(Account.INVENTORY_COMPONENTS, Account.INVENTORY_IN_TRANSIT, received)

    fees = np.zeros(D)
    for day, amount, days_to_pay in plan.fees:  # billed at the close, before payments
        if 0 <= day < D:
            fees[day] += amount
            if day + days_to_pay < D:
                payable[day + days_to_pay] += amount
    post(Account.CAPACITY_RESERVATION, Account.PAYABLES, fees)
    if plan.promotion_cost is not None:
        post(Account.PROMOTION, Account.CASH, np.asarray(plan.promotion_cost, dtype=float))
    depreciation = np.full(D, opening.daily_depreciation)
    for spend in plan.capex:
        if spend.paid and 0 <= spend.day < D:
            capex = np.zeros(D)
            capex[spend.day] = spend.amount
            post(Account.FIXED_ASSETS, Account.CASH, capex)
        if spend.in_service < D:
            depreciation[spend.in_service :] += spend.amount / (
                terms.depreciation_years * DAYS_PER_YEAR
            )

    # CLOSE: charges on the stock as it stands at the close, depreciation, money due.
    def balance(account: Account) -> np.ndarray:
        net = sum((a for (d, c), a in flows.items() if d == account), np.zeros(D)) - sum(
            (a for (d, c), a in flows.items() if c == account), np.zeros(D)
        )
        return opening.balances[account] + np.cumsum(net)

    inventory = sum(balance(a) for a in INVENTORY)
    on_hand = balance(Account.INVENTORY_COMPONENTS) + balance(Account.INVENTORY_FINISHED)
    post(
        Account.HOLDING_CAPITAL,
        Account.CAPITAL_CHARGE_EQUITY,
        inventory * terms.capital_rate_per_year / DAYS_PER_YEAR,
    )
    post(
        Account.HOLDING_STORAGE, Account.CASH, on_hand * terms.storage_rate_per_year / DAYS_PER_YEAR
    )
    post(Account.OVERHEAD, Account.CASH, np.full(D, terms.overhead_per_year / DAYS_PER_YEAR))
    spent = np.diff(balance(Account.FIXED_ASSETS), prepend=opening.balances[Account.FIXED_ASSETS])
    written_down, left = np.zeros(D), float(opening.balances[Account.FIXED_ASSETS])
    for t in range(D):  # never below zero, as the books
        left += spent[t]
        written_down[t] = min(depreciation[t], left)
        left -= written_down[t]
    post(Account.DEPRECIATION, Account.FIXED_ASSETS, written_down)
    post(Account.CASH, Account.RECEIVABLES, receivable)
    post(Account.PAYABLES, Account.CASH, payable)
    cash = balance(Account.CASH)
    if cash.min() < 0:
        rate = terms.overdraft_rate_per_year / DAYS_PER_YEAR
        interest, paid = np.zeros(D), 0.0
        for t in range(D):
            now = cash[t] - paid
            if now < 0:
                interest[t] = -now * rate
                paid += interest[t]
        post(Account.INTEREST, Account.CASH, interest)
    return flows


def projected_statements(terms: BookTerms, opening: Opening, plan: FlowPlan) -> Statements:
    """The monthly statements of ``plan`` projected from ``opening``."""
    flows = project(terms, opening, plan)
    return statements(flows, opening.balances, opening.day, plan.days)
