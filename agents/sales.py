"""Sales: brings the demand forecast (and its optimism) and runs promotions; pursues its pay.

Sales sees its customers' orders and what they received. It forecasts each product with its
own forecaster, starting from its market intelligence, and knows the promotions it runs (it
takes their lift out of what it learns from, and learns their real lift from the orders they
brought). What it *submits* is that forecast raised by its inflation — one number per product.

- **Promotions by objective.** Every week, for each product, Sales scores running a
  promotion now (announced ``lead_days`` ahead) on its objective: revenue, units, service and
  its estimate of operating profit, from its own forecast, its belief of the uplift and the
  share of orders its customers have lately received. With ``per_quarter`` promotions to
  spend, it runs one now when it pays and beats the best slots left in the quarter. Paid on
  revenue, the best slots are where demand is highest — the peak, when the plant is
  stretched; paid on operating profit, few promotions pay at all.
- **Inflation learned from pay.** With adaptation on, Sales tries its inflation a little
  higher or lower each period (:class:`agents.learning.HillClimb`) and keeps what paid: when
  planners build to its number and more stock means more orders served, inflating pays and
  rises; when a demand review discounts its number, it stops paying.
- **The number it works to.** In silo Sales' submission is the company's forecast. Under a
  demand review it adopts the consensus to the degree of its plan adherence, and that blend is
  the number it records as acted on; its proposal to the meeting is its own.
"""

from __future__ import annotations

from collections.abc import Iterable

import mesa
import numpy as np

from agents.base import FunctionAgent, View
from agents.config import SalesAgent
from agents.forecasting.demand import HoltWinters, make_demand_forecaster
from agents.learning import HillClimb, RecencyWeighted
from agents.messages import DemandProposal, ForecastReport, MeetingCalled, PlanIssued, Review
from agents.objective import objective_for
from sim.calendar import DAYS_PER_WEEK, DAYS_PER_YEAR, month_of_day
from sim.messages import DemandForecast, Promotion
from sim.world import Topology

__all__ = ["Sales"]

FILL_WINDOW_DAYS = 56  # how far back Sales looks for the share of orders its customers received
RECORD_DAYS = 28  # the horizon of the forecasts recorded and compared with actual demand


def _quarter(day: int) -> int:
    return month_of_day(day) // 3


