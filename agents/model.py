"""The Mesa model: the company's functions as agents, a protocol, and the world they act in.

The model owns the world's SimPy environment and advances it one day per :meth:`step`; SimPy
stays the only clock. Each day, in the world's DECIDE phase, the model runs the functions in
this order (the only sequence written anywhere):

1. **Views.** Each function gets its :class:`agents.base.View` of the day's observation: its
   own data current, the rest ``information_delay_days`` late unless the protocol shares it.
2. **Meeting** (first day of a month, if the protocol meets). Every function, and the
   executive, is sent :class:`~agents.messages.MeetingCalled` and answers with its proposal;
   the protocol's :class:`~agents.protocols.meeting.Meeting` reconciles them into the plan,
   which goes to every function's inbox as :class:`~agents.messages.PlanIssued`.
3. **Weekly review** (first day of a week). The functions decide in turn — Sales, Operations,
   Procurement, Finance — each on its inbox: Sales reports its forecast, Operations and
   Procurement send their orders to Finance for approval, Finance releases them (cut or not)
   to the world. Functions also act on any message that reaches them on another day.
4. **Record.** Learned knobs that changed are written to the model's tidy record.

With a ``desk`` (a workshop room: people playing some of the functions), the first decision
day of each month opens a round: the meeting's table is shown to the room and the executive in
the room may rule on its options (:meth:`_meet`), then each seated person's decisions for the
month are taken (:mod:`agents.seats`) before the functions decide. The model is the same; the
desk only hands it decisions, and a desk that hands none leaves the run exactly as it was.

Messages for the world (``sim.messages``) are executed by it; messages between functions are
delivered by the model: reports ``information_delay_days`` late when data is not shared, the
approval workflow and the meeting at once. No function reads another's internals.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field, replace

import mesa
import numpy as np

from agents.base import FunctionAgent, View
from agents.budget import budget_for, family_budget, monthly_budget
from agents.config import CompanyConfig
from agents.executive import Executive, Mandate, Ruling
from agents.finance import Finance
from agents.messages import (
    Decided,
    DemandProposal,
    ExceptionRaised,
    FinanceProposal,
    ForApproval,
    ForecastReport,
    MaterialProposal,
    MeetingCalled,
    OrdersReleased,
    PlanIssued,
    Review,
    SupplyProposal,
)
from agents.operations import Operations
from agents.procurement import Procurement
from agents.projection import BookTerms
from agents.protocols import make_protocol
from agents.protocols.ibp import FinancialPlanning
from agents.protocols.meeting import (
    DAYS_PER_MONTH,
    SLACK_DAYS,
    Meeting,
    MeetingContext,
    Proposals,
    weekly,
)
from agents.sales import Sales
from sim.calendar import DAYS_PER_WEEK, DAYS_PER_YEAR, is_month_start, is_week_start, month_of_day
from sim.ledger import PlanKind
from sim.messages import (
    CapacityChange,
    DecisionRecord,
    DemandForecast,
    OrdersReview,
    PlanRecord,
    ProductionOrder,
    Promotion,
    PurchaseOrder,
    ReserveCapacity,
)
from sim.rng import Streams
from sim.world import CompanyObservation, CompanyOutcome, World

__all__ = ["AgentRecord", "OnePlanModel"]

RECORD_DAYS = 28
EXCEPTION_BAND = 0.3  # orders this far off the plan over two weeks call an exception review
_WORLD = (
    ProductionOrder,
    PurchaseOrder,
    DemandForecast,
    PlanRecord,
    Promotion,
    CapacityChange,
    DecisionRecord,
    OrdersReview,
    ReserveCapacity,
)  # the requests the world executes


@dataclass(frozen=True)
class AgentRecord:
    """What the functions learned and decided, as tidy rows (picklable, no simulation objects).

    ``learned``: one row per day a knob took a new value — (day, function, knob, item, value);
    :meth:`daily` spreads them over every day of the run. ``decisions``: (day, function,
    decision, item, value) for what each function chose at its reviews.
    """

    days: int
    learned: list[tuple[int, str, str, str, float]] = field(default_factory=list)
    decisions: list[tuple[int, str, str, str, float]] = field(default_factory=list)

    def daily(self) -> dict[tuple[str, str, str], np.ndarray]:
        """Each learned knob's value on every day, keyed ``(function, knob, item)``."""
        out: dict[tuple[str, str, str], np.ndarray] = {}
        for day, function, knob, item, value in self.learned:
            series = out.setdefault((function, knob, item), np.full(self.days, np.nan))
            series[day:] = value
        return out

    def final(self, function: str, knob: str) -> dict[str, float]:
        """The last value of ``function``'s learned ``knob``, per item."""
        return {
            item: float(series[-1])
            for (f, k, item), series in self.daily().items()
            if f == function and k == knob
        }


