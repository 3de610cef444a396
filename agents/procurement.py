"""Procurement: buys components weekly by its own objective; brings supplier risks and lead times.

Procurement sees its components — on hand, on order, due, overdue at each supplier — and its
suppliers' deliveries at once; everything else is other functions' data. Without an agreed
plan it buys to the official forecast exploded through the bill of materials (or, by its
knobs, to its own forecast of what production consumed); with one, to the plan's component
needs to the degree of its adherence.

For each component, every week, it scores candidate orders on its objective: which supplier
(or two, split), which transport mode, how many weeks of need to cover beyond the lead time,
and whether to round up to a volume price break. For each candidate it estimates, per unit
bought, the purchase price variance, the freight, the cost of holding the lot and what is in
transit, and the units at risk of arriving too late — from each supplier's quoted lead time,
its capacity, and Procurement's belief of its lateness. Paid on purchase price, only the price
(and a little of the risk) counts: it buys the cheap far source in the lots that earn the
discount. Paid on operating profit, holding, freight and the margin at risk count too.

It also scores rushing what would run out before a regular order can arrive (air freight, or
a near supplier) against what the shortage would cost it; Finance releases rushes within the
expediting budget. With adaptation on, its belief of each supplier's lateness follows the
surprises it has had (:class:`agents.learning.RecencyWeighted`): late deliveries and units
overdue make a supplier look riskier, so a failing supplier loses its orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import mesa
import numpy as np

from agents.base import FunctionAgent, View
from agents.config import ProcurementAgent
from agents.forecasting.demand import make_demand_forecaster
from agents.learning import RecencyWeighted
from agents.messages import (
    ComponentSupply,
    Decided,
    ExceptionRaised,
    ForApproval,
    ForecastReport,
    MaterialProposal,
    MeetingCalled,
    PlanIssued,
    Review,
)
from agents.objective import objective_for
from sim.calendar import DAYS_PER_WEEK, DAYS_PER_YEAR
from sim.config import Supplier, TransportMode
from sim.messages import DemandForecast, PurchaseOrder
from sim.world import Topology

__all__ = ["Procurement"]

COVER_WEEKS = np.array([1, 2, 3, 4, 6, 8])  # candidate lots: weeks of need beyond the lead time
SPLITS = (0.5, 0.7)  # candidate dual-sourcing shares of the first supplier
RECORD_DAYS = 28
NEED_DAYS = 180  # how far ahead need is projected


@dataclass(frozen=True)
class Source:
    """One way to get a component: a supplier and a transport mode."""

    supplier: int
    name: str
    mode: str
    lead_days: float  # quoted: the supplier's mean lead time plus the mode's mean transit
    transit_days: float
    freight: float  # per unit
    prices: tuple[tuple[float, float], ...]  # (min quantity, price), ascending
    capacity_per_week: float | None

    def price(self, quantity: float) -> float:
        price = self.prices[0][1]
        for minimum, tier in self.prices:
            if quantity >= minimum:
                price = tier
        return price

    def next_break(self, quantity: float) -> float:
        """The smallest price-break quantity above ``quantity`` (or ``quantity`` itself)."""
        above = [m for m, _ in self.prices if m > quantity]
        return min(above) if above else quantity


@dataclass(frozen=True)
class _Legs:
    """Every component's sourcing plans [component, plan] of two legs each, with each leg's
    source (``index``, the second leg repeating the first when the plan has one source), its
    share of the order and its source's fixed terms; ``minimum`` and ``tier_price`` hold the
    price breaks [component, plan, 2, tiers]. Components have different numbers of plans and
    breaks: the shorter are padded, with plans that are not ``real`` and breaks never reached."""

    index: np.ndarray
    shares: np.ndarray
    lead: np.ndarray
    transit: np.ndarray
    freight: np.ndarray
    supplier: np.ndarray
    minimum: np.ndarray
    tier_price: np.ndarray
    real: np.ndarray


class Procurement(FunctionAgent):
    """The buying side of the company (see the module docstring)."""

    role = "procurement"
    OWN = frozenset(
        {
            "component_on_hand",
            "component_on_order",
            "component_requirements_queued",
            "component_arrivals",
            "supplier_on_order",
            "supplier_overdue",
            "supplier_days_overdue",
            "supplier_shipping",
            "consumption_history",
            "supplier_received",
            "supplier_late_unit_days",
        }
    )

    def __init__(
        self,
        model: mesa.Model,
        knobs: ProcurementAgent,
        topology: Topology,
        suppliers: dict[str, Supplier],
        modes: dict[str, TransportMode],
        capital_rate_per_year: float,
        storage_rate_per_year: float,
        adaptation: bool,
    ) -> None:
        super().__init__(
            model, objective_for("procurement", knobs.incentive, knobs.pay), knobs.plan_adherence
        )
        self.knobs = knobs
        self.adaptation = adaptation
        self.products, self.components = topology.products, topology.components
        self.suppliers = topology.suppliers
        self.bom = np.asarray(topology.bom, dtype=float)
        self.standard_cost = np.asarray(topology.component_standard_cost, dtype=float)
        price = np.asarray(topology.price, dtype=float)
        margin = price - np.asarray(topology.product_standard_cost, dtype=float)
        # Margin one unit of a component makes possible (averaged over the products using it).
        self.unit_margin = np.array(
            [
                float(np.mean(margin[self.bom[:, c] > 0] / self.bom[self.bom[:, c] > 0, c]))
                if (self.bom[:, c] > 0).any()
                else 0.0
                for c in range(len(self.components))
            ]
        )
        self.capital_rate, self.storage_rate = capital_rate_per_year, storage_rate_per_year
        self.sources: list[list[Source]] = [
            self._sources_of(component, suppliers, modes) for component in self.components
        ]
        self.forecaster = make_demand_forecaster(knobs.forecaster, len(self.components))
        quoted = [(1 - sup.reliability) * sup.late_by_days.mean for sup in suppliers.values()]
        self.lateness = RecencyWeighted(np.array(quoted), knobs.learning.weight)
        self.official: ForecastReport | None = None
        self.plan = None
        self.signed: list = []  # supplier contracts signed for the meeting
        self.reserved: dict[tuple[int, int], float] = {}  # (supplier, component) this week
        self._legs_all: _Legs | None = None
        self.main: list[int] = [
            min(range(len(src)), key=lambda i: (src[i].price(0), src[i].lead_days))
            for src in self.sources
        ]  # index of the source last bought from, per component
        self.last_choice: list[dict] = [{} for _ in self.components]
        # The latest a supplier's quote allows: its lateness at worst, plus the transit spread.
        self.reported = np.zeros(len(self.suppliers), dtype=bool)  # failures already raised
        self.rushed_for: object | None = None  # the plan whose rushes were placed
        self.worst_late = np.array(
            [
                sup.late_by_days.high
                + max(
                    modes[m].lead_time_days.high - modes[m].lead_time_days.mean for m in sup.modes
                )
                for sup in suppliers.values()
            ]
        )

    @staticmethod
    def _sources_of(
        component: str, suppliers: dict[str, Supplier], modes: dict[str, TransportMode]
    ) -> list[Source]:
        out = []
        for s, (name, sup) in enumerate(suppliers.items()):
            terms = sup.components.get(component)
            if terms is None:
                continue
            breaks = sorted((b.min_quantity, b.price) for b in terms.price_breaks)
            prices = ((0.0, terms.price), *breaks)
            for mode in sup.modes:
                transit = max(1.0, modes[mode].lead_time_days.mean)
                out.append(
                    Source(
                        s,
                        name,
                        mode,
                        sup.lead_time_days.mean + transit,
                        transit,
                        modes[mode].cost_per_unit,
                        prices,
                        terms.capacity_per_week,
                    )
                )
        return out

    # ------------------------------------------------------------------ what it needs

    def need(self, view: View) -> np.ndarray:
        """Component need per day from tomorrow [C, NEED_DAYS], as Procurement plans it."""
        own = self.forecaster.ahead(view.day, NEED_DAYS)
        if self.knobs.plans_to == "official" and self.official is not None:
            silo = self.bom.T @ self.official.from_day(view.day, NEED_DAYS)
        else:
            silo = own
        planned = self.plan.need_from(view.day, NEED_DAYS) if self.plan is not None else None
        if planned is None:
            return silo
        return self.adherence * planned + (1 - self.adherence) * silo

    def product_forecast(self, view: View) -> np.ndarray | None:
        """The product forecast it buys to (per day over the next weeks), if it uses one."""
        silo = None
        if self.knobs.plans_to == "official" and self.official is not None:
            silo = self.official.from_day(view.day, RECORD_DAYS).mean(axis=1)
        consensus = self.plan.demand_from(view.day, RECORD_DAYS) if self.plan is not None else None
        if consensus is None:
            return silo
        agreed = consensus.mean(axis=1)
        return agreed if silo is None else self.adherence * agreed + (1 - self.adherence) * silo

    # ------------------------------------------------------------------ deciding

    def observe(self, view: View) -> None:
        consumed = view.history("consumption_history")
        first = self.forecaster.last_day + 1
        if first < len(consumed):
            self.forecaster.observe(first, consumed[first:])

    def decide(self, view: View, inbox: Iterable[object]) -> list[object]:
        self.observe(view)
        out: list[object] = []
        for message in inbox:
            match message:
                case ForecastReport():
                    self.official = message
                case PlanIssued():
                    self.plan = message.plan
                    # The supplier contracts the meeting agreed: Procurement signs them.
                    out += [r for r in message.plan.reservations if r not in self.signed]
                    self.signed += message.plan.reservations
                case MeetingCalled():
                    out.append(self._proposal(view))
                case Review():
                    if self.adaptation:
                        self._learn(view)
                    out += self._exceptions(view)
                    out += self._week(view)
        return out

    def _learn(self, view: View) -> None:
        """The week's deliveries: how late, per unit, each supplier's were."""
        received = view.records("supplier_received")[-DAYS_PER_WEEK:].sum(axis=0)
        late = view.records("supplier_late_unit_days")[-DAYS_PER_WEEK:].sum(axis=0)
        self.lateness.learn(late / np.maximum(received, 1e-9), received > 0)

    def _watch_overdue(self, view: View) -> None:
        """Note since when each supplier has had units overdue (what is stuck is seen at once,
        learning or not: it is Procurement's own order book)."""
        stuck = np.asarray(view.state("supplier_overdue"), dtype=float).sum(axis=1) >= 1
        self.overdue_since = np.where(stuck, np.minimum(self.overdue_since, view.day), np.inf)

    def _week(self, view: View) -> list[object]:
        # Capacity reserved at suppliers for this week counts as theirs.
        self.reserved = {}
        for r in view.obs.reservations:
            if r.start_day <= view.day < r.end_day:
                key = (r.supplier, r.component)
                self.reserved[key] = self.reserved.get(key, 0.0) + r.extra_per_week
        need = self.need(view)
        on_hand = np.asarray(view.state("component_on_hand"), dtype=float)
        position = (
            on_hand
            + np.asarray(view.state("component_on_order"), dtype=float)
            - np.asarray(view.state("component_requirements_queued"), dtype=float)
        )
        if self.seat is not None:  # the person orders; rushes are the meeting's only
            orders, rushes, decided = self._seated_orders(), [], []
        else:
            orders, rushes, decided = self._own_orders(view, need, position, on_hand)
        out: list[object] = [ForApproval(self.role, tuple(orders)), *decided]
        rushes += self._agreed_rushes()
        if rushes:
            out.append(ForApproval(self.role, tuple(rushes), rush=True))
        forecast = self.product_forecast(view)
        if forecast is not None:
            for p, name in enumerate(self.products):
                out.append(DemandForecast(self.role, name, float(forecast[p]), RECORD_DAYS))
        return out

    def _own_orders(self, view: View, need, position, on_hand) -> tuple[list, list, list]:
        """The week's orders and rushes by Procurement's own objective, and what it chose."""
        cumulative = np.cumsum(need, axis=1)
        cover = self.finished_cover(view)
        lateness = self.expected_lateness(view)
        rates = [max(float(x) / RECORD_DAYS, 1e-9) for x in cumulative[:, RECORD_DAYS - 1]]
        every = np.arange(len(self.components))
        choices = self.choose_each(every, cumulative, position, np.array(rates), lateness, cover)
        orders, rushes, decided = [], [], []
        for c, component in enumerate(self.components):
            rate, chosen = rates[c], choices[c]
            if chosen is not None:
                self.last_choice[c] = chosen
                for source, quantity in self._agreed_split(c, chosen["orders"]):
                    orders.append(PurchaseOrder(component, quantity, source.name, source.mode))
                decided.append(Decided(self.role, "cover_weeks", component, chosen["weeks"]))
                decided.append(Decided(self.role, "lot", component, chosen["bought"]))
            rush = self._rush(view, c, need[c], on_hand[c], rate)
            if rush is not None:
                rushes.append(rush)
        return orders, rushes, decided

    def _seated_orders(self) -> list[PurchaseOrder]:
        """The person's weekly orders, in whole units."""
        return [
            PurchaseOrder(component, float(np.ceil(line.units - 1e-9)), line.supplier, line.mode)
            for component, line in self.seat.orders.items()
            if line.units >= 1
        ]

    def _agreed_split(self, c: int, orders: list) -> list:
        """Orders for component ``c`` with the share the plan moved to an alternate supplier
        (by its adherence): the meeting decided it, Procurement places it."""
        agreed = self.plan.alternate.get(self.components[c]) if self.plan is not None else None
        if not agreed:
            return orders
        supplier, share = agreed
        share *= self.adherence
        total = sum(q for _, q in orders)
        options = [s for s in self.sources[c] if s.name == supplier]
        if not options or total < 1 or share <= 0:
            return orders
        to = min(options, key=lambda s: (s.freight, s.lead_days))
        kept = [(src, float(np.floor(q * (1 - share)))) for src, q in orders]
        return [o for o in kept if o[1] >= 1] + [(to, float(np.ceil(total * share)))]

    def _agreed_rushes(self) -> list[PurchaseOrder]:
        """The rushes the meeting approved, placed once per plan (by its adherence)."""
        if self.plan is None or self.rushed_for is self.plan:
            return []
        self.rushed_for = self.plan
        return [
            PurchaseOrder(
                r.component, float(np.ceil(r.quantity * self.adherence)), r.supplier, r.mode
            )
            for r in self.plan.rushes
            if r.quantity * self.adherence >= 1
        ]

    def finished_cover(self, view: View) -> np.ndarray:
        """Days the finished goods on hand would sell for, per component (weighted by the
        products that use it): how long production could stop before a late component cost
        a sale. Finished goods are Operations' data: Procurement sees them as reported."""
        stock = np.asarray(view.state("finished_on_hand"), dtype=float)
        demand = np.asarray(view.history("demand_history"), dtype=float)[-28:]
        rate = demand.mean(axis=0) if len(demand) else np.zeros(len(self.products))
        units = self.bom.T @ stock
        need = self.bom.T @ rate
        return np.where(need > 0, units / np.maximum(need, 1e-9), 0.0)

    def expected_lateness(self, view: View) -> np.ndarray:
        """Days late Procurement expects per unit from each supplier: what it has learned —
        and, when an order is overdue by more than the supplier ever quoted it could be late (a
        failure, not a late ship), at least as long as that order has been overdue. What is
        stuck is seen at once, learning or not: it is Procurement's own order book."""
        days = np.asarray(view.state("supplier_days_overdue"), dtype=float)
        stopped = ~np.asarray(view.state("supplier_shipping"), dtype=bool)
        # A supplier that has stopped is expected at least as late as its worst quote, and more.
        days = np.where(stopped, np.maximum(days, 2 * self.worst_late), days)
        failing = (days > self.worst_late) | stopped
        return np.where(failing, np.maximum(self.lateness.value, days), self.lateness.value)

    def _exceptions(self, view: View) -> list[object]:
        """A supplier that has just failed is an exception for the planning process."""
        failing = self.failing(view)
        days = np.asarray(view.state("supplier_days_overdue"), dtype=float)
        stopped = ~np.asarray(view.state("supplier_shipping"), dtype=bool)
        out: list[object] = [
            ExceptionRaised(
                self.role,
                f"{self.suppliers[s]} has stopped shipping"
                if stopped[s]
                else f"{self.suppliers[s]} has had an order overdue for {days[s]:.0f} days, "
                f"more than the {self.worst_late[s]:.0f} its quote allows",
            )
            for s in np.flatnonzero(failing & ~self.reported)
        ]
        self.reported = failing
        return out

    def _plans(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        """Sourcing plans for component ``c``: each source alone, and every pair of suppliers
        (each by its cheapest mode) split at the candidate shares. Returns the source of each
        leg [plans, 2] (-1: no second leg) and its share [plans, 2]."""
        sources = self.sources[c]
        cheapest: dict[int, int] = {}
        for i, src in enumerate(sources):
            best = cheapest.get(src.supplier)
            if best is None or (src.freight, src.lead_days) < (
                sources[best].freight,
                sources[best].lead_days,
            ):
                cheapest[src.supplier] = i
        regular = sorted(cheapest.values(), key=lambda i: sources[i].price(0))
        legs = [(i, -1, 1.0, 0.0) for i in range(len(sources))]
        for a in range(len(regular)):
            for b in range(a + 1, len(regular)):
                for share in SPLITS:
                    legs.append((regular[a], regular[b], share, 1 - share))
                    if share != 0.5:
                        legs.append((regular[b], regular[a], share, 1 - share))
        table = np.array(legs)
        return table[:, :2].astype(int), table[:, 2:]

    def _legs(self) -> _Legs:
        """The sourcing plans of every component and their sources' fixed terms, leg by leg
        (the sources never change during a run: worked out on first use)."""
        if self._legs_all is not None:
            return self._legs_all
        C = len(self.components)
        plans = [self._plans(c) for c in range(C)]
        P = max(len(legs) for legs, _ in plans)
        tiers = max(len(s.prices) for sources in self.sources for s in sources)
        index, shares = np.zeros((C, P, 2), dtype=int), np.zeros((C, P, 2))
        real = np.zeros((C, P), dtype=bool)
        lead, transit, freight = np.zeros((C, P, 2)), np.zeros((C, P, 2)), np.zeros((C, P, 2))
        supplier = np.zeros((C, P, 2), dtype=int)
        minimum, tier_price = np.full((C, P, 2, tiers), np.inf), np.zeros((C, P, 2, tiers))
        for c, (legs, split) in enumerate(plans):
            n, sources = len(legs), self.sources[c]
            pick = np.stack([legs[:, 0], np.where(legs[:, 1] >= 0, legs[:, 1], legs[:, 0])], 1)
            index[c, :n], shares[c, :n], real[c, :n] = pick, split, True
            lead[c, :n] = np.array([s.lead_days for s in sources])[pick]
            transit[c, :n] = np.array([s.transit_days for s in sources])[pick]
            freight[c, :n] = np.array([s.freight for s in sources])[pick]
            supplier[c, :n] = np.array([s.supplier for s in sources])[pick]
            for i, src in enumerate(sources):
                at = pick == i  # [n, 2]: the legs bought from source i
                for t, (m, price) in enumerate(src.prices):
                    minimum[c, :n, :, t][at], tier_price[c, :n, :, t][at] = m, price
        found = self._legs_all = _Legs(
            index, shares, lead, transit, freight, supplier, minimum, tier_price, real
        )
        for array in vars(found).values():
            array.setflags(write=False)  # shared by every call: nobody may change them
        return found

    def candidates(
        self,
        cs: np.ndarray,
        cumulative: np.ndarray,
        position: np.ndarray,
        rate: np.ndarray,
        lateness: np.ndarray,
        cover: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """Every candidate order for each component of ``cs`` — sourcing plan × weeks covered
        × rounded up to a price break or not — with its terms per unit bought, as arrays
        [component, plan, weeks, rounding] (``quantities``: per leg, one more axis), all
        components worked out at once. ``cumulative`` [component, day] (its cumulative need),
        ``position``, ``rate`` and ``cover`` have one row or number per entry of ``cs``, in
        its order."""
        legs = self._legs()
        index, shares, real = legs.index[cs], legs.shares[cs], legs.real[cs]
        lead, transit, freight = legs.lead[cs], legs.transit[cs], legs.freight[cs]
        supplier, minimum, tier_price = legs.supplier[cs], legs.minimum[cs], legs.tier_price[cs]
        N = len(cs)
        each = (N, 1, 1, 1)  # one number per component, against [component, plan, weeks, rounding]
        room = np.full((N, max(len(s) for s in self.sources)), np.inf)
        for i, c in enumerate(cs):
            for j, s in enumerate(self.sources[c]):
                room[i, j] = (s.capacity_per_week or np.inf) + self.reserved.get(
                    (s.supplier, c), 0.0
                )
        capacity = room[np.arange(N)[:, None, None], index]  # [N, P, 2]

        plan_lead = (shares * lead).sum(axis=-1)  # [N, P]
        buffer = self.knobs.safety_days
        days = np.minimum(
            cumulative.shape[-1],
            np.ceil(plan_lead[..., None] + DAYS_PER_WEEK * COVER_WEEKS + buffer),
        ).astype(int)  # [N, P, K]
        total = cumulative[np.arange(N)[:, None, None], days - 1] - position[:, None, None]
        q = total[..., None, None] * shares[:, :, None, None, :]  # [N, P, K, R, 2]
        q = np.repeat(q, 2, axis=-2)
        # Rounded candidates buy up to the smallest price break above what is needed.
        breaks = minimum[:, :, None, None]  # [N, P, 1, 1, 2, T]
        above = np.where(breaks > q[..., None], breaks, np.inf)
        next_break = above.min(axis=-1)
        rounded = np.where(np.isfinite(next_break), next_break, q)
        q[..., 1, :] = rounded[..., 1, :]
        q = np.where(shares[:, :, None, None, :] > 0, np.ceil(np.maximum(q, 0.0) - 1e-9), 0.0)
        tier = (breaks <= q[..., None]).sum(axis=-1) - 1  # [N, P, K, R, 2]
        price = np.take_along_axis(
            tier_price[:, :, None, None], np.maximum(tier, 0)[..., None], axis=-1
        )[..., 0]
        bought = np.maximum(q.sum(axis=-1), 1e-9)
        std = self.standard_cost[cs].reshape(each)
        rate = rate.reshape(each)
        hold = (self.capital_rate + self.storage_rate) / DAYS_PER_YEAR
        ppv = ((price - std[..., None]) * q).sum(axis=-1)
        paid_freight = (freight[:, :, None, None, :] * q).sum(axis=-1)
        # A lot is used up over bought/rate days: each unit waits half of that on hand, and
        # the whole lot waits its transit at the capital charge.
        inventory = bought * std * hold * bought / (2 * rate) + std * (
            self.capital_rate / DAYS_PER_YEAR
        ) * (transit[:, :, None, None, :] * q).sum(axis=-1)
        waiting = np.maximum(0.0, q / capacity[:, :, None, None, :] - 1) * DAYS_PER_WEEK / 2
        late = lateness[supplier][:, :, None, None, :] + waiting
        # Sales are lost if a delivery comes later than the buffer of components and the
        # finished goods already made (``cover`` days) can bridge; lateness taken as
        # exponential with the expected days late. Units lost per unit bought.
        bridge = (buffer + cover).reshape(*each, 1)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            short = np.where(late > 0, rate[..., None] * late * np.exp(-bridge / late), 0.0)
        risk = (short * q).sum(axis=-1) / bought**2
        valid = np.broadcast_to(((total >= 1) & real[..., None])[..., None], bought.shape)
        return {
            "valid": valid,
            "quantities": q,
            "legs": index,
            "bought": bought,
            "purchase_price_variance": -ppv / bought,
            "freight": -paid_freight / bought,
            "component_inventory": -inventory / bought,
            "supply_risk": -risk,
            "operating_profit": -(ppv + paid_freight + inventory) / bought
            - risk * self.unit_margin[cs].reshape(each),
        }

    def choose_each(
        self,
        cs: np.ndarray,
        cumulative: np.ndarray,
        position: np.ndarray,
        rate: np.ndarray,
        lateness: np.ndarray,
        cover: np.ndarray,
    ) -> list[dict | None]:
        """The best candidate order for each component of ``cs`` on Procurement's objective,
        per unit bought (None when the position already covers a week beyond the lead time):
        see :meth:`candidates` for the arguments."""
        terms = self.candidates(cs, cumulative, position, rate, lateness, cover)
        valid = terms["valid"]
        score = np.where(valid, np.asarray(self.objective.score(terms)), -np.inf)
        out: list[dict | None] = []
        for i, c in enumerate(cs):
            if not valid[i, :, 0, :].any():
                out.append(None)
                continue
            p, k, r = np.unravel_index(int(np.argmax(score[i])), score[i].shape)
            sources, bought = self.sources[c], terms["quantities"][i, p, k, r]
            orders = [
                (sources[int(terms["legs"][i, p, leg])], float(bought[leg]))
                for leg in range(2)
                if bought[leg] >= 1
            ]
            out.append(
                {
                    "orders": orders,
                    "bought": float(terms["bought"][i, p, k, r]),
                    "weeks": int(COVER_WEEKS[k]),
                    "rounded": bool(r),
                }
            )
        return out

    def choose(
        self,
        c: int,
        cumulative: np.ndarray,
        position: float,
        rate: float,
        lateness: np.ndarray,
        cover: float = 0.0,
    ) -> dict | None:
        """The best candidate order for component ``c`` alone (see :meth:`choose_each`)."""

        def one(x: float) -> np.ndarray:
            return np.array([x], dtype=float)

        return self.choose_each(
            np.array([c]),
            np.asarray(cumulative)[None],
            one(position),
            one(rate),
            lateness,
            one(cover),
        )[0]

    def _rush(
        self,
        view: View,
        c: int,
        need: np.ndarray,
        on_hand: float,
        rate: float,
    ) -> PurchaseOrder | None:
        """A rush order for what would run out after a rush could land and before a regular
        order could, if it pays on Procurement's objective."""
        sources = self.sources[c]
        fast = min(sources, key=lambda s: (s.lead_days, s.freight, s.name))
        regular = sources[self.main[c]] if self.main[c] < len(sources) else fast
        if self.last_choice[c]:
            regular = max((s for s, _ in self.last_choice[c]["orders"]), key=lambda s: s.lead_days)
        if fast.lead_days >= regular.lead_days:
            return None
        # A rush lands after the fast lead time: it cannot save what runs out before, only
        # what would run out between then and the arrival of an order placed the regular way.
        first, last = int(np.ceil(fast.lead_days)), int(np.ceil(regular.lead_days))
        arrivals = np.asarray(view.state("component_arrivals"))[:, c]
        queued = float(np.asarray(view.state("component_requirements_queued"))[c])
        in_transit = float(arrivals.sum())
        not_dispatched = max(0.0, float(view.state("component_on_order")[c]) - in_transit)
        at_landing = on_hand - queued + float(arrivals[:first].sum()) - float(need[:first].sum())
        later = float(arrivals[first:last].sum()) + not_dispatched
        short = float(need[first:last].sum()) - max(at_landing, 0.0) - later
        if short < max(1.0, rate):
            return None
        quantity = float(np.ceil(short))
        premium = fast.price(quantity) - regular.price(quantity)
        terms = {
            "purchase_price_variance": -(fast.price(quantity) - self.standard_cost[c]) * quantity,
            "freight": -fast.freight * quantity,
            "supply_risk": quantity,  # units no longer at risk
            "operating_profit": quantity * (self.unit_margin[c] - fast.freight - premium),
        }
        if float(self.objective.score(terms)) <= 0:
            return None
        return PurchaseOrder(self.components[c], quantity, fast.name, fast.mode)

    # ------------------------------------------------------------------ the meeting

    def _proposal(self, view: View) -> MaterialProposal:
        on_hand = np.asarray(view.state("component_on_hand"), dtype=float)
        available = (
            on_hand
            + np.asarray(view.state("component_on_order"), dtype=float)
            - np.asarray(view.state("component_requirements_queued"), dtype=float)
        )
        overdue = np.asarray(view.state("supplier_overdue"), dtype=float)
        failing = self.failing(view)
        stopped = ~np.asarray(view.state("supplier_shipping"), dtype=bool)
        # At a supplier that has stopped, everything on order is stuck; at one that is only
        # failing its quotes, what is overdue.
        on_order = np.asarray(view.state("supplier_on_order"), dtype=float)
        stuck = np.where(stopped[:, None], on_order, np.where(failing[:, None], overdue, 0.0))
        out = []
        for c in range(len(self.components)):
            sources = self.sources[c]
            if self.last_choice[c]:
                main = max(self.last_choice[c]["orders"], key=lambda x: x[1])[0]
            else:
                main = sources[self.main[c]]
            working = [s for s in sources if not failing[s.supplier]] or sources
            fast = min(working, key=lambda s: (s.lead_days, s.freight, s.name))
            others = [s for s in working if s.supplier != main.supplier]
            alternate = (
                min(others, key=lambda s: (self.lateness.value[s.supplier], s.price(0), s.name))
                if others
                else None
            )
            out.append(
                ComponentSupply(
                    main.name,
                    main.lead_days,
                    fast.name,
                    fast.mode,
                    fast.lead_days,
                    fast.freight,
                    fast.price(0) - main.price(0),
                    alternate.name if alternate else None,
                    alternate.price(0) - main.price(0) if alternate else 0.0,
                    main.capacity_per_week,
                    float(available[c]),
                    float(overdue[:, c].sum()),
                    float(stuck[:, c].sum()),
                    float(self.last_choice[c].get("bought", 0.0)),
                )
            )
        return MaterialProposal(self.role, tuple(out), float(self.knobs.safety_days))

    def failing(self, view: View) -> np.ndarray:
        """Suppliers that have said they ship nothing, or have an order overdue by more than
        their quote allows (per supplier)."""
        days = np.asarray(view.state("supplier_days_overdue"), dtype=float)
        return (days > self.worst_late) | ~np.asarray(view.state("supplier_shipping"), dtype=bool)

    def learned(self) -> dict[tuple[str, str], float]:
        return {
            ("expected_days_late", name): float(v)
            for name, v in zip(self.suppliers, self.lateness.value, strict=True)
        }
