"""The planning meeting: the functions' proposals reconciled into one plan.

On the first day of each month — and, with exception reviews, at the first weekly review after
an exception — every function brings its proposal: Sales its forecast and promotions,
Operations the plant as it is, Procurement its components' supply (and which suppliers are
failing), Finance its rates and books, the executive its mandate. :meth:`Meeting.reconcile`
turns them into one :class:`Plan` and one decision-log entry. The meeting reads nothing but the
proposals and what the protocol shares (customer orders); it keeps its own memory (the demand
planner's forecast, the record of Sales' forecasts, what it approved).

It is composed of the protocol's pieces:

- **Demand Review** (``demand_review``): the consensus, unconstrained demand plan. A demand
  planner keeps a statistical forecast of the orders everyone sees (Holt-Winters, started from
  the market intelligence Sales shares with the meeting). Sales' forecast, corrected for the
  bias it has shown, is blended in as far as its record shows it adds value: its weight is the
  share of the baseline's squared error it removes (forecast value added; zero when it adds
  none), measured product by product on the forecasts whose horizon has passed. Sales'
  promotions are put on the table before they run; without a supply review they all run.
- **Supply Review** (``supply_review``): a rough-cut plan of production per week, line by line
  (a product runs only on the lines that make it: products made on one line are served first,
  then the others share what is left), against regular capacity and overtime, and the
  components' supply against lead times, supplier capacity and what is stuck at a failing
  supplier.
- **Pre-S&OP**: each gap turned into options, each valued by Finance with the cost terms the
  books will post (:mod:`agents.valuation`): demand shaping (run a promotion or drop it),
  pre-build and overtime — decided *jointly*, since building ahead and working overtime are
  two answers to the same peak —, air freight or a near supplier for components that would
  arrive too late, an alternate supplier for what the main one cannot ship, and (with
  ``financial_reconciliation``) capacity expansion, with Finance's hurdle rate as a gate.
- **Executive S&OP**: the executive's mandate takes each option whose weighted score is
  positive. Every option put on the table, taken, declined or stopped by a gate, is logged
  with the function that proposed it, its value by cost term, and what decided it.

Time in a plan: its weeks start at ``Plan.start_day``, the first weekly review at or after the
meeting; week ``w`` is made at review ``start_day + 7w`` and meets the demand of days
``start_day + 7w + 1 .. start_day + 7w + 7``, so ``Plan.demand[:, i]`` is day
``start_day + 1 + i``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from agents.config import DemandForecasterSpec, MarketPrior
from agents.executive import Mandate
from agents.forecasting.demand import HoltWinters
from agents.messages import DemandProposal, FinanceProposal, MaterialProposal, SupplyProposal
from agents.protocols import Pieces
from agents.protocols.ibp import PLAN_LINES, FinancialPlanning, flow_plan
from agents.valuation import OptionValue, Valuation
from sim.calendar import DAYS_PER_WEEK, DAYS_PER_YEAR, month_of_day, weekly_totals
from sim.config import CapacityOption
from sim.messages import CapacityChange, Promotion, ReserveCapacity
from sim.world import ReservationOffer

__all__ = [
    "DAYS_PER_MONTH",
    "SLACK_DAYS",
    "Meeting",
    "MeetingContext",
    "Plan",
    "Proposals",
    "allocate",
]

DAYS_PER_MONTH = 30
SLACK_DAYS = 120  # demand planned beyond the horizon, so any cover fits inside the plan
RECORD_DAYS = 28  # the horizon on which forecasts are scored against what happened
MEMORY_DAYS = 182  # how far back the demand review looks at Sales' record
PRIOR_WEIGHT = 0.5  # Sales' weight in the consensus before it has a record
RECORD_NEEDED = 3  # scored forecasts needed before the record decides the weight
PERSON = "the executive in the room"  # who decided an option a person ruled on


@dataclass(frozen=True)
class Rush:
    """A rush order the meeting approved: ``quantity`` of ``component`` from ``supplier`` by
    ``mode``, costing ``freight``."""

    component: str
    supplier: str
    mode: str
    quantity: float
    freight: float


@dataclass
class Plan:
    """The one plan: what the company agreed to, in force from ``start_day``."""

    start_day: int
    demand: np.ndarray  # [product, day] consensus demand per day, from day start_day + 1
    production: np.ndarray | None = None  # [product, week] agreed production per week
    position: np.ndarray | None = None  # [product, week] planned stock position at each review
    component_need: np.ndarray | None = None  # [component, day] from the production plan
    overtime: bool = False
    overtime_premium: np.ndarray | None = None  # [week] premium the plan's overtime costs
    rushes: list[Rush] = field(default_factory=list)
    alternate: dict[str, tuple[str, float]] = field(default_factory=dict)  # share to a supplier
    planned_inventory_value: float | None = None
    promotions: list[Promotion] = field(default_factory=list)
    capacity: list[CapacityChange] = field(default_factory=list)
    reservations: list[ReserveCapacity] = field(default_factory=list)  # supplier contracts

    @property
    def approved_expedite(self) -> float:
        """The freight of the rushes the meeting approved."""
        return float(sum(r.freight for r in self.rushes))

    def week(self, day: int) -> int:
        return (day - self.start_day) // DAYS_PER_WEEK

    def _window(self, rows: np.ndarray | None, day: int, days: int) -> np.ndarray | None:
        """Columns for days ``day + 1 .. day + days`` of per-day ``rows`` (None if not there)."""
        if rows is None:
            return None
        first = max(0, day - self.start_day)
        window = rows[:, first : first + days]
        return window if window.shape[1] == days else None

    def demand_from(self, day: int, days: int) -> np.ndarray | None:
        """Consensus demand per day for days ``day + 1 .. day + days`` [P, days]."""
        return self._window(self.demand, day, days)

    def need_from(self, day: int, days: int) -> np.ndarray | None:
        """Planned component need per day for days ``day + 1 .. day + days`` [C, days]."""
        return self._window(self.component_need, day, days)

    def agreed(self, day: int) -> tuple[np.ndarray, np.ndarray] | None:
        """At the review on ``day``: the agreed production and the position the plan expected."""
        if self.production is None or day < self.start_day:
            return None
        w = self.week(day)
        if w >= self.production.shape[1]:
            return None
        return self.production[:, w], self.position[:, w]


@dataclass(frozen=True)
class Proposals:
    """What the functions bring to the meeting."""

    demand: DemandProposal
    supply: SupplyProposal
    materials: MaterialProposal
    finance: FinanceProposal
    executive: Mandate


@dataclass(frozen=True)
class MeetingContext:
    """What the meeting knows besides the proposals: the day, the plan's span, the orders the
    protocol shares, and the company's structure and options."""

    day: int
    plan_start: int
    weeks: int
    demand_history: np.ndarray  # [day, product], customer orders to today
    products: tuple[str, ...]
    components: tuple[str, ...]
    lines: tuple[str, ...]
    bom: np.ndarray
    price: np.ndarray
    unit_cost: np.ndarray
    capacity_options: tuple[CapacityOption, ...]
    depreciation_years: float
    expected_uplift: np.ndarray  # [product] what the meeting expects a promotion to lift
    penalty_per_unit: float = 0.0  # lost-sale penalty, averaged over markets
    kind: str = "sop_cycle"  # or "exception_review"
    reasons: tuple[str, ...] = ()
    run_end_day: int = 10**9  # the first day after the run: nothing is valued from it on
    reservation_offers: tuple[ReservationOffer, ...] = ()  # suppliers' capacity for a fee

    @property
    def days(self) -> int:
        return self.weeks * DAYS_PER_WEEK + SLACK_DAYS


