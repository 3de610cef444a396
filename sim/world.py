"""The company's physical and financial world on one SimPy clock; it executes, never decides.

The world is its parts — the warehouse (:mod:`sim.warehouse`), the plant (:mod:`sim.plant`),
purchasing and lanes (:mod:`sim.purchasing`) and the scenarios that change them
(:mod:`sim.scenarios`) — and the books they post to. :class:`World` holds them and runs the
day. Its loop (``World._day_process``) is the one place the order of phases within day ``d``
is written (:class:`sim.calendar.Phase` gives their offsets in the day):

1. ``RECEIVE``  the plant brings into service the capacity due today and ramps what is ramping
                (a scenario's breakdown applies), and finishes the batches due into the
                warehouse; purchasing receives the shipments due — unless a lane disruption
                holds goods on the way.
2. ``DEMAND``   the warehouse takes today's customer orders (one per product and market), ships
                from stock by the allocation rule, and loses the backorders older than their
                market's patience.
3. ``DECIDE``   the decision maker observes the state after demand and returns requests.
4. ``EXECUTE``  suppliers hand over what is ready (each hand-over is the supplier's own event,
                a SimPy process, before the day's requests), then the requests are executed:
                production orders join line queues, purchase orders are booked into their
                suppliers' weeks, capacity is reserved or bought; then the lines start what
                capacity and components allow (regular capacity first, then overtime).
5. ``CLOSE``    stock past its shelf life is scrapped; holding cost, depreciation (of the
                assets in service) and interest accrue; suppliers bill the capacity reserved
                for a week that starts today; receivables and payables due today are settled;
                the day's snapshot is recorded.

Events are per order, per shipment, per production batch and per phase, never per unit; the
products, components and lines live in numpy arrays.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim import ledger as rec
from sim.calendar import DAYS_PER_YEAR, Phase, at
from sim.config import WorldConfig
from sim.demand import mean_schedule, realise, split_by_share
from sim.families import family_index
from sim.ledger import Account, Ledger
from sim.messages import (
    CapacityChange,
    DecisionError,
    DecisionRecord,
    DemandForecast,
    OrdersReview,
    PlanRecord,
    ProductionOrder,
    Promotion,
    PurchaseOrder,
    ReserveCapacity,
    index_of,
    whole_units,
)
from sim.plant import LineSpec, Plant
from sim.purchasing import Purchasing
from sim.rng import Streams
from sim.scenarios import Effects, NewLine
from sim.warehouse import TOL as _TOL
from sim.warehouse import Warehouse

__all__ = [
    "CompanyObservation",
    "CompanyOutcome",
    "ReservationOffer",
    "Topology",
    "World",
    "WorldAuditError",
]

_AUDIT_RTOL = 1e-10  # of an account's turnover: float rounding stays far below it


class WorldAuditError(AssertionError):
    """Units or money stopped balancing (raised at once in strict-audit mode)."""


@dataclass(frozen=True)
class ReservationOffer:
    """A supplier's offer of extra weekly capacity of a component, for a fee per unit reserved
    and week (``suppliers.*.components.*.reservation``; request it with
    :class:`sim.messages.ReserveCapacity`)."""

    supplier: str
    component: str
    extra_per_week: float  # the most that can be reserved in any one week
    fee_per_unit_per_week: float
    lead_days: int  # a window starts at least this many days after the request
    min_weeks: int  # the shortest window


@dataclass(frozen=True)
class Topology:
    """What a decision maker may know of the network's structure (static over a run).

    ``families`` are the product families (``WorldConfig.families``; each product its own
    family when none are given) and ``family_of`` the index of each product's family, for
    planning in aggregate with :mod:`sim.families`.

    ``supplier_capacity_per_week`` is each supplier's weekly capacity of each component
    before any reservation (inf: no limit); ``reservation_offers`` the reservations of more
    capacity on offer.
    """

    products: tuple[str, ...]
    components: tuple[str, ...]
    suppliers: tuple[str, ...]
    modes: tuple[str, ...]
    lines: tuple[str, ...]
    markets: tuple[str, ...]
    bom: np.ndarray  # [product, component] units per unit
    price: np.ndarray  # [product]
    product_standard_cost: np.ndarray  # [product]
    component_standard_cost: np.ndarray  # [component]
    line_capacity_per_day: np.ndarray  # [line]
    line_makes: np.ndarray  # [line, product] bool
    line_overtime_fraction: np.ndarray  # [line] overtime on top of regular capacity
    line_overtime_premium_per_unit: np.ndarray  # [line]
    supplier_price: np.ndarray  # [supplier, component] base price, nan if not sold
    supplier_lead_time_days: np.ndarray  # [supplier] mean
    supplier_modes: tuple[tuple[str, ...], ...]
    mode_lead_time_days: np.ndarray  # [mode] mean
    mode_cost_per_unit: np.ndarray  # [mode]
    production_lead_time_days: int
    families: tuple[str, ...]
    family_of: np.ndarray  # [product] index into families
    supplier_capacity_per_week: np.ndarray  # [supplier, component] inf if no limit, nan if not sold
    reservation_offers: tuple[ReservationOffer, ...]


@dataclass(frozen=True)
class CompanyObservation:
    """The state after today's demand, as a decision maker sees it (arrays are read-only).

    Histories hold one row per day ``0..day`` (today included).
    """

    day: int
    topology: Topology
    finished_on_hand: np.ndarray  # [product]
    backlog: np.ndarray  # [product] units ordered by customers, not yet shipped nor lost
    production_queued: np.ndarray  # [product] ordered, not started
    production_in_process: np.ndarray  # [product] started, not completed
    component_on_hand: np.ndarray  # [component]
    component_on_order: np.ndarray  # [component] at suppliers or in transit
    component_requirements_queued: np.ndarray  # [component] needed by queued production
    demand_history: np.ndarray  # [day, product]
    consumption_history: np.ndarray  # [day, component]
    cash: float
    shipped_history: np.ndarray  # [day, product] units shipped to customers, today included
    state_history: Mapping[str, np.ndarray]  # end-of-day records of days 0..day-1 (World.daily)
    line_capacity_per_day: np.ndarray  # [line] regular capacity in force today
    inventory_value: float  # at standard cost, all stages
    component_arrivals: np.ndarray  # [day ahead 1..ARRIVALS_AHEAD, component] dispatched, due
    supplier_on_order: np.ndarray  # [supplier, component] ordered, not yet received
    supplier_overdue: np.ndarray  # [supplier, component] of that, past the supplier's quote
    supplier_days_overdue: np.ndarray  # [supplier] how long ago its oldest open quote fell due
    supplier_shipping: np.ndarray  # [supplier] False while the supplier has told it ships nothing
    reservations: tuple[rec.CapacityReserved, ...]  # capacity reserved whose window is not over
    # The books, as the company's finance sees them: today's postings so far (debit, credit,
    # amount), and the money customers owe and the company owes, by the day it falls due
    # (index 0: today; collected and paid at today's close).
    posted_today: tuple[tuple[int, int, float], ...] = ()
    receivable_due: np.ndarray = field(default_factory=lambda: np.zeros(0))
    payable_due: np.ndarray = field(default_factory=lambda: np.zeros(0))


Decider = Callable[[CompanyObservation], Iterable[object]]


@dataclass(frozen=True)
class CompanyOutcome:
    """What a company run leaves behind: its config, topology, ledger and daily records.

    Holds no simulation objects, so it pickles and can be sent between processes.
    """

    config: WorldConfig
    seed: int
    days: int
    topology: Topology
    ledger: Ledger
    demand: np.ndarray  # [day, product] units demanded
    consumption: np.ndarray  # [day, component] units issued to production
    daily: dict[str, np.ndarray]  # end-of-day state, see World._close_phase
    # Per week of the run, supplier and component: what it booked to make that week, its
    # capacity then and what was reserved of it (sim.purchasing.Purchasing.weekly).
    weekly: dict[str, np.ndarray] = field(default_factory=dict)
    events: tuple = ()  # the scenarios' own events (sim.scenarios.ScenarioEvent), by day


def _due_from(due: dict[int, float], day: int) -> np.ndarray:
    """Amounts by the day they fall due, as an array from ``day`` (index 0) on."""
    last = max((d for d, amount in due.items() if amount), default=day - 1)
    out = np.zeros(max(0, last - day + 1))
    for d, amount in due.items():
        if d >= day and amount:
            out[d - day] += amount
    return out


def _readonly(array: np.ndarray) -> np.ndarray:
    """A view of ``array`` that cannot be written, nor be made writable again."""
    return np.lib.stride_tricks.as_strided(array, writeable=False)


class DailyRecords(Mapping):
    """The world's end-of-day records of the days before ``day`` (``World.daily``), each as a
    read-only view made when a decision maker first asks for it: rows of past days never
    change, so a view made later shows what one made at once would have."""

    __slots__ = ("_daily", "_day", "_made")

    def __init__(self, daily: dict[str, np.ndarray], day: int) -> None:
        self._daily, self._day, self._made = daily, day, {}

    def __getitem__(self, name: str) -> np.ndarray:
        found = self._made.get(name)
        if found is None:
            found = self._made[name] = _readonly(self._daily[name][: self._day])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._daily)

    def __len__(self) -> int:
        return len(self._daily)


class World:
    """A manufacturing company in SimPy; :meth:`run` returns its :class:`CompanyOutcome`."""

    def __init__(
        self,
        config: WorldConfig,
        streams: Streams,
        decider: Decider,
        horizon_days: int | None = None,
        env: simpy.Environment | None = None,
        decides: Callable[[int], bool] | None = None,
    ) -> None:
        self.config = config
        self.streams = streams
        self.decider = decider
        # Days the decider acts on (every day unless it says otherwise): on other days nothing
        # is observed for it and it is not called.
        self.decides = decides or (lambda day: True)
        self.horizon = int(horizon_days or config.horizon_days)
        self.env = env or simpy.Environment()
        self.ledger = Ledger()
        self.books = self.ledger.books
        self.strict = config.strict_audit
        self._build_topology()
        self._build_state()
        self._build_demand()
        self._open_books()

    # ------------------------------------------------------------------ construction

    def _build_topology(self) -> None:
        c = self.config
        self.products = tuple(c.products)
        self.components = tuple(c.components)
        self.suppliers = tuple(c.suppliers)
        self.modes = tuple(c.transport_modes)
        # The plant's lines, then the lines scenarios build (no capacity until installed).
        new_lines = [x for x in c.scenarios if isinstance(x, NewLine)]
        specs = [
            LineSpec(
                n,
                tuple(ln.products),
                ln.capacity_per_day,
                ln.overtime_max_fraction,
                ln.overtime_premium_per_unit,
            )
            for n, ln in c.plant.lines.items()
        ] + [
            LineSpec(
                x.line,
                tuple(x.products),
                0.0,
                x.overtime_max_fraction,
                x.overtime_premium_per_unit,
            )
            for x in new_lines
        ]
        self._line_specs = specs
        self.lines = tuple(spec.name for spec in specs)
        self.markets = tuple(c.markets)
        self._pidx = {n: i for i, n in enumerate(self.products)}
        self._cidx = {n: i for i, n in enumerate(self.components)}
        self._sidx = {n: i for i, n in enumerate(self.suppliers)}
        self._midx = {n: i for i, n in enumerate(self.modes)}
        self._lidx = {n: i for i, n in enumerate(self.lines)}
        P, C, S = len(self.products), len(self.components), len(self.suppliers)
        bom = np.zeros((P, C))
        for p, prod in enumerate(c.products.values()):
            for cname, qty in prod.bom.items():
                bom[p, self._cidx[cname]] = qty
        comp_cost = np.array([comp.standard_cost for comp in c.components.values()], dtype=float)
        conversion = np.array([prod.conversion_cost_per_unit for prod in c.products.values()])
        self.bom = bom
        self.component_standard_cost = comp_cost
        self.material_cost = bom @ comp_cost if C else np.zeros(P)
        self.conversion_cost = conversion
        self.product_standard_cost = self.material_cost + conversion
        self.price = np.array([prod.price for prod in c.products.values()], dtype=float)
        line_makes = np.zeros((len(self.lines), P), dtype=bool)
        for li, spec in enumerate(specs):
            for pname in spec.products:
                line_makes[li, self._pidx[pname]] = True
        supplier_price = np.full((S, C), np.nan)
        supplier_capacity = np.full((S, C), np.nan)
        offers = []
        for s, (sname, sup) in enumerate(c.suppliers.items()):
            for cname, terms in sup.components.items():
                supplier_price[s, self._cidx[cname]] = terms.price
                limit = terms.capacity_per_week
                supplier_capacity[s, self._cidx[cname]] = np.inf if limit is None else limit
                if terms.reservation is not None:
                    r = terms.reservation
                    offers.append(
                        ReservationOffer(
                            sname,
                            cname,
                            r.extra_per_week,
                            r.fee_per_unit_per_week,
                            r.lead_days,
                            r.min_weeks,
                        )
                    )
        families, family_of = family_index(self.products, c.families)
        self.topology = Topology(
            products=self.products,
            components=self.components,
            suppliers=self.suppliers,
            modes=self.modes,
            lines=self.lines,
            markets=self.markets,
            bom=_readonly(bom),
            price=_readonly(self.price),
            product_standard_cost=_readonly(self.product_standard_cost),
            component_standard_cost=_readonly(comp_cost),
            line_capacity_per_day=_readonly(  # at the start
                np.array([spec.capacity_per_day for spec in specs], dtype=float)
            ),
            line_makes=_readonly(line_makes),
            line_overtime_fraction=_readonly(
                np.array([spec.overtime_max_fraction for spec in specs], dtype=float)
            ),
            line_overtime_premium_per_unit=_readonly(
                np.array([spec.overtime_premium_per_unit for spec in specs], dtype=float)
            ),
            supplier_price=_readonly(supplier_price),
            supplier_lead_time_days=_readonly(
                np.array([s.lead_time_days.mean for s in c.suppliers.values()], dtype=float)
            ),
            supplier_modes=tuple(tuple(s.modes) for s in c.suppliers.values()),
            mode_lead_time_days=_readonly(
                np.array(
                    [max(1.0, m.lead_time_days.mean) for m in c.transport_modes.values()],
                    dtype=float,
                )
            ),
            mode_cost_per_unit=_readonly(
                np.array([m.cost_per_unit for m in c.transport_modes.values()], dtype=float)
            ),
            production_lead_time_days=c.plant.production_lead_time_days,
            families=families,
            family_of=_readonly(family_of),
            supplier_capacity_per_week=_readonly(supplier_capacity),
            reservation_offers=tuple(offers),
        )

    def _build_state(self) -> None:
        H = self.horizon
        P, C, L = len(self.products), len(self.components), len(self.lines)
        S = len(self.suppliers)
        self._posted_before_today = 0  # journal entries before today's (day 0: the opening)
        # Daily records, written at CLOSE (and DEMAND for demand and shipments).
        self.demand = np.zeros((H, P))
        self.shipped = np.zeros((H, P))
        self.price_factor = np.ones((H, P))  # below 1 on promotion days with a discount
        self.consumption = np.zeros((H, C))
        self.daily = {
            "finished_on_hand": np.zeros((H, P)),
            "backlog": np.zeros((H, P)),
            "production_queued": np.zeros((H, P)),
            "production_in_process": np.zeros((H, P)),
            "component_on_hand": np.zeros((H, C)),
            "component_in_transit": np.zeros((H, C)),
            "component_on_order": np.zeros((H, C)),
            "line_regular_used": np.zeros((H, L)),
            "line_overtime_used": np.zeros((H, L)),
            "line_capacity": np.zeros((H, L)),
            "line_overtime_capacity": np.zeros((H, L)),
            "component_short": np.zeros((H, C)),
            "supplier_received": np.zeros((H, S)),
            "supplier_late_unit_days": np.zeros((H, S)),
            "balances": np.zeros((H, len(Account))),
        }

    def _build_demand(self) -> None:
        H, P = self.horizon, len(self.products)
        self.demand_mean = np.zeros((H, P))
        for p, prod in enumerate(self.config.products.values()):
            self.demand_mean[:, p] = mean_schedule(prod.demand, H)
        self.fx = Effects.compile(
            self.config.scenarios,
            H,
            {
                "products": self.products,
                "components": self.components,
                "suppliers": self.suppliers,
                "modes": self.modes,
                "lines": tuple(self.config.plant.lines),
            },
            {f: tuple(ps) for f, ps in self.config.families.items()}
            or {p: (p,) for p in self.products},
            np.isfinite(np.asarray(self.topology.supplier_price)),
            self.demand_mean,
        )
        for p, start, end, discount, _ in self.fx.promotions:
            elasticity = self.config.products[self.products[p]].demand.price_elasticity
            self.demand_mean[start:end, p] *= (1.0 - discount) ** -elasticity
            self.price_factor[start:end, p] *= 1.0 - discount
        self.demand_u = self.streams.exogenous("demand").random((H, P))
        self.demand_draw = np.zeros((H, P))
        for p, prod in enumerate(self.config.products.values()):
            self.demand_draw[:, p] = realise(
                prod.demand.noise,
                self.demand_mean[:, p],
                self.demand_u[:, p],
                prod.demand.whole_units,
            )
        self._whole = np.array([prod.demand.whole_units for prod in self.config.products.values()])
        self._market_shares = np.array([m.share for m in self.config.markets.values()], dtype=float)
        self.demand_by_market = np.zeros((H, P, len(self._market_shares)))
        self._split_by_market(0, H)
        products = self.config.products.values()
        self.warehouse = Warehouse(
            self.ledger,
            np.array([p.initial_on_hand for p in products], dtype=float),
            [p.shelf_life_days for p in products],
            self.product_standard_cost,
            self.price,
            self.price_factor,
            list(self.config.markets.values()),
            self.config.allocation,
            self._whole,
        )
        finance = self.config.finance
        self.plant = Plant(
            self.ledger,
            self._line_specs,
            self._pidx,
            self.bom,
            self.material_cost,
            self.conversion_cost,
            self.product_standard_cost,
            self.component_standard_cost,
            np.array([x.initial_on_hand for x in self.config.components.values()], dtype=float),
            self.config.plant.production_lead_time_days,
            finance.fixed_assets,
            finance.depreciation_years,
            self.fx,
            self.warehouse,
            self.consumption,
            H,
        )
        self.purchasing = Purchasing(
            self.config,
            self.topology,
            self.streams,
            self.ledger,
            self.env,
            self.fx,
            self.plant,
            H,
        )

    def _open_books(self) -> None:
        f, post = self.config.finance, self.books.post
        post(0, Account.CASH, Account.EQUITY, f.opening_cash, "opening cash")
        post(0, Account.FIXED_ASSETS, Account.EQUITY, f.fixed_assets, "opening fixed assets")
        post(
            0,
            Account.INVENTORY_COMPONENTS,
            Account.EQUITY,
            float(self.plant.stock @ self.component_standard_cost),
            "opening components",
        )
        post(
            0,
            Account.INVENTORY_FINISHED,
            Account.EQUITY,
            self.warehouse.value(),
            "opening finished goods",
        )
        for prod in self.config.products.values():
            for promo in prod.demand.promotions:
                if promo.cost and promo.start_day < self.horizon:
                    self.env.process(self._promotion_cost_process(promo.start_day, promo.cost))
        for _, start, _, _, cost in self.fx.promotions:
            if cost and start < self.horizon:
                self.env.process(self._promotion_cost_process(start, cost))
        for spec in self.fx.new_lines:
            if spec.decided_day < self.horizon:
                self.env.process(self._new_line_process(spec))

    def _new_line_process(self, spec):
        """Build a scenario's new line: decided (capex paid) on its day, at EXECUTE."""
        yield self.env.timeout(at(spec.decided_day, Phase.EXECUTE) - self.env.now)
        change = CapacityChange(
            spec.name,
            spec.capacity_per_day,
            spec.decided_day + spec.install_days,
            spec.capex,
            spec.ramp_days,
        )
        self.plant.change_capacity(spec.decided_day, change)

    # ------------------------------------------------------------------ running

    def run(self) -> CompanyOutcome:
        """Simulate days ``0..horizon-1`` and return what happened."""
        self.start()
        self.advance(self.horizon)
        return self.outcome()

    def start(self) -> None:
        """Set the day process going; then :meth:`advance` the clock (once per world)."""
        self.env.process(self._day_process())

    def advance(self, until_day: int) -> None:
        """Run every day before ``until_day`` (a stepping model calls this once per day)."""
        self.env.run(until=min(until_day, self.horizon))

    def outcome(self) -> CompanyOutcome:
        """What happened so far, as a picklable record (complete once the horizon is run)."""
        return CompanyOutcome(
            config=self.config,
            seed=self.streams.root_seed,
            days=self.horizon,
            topology=self.topology,
            ledger=self.ledger,
            demand=self.demand,
            consumption=self.consumption,
            daily=self.daily,
            weekly=self.purchasing.weekly(),
            events=tuple(self.fx.events),
        )

    def _day_process(self):
        env = self.env
        for day in range(self.horizon):
            yield env.timeout(at(day, Phase.RECEIVE) - env.now)
            self._receive_phase(day)
            yield env.timeout(at(day, Phase.DEMAND) - env.now)
            self._demand_phase(day)
            yield env.timeout(at(day, Phase.DECIDE) - env.now)
            decisions = list(self.decider(self.observe(day))) if self.decides(day) else []
            yield env.timeout(at(day, Phase.EXECUTE) - env.now)
            self._execute_phase(day, decisions)
            yield env.timeout(at(day, Phase.CLOSE) - env.now)
            self._close_phase(day)

    # ------------------------------------------------------------------ demand

    def fire(self, scenario):
        """A scenario from now on, while the run goes (a workshop's button): from the first
        day not yet played, or its own start if later. Demand is drawn anew from the day it
        starts, on the same random draws; what suppliers and lanes do to goods already
        ordered is settled when they fall due. A new line cannot be fired: the plant's lines
        are fixed once it runs. Returns the scenario as fired (its start moved up to today's)."""
        scenario = self.as_fired(scenario)
        start = scenario.start
        promotions = len(self.fx.promotions)
        scenario.apply(self.fx)
        self.fx.events += scenario.events()
        self.fx.events.sort(key=lambda e: e.day)
        for p, first, end, discount, cost in self.fx.promotions[promotions:]:
            elasticity = self.config.products[self.products[p]].demand.price_elasticity
            self.demand_mean[first:end, p] *= (1.0 - discount) ** -elasticity
            self.price_factor[first:end, p] *= 1.0 - discount
            if cost:
                self.env.process(self._promotion_cost_process(first, cost))
        for p, prod in enumerate(self.config.products.values()):
            self.demand_draw[start:, p] = realise(
                prod.demand.noise,
                self.demand_mean[start:, p],
                self.demand_u[start:, p],
                prod.demand.whole_units,
            )
        self._split_by_market(start, self.horizon)
        self.plant.find_capacity_steps()
        self.fx.version += 1
        return scenario

    def as_fired(self, scenario, day: int | None = None):
        """``scenario`` as :meth:`fire` would fire it before ``day`` (default: the next day
        to play), its start moved up to that day; a ``ValueError`` if it cannot be fired:
        a new line, or nothing left of it to play. Changes nothing."""
        if isinstance(scenario, NewLine):
            raise ValueError("a new line is planned with the config, not fired during a run")
        start = max(scenario.start, math.ceil(self.env.now) if day is None else day)
        if start >= self.horizon:
            raise ValueError(f"the run ends on day {self.horizon - 1}; nothing is left to change")
        if scenario.start < start:
            if scenario.end is not None and scenario.end <= start:
                raise ValueError(f"the scenario ends before day {start}, the next to play")
            scenario = scenario.model_copy(update={"start_day": start, "start_week": None})
        return scenario

    def _split_by_market(self, first: int, end: int) -> None:
        """Each day's demand of days ``first .. end - 1`` split over the markets by their
        shares (in whole units where the product's demand is), all days at once."""
        for p, whole in enumerate(self._whole):
            self.demand_by_market[first:end, p] = split_by_share(
                self.demand_draw[first:end, p], self._market_shares, bool(whole)
            )

    def _receive_phase(self, day: int) -> None:
        self.plant.receive(day)
        self.purchasing.receive(day)

    def _demand_phase(self, day: int) -> None:
        self.demand[day] = self.demand_draw[day]
        for p in range(len(self.products)):
            self.shipped[day, p] += self.warehouse.serve(day, p, self.demand_by_market[day, p])

    # ------------------------------------------------------------------ decisions

    def observe(self, day: int) -> CompanyObservation:
        """The read-only observation handed to the decision maker on ``day``."""
        backlog = self.warehouse.backlog()
        plant = self.plant
        requirements = plant.queued @ self.bom if len(self.components) else np.zeros(0)
        buying = self.purchasing
        overdue, days_overdue = buying.overdue(day)
        return CompanyObservation(
            day=day,
            topology=self.topology,
            finished_on_hand=_readonly(self.warehouse.on_hand.copy()),
            backlog=_readonly(backlog),
            production_queued=_readonly(plant.queued.copy()),
            production_in_process=_readonly(plant.in_process.copy()),
            component_on_hand=_readonly(plant.stock.copy()),
            component_on_order=_readonly(buying.comp_on_order.copy()),
            component_requirements_queued=_readonly(requirements),
            demand_history=_readonly(self.demand[: day + 1]),
            consumption_history=_readonly(self.consumption[: day + 1]),
            cash=self.books.balance(Account.CASH),
            shipped_history=_readonly(self.shipped[: day + 1]),
            state_history=DailyRecords(self.daily, day),
            line_capacity_per_day=_readonly(plant.capacity.copy()),
            inventory_value=float(sum(self.books.balance(a) for a in rec.INVENTORY)),
            component_arrivals=_readonly(buying.arrivals_ahead(day)),
            supplier_on_order=_readonly(buying.supplier_on_order.copy()),
            supplier_overdue=_readonly(overdue),
            supplier_days_overdue=_readonly(days_overdue),
            supplier_shipping=_readonly(buying.shipping(day)),
            reservations=tuple(r for r in buying.reservations if r.end_day > day),
            posted_today=tuple(
                (int(e.debit), int(e.credit), e.amount)
                for e in self.books.journal[self._posted_before_today :]
            ),
            receivable_due=_readonly(_due_from(self.warehouse.receivable_due, day)),
            payable_due=_readonly(_due_from(buying.payable_due, day)),
        )

    def _execute_phase(self, day: int, decisions: list[object]) -> None:
        for decision in decisions:
            match decision:
                case ProductionOrder():
                    p = index_of(self._pidx, decision.product, "product")
                    quantity = whole_units(decision.quantity)
                    if quantity:
                        self.plant.order(day, p, quantity, decision.line, decision.overtime)
                case PurchaseOrder():
                    self.purchasing.order(day, decision)
                case DemandForecast():
                    p = index_of(self._pidx, decision.product, "product")
                    self.ledger.record(
                        rec.ForecastIssued(
                            day,
                            decision.owner,
                            p,
                            float(decision.per_day),
                            decision.horizon_days,
                            decision.official,
                            decision.acted_on,
                        )
                    )
                case Promotion():
                    self._schedule_promotion(day, decision)
                case CapacityChange():
                    self.plant.change_capacity(day, decision)
                case ReserveCapacity():
                    self.purchasing.reserve(day, decision)
                case PlanRecord():
                    p = index_of(self._pidx, decision.product, "product")
                    self.ledger.record(
                        rec.PlanRecorded(
                            day,
                            decision.owner,
                            rec.PlanKind(decision.kind),
                            p,
                            decision.start_day,
                            tuple(float(q) for q in decision.quantities),
                            decision.agreed,
                        )
                    )
                case OrdersReview():
                    self.ledger.record(
                        rec.OrdersReviewed(
                            day,
                            decision.owner,
                            float(decision.proposed_value),
                            float(decision.cut_value),
                            float(decision.excess_value),
                        )
                    )
                case DecisionRecord():
                    text = json.dumps(decision.entry, sort_keys=True, allow_nan=False)
                    self.ledger.record(rec.DecisionRecorded(day, decision.kind, text))
                case _:
                    raise DecisionError(f"the company world cannot execute {decision!r}")
        self.plant.produce(day)

    def _schedule_promotion(self, day: int, promo: Promotion) -> None:
        """Run ``promo``: the market answers a price cut of ``d`` with demand multiplied by
        ``(1 - d) ** -price_elasticity`` on the promotion's days (the same draws, a higher mean:
        common random numbers hold)."""
        p = index_of(self._pidx, promo.product, "product")
        if promo.start_day <= day or promo.duration_days < 1:
            raise DecisionError(
                f"a promotion must start after today (day {day}) and last: {promo!r}"
            )
        if not 0 <= promo.price_discount < 1 or promo.cost < 0:
            raise DecisionError(f"price_discount must be in [0, 1) and cost >= 0: {promo!r}")
        start, end = promo.start_day, min(promo.start_day + promo.duration_days, self.horizon)
        if start >= self.horizon:
            return
        demand = self.config.products[promo.product].demand
        uplift = (1.0 - promo.price_discount) ** -demand.price_elasticity - 1.0
        self.demand_mean[start:end, p] *= 1.0 + uplift
        self.price_factor[start:end, p] *= 1.0 - promo.price_discount
        self.demand_draw[start:end, p] = realise(
            demand.noise, self.demand_mean[start:end, p], self.demand_u[start:end, p], False
        )
        if demand.whole_units:
            self.demand_draw[start:end, p] = np.round(self.demand_draw[start:end, p])
        self._split_by_market(start, end)
        self.ledger.record(
            rec.PromotionScheduled(
                day, p, start, promo.duration_days, uplift, promo.price_discount, promo.cost
            )
        )
        if promo.cost:
            self.env.process(self._promotion_cost_process(start, promo.cost))

    def _promotion_cost_process(self, day: int, cost: float):
        yield self.env.timeout(at(day, Phase.EXECUTE) - self.env.now)
        self.books.post(day, Account.PROMOTION, Account.CASH, cost, "promotion")

    # ------------------------------------------------------------------ close

    def _close_phase(self, day: int) -> None:
        f, post, books = self.config.finance, self.books.post, self.books
        self.warehouse.scrap_expired(day)
        on_hand_value = float(
            self.plant.stock @ self.component_standard_cost + self.warehouse.value()
        )
        inventory_value = sum(books.balance(a) for a in rec.INVENTORY)
        post(
            day,
            Account.HOLDING_CAPITAL,
            Account.CAPITAL_CHARGE_EQUITY,
            inventory_value * f.capital_charge_rate_per_year / DAYS_PER_YEAR,
            "capital charge on inventory",
        )
        post(
            day,
            Account.HOLDING_STORAGE,
            Account.CASH,
            on_hand_value * f.storage_cost_rate_per_year / DAYS_PER_YEAR,
            "storage",
        )
        post(
            day,
            Account.OVERHEAD,
            Account.CASH,
            f.overhead_per_year / DAYS_PER_YEAR,
            "fixed overhead",
        )
        depreciation = self.plant.depreciate()
        post(day, Account.DEPRECIATION, Account.FIXED_ASSETS, depreciation, "depreciation")
        collected = self.warehouse.receivable_due.pop(day, 0.0)
        post(day, Account.CASH, Account.RECEIVABLES, collected, "customer payments")
        buying = self.purchasing
        for fee, due in buying.reservation_bills.pop(day, ()):
            # Billed before today's payments are made: a supplier paid on receipt of its bill
            # is paid today.
            post(day, Account.CAPACITY_RESERVATION, Account.PAYABLES, fee, "capacity reserved")
            buying.payable_due[due] += fee
        paid = buying.payable_due.pop(day, 0.0)
        post(day, Account.PAYABLES, Account.CASH, paid, "supplier and carrier payments")
        cash = books.balance(Account.CASH)
        if cash < 0:
            post(
                day,
                Account.INTEREST,
                Account.CASH,
                -cash * f.overdraft_interest_rate_per_year / DAYS_PER_YEAR,
                "overdraft interest",
            )
        d = self.daily
        d["finished_on_hand"][day] = self.warehouse.on_hand
        d["backlog"][day] = self.warehouse.backlog()
        plant = self.plant
        d["production_queued"][day] = plant.queued
        d["production_in_process"][day] = plant.in_process
        d["component_on_hand"][day] = plant.stock
        d["component_in_transit"][day] = buying.comp_in_transit
        d["component_on_order"][day] = buying.comp_on_order
        d["line_regular_used"][day] = plant.used_today
        d["line_overtime_used"][day] = plant.overtime_today
        d["line_capacity"][day] = plant.capacity
        d["line_overtime_capacity"][day] = plant.overtime_capacity
        d["component_short"][day] = plant.short_today
        plant.short_today[:] = 0.0
        d["supplier_received"][day] = buying.received_today
        d["supplier_late_unit_days"][day] = buying.late_today
        buying.received_today[:] = 0.0
        buying.late_today[:] = 0.0
        d["balances"][day] = books.balances()
        self._posted_before_today = len(books.journal)  # tomorrow's postings start here
        if self.strict:
            self.audit(day)

    def audit(self, day: int) -> None:
        """Raise :class:`WorldAuditError` if units or money stopped balancing on ``day``."""
        books = self.books
        problems = []
        # Float sums round in proportion to what went through them, not to what is left:
        # an account that saw 10^15 in and out is exact to about 0.1.
        if abs(books.equation_gap()) > _AUDIT_RTOL * max(1.0, books.turnover()):
            problems.append(f"accounting equation off by {books.equation_gap():.6f}")
        checks = {
            "finished goods": (
                Account.INVENTORY_FINISHED,
                books.balance(Account.INVENTORY_FINISHED),
                self.warehouse.value(),
            ),
            "components": (
                Account.INVENTORY_COMPONENTS,
                books.balance(Account.INVENTORY_COMPONENTS),
                float(self.plant.stock @ self.component_standard_cost),
            ),
            "work in process": (
                Account.INVENTORY_WIP,
                books.balance(Account.INVENTORY_WIP),
                float(self.plant.in_process @ self.product_standard_cost),
            ),
            "in transit": (
                Account.INVENTORY_IN_TRANSIT,
                books.balance(Account.INVENTORY_IN_TRANSIT),
                float(self.purchasing.comp_in_transit @ self.component_standard_cost),
            ),
            # Each asset's book value, plus capex approved for capacity not yet in service.
            "fixed assets": (
                Account.FIXED_ASSETS,
                books.balance(Account.FIXED_ASSETS),
                self.plant.book_value(),
            ),
        }
        for name, (account, booked, counted) in checks.items():
            scale = max(1.0, abs(counted), books.turnover(account))
            if abs(booked - counted) > _AUDIT_RTOL * scale:
                problems.append(f"{name}: books {booked:.4f} vs counted {counted:.4f}")
        if (self.plant.stock < -_TOL).any():
            problems.append("negative stock")
        problems += self.warehouse.audit(self.shipped[: day + 1].sum(axis=0))
        if problems:
            raise WorldAuditError(f"day {day}: " + "; ".join(problems))