class Sales(FunctionAgent):
    """The demand side of the company (see the module docstring)."""

    role = "sales"
    OWN = frozenset({"demand_history", "shipped_history", "backlog"})

    def __init__(
        self,
        model: mesa.Model,
        knobs: SalesAgent,
        topology: Topology,
        adaptation: bool,
        demand_review: bool,
        holding_rate_per_year: float,
    ) -> None:
        super().__init__(
            model, objective_for("sales", knobs.incentive, knobs.pay), knobs.plan_adherence
        )
        self.knobs = knobs
        self.products = topology.products
        self.price = np.asarray(topology.price, dtype=float)
        self.unit_cost = np.asarray(topology.product_standard_cost, dtype=float)
        self.adaptation = adaptation
        self.demand_review = demand_review
        self.holding_rate = holding_rate_per_year
        P = len(self.products)
        self.forecaster = make_demand_forecaster(knobs.forecaster, P)
        if isinstance(self.forecaster, HoltWinters):
            priors = [knobs.market_intelligence.get(name) for name in self.products]
            self.forecaster.set_prior(
                np.array([p.seasonality.amplitude if p else 0.0 for p in priors]),
                np.array([p.seasonality.peak_day if p else 0 for p in priors]),
                np.array([p.trend_per_year if p else 0.0 for p in priors]),
            )
        learning = knobs.learning
        self.inflation = HillClimb(
            np.full(P, knobs.optimism_bias),
            learning.step,
            learning.rate,
            low=-learning.max_inflation,
            high=learning.max_inflation,
            rng=self.stream,
        )
        self.trying = self.inflation.trial() if adaptation else self.inflation.value.copy()
        self.period_start = 0
        self.period_backlog = np.zeros(P)
        self.uplift = RecencyWeighted(
            np.full(P, knobs.promotion.expected_uplift), learning.uplift_weight
        )
        # Promotions that will run or ran: (product, start, end, base units expected).
        self.promotions: list[tuple[int, int, int, float]] = []
        self.proposed: list[Promotion] = []  # put to the meeting, not yet decided
        self.consensus: tuple[int, np.ndarray] | None = None  # (first day, [P, days])
        self.submitted: np.ndarray | None = None  # last submission, [P, days] from tomorrow

    # ------------------------------------------------------------------ the market it sees

    def _lift(self, first_day: int, days: int) -> np.ndarray:
        """Multiplier of demand on days ``first_day ..`` from the promotions Sales runs."""
        lift = np.ones((len(self.products), days))
        for p, start, end, _ in self.promotions:
            a, b = max(start - first_day, 0), min(end - first_day, days)
            if a < b:
                lift[p, a:b] *= 1.0 + self.uplift.value[p]
        return lift

    def observe(self, view: View) -> None:
        history = view.history("demand_history")
        first = self.forecaster.last_day + 1
        if first >= len(history):
            return
        rows = history[first:]
        # What its own promotions added is not the market's level: learn from the rest.
        self.forecaster.observe(first, rows / self._lift(first, len(rows)).T)
        self._learn_uplift(history)

    def _learn_uplift(self, history: np.ndarray) -> None:
        """Each promotion that has ended tells Sales how much it really lifted demand."""
        done = [x for x in self.promotions if x[2] <= len(history) and x[3] > 0]
        for p, start, end, expected in done:
            actual = float(history[start:end, p].sum())
            if self.adaptation:
                mask = np.arange(len(self.products)) == p
                self.uplift.learn(np.full(len(self.products), actual / expected - 1.0), mask)
        self.promotions = [x for x in self.promotions if x not in done] + [
            (p, s, e, 0.0) for p, s, e, _ in done
        ]
        self.promotions = [x for x in self.promotions if x[2] > len(history) - DAYS_PER_YEAR]

    def expected(self, day: int, days: int) -> np.ndarray:
        """Sales' own expectation of demand on days ``day + 1 .. day + days`` [P, days], its
        promotions included (no inflation)."""
        return self.forecaster.ahead(day, days) * self._lift(day + 1, days)

    # ------------------------------------------------------------------ deciding

    def decide(self, view: View, inbox: Iterable[object]) -> list[object]:
        out: list[object] = []
        self.observe(view)
        for message in inbox:
            match message:
                case PlanIssued():
                    out += self._adopt(view.day, message)
                case MeetingCalled():
                    out.append(self._proposal(view.day, message))
                case Review():
                    out += self._week(view)
        return out

    def _week(self, view: View) -> list[object]:
        day = view.day
        learning = self.knobs.learning
        if self.adaptation and day - self.period_start >= learning.period_days:
            # The first days of a trial still show the last trial's stock: they are not scored.
            self.inflation.learn(self._reward(view, self.period_start + learning.washout_days, day))
            self.trying = self.inflation.trial()
            self.period_start = day
        if self.adaptation and day == self.period_start + learning.washout_days:
            self.period_backlog = np.asarray(view.state("backlog"), dtype=float).copy()
        # What it will run is part of what it expects; what it proposes is not, yet.
        out: list[object] = []
        promotion = self._promotion(view) if self.seat is None else self._seated_promotion(day)
        if promotion is not None:
            if self.demand_review:
                self.proposed.append(promotion)
            else:
                out.append(self._run(promotion))
        days = max(RECORD_DAYS, 2 * DAYS_PER_YEAR // 3)
        self.submitted = self.expected(day, days) * (1.0 + self.trying[:, None])
        if self.seat is not None:
            self.submitted = self._seated_forecast(self.submitted)
        out.append(ForecastReport(self.role, day, self.submitted, not self.demand_review))
        working = self.submitted[:, :RECORD_DAYS].mean(axis=1)
        if self.consensus is not None and self.seat is None:
            first, demand = self.consensus  # demand[:, 0] is day `first`
            offset = max(0, day + 1 - first)
            agreed = demand[:, offset : offset + RECORD_DAYS]
            if agreed.shape[1] == RECORD_DAYS:
                working = self.adherence * agreed.mean(axis=1) + (1 - self.adherence) * working
        for p, name in enumerate(self.products):
            out.append(
                DemandForecast(
                    self.role,
                    name,
                    float(working[p]),
                    RECORD_DAYS,
                    official=not self.demand_review,
                    acted_on=True,
                )
            )
        return out

    def _reward(self, view: View, first: int, last: int) -> np.ndarray:
        """What Sales was paid per product over days ``[first, last)``, per dollar of demand
        at list price (so that a busy season does not look like a better knob). Orders count
        as served unless they were lost: an order served late, in the next period, still
        belongs to this one."""
        demand = view.history("demand_history")[first:last].sum(axis=0)
        shipped = view.history("shipped_history")[first:last].sum(axis=0)
        backlog = np.asarray(view.state("backlog"), dtype=float)
        lost = np.maximum(demand - shipped - (backlog - self.period_backlog), 0.0)
        served = demand - lost
        stock = view.state("finished_on_hand")
        days = max(1, last - first)
        terms = {
            "revenue": served * self.price,
            "volume": served,
            "service": -lost,
            "operating_profit": served * (self.price - self.unit_cost)
            - stock * self.unit_cost * self.holding_rate * days / DAYS_PER_YEAR,
        }
        return np.asarray(self.objective.score(terms)) / np.maximum(demand * self.price, 1e-9)

    # ------------------------------------------------------------------ promotions

    def _fill(self, view: View) -> np.ndarray:
        demand = view.history("demand_history")[-FILL_WINDOW_DAYS:].sum(axis=0)
        shipped = view.history("shipped_history")[-FILL_WINDOW_DAYS:].sum(axis=0)
        return np.clip(np.where(demand > 0, shipped / np.maximum(demand, 1e-9), 1.0), 0.0, 1.0)

    def promotion_terms(self, base: np.ndarray, fill: np.ndarray) -> dict[str, np.ndarray]:
        """The terms of running a promotion on ``base`` expected units (per product, or per
        product and slot), with ``fill`` the share of orders Sales expects to serve."""
        play = self.knobs.promotion
        u, d = self.uplift.value, play.price_discount
        if base.ndim == 2:
            u, fill = u[:, None], fill[:, None]
        price = self.price if base.ndim == 1 else self.price[:, None]
        cost = self.unit_cost if base.ndim == 1 else self.unit_cost[:, None]
        return {
            "revenue": fill * base * price * ((1 + u) * (1 - d) - 1),
            "volume": fill * base * u,
            "service": -(1 - fill) * base * u,
            "operating_profit": fill * base * ((1 + u) * (price * (1 - d) - cost) - (price - cost))
            - play.cost,
        }

    def _seated_forecast(self, own: np.ndarray) -> np.ndarray:
        """The person's forecast (units a week per product, for the month ahead) with the
        agent's seasonal shape beyond: each product's curve scaled to the person's number."""
        out = own.copy()
        for p, name in enumerate(self.products):
            units = self.seat.forecast.get(name)
            if units is None:
                continue
            month = own[p, :RECORD_DAYS].mean()
            per_day = units / DAYS_PER_WEEK
            out[p] = own[p] * (per_day / month) if month > 0 else per_day
        return out

    def _seated_promotion(self, day: int) -> Promotion | None:
        """The promotion the person asked for, announced once, on the agent's terms (if the
        quarter's budget and the spacing still allow it)."""
        play = self.knobs.promotion
        if not play.enabled or self.seat.promotion is None:
            return None
        if getattr(self, "_announced_for", None) is self.seat:
            return None  # announced at an earlier review this month
        p, start = self.products.index(self.seat.promotion), day + play.lead_days
        if not self.promotion_allowed(p, start):
            return None  # not yet: spaced from the product's last one; tried again next week
        self._announced_for = self.seat
        return Promotion(
            self.seat.promotion, start, play.duration_days, play.price_discount, play.cost
        )

    def _left(self, start: int) -> int:
        """Promotions left in the budget of the quarter holding day ``start``."""
        quarter = _quarter(start)
        used = sum(1 for p, s, _, _ in self.promotions if _quarter(s) == quarter) + sum(
            1 for x in self.proposed if _quarter(x.start_day) == quarter
        )
        return self.knobs.promotion.per_quarter - used

    def promotion_allowed(self, p: int, start: int) -> bool:
        """Whether product ``p`` may start a promotion on ``start``: the quarter's budget has
        one left and the product's promotions stay spaced."""
        return self._left(start) > 0 and bool(self._free(start)[p])

    def _promotion(self, view: View) -> Promotion | None:
        """A promotion to run (or propose) now, or None: the best product now if it pays and
        beats the best slots left in the quarter's budget."""
        play = self.knobs.promotion
        day = view.day
        if not play.enabled or self.forecaster.last_day < DAYS_PER_WEEK:
            return None
        start = day + play.lead_days
        quarter = _quarter(start)
        left = self._left(start)
        if left <= 0:
            return None
        fill = self._fill(view)
        horizon = 2 * DAYS_PER_YEAR // 3
        expected = self.forecaster.ahead(day, horizon + play.duration_days)
        offsets = np.arange(play.lead_days - 1, horizon, DAYS_PER_WEEK)
        offsets = offsets[[_quarter(day + 1 + o) == quarter for o in offsets]]
        windows = np.stack(
            [expected[:, o : o + play.duration_days].sum(axis=1) for o in offsets], axis=1
        )  # [P, slots], slot 0 = now
        scores = np.asarray(self.objective.score(self.promotion_terms(windows, fill)))
        scores[~self._free(start), 0] = -np.inf
        now = scores[:, 0]
        p = int(np.argmax(now))
        later = np.sort(scores[:, 1:].ravel())[::-1]
        bar = later[left - 1] if len(later) >= left else -np.inf
        if not np.isfinite(now[p]) or now[p] <= 0 or now[p] < bar:
            return None
        return Promotion(
            self.products[p], start, play.duration_days, play.price_discount, play.cost
        )

    def _free(self, start: int) -> np.ndarray:
        """Products that may start a promotion on ``start`` (spacing and no overlap)."""
        gap = self.knobs.promotion.min_days_between
        free = np.ones(len(self.products), dtype=bool)
        for p, s, _, _ in self.promotions:
            if abs(start - s) < gap:
                free[p] = False
        for x in self.proposed:
            if abs(start - x.start_day) < gap:
                free[self.products.index(x.product)] = False
        return free

    def _run(self, promotion: Promotion) -> Promotion:
        """Commit to ``promotion``: plan with its lift and remember what it should bring."""
        p = self.products.index(promotion.product)
        start, end = promotion.start_day, promotion.start_day + promotion.duration_days
        base = self.forecaster.ahead(self.forecaster.last_day, end - self.forecaster.last_day)
        expected = float(base[p, start - self.forecaster.last_day - 1 :].sum())
        self.promotions.append((p, start, end, expected))
        return promotion

    # ------------------------------------------------------------------ the meeting

    def _proposal(self, day: int, call: MeetingCalled) -> DemandProposal:
        days = call.plan_start - day + call.days
        per_day = self.expected(day, days) * (1.0 + self.trying[:, None])
        proposed, self.proposed = tuple(self.proposed), []
        return DemandProposal(self.role, day, per_day, proposed, self.uplift.value.copy())

    def _adopt(self, day: int, issued: PlanIssued) -> list[object]:
        plan = issued.plan
        self.consensus = (plan.start_day + 1, plan.demand)
        return [self._run(p) for p in issued.approved_promotions if p.start_day > day]

    def learned(self) -> dict[tuple[str, str], float]:
        values = {
            ("inflation", name): float(v)
            for name, v in zip(self.products, self.inflation.value, strict=True)
        }
        values |= {
            ("promotion_uplift", name): float(v)
            for name, v in zip(self.products, self.uplift.value, strict=True)
        }
        return values
