"""The company's physical and financial world on one SimPy clock; it executes, never decides.

Order of phases within day ``d`` (see :class:`sim.calendar.Phase`):

1. ``RECEIVE``  component shipments and finished production due today arrive.
2. ``DEMAND``   today's customer orders arrive (one order per product and market); finished
                goods are allocated to open orders by the allocation rule; the unfilled part of
                an order waits as a backorder and is lost once it is older than the market's
                patience.
3. ``DECIDE``   the decision maker observes the state after demand and returns requests.
4. ``EXECUTE``  requests are executed: production orders join line queues, purchase orders go
                to suppliers (within each week's capacity, reservations included), capacity
                is reserved; lines start what capacity and components allow (regular capacity
                first, then overtime); suppliers dispatch what is ready.
5. ``CLOSE``    holding cost, depreciation (of the assets in service) and interest accrue;
                suppliers bill the capacity reserved for a week that starts today;
                receivables and payables due today are settled; the day's snapshot is
                recorded.

Events are per order, per shipment, per production batch and per phase, never per unit; the
products, components and lines live in numpy arrays.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim import ledger as rec
from sim.calendar import DAYS_PER_WEEK, DAYS_PER_YEAR, Phase, at
from sim.config import Constant, Delay, Gamma, LogNormal, Normal, Uniform, WorldConfig
from sim.demand import mean_schedule, realise
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
)
from sim.plant import LineSpec, Plant
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
    "draw_days",
]

_AUDIT_RTOL = 1e-10  # of an account's turnover: float rounding stays far below it
ARRIVALS_AHEAD = 120  # days of known component arrivals shown to decision makers


class WorldAuditError(AssertionError):
    """Units or money stopped balancing (raised at once in strict-audit mode)."""


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
    state_history: dict[str, np.ndarray]  # end-of-day records of days 0..day-1 (World.daily)
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
    # Per week of the run: what each supplier booked of each component to make that week,
    # and its capacity then (reservations and scenarios included; inf: no limit). [week, S, C]
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
        self.comp_on_order = np.zeros(C)
        self.comp_in_transit = np.zeros(C)
        self.payable_due: dict[int, float] = defaultdict(float)
        self._posted_before_today = 0  # journal entries before today's (day 0: the opening)
        self.supplier_week_used: dict[tuple[int, int, int], float] = defaultdict(float)
        # Capacity reserved per supplier, component and week (weeks of the run only), the
        # reservations made, and the reservation fees billed by day: [(amount, day due)].
        self.supplier_week_reserved: dict[tuple[int, int, int], float] = {}
        self._reservations: list[rec.CapacityReserved] = []
        self._reservation_bills: dict[int, list[tuple[float, int]]] = defaultdict(list)
        self.arrivals_due: dict[int, np.ndarray] = defaultdict(lambda: np.zeros(C))
        # Units on order per supplier and component, by the day the supplier's quote said they
        # would arrive (its mean lead time plus the mode's): what is overdue is seen by buyers.
        self.quoted_due: dict[int, np.ndarray] = defaultdict(lambda: np.zeros((S, C)))
        self.supplier_on_order = np.zeros((S, C))
        self._next_po_id = 0
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
        self._received_today = np.zeros(S)
        self._late_today = np.zeros(S)

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
            weekly=self._weekly(),
            events=tuple(self.fx.events),
        )

    def _weekly(self) -> dict[str, np.ndarray]:
        """What each supplier booked to make in each week of the run, and its capacity."""
        W = -(-self.horizon // DAYS_PER_WEEK)
        S, C = len(self.suppliers), len(self.components)
        booked = np.zeros((W, S, C))
        for (s, c, week), used in self.supplier_week_used.items():
            if week < W:
                booked[week, s, c] += used
        capacity = np.full((W, S, C), np.nan)
        for s, sup in enumerate(self.config.suppliers.values()):
            for cname, terms in sup.components.items():
                c = self._cidx[cname]
                base = np.inf if terms.capacity_per_week is None else terms.capacity_per_week
                for week in range(W):
                    capacity[week, s, c] = self.fx.supplier_capacity(
                        s, c, week, base
                    ) + self.supplier_week_reserved.get((s, c, week), 0.0)
        return {"supplier_booked": booked, "supplier_capacity": capacity}

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

    def _receive_phase(self, day: int) -> None:
        self.plant.receive(day)

    def _demand_phase(self, day: int) -> None:
        for p in range(len(self.products)):
            quantity = float(self.demand_draw[day, p])
            self.demand[day, p] = quantity
            self.shipped[day, p] += self.warehouse.serve(day, p, quantity)

    # ------------------------------------------------------------------ decisions

    def observe(self, day: int) -> CompanyObservation:
        """The read-only observation handed to the decision maker on ``day``."""
        backlog = self.warehouse.backlog()
        plant = self.plant
        requirements = plant.queued @ self.bom if len(self.components) else np.zeros(0)
        overdue, days_overdue = self._overdue(day)
        return CompanyObservation(
            day=day,
            topology=self.topology,
            finished_on_hand=_readonly(self.warehouse.on_hand.copy()),
            backlog=_readonly(backlog),
            production_queued=_readonly(plant.queued.copy()),
            production_in_process=_readonly(plant.in_process.copy()),
            component_on_hand=_readonly(plant.stock.copy()),
            component_on_order=_readonly(self.comp_on_order.copy()),
            component_requirements_queued=_readonly(requirements),
            demand_history=_readonly(self.demand[: day + 1]),
            consumption_history=_readonly(self.consumption[: day + 1]),
            cash=self.books.balance(Account.CASH),
            shipped_history=_readonly(self.shipped[: day + 1]),
            state_history={name: _readonly(values[:day]) for name, values in self.daily.items()},
            line_capacity_per_day=_readonly(plant.capacity.copy()),
            inventory_value=float(sum(self.books.balance(a) for a in rec.INVENTORY)),
            component_arrivals=_readonly(self._arrivals_ahead(day)),
            supplier_on_order=_readonly(self.supplier_on_order.copy()),
            supplier_overdue=_readonly(overdue),
            supplier_days_overdue=_readonly(days_overdue),
            supplier_shipping=_readonly(self._shipping(day)),
            reservations=tuple(r for r in self._reservations if r.end_day > day),
            posted_today=tuple(
                (int(e.debit), int(e.credit), e.amount)
                for e in self.books.journal[self._posted_before_today :]
            ),
            receivable_due=_readonly(_due_from(self.warehouse.receivable_due, day)),
            payable_due=_readonly(_due_from(self.payable_due, day)),
        )

    def _shipping(self, day: int) -> np.ndarray:
        """Per supplier: False while it has told it ships nothing (a failure at 0%)."""
        out = np.ones(len(self.suppliers), dtype=bool)
        for s in range(len(self.suppliers)):
            failure = self.fx.failure(s, day) if self.fx.failures else None
            out[s] = failure is None or failure.fraction > 0
        return out

    def _overdue(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Units past their quote per supplier and component, and per supplier how many days
        ago its oldest open quote fell due."""
        overdue = np.zeros_like(self.supplier_on_order)
        days = np.zeros(len(self.suppliers))
        for due, quantities in self.quoted_due.items():
            if due <= day:
                overdue += quantities
                late = quantities.sum(axis=1) > _TOL
                days[late] = np.maximum(days[late], day - due)
        return overdue, days

    def _arrivals_ahead(self, day: int) -> np.ndarray:
        ahead = np.zeros((ARRIVALS_AHEAD, len(self.components)))
        for due, quantities in self.arrivals_due.items():
            if day < due <= day + ARRIVALS_AHEAD:
                ahead[due - day - 1] += quantities
        return ahead

    def _execute_phase(self, day: int, decisions: list[object]) -> None:
        for decision in decisions:
            match decision:
                case ProductionOrder():
                    p = self._index(self._pidx, decision.product, "product")
                    quantity = self._whole_units(decision.quantity)
                    if quantity:
                        self.plant.order(day, p, quantity, decision.line, decision.overtime)
                case PurchaseOrder():
                    self._order_purchase(day, decision)
                case DemandForecast():
                    p = self._index(self._pidx, decision.product, "product")
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
                    self._reserve_capacity(day, decision)
                case PlanRecord():
                    p = self._index(self._pidx, decision.product, "product")
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
        p = self._index(self._pidx, promo.product, "product")
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
        self.ledger.record(
            rec.PromotionScheduled(
                day, p, start, promo.duration_days, uplift, promo.price_discount, promo.cost
            )
        )
        if promo.cost:
            self.env.process(self._promotion_cost_process(start, promo.cost))

    @staticmethod
    def _index(index: dict[str, int], name: str, what: str) -> int:
        try:
            return index[name]
        except KeyError:
            raise DecisionError(f"unknown {what} {name!r}; known: {', '.join(index)}") from None

    @staticmethod
    def _whole_units(quantity: float) -> float:
        if not np.isfinite(quantity) or quantity < 0:
            raise DecisionError(f"order quantity must be finite and >= 0, got {quantity}")
        return float(np.ceil(quantity - 1e-9))

    # ------------------------------------------------------------------ purchasing

    def _order_purchase(self, day: int, order: PurchaseOrder) -> None:
        c = self._index(self._cidx, order.component, "component")
        s = self._index(self._sidx, order.supplier, "supplier")
        m = self._index(self._midx, order.mode, "transport mode")
        supplier = self.config.suppliers[order.supplier]
        terms = supplier.components.get(order.component)
        if terms is None:
            raise DecisionError(f"supplier {order.supplier!r} does not sell {order.component!r}")
        if order.mode not in supplier.modes:
            raise DecisionError(f"supplier {order.supplier!r} does not ship by {order.mode!r}")
        quantity = self._whole_units(order.quantity)
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
        while left > _TOL:
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
                if chunk <= _TOL:
                    ready = (week + 1) * DAYS_PER_WEEK
                    continue
                self.supplier_week_used[(s, c, week)] = used + chunk
            # A chunk held back by the supplier's weekly capacity is quoted that much later.
            quoted = day + round(quoted_lead) + (ready - first_ready)
            self.quoted_due[quoted][s, c] += chunk
            self.env.process(self._shipment_process(po, s, c, m, chunk, price, ready, day, quoted))
            left -= chunk
            ready = (week + 1) * DAYS_PER_WEEK

    def _reserve_capacity(self, day: int, request: ReserveCapacity) -> None:
        """Reserve capacity at a supplier on the terms it offers (EXECUTE of ``day``).

        From then on the supplier makes up to ``extra_per_week`` more of the component in each
        week of the window for the orders placed; it bills the fee of each week on the week's
        first day (CLOSE), through payables on its payment terms, whether the capacity is used
        or not — also while it fails to ship (take-or-pay).
        """
        s = self._index(self._sidx, request.supplier, "supplier")
        c = self._index(self._cidx, request.component, "component")
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
        self._reservations.append(reserved)
        self.ledger.record(reserved)
        for week in range(first, last):
            key = (s, c, week)
            self.supplier_week_reserved[key] = self.supplier_week_reserved.get(key, 0.0) + extra
            billed = week * DAYS_PER_WEEK
            if fee > 0:
                self._reservation_bills[billed].append((fee, billed + supplier.payment_terms_days))

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
        yield from self._ship(po, s, c, m, quantity, price, ready + late, late, placed, quoted)

    def _ship(self, po, s, c, m, quantity, price, dispatch, late, placed, quoted):
        """Dispatch ``quantity`` on ``dispatch`` and receive it when it arrives.

        A supplier failing on ``dispatch`` ships only its fraction; the rest waits for it to
        recover (dispatched then, never with no recovery) or, when its orders are lost, is
        cancelled. Nothing leaves on a closed lane until it reopens; goods on the way when a
        lane is disrupted arrive when it reopens, or its extra days later."""
        env, fx = self.env, self.fx
        failure = fx.failure(s, dispatch) if fx.failures else None
        if failure is not None:
            ships = float(np.floor(quantity * failure.fraction + 1e-9))
            held = quantity - ships
            if failure.lost:
                cancel_day = max(placed, min(dispatch, self.horizon - 1))
                if cancel_day < self.horizon:
                    env.process(self._cancel_process(po, s, c, held, cancel_day, quoted))
            elif failure.end is not None:
                env.process(self._ship(po, s, c, m, held, price, failure.end, late, placed, quoted))
            quantity = ships
            if quantity <= 0:
                return
        lane = fx.lane(m, dispatch) if fx.lanes else None
        if lane is not None and lane.closed:
            if lane.end is not None:
                yield from self._ship(po, s, c, m, quantity, price, lane.end, late, placed, quoted)
            return
        if dispatch >= self.horizon:
            return
        mode = self.config.transport_modes[self.modes[m]]
        transit = draw_days(mode.lead_time_days, self.streams.exogenous(f"transit/{self.modes[m]}"))
        arrival = dispatch + max(1, transit + (lane.extra_days if lane is not None else 0))
        yield env.timeout(at(dispatch, Phase.EXECUTE) - env.now)
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
        if arrival >= self.horizon:
            return
        yield env.timeout(at(arrival, Phase.RECEIVE) - env.now)
        held_by = {id(lane)} if lane is not None else set()
        while fx.lanes:
            # Disrupted while on the way: held once by each disruption it meets.
            now = fx.lane(m, arrival)
            if now is None or id(now) in held_by:
                break
            held_by.add(id(now))
            later = now.end if now.closed else arrival + now.extra_days
            self._move_arrival(c, quantity, arrival, later)
            if later is None or later >= self.horizon:
                return
            yield env.timeout(at(later, Phase.RECEIVE) - env.now)
            arrival = later
        self.comp_in_transit[c] -= quantity
        self.arrivals_due[arrival][c] -= quantity
        if np.abs(self.arrivals_due[arrival]).max() < _TOL:
            del self.arrivals_due[arrival]
        self.comp_on_order[c] -= quantity
        self._settle_quote(s, c, quantity, quoted)
        self._received_today[s] += quantity
        self._late_today[s] += quantity * max(0, arrival - quoted)
        self.plant.stock[c] += quantity
        post(
            arrival,
            Account.INVENTORY_COMPONENTS,
            Account.INVENTORY_IN_TRANSIT,
            quantity * std,
            "components received",
        )
        record(rec.ShipmentReceived(arrival, po, s, c, quantity, m, dispatch))

    def _move_arrival(self, c: int, quantity: float, old: int, new: int | None) -> None:
        """Goods due on ``old`` now arrive on ``new`` (``None``: not while the run lasts)."""
        self.arrivals_due[old][c] -= quantity
        if np.abs(self.arrivals_due[old]).max() < _TOL:
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
        if np.abs(bucket).max() < _TOL:
            del self.quoted_due[quoted]

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
        for fee, due in self._reservation_bills.pop(day, ()):
            # Billed before today's payments are made: a supplier paid on receipt of its bill
            # is paid today.
            post(day, Account.CAPACITY_RESERVATION, Account.PAYABLES, fee, "capacity reserved")
            self.payable_due[due] += fee
        paid = self.payable_due.pop(day, 0.0)
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
        d["component_in_transit"][day] = self.comp_in_transit
        d["component_on_order"][day] = self.comp_on_order
        d["line_regular_used"][day] = plant.used_today
        d["line_overtime_used"][day] = plant.overtime_today
        d["line_capacity"][day] = plant.capacity
        d["line_overtime_capacity"][day] = plant.overtime_capacity
        d["component_short"][day] = plant.short_today
        plant.short_today[:] = 0.0
        d["supplier_received"][day] = self._received_today
        d["supplier_late_unit_days"][day] = self._late_today
        self._received_today[:] = 0.0
        self._late_today[:] = 0.0
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
                float(self.comp_in_transit @ self.component_standard_cost),
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
