"""The Mesa model: the company's functions as agents, a protocol, and the world they act in.

The model owns the world's SimPy environment and advances it one day per :meth:`step`; SimPy
stays the only clock. Each day, in the world's DECIDE phase, the model hands the observation to
the agents as the protocol says, passes their messages between them, and returns the requests
the world will execute. Order of decisions on a day:

1. Sales updates its view of demand (every day).
2. On the first day of a month: the S&OP cycle, if the protocol has one (its plan replaces the
   last), then Finance closes the month (inventory cap, expediting budget).
3. On the first day of a week: Sales forecasts and may propose a promotion (run at once in
   silo, put to the next cycle under a demand review); Operations proposes production, blended
   with the agreed plan by its adherence; Finance cuts orders if stock is over its cap;
   Procurement buys to its need (or the plan's) and expedites what would come too late.
"""

from __future__ import annotations

from collections.abc import Iterator

import mesa
import numpy as np

from agents.base import View
from agents.config import CompanyConfig
from agents.executive import Executive
from agents.finance import Finance
from agents.operations import Operations
from agents.procurement import Procurement
from agents.protocols import Protocol, make_protocol
from agents.protocols.cycle import Plan, run_cycle
from agents.sales import Sales
from sim.calendar import DAYS_PER_WEEK, is_month_start
from sim.messages import DecisionRecord, DemandForecast, PlanRecord, ProductionOrder, Promotion
from sim.rng import Streams
from sim.world import CompanyObservation, CompanyOutcome, World

__all__ = ["OnePlanModel"]

FORECAST_DAYS = 28  # the horizon of the forecasts the functions exchange (per day, averaged)
BIAS_MEMORY_DAYS = 182  # how far back the demand review looks to measure Sales' bias


