"""Scenarios: timed changes to a company's world — its demand, suppliers, lanes, costs and
lines — each a small registered object that knows how it changes the world and how to say so.

A scenario is config (``scenarios:`` of a company, a named file of ``configs/scenarios/``, or
``kind:key=value,...`` on the command line); :class:`Effects` compiles a run's scenarios once,
against the world's names and horizon, into the arrays and windows the world consults while it
runs. Scenarios are exogenous: they draw no random numbers, so a run with a scenario and one
without face the same customers, lead times and failures (common random numbers), and only
what the scenario changes differs. No decision maker is told of a scenario: the functions see
its effects as they happen, in their observations.

Windows are in days or in weeks (week ``w`` starts on day ``7 w``), ``[start, end)``; with no
end a scenario lasts to the end of the run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from sim.schema import (
    MAX_DAY,
    MAX_DAYS,
    Day,
    Days,
    Money,
    Name,
    PositiveUnits,
    Strict,
)
from sim.source import Located, Location, SourceError, SourceProblem, load_yaml, parse_scalar

if TYPE_CHECKING:
    import numpy as np

# numpy is imported where the effects are compiled, not here: reading and checking a config
# (``oneplan validate``) needs none of it.

__all__ = [
    "SCENARIO_KINDS",
    "Effects",
    "Failure",
    "LaneDisruption",
    "NewLineSpec",
    "ScenarioEvent",
    "add_scenarios",
    "parse_scenario",
    "scenario_problems",
]

DAYS_PER_WEEK = 7
Week = Annotated[int, Field(ge=0, le=MAX_DAY // DAYS_PER_WEEK)]
Percent = Annotated[float, Field(ge=-100, le=1000)]
Products = Annotated[tuple[Name, ...], Field(strict=False, min_length=1)]


@dataclass(frozen=True)
class ScenarioEvent:
    """Something a scenario makes happen on ``day``: a failure starts, a new line ramps."""

    day: int
    subject: str
    detail: str


class Window(Strict):
    """When a scenario is in force: from ``start_day`` (or week ``start_week``; default the
    run's first day) to before ``end_day`` (or week ``end_week``; default the run's end)."""

    start_day: Day | None = None
    start_week: Week | None = None
    end_day: Day | None = None
    end_week: Week | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Window:
        if self.start_day is not None and self.start_week is not None:
            raise ValueError("give start_day or start_week, not both")
        if self.end_day is not None and self.end_week is not None:
            raise ValueError("give end_day or end_week, not both")
        if self.end is not None and self.end <= self.start:
            raise ValueError(
                f"the window must end after it starts (it starts on day {self.start} and "
                f"ends before day {self.end})"
            )
        return self

    @property
    def start(self) -> int:
        if self.start_week is not None:
            return DAYS_PER_WEEK * self.start_week
        return self.start_day or 0

    @property
    def end(self) -> int | None:
        if self.end_week is not None:
            return DAYS_PER_WEEK * self.end_week
        return self.end_day

    def days(self, horizon: int) -> slice:
        end = horizon if self.end is None else min(self.end, horizon)
        return slice(min(self.start, horizon), end)

    def when(self) -> str:
        start = f"week {self.start // 7}" if self.start % 7 == 0 else f"day {self.start}"
        if self.end is None:
            return f"from {start}"
        end = f"week {self.end // 7}" if self.end % 7 == 0 else f"day {self.end}"
        return f"from {start} to {end}"

    def events(self) -> list[ScenarioEvent]:
        """The scenario's own events (its start and end, by default)."""
        out = [ScenarioEvent(self.start, self.subject(), f"{self.describe()}: starts")]
        if self.end is not None:
            out.append(ScenarioEvent(self.end, self.subject(), f"{self.describe()}: ends"))
        return out

    def subject(self) -> str:  # pragma: no cover - every kind names its subject
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - every kind describes itself
        raise NotImplementedError


SCENARIO_KINDS: dict[str, type[Scenario]] = {}