class OnePlanModel(mesa.Model):
    """A company run by its functions under ``config.protocol`` (any rung but ``classic``)."""

    def __init__(
        self, config: CompanyConfig, seed: int | None = None, days: int | None = None
    ) -> None:
        seed = config.seed if seed is None else seed
        streams = Streams(seed)
        super().__init__(rng=streams.decision("model"))
        self.config = config
        self.pieces = make_protocol(config.protocol, config.protocol_options)
        self.world = World(config, streams, self.decide, horizon_days=days, decides=self.decides)
        self.horizon = self.world.horizon
        top = self.world.topology
        books = config.finance
        holding = books.capital_charge_rate_per_year + books.storage_cost_rate_per_year
        markets = config.markets.values()
        penalty = sum(m.share * m.lost_sale_penalty_per_unit for m in markets)
        self.penalty_per_unit = penalty
        agents, adapt = config.agents, config.agents.adaptation
        Sales(self, agents.sales, top, adapt, self.pieces.demand_review, holding)
        Operations(self, agents.operations, top, holding, penalty)
        Procurement(
            self,
            agents.procurement,
            top,
            config.suppliers,
            config.transport_modes,
            books.capital_charge_rate_per_year,
            books.storage_cost_rate_per_year,
            adapt,
        )
        receivable_days = sum(m.share * m.payment_terms_days for m in markets)
        suppliers = config.suppliers.values()
        payable_days = float(np.mean([s.payment_terms_days for s in suppliers])) if suppliers else 0
        Finance(
            self,
            agents.finance,
            top,
            books,
            config.transport_modes,
            self.world.conversion_cost,
            adapt,
            receivable_days,
            payable_days,
        )
        self.executive = Executive(self, agents.executive)
        # The functions, in the order they decide at a weekly review.
        order = {Sales: 0, Operations: 1, Procurement: 2, Finance: 3}
        self.functions = self.agents.select(agent_type=FunctionAgent).sort(
            lambda a: order[type(a)], ascending=True
        )
        self.meeting = self._make_meeting()
        self.plan = None
        self.exceptions: list[str] = []  # raised since the last meeting
        self.exception_band = EXCEPTION_BAND
        self._mail: dict[str, list[tuple[int, object]]] = defaultdict(list)
        self._recorded: dict[tuple[str, str, str], float] = {}
        self.datacollector = mesa.DataCollector(
            tables={
                "learned": ["day", "function", "knob", "item", "value"],
                "decisions": ["day", "function", "decision", "item", "value"],
            }
        )
        self.day = 0
        self.desk = None  # people deciding for some functions (experiments.workshop), if any
        self._dormant: Meeting | None = None  # the meeting, while a switched-to protocol has none
        self._round_month = -1  # the month whose round was opened last
        self.world.start()

    def _make_meeting(self) -> Meeting | None:
        if not self.pieces.meets:
            return None
        agents = self.config.agents
        return Meeting(
            self.pieces,
            self.world.topology.products,
            agents.sales.forecaster,
            agents.sales.market_intelligence,
            self._financial_planning() if self.pieces.financial_reconciliation else None,
        )

    def switch_protocol(self, name: str) -> None:
        """Go on under protocol ``name`` from the next day (a workshop switches between rounds):
        what the functions see and whether they meet change; what they have learned stays.
        Leaving a protocol that meets drops its plan: nobody works to it any more."""
        self.config = self.config.model_copy(update={"protocol": name})
        self.pieces = make_protocol(name, self.config.protocol_options)
        meeting = self.meeting or self._dormant
        if not self.pieces.meets:
            self._dormant, self.meeting = meeting, None  # its memory waits for a return
        elif meeting is None:
            self.meeting = self._make_meeting()
        else:
            self.meeting = meeting
            meeting.pieces = self.pieces
            if self.pieces.financial_reconciliation and meeting.financial is None:
                meeting.financial = self._financial_planning()
            elif not self.pieces.financial_reconciliation:
                meeting.financial = None
        if self.meeting is None:
            self.plan = None
            for agent in self.functions:
                agent.plan = None
        for agent in self.functions:
            if isinstance(agent, Sales):
                agent.demand_review = self.pieces.demand_review
                if self.meeting is None:
                    agent.consensus = None
                    agent.proposed = []  # no meeting will decide them

    def _financial_planning(self) -> FinancialPlanning:
        """IBP's financial plan: the books' terms, the families, and the budget by month."""
        config = self.config
        top = self.world.topology
        family_of, families = np.asarray(top.family_of), top.families
        months = 12 * -(-self.horizon // DAYS_PER_YEAR)
        budget = budget_for(config)
        return FinancialPlanning(
            config.ibp,
            family_of,
            families,
            BookTerms.of(config),
            monthly_budget(budget, config.finance.opening_cash, months),
            family_budget(budget, families, months),
        )

    # -------------------------------------------------------------- running

    def step(self) -> None:
        """Simulate one more day."""
        self.day += 1
        self.world.advance(self.day)

    def run(self) -> CompanyOutcome:
        """Simulate the whole horizon and return what happened."""
        while self.day < self.horizon:
            self.step()
        return self.world.outcome()

    def record(self) -> AgentRecord:
        """What the functions learned and decided so far."""
        learned = self.datacollector.tables["learned"]
        decisions = self.datacollector.tables["decisions"]
        return AgentRecord(
            self.horizon,
            list(zip(*(learned[c] for c in learned), strict=True)),
            list(zip(*(decisions[c] for c in decisions), strict=True)),
        )

    # -------------------------------------------------------------- the day's decisions

    def decides(self, day: int) -> bool:
        """The days anything is decided: weekly reviews, and meetings on the first of a month."""
        return is_week_start(day) or (self.pieces.meets and is_month_start(day))

    def view(self, agent: FunctionAgent, obs: CompanyObservation) -> View:
        """``obs`` as ``agent`` sees it under the protocol."""
        delay = 0 if self.pieces.shared else self.config.information_delay_days
        return View(obs, agent.OWN, delay)

    def decide(self, obs: CompanyObservation) -> list[object]:
        """The requests of the day (called by the world in its DECIDE phase)."""
        day = obs.day
        world: list[object] = []
        views = {agent.role: self.view(agent, obs) for agent in self.functions}
        review = is_week_start(day)
        opens = self.desk is not None and month_of_day(day) != self._round_month
        if opens:
            self._round_month = month_of_day(day)
        if self.meeting is not None and is_month_start(day):
            world += self._meet(obs, views)
        elif self.meeting is not None and self.pieces.exception_reviews and review:
            reasons = self.exceptions + self._demand_off_plan(obs)
            if reasons:
                world += self._meet(obs, views, "exception_review", tuple(reasons))
        if opens:
            world += self._seat(day, views)
        for agent in self.functions:
            inbox = self._collect(agent.role, day)
            if review:
                inbox.append(Review(day))
            if inbox:
                world += self._route(agent.role, agent.decide(views[agent.role], inbox), day)
        if review and self.plan is not None and self.pieces.demand_review:
            consensus = self.plan.demand_from(day, RECORD_DAYS)
            if consensus is not None:
                for p, name in enumerate(obs.topology.products):
                    world.append(
                        DemandForecast(
                            "consensus",
                            name,
                            float(consensus[p].mean()),
                            RECORD_DAYS,
                            official=True,
                            acted_on=False,
                        )
                    )
        self._record_learning(day)
        return world

    def _seat(self, day: int, views: dict[str, View]) -> list[object]:
        """The month's round: the desk's decisions go to the seats they are for (the other
        functions play themselves), and each is recorded."""
        decisions = self.desk.decisions(self, day, views)
        out: list[object] = []
        for agent in self.functions:
            agent.seat = decisions.get(agent.role)
            if agent.seat is not None:
                entry = {
                    "kind": "seat",
                    "day": day,
                    "month": month_of_day(day),
                    "function": agent.role,
                    "decision": agent.seat.model_dump(),
                    "summary": agent.seat.describe(),
                }
                out.append(DecisionRecord("seat", entry))
        return out

    def _collect(self, role: str, day: int) -> list[object]:
        due = [m for d, m in self._mail[role] if d <= day]
        self._mail[role] = [(d, m) for d, m in self._mail[role] if d > day]
        return due

    def _route(self, sender: str, messages: list[object], day: int) -> list[object]:
        """Deliver ``sender``'s messages; return those for the world."""
        world = []
        delay = 0 if self.pieces.shared else self.config.information_delay_days
        for message in messages:
            match message:
                case ForecastReport():
                    for agent in self.functions:
                        if agent.role != sender:
                            self._mail[agent.role].append((day + delay, message))
                case ForApproval():
                    self._mail["finance"].append((day, message))
                case OrdersReleased():
                    self._mail[message.owner].append((day, message))
                case ExceptionRaised():
                    self.exceptions.append(f"{message.function}: {message.reason}")
                case Decided():
                    self.datacollector.add_table_row(
                        "decisions",
                        {
                            "day": day,
                            "function": message.function,
                            "decision": message.decision,
                            "item": message.item,
                            "value": message.value,
                        },
                    )
                case _ if isinstance(message, _WORLD):
                    world.append(message)
                case _:
                    raise TypeError(f"{sender} sent {message!r}, which nobody receives")
        return world

    def _demand_off_plan(self, obs: CompanyObservation) -> list[str]:
        """Products whose orders over the last two weeks were more than the band off the plan."""
        if self.plan is None:
            return []
        days = 2 * DAYS_PER_WEEK
        start = obs.day - days  # the plan's forecast of days start + 1 .. today
        planned = self.plan.demand_from(start, days) if start >= self.plan.start_day else None
        if planned is None:
            return []
        seen = np.asarray(obs.demand_history)[-days:].sum(axis=0)
        expected = planned.sum(axis=1)
        off = np.abs(seen / np.maximum(expected, 1e-9) - 1.0)
        return [
            f"demand: {name} orders were {seen[p] / expected[p] - 1:+.0%} off the plan "
            "over two weeks"
            for p, name in enumerate(obs.topology.products)
            if expected[p] > 0 and off[p] > self.exception_band
        ]

    def _meet(
        self,
        obs: CompanyObservation,
        views: dict[str, View],
        kind: str = "sop_cycle",
        reasons: tuple[str, ...] = (),
    ) -> list[object]:
        """A meeting: proposals in, one plan out (see the module docstring)."""
        self.exceptions = []
        day = obs.day
        start = day + (-day) % DAYS_PER_WEEK  # the first weekly review at or after today
        weeks = int(np.ceil(self.pieces.horizon_months * DAYS_PER_MONTH / DAYS_PER_WEEK))
        context_days = weeks * DAYS_PER_WEEK + SLACK_DAYS
        call = MeetingCalled(day, start, weeks, context_days)
        found: dict[type, object] = {}
        for agent in (*self.functions, self.executive):
            view = views.get(agent.role) or View(obs, frozenset(), 0)
            for message in agent.decide(view, [call]):
                found[type(message)] = message
        top = obs.topology
        context = MeetingContext(
            day=day,
            plan_start=start,
            weeks=weeks,
            demand_history=np.asarray(obs.demand_history),
            products=top.products,
            components=top.components,
            lines=top.lines,
            bom=np.asarray(top.bom),
            price=np.asarray(top.price),
            unit_cost=np.asarray(top.product_standard_cost),
            capacity_options=self.config.expansion_options,
            depreciation_years=self.config.finance.depreciation_years,
            expected_uplift=found[DemandProposal].expected_uplift,
            penalty_per_unit=self.penalty_per_unit,
            kind=kind,
            reasons=reasons,
            run_end_day=self.horizon,
            reservation_offers=top.reservation_offers,
        )
        proposals = Proposals(
            found[DemandProposal],
            found[SupplyProposal],
            found[MaterialProposal],
            found[FinanceProposal],
            found[Mandate],
        )
        if self.desk is not None and kind == "sop_cycle":
            plan, entry = self._rule(proposals, context)
        else:
            plan, entry = self.meeting.reconcile(proposals, context)
        self.plan = plan
        for agent in self.functions:
            self._mail[agent.role].append((day, PlanIssued(plan, tuple(plan.promotions))))
        out: list[object] = [DecisionRecord(kind, entry)]
        demand_weeks = weekly(plan.demand, weeks)
        for p, name in enumerate(top.products):
            out.append(
                PlanRecord(
                    "consensus",
                    PlanKind.DEMAND,
                    name,
                    plan.start_day + 1,
                    tuple(float(x) for x in demand_weeks[p]),
                    agreed=True,
                )
            )
            if plan.production is not None:
                out.append(
                    PlanRecord(
                        "meeting",
                        PlanKind.PRODUCTION,
                        name,
                        plan.start_day,
                        tuple(float(x) for x in plan.production[p]),
                        agreed=True,
                    )
                )
        return out

    def _rule(self, proposals: Proposals, context: MeetingContext):
        """The meeting with people in the room: its table is drawn up as the executive's
        weights would decide it and shown to the room; if the executive in the room rules on
        options, the meeting is held again with the rulings (the weights decide the rest)."""
        meeting = copy.deepcopy(self.meeting)
        plan, entry = meeting.reconcile(proposals, context)
        rulings = self.desk.meeting(self, context.day, proposals, entry)
        if not rulings:
            self.meeting = meeting  # the table as drawn up is the meeting
            return plan, entry
        mandate = Ruling(proposals.executive.knobs, rulings)
        return self.meeting.reconcile(replace(proposals, executive=mandate), context)

    def _record_learning(self, day: int) -> None:
        for agent in self.functions:
            for (knob, item), value in agent.learned().items():
                key = (agent.role, knob, item)
                if self._recorded.get(key) != value:
                    self._recorded[key] = value
                    self.datacollector.add_table_row(
                        "learned",
                        {
                            "day": day,
                            "function": agent.role,
                            "knob": knob,
                            "item": item,
                            "value": value,
                        },
                    )
