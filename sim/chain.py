"""A serial chain of stock points on the SimPy clock: the network of the textbook results.

Stage 0 serves end customers; stage ``i`` orders from stage ``i + 1``; the last stage orders
from an unlimited source. The chain moves in periods of ``period_days`` days; period ``t``
runs on day ``t * period_days``. Order of events within period ``t``:

1. ``RECEIVE``  shipments due at every stage arrive and go on hand.
2. ``DEMAND``   stages act in turn, from the customer upstream. Stage ``i``:
                a. takes in its incoming order: customer demand (stage 0), or the order stage
                   ``i - 1`` placed ``order_delay_periods`` of stage ``i - 1`` ago;
                b. ships what it can of backlog plus the incoming order; what it cannot ship
                   waits as backlog (customers give up after ``customer_patience_days``);
                   a shipment reaches stage ``i - 1`` after that stage's lead time;
                c. decides its own order from what it sees (stages act in sequence, so with no
                   order delay the stage upstream sees this order in the same period);
                d. its order leaves for stage ``i + 1`` (or the source, which ships every
                   order of the last stage, in full, in the period it reads it).
3. ``CLOSE``    costs accrue on end-of-period quantities: holding on each stage's stock on
                hand, backorder on what it owes, and in-transit holding on the goods shipped
                to it and not yet received (see ``sim.config.ChainStage``).

An order placed in period ``t`` by a stage with order delay ``d`` and lead time ``L``, if the
upstream stage has stock, arrives in period ``t + d + L`` before that period's demand: it
protects ``d + L`` periods of demand.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import simpy

from sim.calendar import Phase
from sim.config import ChainWorldConfig
from sim.demand import realise
from sim.ledger import Account, Ledger
from sim.messages import DecisionError, ReplenishmentOrder
from sim.rng import Streams

__all__ = ["Chain", "ChainObservation", "ChainOutcome"]

_TOL = 1e-9


@dataclass(frozen=True)
class ChainObservation:
    """What stage ``stage`` sees when it decides in period ``period`` (arrays read-only).

    ``demand_history`` is the stage's incoming orders (``local``) or end-customer demand
    (``shared``), one value per period ``0..period``; ``supply_line`` is everything ordered and
    not yet received.
    """

    period: int
    stage: str
    stage_index: int
    on_hand: float
    backlog: float
    supply_line: float
    incoming_order: float
    demand_history: np.ndarray
    lead_time: int


ChainDecider = Callable[[ChainObservation], Iterable[ReplenishmentOrder]]


@dataclass(frozen=True, slots=True)
class StagePeriod:
    """Facts of one stage in one period (a row of the chain's record)."""

    period: int
    stage: int
    received: float
    incoming_order: float
    shipped: float
    lost: float
    order_placed: float
    on_hand: float
    backlog: float
    supply_line: float


@dataclass(frozen=True)
class ChainOutcome:
    """What a chain run leaves behind: one row per period, one column per stage (picklable)."""

    config: ChainWorldConfig
    seed: int
    period_days: int
    stages: tuple[str, ...]
    ledger: Ledger
    customer_demand: np.ndarray  # [period]
    incoming: np.ndarray  # [period, stage] orders received (customer demand at stage 0)
    shipped: np.ndarray  # [period, stage]
    shipped_on_time: np.ndarray  # [period, stage] part of shipped that served this period's order
    received: np.ndarray  # [period, stage]
    ordered: np.ndarray  # [period, stage]
    lost: np.ndarray  # [period, stage]
    on_hand: np.ndarray  # [period, stage] at end of period
    backlog: np.ndarray  # [period, stage] at end of period
    supply_line: np.ndarray  # [period, stage] at end of period
    in_transit: np.ndarray  # [period, stage] at end of period: shipped to it, not yet received
    initial_units: float

    @property
    def periods(self) -> int:
        return len(self.customer_demand)


class Chain:
    """A serial supply chain; :meth:`run` returns its :class:`ChainOutcome`."""

    def __init__(
        self,
        config: ChainWorldConfig,
        streams: Streams,
        decider: ChainDecider,
        horizon_days: int | None = None,
        env: simpy.Environment | None = None,
    ) -> None:
        self.config = config
        self.streams = streams
        self.decider = decider
        self.env = env or simpy.Environment()
        self.ledger = Ledger()
        self.books = self.ledger.books
        self.period_days = config.period_days
        horizon = int(horizon_days or config.horizon_days)
        self.periods = max(1, horizon // self.period_days)
        self.names = tuple(config.stages)
        self.stages = tuple(config.stages.values())
        n, T = len(self.stages), self.periods
        # Each stage's state as plain floats (numpy's own scalars are slow to add one at a
        # time); the records below keep them, period by period, in arrays.
        self.on_hand = [float(s.initial_on_hand) for s in self.stages]
        self.backlog = [0.0] * n
        self.customer_backlog: list[list[float]] = []  # [period, remaining], for patience
        self.arrivals: list[dict[int, float]] = [defaultdict(float) for _ in range(n)]
        self.mailbox: list[dict[int, float]] = [defaultdict(float) for _ in range(n + 1)]
        self.supply_line = [0.0] * n
        self.in_transit = [0.0] * n  # shipped to the stage, not yet received
        for i, stage in enumerate(self.stages):
            for t in range(stage.lead_time_periods):
                self.arrivals[i][t] += stage.initial_pipeline_per_period
            self.in_transit[i] = stage.lead_time_periods * stage.initial_pipeline_per_period
            for t in range(stage.order_delay_periods):
                # mailbox[n] is the source's: it reads the last stage's orders there.
                self.mailbox[i + 1][t] += stage.initial_orders_per_period
            self.supply_line[i] = (
                stage.lead_time_periods * stage.initial_pipeline_per_period
                + stage.order_delay_periods * stage.initial_orders_per_period
            )
        # Records, one row per period and stage.
        self.incoming = np.zeros((T, n))
        self.shipped = np.zeros((T, n))
        self.shipped_on_time = np.zeros((T, n))
        self.received = np.zeros((T, n))
        self.ordered = np.zeros((T, n))
        self.lost = np.zeros((T, n))
        self.on_hand_end = np.zeros((T, n))
        self.backlog_end = np.zeros((T, n))
        self.supply_line_end = np.zeros((T, n))
        self.in_transit_end = np.zeros((T, n))
        self.in_transit_rates = config.in_transit_holding_rates()
        self.in_transit_memos = tuple(f"in-transit holding to {name}" for name in self.names)
        self.customer_demand = self._draw_demand()
        self.initial_units = float(np.sum(self.on_hand) + np.sum(self.supply_line))
        self.books.post(0, Account.INVENTORY_FINISHED, Account.EQUITY, 0.0, "opening")

    def _draw_demand(self) -> np.ndarray:
        d = self.config.demand
        mean = np.full(self.periods, d.base_per_period, dtype=float)
        for step in sorted(d.steps, key=lambda s: s.from_period):
            mean[step.from_period :] = step.base_per_period
        u = self.streams.exogenous("demand").random(self.periods)
        return realise(d.noise, mean, u, d.whole_units)

    def run(self) -> ChainOutcome:
        """Simulate every period of the horizon and return what happened."""
        self.env.process(self._period_process())
        self.env.run(until=self.periods * self.period_days)
        return ChainOutcome(
            config=self.config,
            seed=self.streams.root_seed,
            period_days=self.period_days,
            stages=self.names,
            ledger=self.ledger,
            customer_demand=self.customer_demand,
            incoming=self.incoming,
            shipped=self.shipped,
            shipped_on_time=self.shipped_on_time,
            received=self.received,
            ordered=self.ordered,
            lost=self.lost,
            on_hand=self.on_hand_end,
            backlog=self.backlog_end,
            supply_line=self.supply_line_end,
            in_transit=self.in_transit_end,
            initial_units=self.initial_units,
        )

    def _period_process(self):
        env, P = self.env, self.period_days
        for t in range(self.periods):
            yield env.timeout(t * P + Phase.RECEIVE.value - env.now)
            for i in range(len(self.stages)):
                q = self.arrivals[i].pop(t, 0.0)
                self.on_hand[i] += q
                self.supply_line[i] -= q
                self.in_transit[i] -= q
                self.received[t, i] = q
            yield env.timeout(t * P + Phase.DEMAND.value - env.now)
            for i in range(len(self.stages)):
                self._stage_turn(t, i)
            yield env.timeout(t * P + Phase.CLOSE.value - env.now)
            self._close(t)

    def _stage_turn(self, t: int, i: int) -> None:
        stage = self.stages[i]
        incoming = float(self.customer_demand[t]) if i == 0 else self.mailbox[i].pop(t, 0.0)
        self.incoming[t, i] = incoming
        if incoming < 0:
            # A return from downstream: the units come back on hand, nothing is shipped.
            self.on_hand[i] += -incoming
            incoming = 0.0
        owed = self.backlog[i] + incoming
        ship = min(self.on_hand[i], owed)
        self.shipped_on_time[t, i] = max(0.0, ship - self.backlog[i])  # backlog is served first
        self.on_hand[i] -= ship
        self.backlog[i] = owed - ship
        self.shipped[t, i] = ship
        if i == 0:
            self._serve_customers(t, incoming, ship)
        else:
            self.arrivals[i - 1][t + self.stages[i - 1].lead_time_periods] += ship
            self.in_transit[i - 1] += ship
        quantity = self._decide(t, i)
        if quantity < 0:
            # A return: units leave on hand for the stage upstream (at most what is on hand).
            # They were received long ago, so the supply line (ordered, not yet received)
            # stays as it is and the inventory position falls by the units returned, once.
            returned = min(-quantity, self.on_hand[i])
            self.on_hand[i] -= returned
            quantity = -returned
        else:
            self.supply_line[i] += quantity
        self.ordered[t, i] = quantity
        last = i == len(self.stages) - 1
        if quantity > 0 or not last:  # what is sent back to the source is gone
            self.mailbox[i + 1][t + stage.order_delay_periods] += quantity
        if last:
            self._source_ships(t)

    def _source_ships(self, t: int) -> None:
        """The unlimited source ships what the last stage ordered, in full, in the period the
        order reaches it (after the last stage has placed this period's order)."""
        i = len(self.stages) - 1
        quantity = self.mailbox[i + 1].pop(t, 0.0)
        if quantity > 0:
            self.arrivals[i][t + self.stages[i].lead_time_periods] += quantity
            self.in_transit[i] += quantity

    def _serve_customers(self, t: int, incoming: float, shipped: float) -> None:
        patience = self.config.customer_patience_days
        if patience is None:
            return
        queue = self.customer_backlog
        if incoming > 0:
            queue.append([t, incoming])
        left = shipped
        for entry in queue:
            take = min(entry[1], left)
            entry[1] -= take
            left -= take
        patience_periods = patience // self.period_days
        lost = 0.0
        keep = []
        for entry in queue:
            if entry[1] <= _TOL:
                continue
            if t - entry[0] >= patience_periods:
                lost += entry[1]
            else:
                keep.append(entry)
        self.customer_backlog = keep
        self.backlog[0] -= lost
        self.lost[t, 0] = lost

    def _decide(self, t: int, i: int) -> float:
        stage = self.stages[i]
        if t < stage.fixed_orders_until_period:
            return stage.fixed_order_quantity
        history = (
            self.customer_demand[: t + 1]
            if stage.visibility == "shared"
            else self.incoming[: t + 1, i]
        )
        history = history.view()
        history.setflags(write=False)
        observation = ChainObservation(
            period=t,
            stage=self.names[i],
            stage_index=i,
            on_hand=float(self.on_hand[i]),
            backlog=float(self.backlog[i]),
            supply_line=float(self.supply_line[i]),
            incoming_order=float(self.incoming[t, i]),
            demand_history=history,
            lead_time=stage.order_delay_periods + stage.lead_time_periods,
        )
        total = 0.0
        for order in self.decider(observation):
            if not isinstance(order, ReplenishmentOrder) or order.stage != self.names[i]:
                raise DecisionError(
                    f"stage {self.names[i]!r} can only place its own orders, got {order!r}"
                )
            if not math.isfinite(order.quantity):
                raise DecisionError(f"order quantity must be finite, got {order.quantity}")
            total += order.quantity
        if not self.config.allow_negative_orders:
            total = max(total, 0.0)
        return total

    def _close(self, t: int) -> None:
        post = self.books.post
        self.on_hand_end[t] = self.on_hand
        self.backlog_end[t] = self.backlog
        self.supply_line_end[t] = self.supply_line
        self.in_transit_end[t] = self.in_transit
        for i, stage in enumerate(self.stages):
            # Goods on their way tie up capital but take no room: the capital account holds
            # the pipeline's cost, storage the cost of stock on hand.
            post(
                t,
                Account.HOLDING_CAPITAL,
                Account.CASH,
                float(self.in_transit[i]) * self.in_transit_rates[i],
                self.in_transit_memos[i],
            )
            post(
                t,
                Account.HOLDING_STORAGE,
                Account.CASH,
                self.on_hand[i] * stage.holding_cost_per_unit_per_period,
                f"holding at {self.names[i]}",
            )
            post(
                t,
                Account.PENALTIES,
                Account.CASH,
                self.backlog[i] * stage.backorder_cost_per_unit_per_period,
                f"backorders at {self.names[i]}",
            )