# ---------------------------------------------------------------------------- capacity


def allocate(demand: np.ndarray, capacity: np.ndarray, makes: np.ndarray) -> np.ndarray:
    """Units per product a week of line ``capacity`` [L] can make of ``demand`` [P], when line
    ``l`` makes product ``p`` only if ``makes[l, p]``: products with one line are served
    first, in proportion to demand where they share it; products with more lines then take
    what is left, each from its line with the most room (the product with most demand first).

    ``demand`` may carry a leading axis of cases ([S, P], with ``capacity`` [L] or [S, L]):
    each case — a scenario, a week — is allocated on its own (products with more lines are
    served in the order of their demand over all cases)."""
    demand = np.maximum(np.asarray(demand, dtype=float), 0.0)
    single = demand.ndim == 1
    want_all = demand[None, :] if single else demand
    S = want_all.shape[0]
    singles, multiples, lines_of = _structure(makes)
    room = np.empty((S, makes.shape[0]))
    room[...] = capacity
    made = np.zeros(want_all.shape)
    ones = np.empty(S)
    ones.fill(1.0)
    for line, mine in singles:
        # A copy, summed across its columns in turn: a view of adjacent products would be
        # summed pairwise once a line makes eight or more, and round differently.
        wanted = want_all[:, mine]
        want = wanted.sum(axis=1)
        # All of it where the room suffices; else the room's share (below one: no overflow).
        here = room[:, line]
        share = ones.copy()
        np.divide(here, want, out=share, where=here < want)
        share[want <= 0] = 0.0
        made[:, mine] += wanted * share[:, None]
        here -= want * share
    rows = np.arange(S)
    for group in multiples:
        if len(group) > 1:
            group = group[np.argsort(-want_all[:, group].sum(axis=0), kind="stable")]
        for p in group:
            want = want_all[:, p].copy()
            lines = lines_of[p]
            ranked = lines[(-room[:, lines]).argsort(axis=1, kind="stable")]  # [S, lines]
            last = len(lines) - 1
            for r in range(len(lines)):
                line = ranked[:, r]
                take = np.minimum(want, room[rows, line])
                made[:, p] += take
                room[rows, line] -= take
                if r < last:
                    want -= take
    return made[0] if single else made


_STRUCTURES: dict[tuple, tuple] = {}


def _structure(makes: np.ndarray) -> tuple:
    """Which products each line alone makes, the groups of products made on the same
    number of lines (more than one), in the order :func:`allocate` serves them, and the lines
    of each product."""
    key = (makes.shape, makes.tobytes())
    found = _STRUCTURES.get(key)
    if found is None:
        count = makes.sum(axis=0)
        singles = [
            (line, np.array([p for p in np.flatnonzero(count == 1) if makes[line, p]]))
            for line in range(makes.shape[0])
        ]
        singles = [(line, mine) for line, mine in singles if len(mine)]
        multiples = [
            np.flatnonzero(count == n) for n in sorted(set(int(n) for n in count if n > 1))
        ]
        lines_of = [np.flatnonzero(makes[:, p]) for p in range(makes.shape[1])]
        found = _STRUCTURES[key] = (singles, multiples, lines_of)
    return found


def _by_week(need: np.ndarray, capacity: np.ndarray, makes: np.ndarray) -> np.ndarray:
    """Each week of ``need`` [..., P, W] allocated on its own week's ``capacity`` [L, W] (or
    [..., L, W], one per case of ``need``)."""
    *lead, P, W = need.shape
    L = capacity.shape[-2]
    cases = np.moveaxis(need, -1, -2).reshape(-1, P)  # [(... W), P]
    room = np.broadcast_to(np.moveaxis(capacity, -1, -2), (*lead, W, L)).reshape(-1, L)
    made = allocate(cases, room, makes).reshape(*lead, W, P)
    return np.moveaxis(made, -1, -2)


def level(need: np.ndarray, capacity: np.ndarray, makes: np.ndarray):
    """Build ahead: what a week cannot make moves into earlier weeks, latest first.
    ``need`` is [P, W] (or [S, P, W] over scenarios), ``capacity`` [line, week] (or
    [S, line, week], one per scenario). Returns the plan, shaped like ``need``, and the units
    per product that fit nowhere."""
    plan = np.zeros_like(need, dtype=float)
    carry = np.zeros(need.shape[:-1])
    for w in range(need.shape[-1] - 1, -1, -1):
        wanted = need[..., w] + carry
        plan[..., w] = allocate(wanted, capacity[..., w], makes)
        carry = wanted - plan[..., w]
    return plan, carry


def chase(need: np.ndarray, capacity: np.ndarray, makes: np.ndarray):
    """Each week makes what it can of its own need; returns the plan and the units lost."""
    plan = _by_week(np.asarray(need, dtype=float), capacity, makes)
    return plan, (need - plan).sum(axis=-1)


def _dollar_days_ahead(plan: np.ndarray, need: np.ndarray, unit_cost: np.ndarray) -> np.ndarray:
    """Inventory a plan builds ahead of need, in dollar-days at standard cost (per scenario
    when the plan has a leading axis of them)."""
    ahead = np.maximum(np.cumsum(plan - need, axis=-1), 0.0)
    return (ahead.sum(axis=-1) @ unit_cost) * DAYS_PER_WEEK


def weekly(per_day: np.ndarray, weeks: int) -> np.ndarray:
    """Per-day rows [item, day] summed into their first ``weeks`` weeks [item, week]."""
    return weekly_totals(per_day, axis=1, weeks=weeks)


