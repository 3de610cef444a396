"""The plant: production lines with their queues and capacity, the components they use, and the
fixed assets they stand on.

Production orders join a line's queue; each day the lines start what their capacity (regular,
then overtime for what regular time cannot finish by the week's end) and the components on
hand allow, first come first served; a batch is finished ``production_lead_time_days`` later
and goes to the warehouse. Capacity changes — approved expansions, a scenario's new line, a
breakdown — take effect at RECEIVE of the day they are due, ramping in equal daily steps. Every
movement is posted to the books as it happens. The world tells it when; it decides nothing.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

import numpy as np

from sim import ledger as rec
from sim.calendar import DAYS_PER_WEEK, DAYS_PER_YEAR
from sim.ledger import Account, Ledger
from sim.messages import CapacityChange, DecisionError
from sim.scenarios import Effects
from sim.warehouse import TOL, Warehouse, dust

__all__ = ["LineSpec", "Plant"]


@dataclass(frozen=True)
class LineSpec:
    """A line as built: its name, what it makes, its regular capacity per day (0 for a line
    not yet installed), overtime on top as a fraction of it, and the premium per unit."""

    name: str
    products: tuple[str, ...]
    capacity_per_day: float
    overtime_max_fraction: float
    overtime_premium_per_unit: float


class Plant:
    """Lines, their queues (``queue[l]``: [product, units left, overtime allowed]), the
    components on hand (``stock``), and the fixed assets (``assets``: [per day, book value
    left] of each asset in service; ``assets_pending``: capex approved, not yet in service)."""

    def __init__(
        self,
        ledger: Ledger,
        lines: list[LineSpec],
        product_index: dict[str, int],
        bom: np.ndarray,
        material_cost: np.ndarray,
        conversion_cost: np.ndarray,
        unit_cost: np.ndarray,
        component_cost: np.ndarray,
        initial_components: np.ndarray,
        lead_days: int,
        fixed_assets: float,
        depreciation_years: float,
        fx: Effects,
        warehouse: Warehouse,
        consumption: np.ndarray,
        horizon: int,
    ) -> None:
        self.ledger, self.books = ledger, ledger.books
        self.names = tuple(spec.name for spec in lines)
        self.index = {n: i for i, n in enumerate(self.names)}
        self.product_names = list(product_index)
        P, L = len(product_index), len(lines)
        self.makes = np.zeros((L, P), dtype=bool)
        for li, spec in enumerate(lines):
            for name in spec.products:
                self.makes[li, product_index[name]] = True
        self.base = np.array([spec.capacity_per_day for spec in lines], dtype=float)
        self.overtime_fraction = np.array([s.overtime_max_fraction for s in lines], dtype=float)
        self.premium = np.array([s.overtime_premium_per_unit for s in lines], dtype=float)
        self.capacity = self.base.copy()
        self.overtime_capacity = self.base * self.overtime_fraction
        self.bom, self.material_cost, self.conversion_cost = bom, material_cost, conversion_cost
        # Per product, the components it uses and how many of each a unit takes.
        self._uses = [(np.flatnonzero(row > 0), row[row > 0]) for row in bom]
        self.unit_cost, self.component_cost = unit_cost, component_cost
        self.stock = np.asarray(initial_components, dtype=float).copy()
        self.lead_days = lead_days
        self.fx, self.warehouse, self.consumption, self.horizon = (
            fx,
            warehouse,
            consumption,
            horizon,
        )
        self.queue: list[deque] = [deque() for _ in range(L)]
        self.queued = np.zeros(P)
        self.in_process = np.zeros(P)
        # Today's use of each line, and what production lacked of each component.
        self.used_today = np.zeros(L)
        self.overtime_today = np.zeros(L)
        self.short_today = np.zeros(len(component_cost))
        # Capacity changes: what each change in service has installed so far, per line (in
        # the order they came into service); the capacity once every approved change is in;
        # the approved changes not yet in service, and those still ramping up.
        self.installed: list[list[float]] = [[] for _ in range(L)]
        self.committed = self.base.copy()
        self._approved: list[tuple[int, CapacityChange]] = []
        self._ramping: list[tuple[int, CapacityChange, int]] = []
        # Batches finishing on a day: [(line, product, units, day started)], in start order.
        self._finishing: dict[int, list[tuple[int, int, float, int]]] = defaultdict(list)
        self.find_capacity_steps()
        self.years = depreciation_years
        self.assets: list[list[float]] = []
        self.assets_pending = 0.0
        if fixed_assets > 0:
            self.assets.append([fixed_assets / (depreciation_years * DAYS_PER_YEAR), fixed_assets])

    def find_capacity_steps(self) -> None:
        """The days a scenario changes a line's capacity (a breakdown starts or ends)."""
        steps = np.flatnonzero(np.diff(self.fx.line_factor, axis=0, prepend=1.0).any(axis=1))
        self._factor_days = {int(d) for d in steps}

    # ------------------------------------------------------------------ RECEIVE

    def receive(self, day: int) -> None:
        """RECEIVE of ``day``: capacity changes due today come into service (their assets
        start to depreciate) and ramp a step; a scenario's capacity factor applies; batches
        due today are finished into the warehouse."""
        touched = set()
        for li, change in [a for a in self._approved if a[1].start_day == day]:
            self._approved.remove((li, change))
            self.assets_pending -= change.capex
            if change.capex > 0:
                self.assets.append([change.capex / (self.years * DAYS_PER_YEAR), change.capex])
            self.installed[li].append(0.0)
            self._ramping.append((li, change, len(self.installed[li]) - 1))
        for item in list(self._ramping):
            li, change, slot = item
            steps = max(1, int(change.ramp_days))
            k = day - change.start_day + 1
            delta = change.delta_per_day
            self.installed[li][slot] = delta if k == steps else delta * k / steps
            touched.add(li)
            if k >= steps:
                self._ramping.remove(item)
        if day in self._factor_days:
            touched.update(range(len(self.names)))
        for li in sorted(touched):
            self._set_capacity(li, day)
        for li, p, quantity, started in self._finishing.pop(day, ()):
            self._complete(day, li, p, quantity, started)

    def _set_capacity(self, li: int, day: int) -> None:
        """Regular capacity of line ``li`` on ``day``: as built plus what each change in
        service has installed so far, in the order they came into service, times what a
        scenario leaves of it (a breakdown); overtime is the line's fraction of it."""
        capacity = float(self.base[li])
        for added in self.installed[li]:
            capacity += added
        factor = self.fx.line_factor[day, li]
        if factor != 1.0:
            capacity *= factor
        self.capacity[li] = capacity
        self.overtime_capacity[li] = capacity * self.overtime_fraction[li]

    def _complete(self, day: int, li: int, p: int, quantity: float, started: int) -> None:
        self.in_process[p] -= quantity
        self.warehouse.put_away(day, p, quantity)
        self.books.post(
            day,
            Account.INVENTORY_FINISHED,
            Account.INVENTORY_WIP,
            quantity * self.unit_cost[p],
            "production completed",
        )
        self.ledger.record(rec.ProductionCompleted(day, p, li, quantity, started))

    # ------------------------------------------------------------------ EXECUTE

    def change_capacity(self, day: int, change: CapacityChange) -> None:
        """Approve ``change`` (EXECUTE of ``day``): the capex is paid in cash today and posted
        to fixed assets; the capacity comes into service on ``start_day`` and ramps up from
        there in ``ramp_days`` equal daily steps, the first on ``start_day``.

        The new asset is depreciated from the day it is in service, not from the day it is
        paid for: an asset is depreciated once it is placed in service (the usual accounting
        convention), so until ``start_day`` only the assets already in service depreciate.
        """
        li = self._line(change.line)
        if change.start_day <= day:
            raise DecisionError(f"a capacity change must start after today (day {day}): {change!r}")
        if not (np.isfinite(change.capex) and change.capex >= 0):
            raise DecisionError(f"capex must be finite and >= 0: {change!r}")
        if not np.isfinite(change.delta_per_day):
            raise DecisionError(f"delta_per_day must be finite: {change!r}")
        ramp = change.ramp_days
        if isinstance(ramp, bool) or not isinstance(ramp, int | np.integer) or ramp < 0:
            raise DecisionError(f"ramp_days must be a whole number of days >= 0: {change!r}")
        if self.committed[li] + change.delta_per_day < 0:
            raise DecisionError(f"line {change.line!r} cannot have negative capacity: {change!r}")
        self.committed[li] += change.delta_per_day
        self.books.post(
            day, Account.FIXED_ASSETS, Account.CASH, change.capex, "capital expenditure"
        )
        self.assets_pending += change.capex
        self.ledger.record(
            rec.CapacityChanged(
                day, li, change.delta_per_day, change.start_day, change.capex, int(ramp)
            )
        )
        if change.start_day < self.horizon:
            self._approved.append((li, change))

    def _line(self, name: str) -> int:
        try:
            return self.index[name]
        except KeyError:
            known = ", ".join(self.index)
            raise DecisionError(f"unknown line {name!r}; known: {known}") from None

    def order(self, day: int, p: int, quantity: float, line: str | None, overtime: bool) -> None:
        """A production order of ``quantity`` whole units of product ``p`` joins the queue of
        ``line``, or of the least loaded line in service that makes it."""
        if line is not None:
            li = self._line(line)
            if not self.makes[li, p]:
                name = self.product_names[p]
                raise DecisionError(f"line {line!r} does not make {name!r}")
        else:
            candidates = np.flatnonzero(self.makes[:, p])
            running = candidates[self.capacity[candidates] > TOL]
            if len(running):  # a line not (yet) in service takes no work while another can
                candidates = running
            load = np.array([sum(j[1] for j in self.queue[li]) for li in candidates])
            li = int(candidates[np.argmin(load / np.maximum(self.capacity[candidates], TOL))])
        self.queue[li].append([p, quantity, overtime])
        self.queued[p] += quantity
        self.ledger.record(rec.ProductionOrdered(day, p, li, quantity))

    def produce(self, day: int) -> None:
        """Start what each line's capacity and the components on hand allow, FIFO per line.

        Overtime is worked only for what the line's regular time cannot finish by the end of
        the week (the next weekly review): a line does not pay a premium today for work its
        idle regular hours later in the week would have done."""
        self.used_today[:] = 0.0
        self.overtime_today[:] = 0.0
        days_left = DAYS_PER_WEEK - day % DAYS_PER_WEEK
        for li, queue in enumerate(self.queue):
            regular = self.capacity[li]
            waiting = sum(job[1] for job in queue)
            beyond = max(0.0, waiting - regular * days_left)
            allowed = overtime = min(self.overtime_capacity[li], np.ceil(beyond - 1e-9))
            for job in list(queue):
                p, remaining, allow_ot = job
                capacity = regular + (overtime if allow_ot else 0.0)
                if capacity <= TOL:
                    break
                need = self.bom[p]
                uses, per_unit = self._uses[p]
                material_limit = (
                    float(np.floor((self.stock[uses] / per_unit).min() + 1e-9))
                    if len(uses)
                    else np.inf
                )
                if 0 < material_limit < np.inf and self._overdraws(need * material_limit):
                    material_limit -= 1.0  # rounded up past what is on hand, not past dust
                wanted = min(remaining, np.floor(capacity + 1e-9))
                quantity = min(wanted, material_limit)
                if material_limit < wanted:
                    # Components this job lacked today, for what the line could have made.
                    self.short_today += np.maximum(need * wanted - self.stock, 0.0)
                if quantity <= 0:
                    continue
                on_regular = min(quantity, regular)
                on_overtime = quantity - on_regular
                regular -= on_regular
                overtime -= on_overtime
                self._start(day, li, p, quantity, on_overtime)
                job[1] -= quantity
                if job[1] <= TOL:
                    queue.remove(job)
            self.used_today[li] = self.capacity[li] - regular
            self.overtime_today[li] = allowed - overtime

    def _overdraws(self, used: np.ndarray) -> bool:
        """Whether issuing ``used`` takes more of a component than is on hand, by more than the
        float dust of the quantities moved."""
        return bool((used - self.stock > dust(used)).any())

    def _start(self, day: int, li: int, p: int, quantity: float, overtime: float) -> None:
        post = self.books.post
        used = self.bom[p] * quantity
        self.stock -= used
        # Float dust of components used up (only those: a small stock of another stays);
        # its value leaves the books with it.
        gone = (used > 0) & (self.stock != 0.0) & (np.abs(self.stock) < dust(used))
        if gone.any():
            value = float(self.stock[gone] @ self.component_cost[gone])
            self.stock[gone] = 0.0
            post(
                day,
                Account.PURCHASE_PRICE_VARIANCE,
                Account.INVENTORY_COMPONENTS,
                value,
                "rounding",
            )
        self.consumption[day] += used
        self.queued[p] -= quantity
        self.in_process[p] += quantity
        post(
            day,
            Account.INVENTORY_WIP,
            Account.INVENTORY_COMPONENTS,
            quantity * self.material_cost[p],
            "components issued",
        )
        post(
            day,
            Account.INVENTORY_WIP,
            Account.CASH,
            quantity * self.conversion_cost[p],
            "conversion (labour, overhead)",
        )
        premium = self.premium[li] * self.fx.overtime_factor[day, li]
        post(day, Account.OVERTIME, Account.CASH, overtime * premium, "overtime premium")
        self.ledger.record(rec.ProductionStarted(day, p, li, quantity, overtime))
        if self.lead_days == 0:
            self._complete(day, li, p, quantity, day)
        elif day + self.lead_days < self.horizon:
            self._finishing[day + self.lead_days].append((li, p, quantity, day))

    # ------------------------------------------------------------------ CLOSE

    def depreciate(self) -> float:
        """CLOSE: a day's straight-line depreciation of every asset in service (none once
        written down), taken off their book values."""
        total = 0.0
        for asset in self.assets:
            amount = min(asset[0], asset[1])
            asset[1] -= amount
            total += amount
        return total

    def book_value(self) -> float:
        """The fixed assets' book value, plus capex approved for capacity not yet in service."""
        return sum(value for _, value in self.assets) + self.assets_pending