class Scenario(Window):
    """One kind of timed change. A kind names the world's things it refers to in
    ``REFERENCES`` (field -> what it names) and changes the world in :meth:`apply`."""

    kind: str
    REFERENCES: ClassVar[dict[str, str]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.model_fields["kind"].default
        if isinstance(name, str):
            SCENARIO_KINDS[name] = cls

    def apply(self, fx: Effects) -> None:  # pragma: no cover - every kind applies itself
        raise NotImplementedError


def _ramp(window: Window, horizon: int, ramp_weeks: int) -> tuple[slice, np.ndarray]:
    """The days of ``window`` and, per day, how much of the change is in force (rising in
    equal daily steps over ``ramp_weeks`` weeks, else all at once)."""
    import numpy as np

    days = window.days(horizon)
    n = max(0, days.stop - days.start)
    if ramp_weeks <= 0:
        return days, np.ones(n)
    steps = ramp_weeks * DAYS_PER_WEEK
    return days, np.minimum(1.0, np.arange(1, n + 1) / steps)


def _products_text(products: tuple[str, ...] | None, families: tuple[str, ...] | None) -> str:
    if products:
        return ", ".join(products)
    if families:
        return "family " + ", ".join(families)
    return "all products"


# --------------------------------------------------------------------------- demand


class DemandSurge(Scenario):
    """Demand of ``products`` (or of the products of ``families``; default all) rises by
    ``pct`` percent (negative: falls), reached over ``ramp_weeks`` weeks, in the window."""

    kind: Literal["demand_surge"] = "demand_surge"
    pct: Percent
    ramp_weeks: Annotated[int, Field(ge=0, le=520)] = 0
    products: Products | None = None
    families: Products | None = None
    REFERENCES: ClassVar[dict[str, str]] = {"products": "product", "families": "family"}

    def subject(self) -> str:
        return _products_text(self.products, self.families)

    def describe(self) -> str:
        ramp = f", reached over {self.ramp_weeks} weeks" if self.ramp_weeks else ""
        return f"demand {self.pct:+g}% on {self.subject()} {self.when()}{ramp}"

    def apply(self, fx: Effects) -> None:
        days, share = _ramp(self, fx.horizon, self.ramp_weeks)
        cols = fx.product_columns(self.products, self.families)
        fx.demand_mean[days, cols] *= (1.0 + self.pct / 100.0 * share)[:, None]


class MarketDecline(Scenario):
    """The market of ``products`` (or ``families``; default all) falls ``pct_per_year``
    percent a year, compounding daily, from the start; after an end it stays where it fell."""

    kind: Literal["market_decline"] = "market_decline"
    pct_per_year: Annotated[float, Field(gt=0, lt=100)]
    products: Products | None = None
    families: Products | None = None
    REFERENCES: ClassVar[dict[str, str]] = {"products": "product", "families": "family"}

    def subject(self) -> str:
        return _products_text(self.products, self.families)

    def describe(self) -> str:
        return f"market of {self.subject()} falls {self.pct_per_year:g}% a year {self.when()}"

    def apply(self, fx: Effects) -> None:
        import numpy as np

        start = min(self.start, fx.horizon)
        t = np.arange(fx.horizon - start, dtype=float)
        if self.end is not None:
            t = np.minimum(t, max(0, self.end - start))
        factor = (1.0 - self.pct_per_year / 100.0) ** (t / 365.0)
        cols = fx.product_columns(self.products, self.families)
        fx.demand_mean[start:, cols] *= factor[:, None]


class DemandShift(Scenario):
    """``pct`` percent of the demand for ``away_from`` moves to ``toward`` (customers switch
    products), reached over ``ramp_weeks`` weeks, in the window."""

    kind: Literal["demand_shift"] = "demand_shift"
    away_from: Name
    toward: Name
    pct: Annotated[float, Field(gt=0, le=100)]
    ramp_weeks: Annotated[int, Field(ge=0, le=520)] = 0
    REFERENCES: ClassVar[dict[str, str]] = {"away_from": "product", "toward": "product"}

    @model_validator(mode="after")
    def _two_products(self) -> DemandShift:
        if self.away_from == self.toward:
            raise ValueError("demand shifts between two different products")
        return self

    def subject(self) -> str:
        return f"{self.away_from} -> {self.toward}"

    def describe(self) -> str:
        return f"{self.pct:g}% of {self.away_from}'s demand moves to {self.toward} {self.when()}"

    def apply(self, fx: Effects) -> None:
        days, share = _ramp(self, fx.horizon, self.ramp_weeks)
        a, b = fx.product[self.away_from], fx.product[self.toward]
        moved = fx.demand_mean[days, a] * (self.pct / 100.0) * share
        fx.demand_mean[days, a] -= moved
        fx.demand_mean[days, b] += moved


class PromotionScenario(Scenario):
    """A promotion the company runs whatever its functions plan: ``price_discount`` off
    ``product`` in the window (default two weeks), for ``cost`` paid on its first day; the
    market answers with its price elasticity."""

    kind: Literal["promotion"] = "promotion"
    product: Name
    price_discount: Annotated[float, Field(ge=0, lt=1)] = 0.1
    cost: Money = 0.0
    REFERENCES: ClassVar[dict[str, str]] = {"product": "product"}

    def subject(self) -> str:
        return self.product

    def describe(self) -> str:
        return f"{self.price_discount:.0%} off {self.product} {self.when()}"

    def apply(self, fx: Effects) -> None:
        end = self.start + 2 * DAYS_PER_WEEK if self.end is None else self.end
        fx.promotions.append(
            (fx.product[self.product], self.start, end, self.price_discount, self.cost)
        )


# --------------------------------------------------------------------------- suppliers and lanes


@dataclass(frozen=True)
class Failure:
    """A supplier that ships only ``fraction`` of what falls due on days ``[start, end)``;
    the rest waits until it recovers (``lost`` False) or is cancelled."""

    supplier: int
    start: int
    end: int | None
    fraction: float
    lost: bool


class SupplierFailure(Scenario):
    """``supplier`` ships nothing (or only ``capacity_fraction`` of what falls due) in the
    window. What it cannot ship is ``stuck`` — it ships when the supplier recovers (never,
    with no end) — or ``lost``: those orders are cancelled and must be bought again."""

    kind: Literal["supplier_failure"] = "supplier_failure"
    supplier: Name
    capacity_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.0
    in_flight: Literal["stuck", "lost"] = "stuck"
    REFERENCES: ClassVar[dict[str, str]] = {"supplier": "supplier"}

    def subject(self) -> str:
        return self.supplier

    def describe(self) -> str:
        ships = (
            "ships nothing"
            if self.capacity_fraction == 0
            else f"ships {self.capacity_fraction:.0%} of what falls due"
        )
        return f"{self.supplier} {ships} {self.when()} (orders {self.in_flight})"

    def apply(self, fx: Effects) -> None:
        s = fx.supplier[self.supplier]
        fx.failures.append(
            Failure(s, self.start, self.end, self.capacity_fraction, self.in_flight == "lost")
        )


class SupplierCapacity(Scenario):
    """The weekly capacity of ``supplier`` for ``component`` (default: every component it
    sells under a limit) changes by ``pct`` percent, or becomes ``capacity_per_week``, for
    the weeks that start in the window. The supplier books orders against the capacity of the
    week it will make them in."""

    kind: Literal["supplier_capacity"] = "supplier_capacity"
    supplier: Name
    component: Name | None = None
    pct: Percent | None = None
    capacity_per_week: Annotated[float, Field(ge=0, le=1e9)] | None = None
    REFERENCES: ClassVar[dict[str, str]] = {"supplier": "supplier", "component": "component"}

    @model_validator(mode="after")
    def _one_change(self) -> SupplierCapacity:
        if (self.pct is None) == (self.capacity_per_week is None):
            raise ValueError("give pct (a change in percent) or capacity_per_week, one of them")
        return self

    def subject(self) -> str:
        return self.supplier if self.component is None else f"{self.supplier} {self.component}"

    def describe(self) -> str:
        change = (
            f"{self.pct:+g}%"
            if self.pct is not None
            else f"to {self.capacity_per_week:,.0f} a week"
        )
        return f"capacity of {self.subject()} {change} {self.when()}"

    def apply(self, fx: Effects) -> None:
        s = fx.supplier[self.supplier]
        comps = (
            [fx.component[self.component]]
            if self.component is not None
            else [c for c in range(len(fx.components)) if fx.sells(s, c)]
        )
        days = self.days(fx.horizon)
        first = -(-days.start // DAYS_PER_WEEK)
        last = -(-days.stop // DAYS_PER_WEEK)
        for c in comps:
            if self.pct is not None:
                fx.capacity_factor[first:last, s, c] *= 1.0 + self.pct / 100.0
            else:
                fx.capacity_set[first:last, s, c] = self.capacity_per_week


class SupplierLeadTimeShock(Scenario):
    """Orders placed with ``supplier`` in the window take ``extra_days`` longer to make."""

    kind: Literal["supplier_lead_time_shock"] = "supplier_lead_time_shock"
    supplier: Name
    extra_days: Annotated[int, Field(ge=1, le=MAX_DAYS)]
    REFERENCES: ClassVar[dict[str, str]] = {"supplier": "supplier"}

    def subject(self) -> str:
        return self.supplier

    def describe(self) -> str:
        return f"{self.supplier} takes {self.extra_days} days longer {self.when()}"

    def apply(self, fx: Effects) -> None:
        fx.lead_extra[self.days(fx.horizon), fx.supplier[self.supplier]] += self.extra_days


@dataclass(frozen=True)
class LaneDisruption:
    """A transport mode closed (``closed``) or ``extra_days`` slower on days ``[start, end)``."""

    mode: int
    start: int
    end: int | None
    closed: bool
    extra_days: int

    def active(self, day: int) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


class LaneScenario(Scenario):
    """Transport ``mode`` is ``closed`` or ``extra_days`` slower in the window. Goods already
    on the way are held too: what would arrive while the lane is closed arrives when it
    reopens (never, with no end); what would arrive while it is slow arrives ``extra_days``
    later. Nothing is dispatched on a closed lane until it reopens."""

    kind: Literal["lane_disruption"] = "lane_disruption"
    mode: Name
    closed: bool = False
    extra_days: Days = 0
    REFERENCES: ClassVar[dict[str, str]] = {"mode": "transport mode"}

    @model_validator(mode="after")
    def _some_disruption(self) -> LaneScenario:
        if not self.closed and self.extra_days == 0:
            raise ValueError("a lane disruption is closed: true or has extra_days > 0")
        return self

    def subject(self) -> str:
        return self.mode

    def describe(self) -> str:
        what = "closed" if self.closed else f"{self.extra_days} days slower"
        return f"{self.mode} {what} {self.when()}"

    def apply(self, fx: Effects) -> None:
        fx.lanes.append(
            LaneDisruption(fx.mode[self.mode], self.start, self.end, self.closed, self.extra_days)
        )


class CostInflation(Scenario):
    """A cost rises by ``pct`` percent in the window: the price of ``component`` bought (on
    orders placed then), the ``freight`` of goods dispatched, or the ``overtime`` premium of
    units made (energy and labour) — of the ``items`` named (default: all of that cost)."""

    kind: Literal["cost_inflation"] = "cost_inflation"
    cost: Literal["component", "freight", "overtime"]
    pct: Percent
    items: Products | None = None

    def subject(self) -> str:
        return f"{self.cost} ({', '.join(self.items)})" if self.items else self.cost

    def describe(self) -> str:
        return f"{self.subject()} cost {self.pct:+g}% {self.when()}"

    def apply(self, fx: Effects) -> None:
        index, factor = {
            "component": (fx.component, fx.price_factor),
            "freight": (fx.mode, fx.freight_factor),
            "overtime": (fx.line, fx.overtime_factor),
        }[self.cost]
        cols = slice(None) if self.items is None else [index[n] for n in self.items]
        factor[self.days(fx.horizon), cols] *= 1.0 + self.pct / 100.0


# --------------------------------------------------------------------------- plant


@dataclass(frozen=True)
class NewLineSpec:
    """A production line the company builds: decided (capex paid) on ``decided_day``, in
    service ``install_days`` later and ramping to ``capacity_per_day`` over ``ramp_days``."""

    name: str
    products: tuple[str, ...]
    capacity_per_day: float
    overtime_max_fraction: float
    overtime_premium_per_unit: float
    capex: float
    decided_day: int
    install_days: int
    ramp_days: int


class NewLine(Scenario):
    """The company builds ``line``, making ``products``: the ``capex`` is paid on the start
    day, the line is in service ``install_days`` later and ramps up to ``capacity_per_day``
    over ``ramp_days``; it is depreciated like the plant from the day it is in service.

    ``decision: offered`` builds nothing: from the start day the line is on the table as one
    more capacity option (``capacity_options``, with ``install_days`` as its lead time) for
    the executive to weigh — under ``ibp``, which values expansions — so a run shows whether,
    and when, the company would have bought it."""

    kind: Literal["new_line"] = "new_line"
    line: Name
    products: Products
    capacity_per_day: PositiveUnits
    capex: Money = 0.0
    install_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 90
    ramp_days: Days = 0
    overtime_max_fraction: Annotated[float, Field(ge=0, le=10)] = 0.0
    overtime_premium_per_unit: Money = 0.0
    decision: Literal["forced", "offered"] = "forced"
    REFERENCES: ClassVar[dict[str, str]] = {"products": "product"}

    @model_validator(mode="after")
    def _no_end(self) -> NewLine:
        if self.end is not None:
            raise ValueError("a new line has a start (the day it is decided) and no end")
        return self

    def subject(self) -> str:
        return self.line

    def describe(self) -> str:
        decided = "decided" if self.decision == "forced" else "offered to the executive"
        return (
            f"new {self.line} ({self.capacity_per_day:g} a day of {', '.join(self.products)}, "
            f"${self.capex:,.0f}) {decided} {self.when()}"
        )

    def events(self) -> list[ScenarioEvent]:
        if self.decision == "offered":
            detail = f"{self.line} offered to the executive: ${self.capex:,.0f} capex"
            return [ScenarioEvent(self.start, self.line, detail)]
        service = self.start + self.install_days
        out = [
            ScenarioEvent(self.start, self.line, f"{self.line} decided: ${self.capex:,.0f} capex"),
            ScenarioEvent(service, self.line, f"{self.line} in service, ramping up"),
        ]
        if self.ramp_days > 1:
            full = service + self.ramp_days - 1
            out.append(
                ScenarioEvent(full, self.line, f"{self.line} at {self.capacity_per_day:g} a day")
            )
        return out

    def apply(self, fx: Effects) -> None:
        if self.decision == "offered":
            return  # the executive decides (WorldConfig.expansion_options)
        fx.new_lines.append(
            NewLineSpec(
                self.line,
                tuple(self.products),
                self.capacity_per_day,
                self.overtime_max_fraction,
                self.overtime_premium_per_unit,
                self.capex,
                self.start,
                self.install_days,
                self.ramp_days,
            )
        )


class LineBreakdown(Scenario):
    """``line`` keeps only ``capacity_fraction`` of its capacity (default none) in the
    window, overtime included."""

    kind: Literal["line_breakdown"] = "line_breakdown"
    line: Name
    capacity_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.0
    REFERENCES: ClassVar[dict[str, str]] = {"line": "line"}

    def subject(self) -> str:
        return self.line

    def describe(self) -> str:
        keeps = "down" if self.capacity_fraction == 0 else f"at {self.capacity_fraction:.0%}"
        return f"{self.line} {keeps} {self.when()}"

    def apply(self, fx: Effects) -> None:
        fx.line_factor[self.days(fx.horizon), fx.line[self.line]] *= self.capacity_fraction


class LineCapacity(Scenario):
    """``lines`` (default every line) have ``pct`` percent more regular capacity in the
    window (less, if negative), overtime alongside: a plant that could make more, or less,
    without spending on it — a what-if of the plant's size, not a decision."""

    kind: Literal["line_capacity"] = "line_capacity"
    pct: Annotated[float, Field(gt=-100, le=300)]
    lines: Annotated[list[Name], Field(min_length=1)] | None = None
    REFERENCES: ClassVar[dict[str, str]] = {"lines": "line"}

    def subject(self) -> str:
        return ", ".join(self.lines) if self.lines else "all lines"

    def describe(self) -> str:
        return f"{self.subject()} capacity {self.pct:+g}% {self.when()}"

    def apply(self, fx: Effects) -> None:
        lines = [fx.line[n] for n in self.lines] if self.lines else slice(None)
        fx.line_factor[self.days(fx.horizon), lines] *= 1.0 + self.pct / 100.0


ScenarioSpec = Annotated[
    DemandSurge
    | MarketDecline
    | DemandShift
    | PromotionScenario
    | SupplierFailure
    | SupplierCapacity
    | SupplierLeadTimeShock
    | LaneScenario
    | CostInflation
    | NewLine
    | LineBreakdown
    | LineCapacity,
    Field(discriminator="kind"),
]
"""One scenario of a config, chosen by its ``kind``."""


# --------------------------------------------------------------------------- compiled effects


@dataclass
class Effects:
    """What a run's scenarios do to its world, compiled once: per-day factors on demand,
    line capacity and costs; supplier capacity per week; failure and lane windows; new lines.

    With no scenario every factor is 1 and every list empty, and the world runs as if this
    did not exist."""

    horizon: int
    products: tuple[str, ...]
    components: tuple[str, ...]
    suppliers: tuple[str, ...]
    modes: tuple[str, ...]
    lines: tuple[str, ...]  # the config's lines, then the new lines of scenarios
    families: dict[str, tuple[str, ...]]
    sold: np.ndarray  # [supplier, component] bool
    demand_mean: np.ndarray  # [day, product], shaped in place by demand scenarios
    events: list[ScenarioEvent] = field(default_factory=list)
    promotions: list[tuple[int, int, int, float, float]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    lanes: list[LaneDisruption] = field(default_factory=list)
    new_lines: list[NewLineSpec] = field(default_factory=list)

    @classmethod
    def compile(
        cls,
        scenarios: Iterable[Scenario],
        horizon: int,
        names: dict[str, tuple[str, ...]],
        families: dict[str, tuple[str, ...]],
        sold: np.ndarray,
        demand_mean: np.ndarray,
    ) -> Effects:
        scenarios = tuple(scenarios)
        lines = (*names["lines"], *(s.line for s in scenarios if isinstance(s, NewLine)))
        fx = cls(
            horizon,
            names["products"],
            names["components"],
            names["suppliers"],
            names["modes"],
            lines,
            families,
            sold,
            demand_mean,
        )
        for scenario in scenarios:
            scenario.apply(fx)
            fx.events += scenario.events()
        fx.events.sort(key=lambda e: e.day)
        return fx

    def __post_init__(self) -> None:
        import numpy as np

        self.version = 0  # counts the scenarios fired during the run (sim.world.World.fire)
        H = self.horizon
        S, C = len(self.suppliers), len(self.components)
        weeks = -(-H // DAYS_PER_WEEK) + 1
        self.product = {n: i for i, n in enumerate(self.products)}
        self.component = {n: i for i, n in enumerate(self.components)}
        self.supplier = {n: i for i, n in enumerate(self.suppliers)}
        self.mode = {n: i for i, n in enumerate(self.modes)}
        self.line = {n: i for i, n in enumerate(self.lines)}
        self.line_factor = np.ones((H, len(self.lines)))
        self.overtime_factor = np.ones((H, len(self.lines)))
        self.price_factor = np.ones((H, C))
        self.freight_factor = np.ones((H, len(self.modes)))
        self.lead_extra = np.zeros((H, S), dtype=np.int64)
        self.capacity_factor = np.ones((weeks, S, C))
        self.capacity_set = np.full((weeks, S, C), np.nan)

    def sells(self, s: int, c: int) -> bool:
        return bool(self.sold[s, c])

    def product_columns(
        self, products: tuple[str, ...] | None, families: tuple[str, ...] | None
    ) -> list[int] | slice:
        if products:
            return [self.product[n] for n in products]
        if families:
            return [self.product[n] for f in families for n in self.families[f]]
        return slice(None)

    def supplier_capacity(self, s: int, c: int, week: int, base: float) -> float:
        """Supplier ``s``'s capacity of component ``c`` in ``week`` (``base``: inf if none)."""
        week = min(week, self.capacity_factor.shape[0] - 1)
        fixed = self.capacity_set[week, s, c]
        factor = self.capacity_factor[week, s, c]
        if factor == 0.0:
            return 0.0  # cut by 100%: nothing, even of a supplier with no limit
        return float((base if math.isnan(fixed) else fixed) * factor)

    def failure(self, s: int, day: int, skip=()) -> Failure | None:
        """The failure of supplier ``s`` in force on ``day``, if any (the first listed, of
        those whose ``id`` is not in ``skip``)."""
        for f in self.failures:
            in_force = f.start <= day and (f.end is None or day < f.end)
            if f.supplier == s and in_force and id(f) not in skip:
                return f
        return None

    def lane(self, m: int, day: int) -> LaneDisruption | None:
        """The disruption of mode ``m`` in force on ``day``, if any (the first listed)."""
        for lane in self.lanes:
            if lane.mode == m and lane.active(day):
                return lane
        return None

    def day_factor(self, array: np.ndarray, day: int, index: int) -> float:
        return float(array[min(day, self.horizon - 1), index])


# --------------------------------------------------------------------------- checks


def scenario_problems(data: Any) -> list[tuple[tuple, str]]:
    """References of a company config's ``scenarios`` the schema cannot check: the names they
    give exist (a new line's does not), and each window starts within the run."""
    items = data.get("scenarios") if isinstance(data, dict) else None
    if not isinstance(items, list | tuple):
        return []

    def names(*path: str) -> set[str]:
        node: Any = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        return set(node) if isinstance(node, dict) else set()

    known = {
        "product": names("products"),
        "family": names("families") or names("products"),
        "component": names("components"),
        "supplier": names("suppliers"),
        "transport mode": names("transport_modes"),
        "line": names("plant", "lines") | _new_lines(items),
    }
    known_lines, built = names("plant", "lines"), set()
    horizon = data.get("horizon_days", 1095)
    problems: list[tuple[tuple, str]] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        cls = SCENARIO_KINDS.get(item.get("kind"))  # an unknown kind: the schema says so
        if cls is None:
            continue
        for key, what in cls.REFERENCES.items():
            value = item.get(key)
            listed = value if isinstance(value, list | tuple) else [value]
            for j, name in enumerate(listed):
                if isinstance(name, str) and name not in known[what]:
                    path = (
                        ("scenarios", i, key, j)
                        if isinstance(value, list | tuple)
                        else (
                            "scenarios",
                            i,
                            key,
                        )
                    )
                    problems.append((path, _unknown(what, name, known[what])))
        if item.get("kind") == "cost_inflation" and isinstance(item.get("items"), list | tuple):
            what = {"component": "component", "freight": "transport mode", "overtime": "line"}
            kind = what.get(item.get("cost"))
            for j, name in enumerate(item["items"]):
                if kind and isinstance(name, str) and name not in known[kind]:
                    problems.append(
                        (("scenarios", i, "items", j), _unknown(kind, name, known[kind]))
                    )
        line = item.get("line")
        if item.get("kind") == "new_line" and isinstance(line, str):
            if line in known_lines or line in built:
                message = f"the plant already has a line '{line}'; a new line needs a new name"
                problems.append((("scenarios", i, "line"), message))
            built.add(line)
        if isinstance(horizon, int) and not isinstance(horizon, bool):
            for key, scale in (("start_day", 1), ("start_week", DAYS_PER_WEEK)):
                start = item.get(key)
                if (
                    isinstance(start, int)
                    and not isinstance(start, bool)
                    and start * scale >= horizon
                ):
                    last = horizon - 1 if scale == 1 else (horizon - 1) // DAYS_PER_WEEK
                    message = (
                        f"starts after the run ends (horizon_days {horizon}); allowed: "
                        f"{key} 0 to {last}"
                    )
                    problems.append((("scenarios", i, key), message))
    return problems


def _new_lines(items: list) -> set[str]:
    return {
        item["line"]
        for item in items
        if isinstance(item, dict)
        and item.get("kind") == "new_line"
        and isinstance(item.get("line"), str)
    }


def _unknown(what: str, name: str, known: set[str]) -> str:
    allowed = ", ".join(sorted(known)) or "none"
    return f"unknown {what} '{name}'; allowed: {allowed}"


# --------------------------------------------------------------------------- from the command line

SCENARIO_FILE_KEYS = frozenset({"description", "scenarios"})
"""What a named scenario file holds: a description and a list of scenarios, nothing else."""

_SPEC = re.compile(r"^(?P<kind>[A-Za-z][A-Za-z0-9_]*)(?::(?P<params>.*))?$")


def parse_scenario(text: str) -> dict:
    """``demand_surge:pct=20,start_week=6`` -> ``{"kind": "demand_surge", "pct": 20, ...}``.

    Values are YAML scalars or flow lists (``products=[compact,classic]``); commas inside
    brackets belong to the value."""
    where = Location(f"--scenario {text}")
    match = _SPEC.match(text.strip())
    if match is None:
        raise SourceError(
            [SourceProblem(where, "", "expected kind:key=value,... e.g. demand_surge:pct=20")]
        )
    spec: dict = {"kind": match["kind"]}
    params = match["params"] or ""
    for part in _split_top(params):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", key):
            raise SourceError(
                [SourceProblem(where, part.strip(), "expected key=value, e.g. start_week=6")]
            )
        if key in spec:
            raise SourceError([SourceProblem(where, key, "given twice")])
        try:
            spec[key] = parse_scalar(value) if value.strip() else None
        except SourceError as exc:
            raise SourceError([SourceProblem(where, key, exc.problems[0].message)]) from None
    return spec


def _split_top(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current))
    return [p for p in parts if p.strip()]


def library(config_path: Path | str) -> list[Path]:
    """Where named scenarios are looked for: ``scenarios/`` beside the config, and beside
    the folder it sits in (``configs/scenarios/`` for ``configs/baseline.yaml``)."""
    here = Path(config_path).parent
    found = []
    for folder in (here, here / "scenarios", here.parent / "scenarios", Path("configs/scenarios")):
        if folder.is_dir() and folder.resolve() not in [f.resolve() for f in found]:
            found.append(folder)
    return found


def _named(name: str, config_path: Path | str) -> Path | None:
    candidate = Path(name)
    if candidate.suffix in {".yaml", ".yml"}:
        return candidate if candidate.is_file() else None
    for folder in library(config_path):
        path = folder / f"{name}.yaml"
        if path.is_file() and _is_scenario_file(path):
            return path
    return None


def _is_scenario_file(path: Path) -> bool:
    try:
        data = load_yaml(path, str(path)).data
    except SourceError:
        return True  # let the reading report it
    return isinstance(data, dict) and "scenarios" in data and set(data) <= SCENARIO_FILE_KEYS


def named_scenarios(config_path: Path | str) -> dict[str, str]:
    """The named scenarios a config can use: name -> description."""
    out = {}
    for folder in library(config_path):
        for path in sorted(folder.glob("*.yaml")):
            if path.stem not in out and _is_scenario_file(path):
                data = load_yaml(path, str(path)).data
                out[path.stem] = str(data.get("description", "")).strip()
    return out


def add_scenarios(located: Located, specs: Iterable[str], config_path: Path | str) -> list[str]:
    """Append the scenarios ``specs`` name to the config source ``located`` (after its own);
    returns a label per spec. A spec is a named scenario (a file of the scenario library, or
    a path to one) or ``kind:key=value,...``; problems later found in an item point at the
    file line or the command-line spec it came from."""
    labels: list[str] = []
    specs = list(specs)
    if not specs or not isinstance(located.data, dict):
        return labels
    items = located.data.get("scenarios")
    if items is None:
        items = located.data["scenarios"] = []
        located.locations[("scenarios",)] = Location("--scenario")
    if not isinstance(items, list):
        return labels
    for text in specs:
        path = None if ":" in text else _named(text, config_path)
        if path is not None:
            source = load_yaml(path, str(path))
            data = source.data if isinstance(source.data, dict) else {}
            extra = sorted(set(data) - SCENARIO_FILE_KEYS)
            listed = data.get("scenarios")
            if extra or not isinstance(listed, list):
                where = source.locate((extra[0],) if extra else ())
                message = "a scenario file holds a description and a list of scenarios" + (
                    f"; unknown key '{extra[0]}'" if extra else ""
                )
                raise SourceError([SourceProblem(where, extra[0] if extra else "", message)])
            for j, item in enumerate(listed):
                i = len(items)
                items.append(item)
                for key, where in source.locations.items():
                    if key[:2] == ("scenarios", j):
                        located.locations[("scenarios", i, *key[2:])] = where
            labels.append(path.stem)
            continue
        if ":" not in text and text not in SCENARIO_KINDS:
            known = sorted(named_scenarios(config_path))
            message = (
                f"no scenario named '{text}'; named scenarios: {', '.join(known) or 'none'}; "
                f"or give kind:key=value,... with a kind of: {', '.join(sorted(SCENARIO_KINDS))}"
            )
            raise SourceError([SourceProblem(Location(f"--scenario {text}"), "", message)])
        spec = parse_scenario(text)
        i = len(items)
        items.append(spec)
        where = Location(f"--scenario {text}")
        located.locations[("scenarios", i)] = where
        for key in spec:
            located.locations[("scenarios", i, key)] = where
        labels.append(text)
    return labels