def _mean_value(values: list[OptionValue]) -> OptionValue:
    names = OptionValue.__dataclass_fields__
    return OptionValue(**{n: sum(getattr(v, n) for v in values) / len(values) for n in names})


class _Table:
    """The options of one meeting, valued and decided, for the plan and the decision log."""

    def __init__(self, mandate: Mandate) -> None:
        self.mandate = mandate
        self.rows: list[dict] = []

    def decide(
        self,
        name: str,
        proposed_by: str,
        description: str,
        values: list[OptionValue],
        extra: dict | None = None,
    ) -> bool:
        """Put an option to the executive: taken if its weighted score, averaged over the
        demand scenarios ``values`` are for, is positive."""
        value = _mean_value(values)
        take, reason = self.mandate.decide(value)
        decided_by = "the executive's weights"
        ruled = self.mandate.ruling(name, description)
        if ruled is not None:
            take, decided_by = ruled, PERSON
            reason = f"{'taken' if ruled else 'declined'} in the room; the weights: {reason}"
        self._log(
            name,
            proposed_by,
            description,
            value,
            take,
            decided_by,
            reason,
            _risk(self.mandate, values) | (extra or {}),
        )
        return take

    def choose(
        self, name: str, proposed_by: str, alternatives: list[tuple[str, list[OptionValue]]]
    ) -> int:
        """Put alternatives that answer the same gap to the executive at once: the best
        positive mean score over the scenarios is taken (index 0, doing nothing, scores 0)."""
        group = len(self.rows)  # the alternatives' rows share it: one of them is taken
        means = [(d, _mean_value(v)) for d, v in alternatives]
        scores = [self.mandate.score(v) for _, v in means]
        ruled = [self.mandate.ruling(name, d) for d, _ in means]
        # A person's ruling first: the alternative taken, else the best not declined.
        if True in ruled:
            best = ruled.index(True)
        else:
            open_ = [s if r is None else -np.inf for s, r in zip(scores, ruled, strict=True)]
            best = int(np.argmax(open_)) if max(open_) > 0 else 0
        for i, (description, value) in enumerate(means):
            _, reason = self.mandate.decide(value)
            chosen = i == best
            decided_by = "the executive's weights"
            if ruled[i] is not None and chosen and not ruled[i]:
                decided_by = PERSON
                reason = "every alternative was declined in the room: this one, doing nothing"
            elif ruled[i] is not None:
                decided_by = PERSON
                reason = f"{'taken' if ruled[i] else 'declined'} in the room; the weights: {reason}"
            elif chosen and i:
                reason = reason.replace("taken", "taken, the best of the alternatives")
            elif not chosen and scores[i] > 0:
                reason = f"not the best of the alternatives: score {scores[i]:+,.0f}"
            self._log(
                name,
                proposed_by,
                description,
                value,
                chosen,
                decided_by,
                reason,
                _risk(self.mandate, alternatives[i][1]) | {"alternatives": group},
            )
        return best

    def gate(
        self,
        name: str,
        proposed_by: str,
        description: str,
        value: OptionValue,
        gate: str,
        reason: str,
        extra: dict | None = None,
    ) -> None:
        """An option a gate stopped before it reached the executive."""
        self._log(name, proposed_by, description, value, False, gate, reason, extra)

    def note(self, name: str, proposed_by: str, description: str, reason: str) -> None:
        """An item taken without valuation (nothing to trade off at this rung)."""
        self._log(name, proposed_by, description, OptionValue(), True, "no supply review", reason)

    def _log(
        self, name, proposed_by, description, value, chosen, decided_by, reason, extra=None
    ) -> None:
        self.rows.append(
            {
                "option": name,
                "proposed_by": proposed_by,
                "description": description,
                "value": value.as_dict(),
                "score": round(self.mandate.score(value), 2),
                "chosen": bool(chosen),
                "decided_by": decided_by,
                "reason": reason,
                **(extra or {}),
            }
        )


RISK_PERCENTILE = 10  # the low percentile of an option's value shown beside its mean


def _risk(mandate: Mandate, values: list[OptionValue]) -> dict:
    """An option's spread over the demand scenarios: its score in the low percentile (with
    one scenario, nothing to show)."""
    if len(values) < 2:
        return {}
    scores = [mandate.score(v) for v in values]
    return {
        "scenarios": len(values),
        f"score_p{RISK_PERCENTILE}": round(float(np.percentile(scores, RISK_PERCENTILE)), 2),
    }


