"""Purchasing and lanes: purchase orders placed with suppliers, their weekly capacity and
reservations, and the shipments on the way by each transport mode.

A purchase order is booked into the weeks its supplier can make it (its weekly capacity, what
is reserved, and what scenarios do to it), quoted its lead time, and split into shipments: a
supplier hands each over when it is ready — late by a draw if it proves unreliable, held if it
has failed — and pays its freight; each arrives at RECEIVE of the day it is due, into the
plant's component stock. Every movement is posted to the books as it happens; suppliers and
carriers bill on their payment terms. The world tells it when; it decides nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np
import simpy

from sim import ledger as rec
from sim.calendar import DAYS_PER_WEEK, Phase, at
from sim.config import Constant, Delay, Gamma, LogNormal, Normal, Uniform, WorldConfig
from sim.ledger import Account, Ledger
from sim.messages import DecisionError, PurchaseOrder, ReserveCapacity, index_of, whole_units
from sim.plant import Plant
from sim.rng import Streams
from sim.scenarios import Effects
from sim.warehouse import TOL

__all__ = ["ARRIVALS_AHEAD", "Purchasing", "Shipment", "draw_days"]

ARRIVALS_AHEAD = 120  # days of known component arrivals shown to decision makers


def draw_days(delay: Delay, rng: np.random.Generator) -> int:
    """Draw a whole number of days from ``delay`` (one draw from ``rng`` per call)."""
    u = rng.random()
    match delay:
        case Constant(value=value):
            x = value
        case Normal(mean=mean, sd=sd):
            from scipy.special import ndtri

            x = mean + sd * float(ndtri(min(max(u, 1e-12), 1 - 1e-12)))
        case Uniform(low=low, high=high):
            x = low + (high - low) * u
        case LogNormal(mean=mean, sd=sd):
            from scipy.special import ndtri

            s2 = np.log1p((sd / mean) ** 2)
            x = float(
                np.exp(np.log(mean) - s2 / 2 + np.sqrt(s2) * ndtri(min(max(u, 1e-12), 1 - 1e-12)))
            )
        case Gamma(mean=mean, sd=sd):
            from scipy.special import gammaincinv

            if sd <= 1e-6 * mean:
                # Shape (mean / sd)**2 beyond 1e12 is a constant for whole days, and for a
                # vanishing sd it would overflow.
                x = mean
            else:
                k = (mean / sd) ** 2
                x = float(gammaincinv(k, min(max(u, 1e-12), 1 - 1e-12))) * sd * sd / mean
        case _:  # pragma: no cover
            raise TypeError(delay)
    return max(0, round(x))


@dataclass(frozen=True)
class Shipment:
    """Goods on the way: a purchase order's chunk, from the day it was dispatched, against
    the day its supplier's quote said it would arrive; ``held_by``: the lane disruptions
    that have held it already (each holds it once)."""

    po: int
    supplier: int
    component: int
    mode: int
    quantity: float
    dispatched: int
    quoted: int
    held_by: frozenset = frozenset()


class Purchasing:
    """The company's side of its suppliers and carriers: what is on order, at which
    supplier and by when it was quoted (``supplier_on_order``, ``quoted_due``), what each
    supplier booked of each week (``supplier_week_used``, reservations in
    ``supplier_week_reserved``), what is on the way (``arrivals_due``, by day), and the money
    owed to suppliers and carriers by the day it falls due (``payable_due``)."""

    def __init__(
        self,
        config: WorldConfig,
        topology,
        streams: Streams,
        ledger: Ledger,
        env: simpy.Environment,
        fx: Effects,
        plant: Plant,
        horizon: int,
    ) -> None:
        self.config, self.topology, self.streams = config, topology, streams
        self.ledger, self.books, self.env, self.fx = ledger, ledger.books, env, fx
        self.plant, self.horizon = plant, horizon
        self.components, self.suppliers, self.modes = (
            topology.components,
            topology.suppliers,
            topology.modes,
        )
        self.component_standard_cost = np.asarray(topology.component_standard_cost)
        self._cidx = {n: i for i, n in enumerate(self.components)}
        self._sidx = {n: i for i, n in enumerate(self.suppliers)}
        self._midx = {n: i for i, n in enumerate(self.modes)}
        S, C = len(self.suppliers), len(self.components)
        self.comp_on_order = np.zeros(C)
        self.comp_in_transit = np.zeros(C)
        self.payable_due: dict[int, float] = defaultdict(float)
        self.supplier_week_used: dict[tuple[int, int, int], float] = defaultdict(float)
        # Capacity reserved per supplier, component and week (weeks of the run only), the
        # reservations made, and the reservation fees billed by day: [(amount, day due)].
        self.supplier_week_reserved: dict[tuple[int, int, int], float] = {}
        self.reservations: list[rec.CapacityReserved] = []
        self.reservation_bills: dict[int, list[tuple[float, int]]] = defaultdict(list)
        self.arrivals_due: dict[int, np.ndarray] = defaultdict(lambda: np.zeros(C))
        # Units on order per supplier and component, by the day the supplier's quote said they
        # would arrive (its mean lead time plus the mode's): what is overdue is seen by buyers.
        self.quoted_due: dict[int, np.ndarray] = defaultdict(lambda: np.zeros((S, C)))
        self.supplier_on_order = np.zeros((S, C))
        self._arriving: dict[int, list[Shipment]] = defaultdict(list)
        self._next_po_id = 0
        # Today's deliveries per supplier, and the unit-days they came after their quote.
        self.received_today = np.zeros(S)
        self.late_today = np.zeros(S)

    def shipping(self, day: int) -> np.ndarray:
        """Per supplier: False while it has told it ships nothing (a failure at 0%)."""
        out = np.ones(len(self.suppliers), dtype=bool)
        for s in range(len(self.suppliers)):
            failure = self.fx.failure(s, day) if self.fx.failures else None
            out[s] = failure is None or failure.fraction > 0
        return out

    def overdue(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Units past their quote per supplier and component, and per supplier how many days
        ago its oldest open quote fell due."""
        overdue = np.zeros_like(self.supplier_on_order)
        days = np.zeros(len(self.suppliers))
        for due, quantities in self.quoted_due.items():
            if due <= day:
                overdue += quantities
                late = quantities.sum(axis=1) > TOL
                days[late] = np.maximum(days[late], day - due)
        return overdue, days

    def arrivals_ahead(self, day: int) -> np.ndarray:
        ahead = np.zeros((ARRIVALS_AHEAD, len(self.components)))
        for due, quantities in self.arrivals_due.items():
            if day < due <= day + ARRIVALS_AHEAD:
                ahead[due - day - 1] += quantities
        return ahead

    def order(self, day: int, order: PurchaseOrder) -> None:
        c = index_of(self._cidx, order.component, "component")
        s = index_of(self._sidx, order.supplier, "supplier")
        m = index_of(self._midx, order.mode, "transport mode")
        supplier = self.config.suppliers[order.supplier]
        terms = supplier.components.get(order.component)
        if terms is None:
            raise DecisionError(f"supplier {order.supplier!r} does not sell {order.component!r}")
        if order.mode not in supplier.modes:
            raise DecisionError(f"supplier {order.supplier!r} does not ship by {order.mode!r}")
        quantity = whole_units(order.quantity)
        if quantity == 0:
            return
        price = terms.price
        for tier in sorted(terms.price_breaks, key=lambda t: t.min_quantity):
            if quantity >= tier.min_quantity:
                price = tier.price
        inflation = self.fx.price_factor[min(day, self.horizon - 1), c]
        if inflation != 1.0:
            price *= inflation
        po = self._next_po_id
        self._next_po_id += 1
        self.ledger.record(rec.PurchaseOrderPlaced(day, po, s, c, quantity, m, price))
        self.comp_on_order[c] += quantity
        self.supplier_on_order[s, c] += quantity
        quoted_lead = (
            self.topology.supplier_lead_time_days[s] + self.topology.mode_lead_time_days[m]
        )
        ready = day + draw_days(
            supplier.lead_time_days, self.streams.exogenous(f"lead_time/{order.supplier}")
        )
        ready += int(self.fx.lead_extra[min(day, self.horizon - 1), s])
        base = np.inf if terms.capacity_per_week is None else terms.capacity_per_week
        left = quantity
        first_ready = ready
        while left > TOL:
            week = ready // DAYS_PER_WEEK
            capacity = self.fx.supplier_capacity(s, c, week, base)
            if capacity == np.inf or ready >= self.horizon:
                # What the supplier could only make after the run stays on order as one lot:
                # splitting it week by week would cost time and change nothing in the run.
                chunk = left
                if ready < self.horizon:
                    self.supplier_week_used[(s, c, week)] += chunk
            else:
                used = self.supplier_week_used[(s, c, week)]
                reserved = self.supplier_week_reserved.get((s, c, week), 0.0)
                chunk = min(left, capacity + reserved - used)
                if chunk <= TOL:
                    ready = (week + 1) * DAYS_PER_WEEK
                    continue
                self.supplier_week_used[(s, c, week)] = used + chunk
            # A chunk held back by the supplier's weekly capacity is quoted that much later.
            quoted = day + round(quoted_lead) + (ready - first_ready)
            self.quoted_due[quoted][s, c] += chunk
            self.env.process(self._shipment_process(po, s, c, m, chunk, price, ready, day, quoted))
            left -= chunk
            ready = (week + 1) * DAYS_PER_WEEK

    def reserve(self, day: int, request: ReserveCapacity) -> None:
        """Reserve capacity at a supplier on the terms it offers (EXECUTE of ``day``).

        From then on the supplier makes up to ``extra_per_week`` more of the component in each
        week of the window for the orders placed; it bills the fee of each week on the week's
        first day (CLOSE), through payables on its payment terms, whether the capacity is used
        or not — also while it fails to ship (take-or-pay).
        """
        s = index_of(self._sidx, request.supplier, "supplier")
        c = index_of(self._cidx, request.component, "component")
        supplier = self.config.suppliers[request.supplier]
        terms = supplier.components.get(request.component)
        if terms is None:
            raise DecisionError(
                f"supplier {request.supplier!r} does not sell {request.component!r}"
            )
        offer = terms.reservation
        if offer is None:
            raise DecisionError(
                f"supplier {request.supplier!r} offers no capacity reservation of "
                f"{request.component!r}: {request!r}"
            )
        extra, start, weeks = request.extra_per_week, request.start_day, request.weeks
        if not (np.isfinite(extra) and extra > 0):
            raise DecisionError(f"extra_per_week must be finite and > 0: {request!r}")
        if isinstance(weeks, bool) or not isinstance(weeks, int | np.integer):
            raise DecisionError(f"weeks must be a whole number: {request!r}")
        if weeks < offer.min_weeks:
            raise DecisionError(
                f"{request.supplier!r} reserves {request.component!r} for at least "
                f"{offer.min_weeks} weeks, not {weeks}: {request!r}"
            )
        earliest = -(-(day + offer.lead_days) // DAYS_PER_WEEK) * DAYS_PER_WEEK
        if isinstance(start, bool) or not isinstance(start, int | np.integer):
            raise DecisionError(f"start_day must be a day number: {request!r}")
        if start < day + offer.lead_days:
            raise DecisionError(
                f"too early: {request.supplier!r} needs {offer.lead_days} days' notice to "
                f"reserve {request.component!r}; the earliest start is day {earliest}: {request!r}"
            )
        if start % DAYS_PER_WEEK:
            raise DecisionError(
                f"a reservation starts on the first day of a week (a multiple of "
                f"{DAYS_PER_WEEK}); the earliest start is day {earliest}: {request!r}"
            )
        first = start // DAYS_PER_WEEK
        # Only the weeks that start in the run are held and billed; nothing the run reserves
        # falls after them, so those weeks cannot be over-reserved.
        last = min(first + int(weeks), -(-self.horizon // DAYS_PER_WEEK))
        for week in range(first, last):
            already = self.supplier_week_reserved.get((s, c, week), 0.0)
            if already + extra > offer.extra_per_week * (1 + 1e-12):
                raise DecisionError(
                    f"more than offered: {request.supplier!r} holds at most "
                    f"{offer.extra_per_week:g} more {request.component!r} a week, and "
                    f"{already:g} is already reserved in the week from day "
                    f"{week * DAYS_PER_WEEK}: {request!r}"
                )
        fee = extra * offer.fee_per_unit_per_week
        reserved = rec.CapacityReserved(day, s, c, float(extra), int(start), int(weeks), fee)
        self.reservations.append(reserved)
        self.ledger.record(reserved)
        for week in range(first, last):
            key = (s, c, week)
            self.supplier_week_reserved[key] = self.supplier_week_reserved.get(key, 0.0) + extra
            billed = week * DAYS_PER_WEEK
            if fee > 0:
                self.reservation_bills[billed].append((fee, billed + supplier.payment_terms_days))

    def _shipment_process(
        self,
        po: int,
        s: int,
        c: int,
        m: int,
        quantity: float,
        price: float,
        ready: int,
        placed: int,
        quoted: int,
    ):
        """A chunk of a purchase order from the day it is placed: the supplier hands it over
        on ``ready`` (late by a draw if it proves unreliable), then it travels by mode ``m``."""
        supplier = self.config.suppliers[self.suppliers[s]]
        late = 0
        if supplier.reliability < 1.0:
            rng = self.streams.exogenous(f"reliability/{self.suppliers[s]}")
            if rng.random() >= supplier.reliability:
                late = max(1, draw_days(supplier.late_by_days, rng))
        dispatch = ready + late
        transit = None
        if dispatch < self.horizon:
            # Drawn once per chunk, whatever a scenario later does to it: a held, split or
            # re-checked shipment keeps its transit, and the mode's stream stays common.
            mode = self.config.transport_modes[self.modes[m]]
            transit = draw_days(
                mode.lead_time_days, self.streams.exogenous(f"transit/{self.modes[m]}")
            )
        yield from self._ship(po, s, c, m, quantity, price, dispatch, late, placed, quoted, transit)

    def _ship(
        self, po, s, c, m, quantity, price, dispatch, late, placed, quoted, transit, applied=()
    ):
        """Dispatch ``quantity`` on ``dispatch`` and receive it when it arrives.

        A supplier failing on ``dispatch`` ships only its fraction; the rest waits for it to
        recover (dispatched then, never with no recovery) or, when its orders are lost, is
        cancelled — once per failure (``applied``: the failures that have split it already).
        Nothing leaves on a closed lane until it reopens; goods on the way when a lane is
        disrupted arrive when it reopens, or its extra days later."""
        env, fx = self.env, self.fx
        failure = fx.failure(s, dispatch, skip=applied) if fx.failures else None
        if failure is not None:
            applied = (*applied, id(failure))
            ships = float(np.floor(quantity * failure.fraction + 1e-9))
            held = quantity - ships
            if failure.lost:
                cancel_day = max(placed, min(dispatch, self.horizon - 1))
                if cancel_day < self.horizon:
                    env.process(self._cancel_process(po, s, c, held, cancel_day, quoted))
            elif failure.end is not None:
                env.process(
                    self._ship(
                        po,
                        s,
                        c,
                        m,
                        held,
                        price,
                        failure.end,
                        late,
                        placed,
                        quoted,
                        transit,
                        applied,
                    )
                )
            quantity = ships
            if quantity <= 0:
                return
        lane = fx.lane(m, dispatch) if fx.lanes else None
        if lane is not None and lane.closed:
            if lane.end is not None:
                yield from self._ship(
                    po, s, c, m, quantity, price, lane.end, late, placed, quoted, transit, applied
                )
            return
        if dispatch >= self.horizon:
            return
        mode = self.config.transport_modes[self.modes[m]]
        arrival = dispatch + max(1, transit + (lane.extra_days if lane is not None else 0))
        seen = fx.version
        yield env.timeout(at(dispatch, Phase.EXECUTE) - env.now)
        if fx.version != seen:
            # A scenario fired while the goods waited (World.fire): what it says of today holds.
            yield from self._ship(
                po, s, c, m, quantity, price, dispatch, late, placed, quoted, transit, applied
            )
            return
        post, record = self.books.post, self.ledger.record
        supplier = self.config.suppliers[self.suppliers[s]]
        std = self.component_standard_cost[c]
        terms_due = dispatch + supplier.payment_terms_days
        post(
            dispatch,
            Account.INVENTORY_IN_TRANSIT,
            Account.PAYABLES,
            quantity * std,
            "components dispatched",
        )
        post(
            dispatch,
            Account.PURCHASE_PRICE_VARIANCE,
            Account.PAYABLES,
            quantity * (price - std),
            "price vs standard",
        )
        freight = quantity * mode.cost_per_unit
        inflation = fx.freight_factor[dispatch, m]
        if inflation != 1.0:
            freight *= inflation
        post(
            dispatch,
            Account.EXPEDITING if mode.expedite else Account.TRANSPORT,
            Account.PAYABLES,
            freight,
            "freight",
        )
        self.payable_due[terms_due] += quantity * price + freight
        self.comp_in_transit[c] += quantity
        self.arrivals_due[arrival][c] += quantity
        record(rec.ShipmentDispatched(dispatch, po, s, c, quantity, m, late))
        if arrival < self.horizon:
            held = frozenset() if lane is None else frozenset({id(lane)})
            self._arriving[arrival].append(Shipment(po, s, c, m, quantity, dispatch, quoted, held))

    def receive(self, day: int) -> None:
        """RECEIVE of ``day``: what is due arrives, in the order it left — unless its lane is
        disrupted today and was not when it left (goods on the way are held once by each
        disruption they meet: until a closed lane reopens, or a slow lane's extra days)."""
        fx, post, record = self.fx, self.books.post, self.ledger.record
        for x in self._arriving.pop(day, ()):
            now = fx.lane(x.mode, day) if fx.lanes else None
            if now is not None and id(now) not in x.held_by:
                later = now.end if now.closed else day + now.extra_days
                self._move_arrival(x.component, x.quantity, day, later)
                if later is not None and later < self.horizon:
                    held = x.held_by | {id(now)}
                    self._arriving[later].append(replace(x, held_by=held))
                continue
            s, c, quantity = x.supplier, x.component, x.quantity
            self.comp_in_transit[c] -= quantity
            self.arrivals_due[day][c] -= quantity
            if np.abs(self.arrivals_due[day]).max() < TOL:
                del self.arrivals_due[day]
            self.comp_on_order[c] -= quantity
            self._settle_quote(s, c, quantity, x.quoted)
            self.received_today[s] += quantity
            self.late_today[s] += quantity * max(0, day - x.quoted)
            self.plant.stock[c] += quantity
            post(
                day,
                Account.INVENTORY_COMPONENTS,
                Account.INVENTORY_IN_TRANSIT,
                quantity * self.component_standard_cost[c],
                "components received",
            )
            record(rec.ShipmentReceived(day, x.po, s, c, quantity, x.mode, x.dispatched))

    def _move_arrival(self, c: int, quantity: float, old: int, new: int | None) -> None:
        """Goods due on ``old`` now arrive on ``new`` (``None``: not while the run lasts)."""
        self.arrivals_due[old][c] -= quantity
        if np.abs(self.arrivals_due[old]).max() < TOL:
            del self.arrivals_due[old]
        if new is not None and new < self.horizon:
            self.arrivals_due[new][c] += quantity

    def _cancel_process(self, po: int, s: int, c: int, quantity: float, day: int, quoted: int):
        """A failed supplier's part of an order, cancelled on ``day`` (its orders are lost)."""
        yield self.env.timeout(max(0.0, at(day, Phase.EXECUTE) - self.env.now))
        self._settle_quote(s, c, quantity, quoted)
        self.comp_on_order[c] -= quantity
        self.ledger.record(rec.PurchaseOrderCancelled(day, po, s, c, quantity, "supplier failed"))

    def _settle_quote(self, s: int, c: int, quantity: float, quoted: int) -> None:
        """Take a delivered or cancelled chunk off its supplier's open quotes."""
        self.supplier_on_order[s, c] -= quantity
        bucket = self.quoted_due[quoted]
        bucket[s, c] -= quantity
        if np.abs(bucket).max() < TOL:
            del self.quoted_due[quoted]

    def weekly(self) -> dict[str, np.ndarray]:
        """Per week of the run, supplier and component: what the supplier booked to make
        that week (``supplier_booked``), its capacity then (``supplier_capacity``: as its
        terms and the scenarios have it, inf with no limit, nan where it does not sell the
        component) and what the company reserved of it on top (``supplier_reserved``)."""
        W = -(-self.horizon // DAYS_PER_WEEK)
        S, C = len(self.suppliers), len(self.components)
        booked, reserved = np.zeros((W, S, C)), np.zeros((W, S, C))
        for (s, c, week), used in self.supplier_week_used.items():
            if week < W:
                booked[week, s, c] += used
        for (s, c, week), extra in self.supplier_week_reserved.items():
            if week < W:
                reserved[week, s, c] += extra
        capacity = np.full((W, S, C), np.nan)
        for s, sup in enumerate(self.config.suppliers.values()):
            for cname, terms in sup.components.items():
                c = self._cidx[cname]
                base = np.inf if terms.capacity_per_week is None else terms.capacity_per_week
                for week in range(W):
                    capacity[week, s, c] = self.fx.supplier_capacity(s, c, week, base)
        return {
            "supplier_booked": booked,
            "supplier_capacity": capacity,
            "supplier_reserved": reserved,
        }