class OnePlanModel(mesa.Model):
    """A company run by its functions under ``config.protocol`` (any rung but ``classic``)."""

    def __init__(
        self, config: CompanyConfig, seed: int | None = None, days: int | None = None
    ) -> None:
        seed = config.seed if seed is None else seed
        super().__init__(rng=seed)
        self.config = config
        self.agents_config = config.agents
        self.protocol: Protocol = make_protocol(config.protocol, config.protocol_options)
        self.world = World(config, Streams(seed), self.decide, horizon_days=days)
        self.horizon = self.world.horizon
        top = self.world.topology
        self.products, self.components = top.products, top.components
        self.bom = np.array(top.bom)
        self.price = np.array(top.price)
        self.unit_cost = np.array(top.product_standard_cost)
        lines = config.plant.lines.values()
        self.overtime_fraction = np.array([line.overtime_max_fraction for line in lines])
        self.overtime_premium = np.array([line.overtime_premium_per_unit for line in lines])
        agents = config.agents
        self.sales = Sales(self, config, agents.sales)
        self.operations = Operations(self, config, agents.operations)
        self.procurement = Procurement(self, config, agents.procurement)
        self.finance = Finance(self, config, agents.finance)
        self.executive = Executive(self, agents.executive)
        self.plan: Plan | None = None
        self.pending: list[Promotion] = []
        self.sales_forecasts: list[tuple[int, np.ndarray]] = []
        self._expansions: set[int] = set()
        self._approved_changes: list = []
        self.day = 0
        self.world.start()

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

    # -------------------------------------------------------------- services for the cycle

    def view_for(self, function: str, obs: CompanyObservation) -> View:
        """``obs`` as ``function`` sees it under the protocol."""
        del function  # every function has the same delay on others' data today
        delay = self.config.information_delay_days
        # Another function's data seen with no delay is as good as shared.
        return View(obs, self.protocol.shared or delay == 0, delay)

    def measured_sales_bias(self, obs: CompanyObservation) -> float:
        """Σ(Sales' forecast − actual) / Σ actual over forecasts whose horizon has passed."""
        day, demand = obs.day, obs.demand_history
        forecast_sum = actual_sum = 0.0
        for made, per_day in self.sales_forecasts:
            if made + FORECAST_DAYS >= day or made < day - BIAS_MEMORY_DAYS:
                continue
            actual = demand[made + 1 : made + 1 + FORECAST_DAYS].sum(axis=0) / FORECAST_DAYS
            forecast_sum += float(per_day.sum())
            actual_sum += float(actual.sum())
        return forecast_sum / actual_sum - 1.0 if actual_sum > 0 else 0.0

    def expansion_taken(self, index: int) -> bool:
        """Whether ``config.capacity_options[index]`` has been approved already."""
        return index in self._expansions

    def capacity_coming(self, day: int) -> np.ndarray:
        """Regular capacity per line approved but not yet in force on ``day``."""
        coming = np.zeros(len(self.config.plant.lines))
        lines = list(self.config.plant.lines)
        for change in self._approved_changes:
            if change.start_day > day:
                coming[lines.index(change.line)] += change.delta_per_day
        return coming

    # -------------------------------------------------------------- the day's decisions

    def decide(self, obs: CompanyObservation) -> list[object]:
        """The requests of the day (called by the world in its DECIDE phase)."""
        return list(self._decide(obs))

    def _decide(self, obs: CompanyObservation) -> Iterator[object]:
        day = obs.day
        view = self.view_for("all", obs)
        self.sales.observe(view)
        if is_month_start(day):
            yield from self._month(obs, view)
        if day % DAYS_PER_WEEK == 0:
            yield from self._week(obs, view)

    def _official_forecast(self, day: int, consensus: np.ndarray | None) -> np.ndarray | None:
        """The demand forecast of record per product and day, as Procurement receives it: the
        consensus under a demand review, else Sales' number as reported (late, in silo)."""
        if consensus is not None:
            return consensus[:, :FORECAST_DAYS].mean(axis=1)
        delay = 0 if self.protocol.shared else self.config.information_delay_days
        reported = [f for made, f in self.sales_forecasts if made <= day - delay]
        return reported[-1] if reported else None

    def _month(self, obs: CompanyObservation, view: View) -> Iterator[object]:
        day = obs.day
        if self.protocol.has_cycle:
            plan, entry = run_cycle(self, obs, self.pending)
            self.pending = []
            self.plan = plan
            for promotion in plan.promotions:
                if promotion.start_day > day:
                    self.sales.commit(promotion, day)
                    yield promotion
            for index, change in plan.capacity:
                self._expansions.add(index)
                self._approved_changes.append(change)
                yield change
            yield DecisionRecord(entry)
            weeks = plan.demand.shape[1] // DAYS_PER_WEEK
            weekly_demand = (
                plan.demand[:, : weeks * DAYS_PER_WEEK]
                .reshape(len(self.products), weeks, DAYS_PER_WEEK)
                .sum(axis=2)
            )
            for p, name in enumerate(self.products):
                yield PlanRecord(
                    "consensus", "demand", name, plan.start_day + 1, tuple(weekly_demand[p])
                )
                if plan.production is not None:
                    quantities = tuple(plan.production[p])
                    yield PlanRecord("sop", "production", name, plan.start_day, quantities)
        supply = self.plan if (self.plan is not None and self.protocol.supply_review) else None
        self.finance.close_month(
            view,
            supply.planned_inventory_value if supply else None,
            supply.approved_expedite if supply else None,
        )

    def _week(self, obs: CompanyObservation, view: View) -> Iterator[object]:
        day, agents = obs.day, self.agents_config
        sales_forecast = self.sales.forecast(view, FORECAST_DAYS)
        sales_per_day = sales_forecast.mean(axis=1)
        self.sales_forecasts.append((day, sales_per_day))
        promotion = self.sales.propose_promotion(view)
        if promotion is not None:
            if self.protocol.has_cycle:
                self.pending.append(promotion)
                self.sales.last_promotion_day = day
            else:
                self.sales.commit(promotion, day)
                yield promotion
        plan = self.plan
        trusted = (
            plan.demand_from(day) if plan is not None and self.protocol.demand_review else None
        )
        agreed = plan.agreed(day) if plan is not None else None
        proposal = self.operations.propose(view, trusted, agreed, agents.operations.plan_adherence)
        finance_view = (
            trusted[:, :FORECAST_DAYS].mean(axis=1)
            if trusted is not None
            else self.finance.skeptical(sales_per_day)
        )
        sales_view = (
            trusted[:, :FORECAST_DAYS].mean(axis=1) if trusted is not None else sales_per_day
        )
        for p, name in enumerate(self.products):
            yield DemandForecast("sales", name, float(sales_view[p]), FORECAST_DAYS)
            yield DemandForecast("operations", name, float(proposal.forecast[p]), FORECAST_DAYS)
            yield DemandForecast("finance", name, float(finance_view[p]), FORECAST_DAYS)
            yield DemandForecast("plan", name, float(proposal.forecast[p]), FORECAST_DAYS)
            yield PlanRecord("operations", "production", name, day, tuple(proposal.plan[p]))
        cut = self.finance.review(view)
        yield DecisionRecord({"day": day, "kind": "finance_review", "cut": int(cut < 1.0)})
        quantities = proposal.quantities
        overtime = proposal.overtime or bool(plan is not None and plan.overtime)
        for p, name in enumerate(self.products):
            q = float(quantities[p]) * cut
            if q >= 1:
                yield ProductionOrder(name, q, overtime=overtime)
        need = plan.need_from(day) if plan is not None else None  # None without a supply review
        orders = self.procurement.propose(
            view,
            self.bom,
            need,
            agents.procurement.plan_adherence,
            plan.alternate if plan is not None else frozenset(),
            official=self._official_forecast(day, trusted),
        )
        for order in orders:
            yield type(order)(order.component, order.quantity * cut, order.supplier, order.mode)
        rush, spent = self.procurement.expedite(
            view, self.bom, need, self.finance.expedite_allowance()
        )
        self.finance.spend_expedite(spent)
        yield from rush