class Meeting:
    """The protocol's reconciliation, with its memory across meetings."""

    def __init__(
        self,
        pieces: Pieces,
        products: tuple[str, ...],
        forecaster: DemandForecasterSpec,
        market_intelligence: dict[str, MarketPrior],
        financial: FinancialPlanning | None = None,
    ) -> None:
        self.pieces = pieces
        self.financial = financial if pieces.financial_reconciliation else None
        self.products = products
        priors = [market_intelligence.get(name) for name in products]
        self.baseline = HoltWinters(
            len(products), forecaster.alpha, forecaster.beta, forecaster.gamma, forecaster.harmonics
        )
        self.baseline.set_prior(
            np.array([p.seasonality.amplitude if p else 0.0 for p in priors]),
            np.array([p.seasonality.peak_day if p else 0 for p in priors]),
            np.array([p.trend_per_year if p else 0.0 for p in priors]),
        )
        self.record: list[tuple[int, np.ndarray, np.ndarray]] = []  # (day, Sales, baseline)
        self.promotions: list[tuple[int, int, int]] = []  # approved: (product, start, end)
        self.expansions: set[int] = set()
        self.reserved: dict[tuple[str, str, int], float] = {}  # (supplier, component, week)
        self.approved: list[tuple[int, int, int, float, float]] = []  # promotions, for Finance

    def allows(self, kind: str) -> bool:
        return kind in self.pieces.options

    # ------------------------------------------------------------------ demand review

    def _lift(self, context: MeetingContext, first_day: int, days: int) -> np.ndarray:
        lift = np.ones((len(self.products), days))
        for p, start, end in self.promotions:
            a, b = max(start - first_day, 0), min(end - first_day, days)
            if a < b:
                lift[p, a:b] *= 1.0 + context.expected_uplift[p]
        return lift

    def _observe(self, context: MeetingContext) -> None:
        history = context.demand_history
        first = self.baseline.last_day + 1
        if first < len(history):
            rows = history[first:]
            self.baseline.observe(first, rows / self._lift(context, first, len(rows)).T)

    def sales_record(self, context: MeetingContext) -> tuple[float, np.ndarray]:
        """Sales' measured bias and its weight per product in the consensus (see the module
        docstring), from the forecasts whose horizon has passed within the memory."""
        day, demand = context.day, context.demand_history
        scored = [
            (sales, base, demand[made + 1 : made + 1 + RECORD_DAYS].mean(axis=0))
            for made, sales, base in self.record
            if made + RECORD_DAYS < day and made >= day - MEMORY_DAYS
        ]
        if not scored:
            return 0.0, np.full(len(self.products), PRIOR_WEIGHT)
        sales, base, actual = (np.array(x) for x in zip(*scored, strict=True))
        bias = float(sales.sum() / actual.sum() - 1.0) if actual.sum() > 0 else 0.0
        if bias <= -1.0 + 1e-9:
            # Sales forecast nothing while demand came: no correction of its number can help.
            return -1.0, np.zeros(len(self.products))
        if len(scored) < RECORD_NEEDED:
            return bias, np.full(len(self.products), PRIOR_WEIGHT)
        sales_error = ((sales / (1 + bias) - actual) ** 2).mean(axis=0)
        base_error = ((base - actual) ** 2).mean(axis=0)
        weight = np.clip(1.0 - sales_error / np.maximum(base_error, 1e-9), 0.0, 1.0)
        return bias, weight

    def consensus(self, proposals: Proposals, context: MeetingContext) -> tuple[np.ndarray, dict]:
        """The consensus demand per day from ``context.day + 1`` and the review's log."""
        self._observe(context)
        days = context.plan_start - context.day + context.days
        lift = self._lift(context, context.day + 1, days)
        baseline = self.baseline.ahead(context.day, days) * lift
        sales = proposals.demand.per_day[:, :days]
        bias, weight = self.sales_record(context)
        # Forecasts made before the memory are never scored again (the days only move on):
        # dropped, so that each review reads a record of a few months, not the whole run's.
        self.record = [r for r in self.record if r[0] >= context.day - MEMORY_DAYS]
        if context.kind == "sop_cycle":
            self.record.append(
                (
                    context.day,
                    sales[:, :RECORD_DAYS].mean(axis=1),
                    baseline[:, :RECORD_DAYS].mean(axis=1),
                )
            )
        corrected = sales / (1.0 + bias) if bias > -1.0 else np.zeros_like(sales)
        consensus = weight[:, None] * corrected + (1 - weight[:, None]) * baseline
        if self.financial is not None and context.kind == "sop_cycle":
            recent = context.demand_history[-RECORD_DAYS:]
            self.financial.layers.append(
                (
                    context.day,
                    {
                        "naive": recent.mean(axis=0),
                        "baseline": baseline[:, :RECORD_DAYS].mean(axis=1),
                        "sales": sales[:, :RECORD_DAYS].mean(axis=1),
                        "consensus": consensus[:, :RECORD_DAYS].mean(axis=1),
                    },
                )
            )
        names = self.products
        log = {
            "proposed_by": "sales",
            "sales_bias_measured": round(bias, 4),
            "sales_weight": {n: round(float(w), 3) for n, w in zip(names, weight, strict=True)},
        }
        return consensus, log

    # ------------------------------------------------------------------ the meeting

    def reconcile(self, proposals: Proposals, context: MeetingContext) -> tuple[Plan, dict]:
        """One meeting on ``context.day``; returns the plan and its decision-log entry."""
        day, start = context.day, context.plan_start
        if self.pieces.demand_review:
            forecast, review = self.consensus(proposals, context)
        else:
            days = start - day + context.days
            forecast, review = proposals.demand.per_day[:, :days], {"proposed_by": "sales"}
        financial, factors = self.financial, None
        if financial is not None:
            months = self.pieces.horizon_months
            if context.kind == "sop_cycle":
                financial.score(day, context.demand_history)
            forecast = financial.family_plan(forecast, day, months)
            width = forecast.shape[1] - (start - day)
            factors = financial.factors(day, start, width, len(context.products))
        plan = Plan(start_day=start, demand=forecast[:, start - day :])
        # A promotion proposed since the last meeting starts no earlier than announced today.
        lead = min((p.start_day for p in proposals.demand.promotions), default=day) - day
        pending = [
            replace(p, start_day=max(p.start_day, day + max(lead, 1)))
            for p in proposals.demand.promotions
        ]
        entry: dict = {
            "kind": context.kind,
            "day": day,
            "month": month_of_day(day),
            "protocol": self.pieces.name,
            "plan_starts": start,
            "demand_review": {
                **review,
                "next_4_weeks_units": {
                    name: round(float(plan.demand[p, : 4 * DAYS_PER_WEEK].sum()), 1)
                    for p, name in enumerate(context.products)
                },
                "promotions_proposed": [_promotion_dict(p) for p in pending],
            },
        }
        if context.reasons:
            entry["exceptions"] = list(context.reasons)
        table = _Table(proposals.executive)
        if factors is None:
            factors = np.ones((1, len(context.products), plan.demand.shape[1]))
        if self.pieces.supply_review:
            _SupplyReview(self, proposals, context, plan, table, entry, factors).run(pending)
        else:
            for promotion in pending:
                plan.demand = _with_promotion(context, plan, promotion)
                description = f"{promotion.product} promotion from day {promotion.start_day}"
                table.note("promotion", "sales", description, "announced promotions run")
            plan.promotions = pending
        for promotion in plan.promotions:
            p = context.products.index(promotion.product)
            self.promotions.append(
                (p, promotion.start_day, promotion.start_day + promotion.duration_days)
            )
        for promotion in plan.promotions:
            p = context.products.index(promotion.product)
            self.approved.append(
                (
                    p,
                    promotion.start_day,
                    promotion.duration_days,
                    promotion.price_discount,
                    promotion.cost,
                )
            )
        entry["options"] = table.rows
        if financial is not None and plan.production is not None:
            entry["ibp"] = self._plan_in_dollars(proposals, context, plan, forecast, table)
        return plan, entry

    def _fees(self, context, financial) -> tuple[tuple[int, float, int], ...]:
        """The reservation fees still to be billed for what the meeting has reserved: each
        week's on its first day, paid on the supplier's terms."""
        offers = {(o.supplier, o.component): o for o in context.reservation_offers}
        bills = []
        for (supplier, component, week), amount in self.reserved.items():
            day = week * DAYS_PER_WEEK
            offer = offers.get((supplier, component))
            if offer is None or day < context.day:
                continue
            buy = financial.terms.buying.get((supplier, context.components.index(component)))
            terms = buy.payment_terms_days if buy is not None else 0
            bills.append((day, amount * offer.fee_per_unit_per_week, terms))
        return tuple(sorted(bills))

    def _plan_in_dollars(self, proposals, context, plan, forecast, table) -> dict:
        """IBP: the agreed plan projected into the books month by month, against the budget;
        the gap each option closes; last month's projection against what happened."""
        financial, day = self.financial, context.day
        finance = proposals.finance
        months = self.pieces.horizon_months
        if context.kind == "sop_cycle":
            financial.record(day, forecast, context.demand_history[-1], months)
        review = financial.plan_vs_actual(day, finance.balances, context.demand_history)
        flows = flow_plan(
            plan,
            forecast,
            day,
            finance.opening,
            financial.terms,
            proposals.supply.queued
            if proposals.supply.queued is not None
            else np.zeros(len(context.products)),
            tuple(c.main_supplier for c in proposals.materials.components),
            tuple(c.lot for c in proposals.materials.components),
            proposals.materials.safety_days,
            [a for a in self.approved if a[1] + a[2] > day],
            finance.pending_capex,
            self._fees(context, financial),
        )
        projection = financial.project(flows, finance.opening, context.run_end_day)
        if context.kind == "sop_cycle":
            financial.last = (month_of_day(day), projection)
        budget = financial.budget_of(projection["month"])
        gap = financial.gap(projection)
        for row in table.rows:
            row["gap_to_budget"] = gap
            row["closes_gap"] = _closes(row["value"])
        demand_days = np.concatenate([context.demand_history[-1][:, None], forecast], axis=1)
        family_months = financial.monthly_by_family(demand_days, day, months)
        family_value = financial.monthly_by_family(
            demand_days * context.price[:, None], day, months
        )
        family_production = financial.monthly_by_family(flows.starts, day, months)
        rows = []
        for i, m in enumerate(projection["month"]):
            row = {
                "month": int(m),
                "first_day": int(projection["first_day"][i]),
                "whole_month": bool(projection["whole"][i]),
            }
            row["projected"] = {
                name: round(float(projection[name][i]), 2) for _, name in PLAN_LINES
            }
            row["budget"] = {
                name: (None if np.isnan(budget[name][i]) else round(float(budget[name][i]), 2))
                for name in budget
            }
            if i < family_months.shape[1]:
                m = int(m)
                budgeted = financial.family_revenue_budget
                row["families"] = {
                    f: {
                        "demand_units": round(float(family_months[k, i]), 1),
                        "demand_at_list_price": round(float(family_value[k, i]), 2),
                        "production_units": round(float(family_production[k, i]), 1),
                        "revenue_budget": (
                            round(float(budgeted[k, m]), 2)
                            if m < budgeted.shape[1] and not np.isnan(budgeted[k, m])
                            else None
                        ),
                    }
                    for k, f in enumerate(financial.families)
                }
            rows.append(row)
        return {
            "horizon_months": months,
            "scenarios": {
                "count": len(financial.levels),
                "errors_observed": financial.errors.observed(),
                "demand_multipliers_p10_p50_p90": {
                    f"month_{lag}": [
                        round(float(x), 3)
                        for x in np.quantile(
                            financial.errors.multipliers(financial.levels, lag + 1)[:, lag],
                            (0.1, 0.5, 0.9),
                        )
                    ]
                    for lag in (0, 5, 11, months - 1)
                    if lag < months
                },
            },
            "months": rows,
            "gap_to_budget": gap,
            "plan_vs_actual": review,
        }


def _promotion_dict(p: Promotion) -> dict:
    return {
        "product": p.product,
        "start_day": p.start_day,
        "duration_days": p.duration_days,
        "price_discount": p.price_discount,
        "cost": p.cost,
    }


def _with_promotion(
    context: MeetingContext, plan: Plan, promotion: Promotion, demand: np.ndarray | None = None
) -> np.ndarray:
    """``demand`` (default: the plan's) with ``promotion``'s expected lift."""
    out = (plan.demand if demand is None else demand).copy()
    p = context.products.index(promotion.product)
    first = promotion.start_day - (plan.start_day + 1)
    last = first + promotion.duration_days
    out[p, max(0, first) : max(0, last)] *= 1.0 + context.expected_uplift[p]
    return out


class _SupplyReview:
    """Supply Review, Pre-S&OP and the executive's decisions, written into a plan.

    Options are valued over the demand scenarios the meeting hands over (``factors``
    [scenario, product, day] multiply the plan's demand; one scenario of ones without
    financial reconciliation), on the weeks of the plan before the run's end."""

    def __init__(self, meeting, proposals, context, plan, table, entry, factors) -> None:
        self.meeting, self.proposals, self.context = meeting, proposals, context
        self.plan, self.table, self.entry = plan, table, entry
        self.factors = factors
        self._need: tuple[np.ndarray, np.ndarray] | None = None
        supply, finance = proposals.supply, proposals.finance
        self.valuation = Valuation(
            finance.capital_rate_per_year,
            finance.storage_rate_per_year,
            finance.receivable_days,
            finance.payable_days,
        )
        self.weeks = context.weeks
        # Weeks the options are valued on: the plan's, never past the end of the run.
        left = context.run_end_day - context.plan_start
        self.valued = int(np.clip(np.ceil(left / DAYS_PER_WEEK), 1, self.weeks))
        self.horizon_days = self.valued * DAYS_PER_WEEK
        per_day = supply.capacity_per_day + supply.capacity_coming
        self.makes = np.asarray(supply.line_makes, dtype=bool)
        self.regular = np.repeat((per_day * DAYS_PER_WEEK)[:, None], self.weeks, axis=1)
        overtime_per_day = per_day * supply.overtime_fraction
        self.overtime = np.repeat((overtime_per_day * DAYS_PER_WEEK)[:, None], self.weeks, axis=1)
        self.premium = np.asarray(supply.overtime_premium, dtype=float)

    def value(self, units, price=None, cost=0.0, dollar_days=0.0) -> OptionValue:
        c = self.context
        return self.valuation.value(
            units,
            c.price if price is None else price,
            c.unit_cost,
            c.penalty_per_unit,
            cost,
            dollar_days,
            on_hand=True,
            horizon_days=self.horizon_days,
        )

    def scenarios(self, demand: np.ndarray) -> np.ndarray:
        """``demand`` [P, days] in every scenario [S, P, days]."""
        return demand[None, :, :] * self.factors[:, :, : demand.shape[1]]

    def scenario_need(self) -> np.ndarray:
        """:meth:`needs` of the plan's demand in every scenario, on the valued weeks
        [S, P, weeks] (made again only when an approved promotion changes the demand)."""
        if self._need is None or self._need[0] is not self.plan.demand:
            need = self.needs(self.scenarios(self.plan.demand))[..., : self.valued]
            self._need = (self.plan.demand, need)
        return self._need[1]

    def needs(self, demand_per_day: np.ndarray) -> np.ndarray:
        """Production per week that keeps the position at lead-time demand plus safety
        (``demand_per_day`` [..., P, days]; the result [..., P, weeks])."""
        supply = self.proposals.supply
        demand_weeks = weekly_totals(demand_per_day, axis=-1, weeks=self.weeks)
        cover = supply.safety_days + supply.lead_time_days
        target = cover * demand_per_day[..., : 4 * DAYS_PER_WEEK].mean(axis=-1)
        need = np.zeros_like(demand_weeks)
        projected = np.broadcast_to(supply.position, target.shape).copy()
        for w in range(self.weeks):
            need[..., w] = np.maximum(demand_weeks[..., w] + target - projected, 0.0)
            projected = projected + need[..., w] - demand_weeks[..., w]
        return need

    def make(self, need, capacity, prebuild: bool):
        return level(need, capacity, self.makes) if prebuild else chase(need, capacity, self.makes)

    def overtime_cost(self, plan: np.ndarray, regular: np.ndarray | None = None) -> np.ndarray:
        """Premium paid each week for what ``plan`` ([..., P, W]) makes beyond ``regular``
        capacity (default: the plant's), line by line (the overtime each line needs, at its
        premium): [..., W]."""
        regular = self.regular if regular is None else regular
        W = plan.shape[-1]
        beyond = plan - _by_week(plan, regular[:, :W], self.makes)
        lines = np.flatnonzero(self.overtime[:, 0] > 0)
        spare = np.zeros((len(self.premium), W))
        spare[lines] = self.overtime[lines, :W]
        made = _by_week(np.maximum(beyond, 0.0), spare, self.makes).sum(axis=-2)  # [..., W]
        # Each line's overtime units, at its premium, in proportion to its overtime room.
        share = spare / np.maximum(spare.sum(axis=0), 1e-9)
        cost = made * (self.premium @ share)
        return np.where(beyond.sum(axis=-2) > 1e-9, cost, 0.0)

    def run(self, pending: list[Promotion]) -> None:
        plan, context, meeting = self.plan, self.context, self.meeting
        full = self.regular + self.overtime
        if meeting.allows("demand_shaping"):
            plan.promotions = [p for p in pending if self._shape(p, full)]
        else:
            plan.promotions = pending
            for promotion in pending:
                plan.demand = _with_promotion(context, plan, promotion)
        prebuild, overtime = self._build_and_overtime()
        plan.overtime = overtime
        usable = self.regular + (self.overtime if overtime else 0.0)
        if meeting.pieces.financial_reconciliation and meeting.allows("capacity_expansion"):
            usable = self._expansions(usable, prebuild, overtime)
        production, lost = self.make(self.needs(plan.demand), usable, prebuild)
        plan.production = production
        if overtime:
            plan.overtime_premium = self.overtime_cost(production)
        supply = self.proposals.supply
        demand_weeks = weekly(plan.demand, self.weeks)
        stock = supply.position[:, None] + np.cumsum(production - demand_weeks, axis=1)
        plan.position = np.column_stack([supply.position, stock[:, :-1]])
        per_day = np.repeat(production / DAYS_PER_WEEK, DAYS_PER_WEEK, axis=1)
        plan.component_need = context.bom.T @ per_day
        finance = self.proposals.finance
        peak_finished = float(np.maximum(stock, 0.0).max(axis=1) @ context.unit_cost)
        # Components, goods in transit and work in process stay as Finance's books have them.
        other = max(0.0, finance.inventory_value - finance.finished_goods_value)
        plan.planned_inventory_value = peak_finished + other
        self._materials()
        self.entry["supply_review"] = {
            "proposed_by": "operations",
            "weeks": self.weeks,
            "regular_capacity_per_week": {
                line: round(float(self.regular[i, 0]), 1) for i, line in enumerate(context.lines)
            },
            "overtime_capacity_per_week": {
                line: round(float(self.overtime[i, 0]), 1) for i, line in enumerate(context.lines)
            },
            "production_next_4_weeks": {
                name: round(float(production[p, :4].sum()), 1)
                for p, name in enumerate(context.products)
            },
            "units_short_after_decisions": {
                name: round(float(lost[p]), 1) for p, name in enumerate(context.products)
            },
            "inventory_budget": round(plan.planned_inventory_value, 2),
        }

    def _shape(self, promotion: Promotion, capacity: np.ndarray) -> bool:
        """Demand shaping: run Sales' promotion only if the plant can serve it at a profit."""
        plan, context, table = self.plan, self.context, self.table
        price = context.price
        p = context.products.index(promotion.product)
        sell_price = price.copy()
        sell_price[p] *= 1 - promotion.price_discount
        v = self.valued
        base = self.scenarios(plan.demand)
        lifted = np.stack([_with_promotion(context, plan, promotion, b) for b in base])
        S = len(base)
        _, lost = level(
            self.needs(np.concatenate([base, lifted]))[..., :v], capacity[:, :v], self.makes
        )
        lost_without, lost_with = lost[:S], lost[S:]
        # Units sold more, net of what the promotion crowds out of other products.
        extra = weekly_totals(lifted - base, axis=-1, weeks=v).sum(axis=-1) - (
            lost_with - lost_without
        )
        first = promotion.start_day - (plan.start_day + 1)
        inside = base[:, p, max(0, first) : max(0, first + promotion.duration_days)].sum(axis=-1)
        discount = promotion.price_discount * price[p] * inside
        values = [
            self.value(extra[k], sell_price, promotion.cost + discount[k]) for k in range(len(base))
        ]
        description = (
            f"run Sales' promotion of {promotion.product} from day {promotion.start_day} "
            f"({promotion.price_discount:.0%} off for {promotion.duration_days} days) — or drop it"
        )
        if table.decide("demand_shaping", "sales", description, values):
            plan.demand = _with_promotion(context, plan, promotion)
            return True
        return False

    def make_each(self, need: np.ndarray, capacities: list[np.ndarray], prebuild: bool):
        """:meth:`make` of ``need`` [S, P, W] on each of ``capacities`` ([L, W] each) at once:
        a list of (plan, lost) per capacity."""
        n, S = len(capacities), need.shape[0]
        stacked = np.concatenate([need] * n)
        room = np.repeat(np.stack(capacities), S, axis=0)  # [n S, L, W]
        made, lost = self.make(stacked, room, prebuild)
        return [(made[i * S : (i + 1) * S], lost[i * S : (i + 1) * S]) for i in range(n)]

    def _alternatives(self):
        """Each way of meeting the plan's demand — pre-build or not, overtime or not — valued
        per scenario against chasing demand on regular time."""
        context, meeting = self.context, self.meeting
        combos = [(False, False)]
        if meeting.allows("pre_build"):
            combos.append((True, False))
        if meeting.allows("overtime"):
            combos.append((False, True))
            if meeting.allows("pre_build"):
                combos.append((True, True))
        v = self.valued
        need = self.scenario_need()
        _, base_lost = chase(need, self.regular[:, :v], self.makes)
        out = {}
        regular = self.regular
        made_by = {}
        for prebuild in (False, True):
            mine = [c for c in combos if c[0] == prebuild]
            if mine:
                rooms = [(regular + (self.overtime if c[1] else 0.0))[:, :v] for c in mine]
                made_by.update(zip(mine, self.make_each(need, rooms, prebuild), strict=True))
        for prebuild, overtime in combos:
            made, lost = made_by[prebuild, overtime]
            gained = np.maximum(base_lost - lost, 0.0)
            cost = (
                self.overtime_cost(made, regular).sum(axis=-1) if overtime else np.zeros(len(need))
            )
            ahead = (
                _dollar_days_ahead(made, need, context.unit_cost)
                if prebuild
                else np.zeros(len(need))
            )
            out[prebuild, overtime] = [
                self.value(gained[k], cost=cost[k], dollar_days=ahead[k]) for k in range(len(need))
            ]
        return combos, out

    def _build_and_overtime(self) -> tuple[bool, bool]:
        """Pre-build and overtime, decided together: each alternative's lost sales, overtime
        premium and stock built ahead, against chasing demand on regular time."""
        combos, values = self._alternatives()
        described = {
            (False, False): "chase demand on regular time",
            (True, False): "build ahead of weeks where demand exceeds regular capacity",
            (False, True): "chase demand, with overtime where regular capacity falls short",
            (True, True): "build ahead and use overtime",
        }
        alternatives = [(described[c], values[c]) for c in combos]
        best = self.table.choose("build_and_overtime", "operations", alternatives)
        return combos[best]

    def _expansions(self, usable: np.ndarray, prebuild: bool, overtime: bool) -> np.ndarray:
        """Offer each capacity option not yet taken, valued on the weeks of the plan before
        the run's end and nothing after: the margin and penalties of the sales it adds and the
        overtime it saves (with the plan's pre-build and overtime decision), against its
        depreciation from the day it is in service and the capital charge, at Finance's
        hurdle rate, on the money it ties up. Returns the capacity the plan can use."""
        context, meeting, table = self.context, self.meeting, self.table
        finance = self.proposals.finance
        life_days = context.depreciation_years * DAYS_PER_YEAR
        v = self.valued
        for index, option in enumerate(context.capacity_options):
            if index in meeting.expansions or context.day < option.offered_from_day:
                continue
            ramp = option.ramp_days
            start = context.day + option.lead_days  # in service from this day
            description = (
                f"add {option.delta_per_day:g} units/day to {option.line} for "
                f"${option.capex:,.0f} ({option.lead_days} days to install"
                + (f", {ramp} to ramp up)" if ramp else ")")
            )
            horizon_end = context.plan_start + v * DAYS_PER_WEEK
            record = meeting.financial.errors if meeting.financial is not None else None
            if record is not None and not record.has_record():
                table.gate(
                    "capacity_expansion",
                    "operations",
                    description,
                    OptionValue(),
                    "the forecasts' track record",
                    "declined: capital is not committed before the forecasts have shown how far "
                    f"they miss ({record.min_errors} errors a month ahead are needed)",
                )
                continue
            if start >= horizon_end:
                table.gate(
                    "capacity_expansion",
                    "operations",
                    description,
                    OptionValue(),
                    "the planning horizon",
                    "declined: it would not be in service within the horizon (or the run)",
                )
                continue
            line = context.lines.index(option.line)
            extra = np.zeros_like(usable)
            for w in range(self.weeks):
                first = context.plan_start + w * DAYS_PER_WEEK
                days = np.arange(first, first + DAYS_PER_WEEK) - start
                share = np.clip((days + 1) / max(ramp, 1), 0.0, 1.0)  # the ramp's steps
                extra[line, w] = option.delta_per_day * float(share.sum())
            need = self.scenario_need()
            (made_now, lost_now), (made_big, lost_big) = self.make_each(
                need, [usable[:, :v], (usable + extra)[:, :v]], prebuild
            )
            gained = np.maximum(lost_now - lost_big, 0.0)
            if overtime:
                regular = self.regular[:, :v]
                saved = self.overtime_cost(made_now, regular).sum(axis=-1) - self.overtime_cost(
                    made_big, regular + extra[:, :v]
                ).sum(axis=-1)
            else:
                saved = np.zeros(len(need))
            in_service = max(0, horizon_end - start)
            depreciation = option.capex / life_days * in_service
            # The capex is paid at approval and tied up, written down, to the horizon's end.
            years_tied = (horizon_end - context.day) / DAYS_PER_YEAR
            book_end = option.capex - depreciation
            capital = finance.hurdle_rate * years_tied * (option.capex + book_end) / 2
            values = [
                replace(
                    self.value(gained[k], cost=-saved[k]),
                    depreciation=depreciation,
                    capital_charge=capital,
                    capex=option.capex,
                )
                for k in range(len(need))
            ]
            extra_log = {
                "valued_days": int(horizon_end - context.day),
                "in_service_days_valued": int(in_service),
                "book_value_after_horizon": round(book_end, 2),
                "not_valued": "what it earns after the horizon, and its book value then",
            }
            if table.decide("capacity_expansion", "operations", description, values, extra_log):
                change = CapacityChange(
                    option.line, option.delta_per_day, start, option.capex, ramp_days=ramp
                )
                self.plan.capacity.append(change)
                meeting.expansions.add(index)
                usable = usable + extra
        return usable

    def _reserved(self, supplier: str, component: str, weeks: int) -> np.ndarray:
        """Capacity the meeting has reserved at ``supplier`` for each week of the plan."""
        first = self.plan.start_day // DAYS_PER_WEEK
        return np.array(
            [self.meeting.reserved.get((supplier, component, first + w), 0.0) for w in range(weeks)]
        )

    def _reserve(self, c, supply, short, unit_margin, unit_revenue) -> np.ndarray:
        """A supplier contract: reserve the main supplier's extra capacity, for its fee, over
        the weeks the plan needs more than it can make — against buying those units from the
        alternate supplier at its premium (or, with none, losing the sales they make). Returns
        the weekly shortfall left."""
        context, plan, meeting = self.context, self.plan, self.meeting
        component = context.components[c]
        offer = next(
            (
                o
                for o in context.reservation_offers
                if o.supplier == supply.main_supplier and o.component == component
            ),
            None,
        )
        if offer is None:
            return short
        weeks = np.arange(len(short))
        start_days = plan.start_day + DAYS_PER_WEEK * weeks
        eligible = (start_days >= context.day + offer.lead_days) & (weeks < self.valued)
        needed = np.flatnonzero(eligible & (short >= 1))
        if not len(needed):
            return short
        first, last = int(needed[0]), int(needed[-1])
        last = max(last, first + offer.min_weeks - 1)
        if last >= self.valued:
            return short
        span = slice(first, last + 1)
        already = self._reserved(supply.main_supplier, component, len(short))[span]
        room = offer.extra_per_week - already.max()
        amount = float(np.floor(min(room, short[span].max())))
        if amount < 1:
            return short
        count = last - first + 1
        covered = np.minimum(short[span], amount)
        fee = amount * count * offer.fee_per_unit_per_week
        units = float(covered.sum())
        if supply.alternate and meeting.allows("alternate_supplier"):
            value = OptionValue(cost=fee - units * max(supply.alternate_price_premium, 0.0))
            instead = f"instead of buying {units:,.0f} from {supply.alternate}"
        else:
            value = OptionValue(
                revenue=units * unit_revenue,
                margin=units * unit_margin,
                penalties=units * context.penalty_per_unit,
                cost=fee,
            )
            instead = f"{units:,.0f} more to make with"
        description = (
            f"reserve {amount:,.0f} {component} a week at {supply.main_supplier} for {count} "
            f"weeks from day {int(start_days[first])} (fee ${fee:,.0f}), {instead}"
        )
        if not self.table.decide("capacity_reservation", "procurement", description, [value]):
            return short
        plan.reservations.append(
            ReserveCapacity(supply.main_supplier, component, amount, int(start_days[first]), count)
        )
        week0 = plan.start_day // DAYS_PER_WEEK
        for w in range(first, last + 1):
            key = (supply.main_supplier, component, week0 + w)
            meeting.reserved[key] = meeting.reserved.get(key, 0.0) + amount
        out = short.copy()
        out[span] -= covered
        return out

    def _materials(self) -> None:
        """Component gaps against the production plan: what would arrive too late (air
        freight or a faster supplier) and what the main supplier cannot ship (an alternate
        supplier) — counting nothing that is stuck at a failing supplier as on its way."""
        plan, context, table, meeting = self.plan, self.context, self.table, self.meeting
        price, cost, bom = context.price, context.unit_cost, context.bom
        weeks = plan.production.shape[1]
        for c, component in enumerate(context.components):
            users = bom[:, c] > 0
            if not users.any():
                continue
            supply = self.proposals.materials.components[c]
            # Margin and revenue of the finished goods one unit of this component makes possible.
            unit_margin = float(np.mean((price - cost)[users] / bom[users, c]))
            unit_revenue = float(np.mean(price[users] / bom[users, c]))
            regular_lead = int(np.ceil(supply.regular_lead_days))
            fast_lead = int(np.ceil(supply.fast_lead_days))
            need = plan.component_need[c]
            available = supply.available - supply.stuck
            if fast_lead < regular_lead and meeting.allows("air_freight"):
                # What runs short after a rush could land and before a regular order could.
                short = max(0.0, float(need[:regular_lead].sum()) - available)
                short = min(short, float(need[fast_lead:regular_lead].sum()))
                if short >= 1:
                    freight = short * supply.fast_freight_per_unit
                    premium = short * max(supply.fast_price_premium, 0.0)
                    value = OptionValue(
                        revenue=short * unit_revenue,
                        margin=short * unit_margin,
                        penalties=short * context.penalty_per_unit,
                        cost=freight + premium,
                    )
                    description = (
                        f"rush {short:,.0f} {component} from {supply.fast_supplier} by "
                        f"{supply.fast_mode} (freight ${freight:,.0f}, price premium "
                        f"${premium:,.0f})"
                    )
                    if table.decide("air_freight", "procurement", description, [value]):
                        plan.rushes.append(
                            Rush(component, supply.fast_supplier, supply.fast_mode, short, freight)
                        )
            weekly_need = weekly(plan.component_need[c : c + 1], weeks)[0]
            limit = (supply.main_capacity_per_week or np.inf) + self._reserved(
                supply.main_supplier, component, weeks
            )
            short = np.maximum(weekly_need - limit, 0.0)
            if (
                meeting.pieces.financial_reconciliation
                and meeting.allows("capacity_reservation")
                and short.any()
            ):
                short = self._reserve(c, supply, short, unit_margin, unit_revenue)
            if not supply.alternate or not meeting.allows("alternate_supplier"):
                continue
            excess = float(short.sum()) + supply.stuck
            if excess < 1:
                continue
            value = OptionValue(
                revenue=excess * unit_revenue,
                margin=excess * unit_margin,
                penalties=excess * context.penalty_per_unit,
                cost=excess * max(supply.alternate_price_premium, 0.0),
            )
            why = "stuck at it and beyond its capacity" if supply.stuck else "beyond its capacity"
            description = (
                f"buy {excess:,.0f} {component} from {supply.alternate} ({why} at "
                f"{supply.main_supplier})"
            )
            if table.decide("alternate_supplier", "procurement", description, [value]):
                planned = float(weekly_need.sum())
                plan.alternate[component] = (supply.alternate, min(1.0, excess / max(planned, 1.0)))


def _closes(value: dict) -> dict:
    """What an option does against the budget over the horizon, by line, positive where it
    helps: the revenue, margin and operating profit it adds, the inventory it saves, the cash
    it brings (a shortfall closes by as much; a lead grows)."""
    cash = (
        value["profit"]
        + value["capital_charge"]
        + value.get("depreciation", 0.0)
        - value.get("capex", 0.0)
        - value["working_capital"]
    )
    return {
        "revenue": value["revenue"],
        "gross_margin": value["margin"],
        "operating_profit": value["profit"],
        "inventory": -value["working_capital"],
        "cash": round(cash, 2),
    }
