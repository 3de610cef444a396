"""The world's half of the one validation gate: YAML files and ``--set`` overrides become frozen,
typed config, with every problem reported at once.

This module holds the schema of the world (products, components, suppliers, modes, plant,
books; a serial chain's stages and demand) and the machinery every YAML input of
oneplan shares: reading with locations, ``extends:`` and overlays, ``--set`` overrides, and
error messages of the form ``file:line:col: dotted.path: what is wrong and what is allowed``.
It knows nothing of the functions that run a company or of the policies that drive a chain:
those schemas, and the full configs that combine them with the world's, live in
``agents.config``.

A file may ``extends: other.yaml`` (a path relative to itself); its own keys are merged into the
base, mapping by mapping, and a value given as ``null`` removes the base's value; a mapping that
names another kind of thing (:data:`KIND_KEYS`) replaces the base's whole. Named things
(products, components, suppliers, lines, stages...) are mappings keyed by name, so any value has
a dotted path such as ``products.compact.demand.base_per_day``; a number in a path picks a list
item (``scenarios.0.start_day``).

Every number is finite and bounded (:data:`MAX_UNITS`, :data:`MAX_MONEY`, :data:`MAX_DAYS` and
the bounds of each field), so no product of config values can overflow in a run.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.scenarios import ScenarioSpec, scenario_problems
from sim.schema import (
    MAX_CHAIN_DELAY,
    MAX_DAY,
    MAX_DAYS,
    MAX_UNITS,
    MIN_CV,
    NAME_PATTERN,
    Day,
    Days,
    Duration,
    Fraction,
    Money,
    Name,
    PositiveMoney,
    PositiveUnits,
    RatePerYear,
    Seed,
    SignedMoney,
    Strict,
    Units,
)
from sim.source import Located, Location, SourceError, SourceProblem, load_yaml, parse_scalar

__all__ = [
    "ChainStage",
    "ChainWorldConfig",
    "ConfigError",
    "WorldConfig",
    "check_noise",
    "compose",
    "inert_events",
    "is_number",
    "listed_names",
    "load_source",
    "mapping_at",
    "parse_overrides",
    "set_value",
    "unknown_name",
    "validate_model",
    "warmup_problems",
    "world_references",
]


ConfigError = SourceError


# --------------------------------------------------------------------------- distributions


class Constant(Strict):
    distribution: Literal["constant"]
    value: Duration

    @property
    def mean(self) -> float:
        return float(self.value)

    @property
    def high(self) -> float:
        """A value it practically never exceeds."""
        return float(self.value)


class Normal(Strict):
    """Normal(mean, sd), truncated at zero."""

    distribution: Literal["normal"]
    mean: Duration
    sd: Duration

    @property
    def high(self) -> float:
        return float(self.mean + 3 * self.sd)


class Uniform(Strict):
    distribution: Literal["uniform"]
    low: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2


class LogNormal(Strict):
    """Lognormal with the given mean and standard deviation (not those of the log)."""

    distribution: Literal["lognormal"]
    mean: Annotated[float, Field(ge=0.001, le=MAX_DAYS)]  # sd / mean must not overflow
    sd: Duration

    @property
    def high(self) -> float:
        return float(self.mean + 4 * self.sd)


class Gamma(Strict):
    """Gamma with the given mean and standard deviation."""

    distribution: Literal["gamma"]
    mean: Annotated[float, Field(ge=0.001, le=MAX_DAYS)]  # sd / mean must not overflow
    sd: Duration

    @property
    def high(self) -> float:
        return float(self.mean + 4 * self.sd)


Delay = Annotated[
    Constant | Normal | Uniform | LogNormal | Gamma, Field(discriminator="distribution")
]
"""A random number of days: rounded to whole days when drawn. Every kind has a ``mean`` and a
``high`` it practically never exceeds (what a supplier's or carrier's quote can promise)."""


# ------------------------------------------------------------------------------- demand


class Noise(Strict):
    """Day-to-day noise around the demand mean.

    ``normal`` (truncated at 0), ``gamma`` and ``lognormal`` take a coefficient of variation
    ``cv``; ``poisson`` takes none (its variance is its mean); ``negative_binomial`` needs
    ``cv**2 * mean > 1`` to be over-dispersed (checked against the base level; on a day whose
    mean is lower than that, demand is Poisson, the negative binomial's limit); ``none`` gives
    deterministic demand.
    """

    distribution: Literal["none", "normal", "poisson", "gamma", "lognormal", "negative_binomial"]
    cv: Annotated[float, Field(ge=0, le=10)] = 0.0

    @model_validator(mode="after")
    def _spread(self) -> Noise:
        problem = check_noise(self)
        if problem is None and self.distribution in {"none", "poisson"} and self.cv > 0:
            # A cv left over from another distribution would be ignored without a word.
            problem = f"{self.distribution} noise takes no cv; remove it"
        if problem is not None:
            raise ValueError(problem)
        return self


def check_noise(noise: Noise, mean: float | None = None) -> str | None:
    """Why ``noise`` cannot be realised around ``mean`` (None: any mean), or None if it can."""
    spread = {"normal", "gamma", "lognormal", "negative_binomial"}
    if noise.distribution in spread and noise.cv <= 0:
        return f"{noise.distribution} noise needs cv > 0; use distribution: none for no noise"
    if noise.distribution in spread and noise.cv < MIN_CV:
        # A gamma's shape is 1 / cv**2: a vanishing cv makes it infinite.
        return f"{noise.distribution} noise needs cv >= {MIN_CV} (got {noise.cv:g})"
    if (
        noise.distribution == "negative_binomial"
        and mean is not None
        and mean > 0
        and noise.cv**2 * mean <= 1
    ):
        return (
            f"negative_binomial needs cv**2 * mean > 1 (variance above the mean), here "
            f"{noise.cv:g}**2 * {mean:g} = {noise.cv**2 * mean:.3g}; raise cv or use poisson"
        )
    return None


class Seasonality(Strict):
    """Annual cosine seasonality: the mean is multiplied by ``1 + amplitude*cos(2π(d-peak)/365)``."""  # noqa: E501

    amplitude: Annotated[float, Field(ge=0, lt=1)] = 0.0
    peak_day: Annotated[int, Field(ge=0, lt=365)] = 0


class Promotion(Strict):
    """A planned promotion: demand multiplied by ``1 + uplift`` for ``duration_days``."""

    start_day: Day
    duration_days: Annotated[int, Field(ge=1, le=MAX_DAY)]
    uplift: Annotated[float, Field(gt=-1, le=100)]
    cost: Money = 0.0


class Demand(Strict):
    """Customer demand for one product, in units per day (all markets together).

    ``price_elasticity`` is how the market answers a temporary price cut (a promotion a
    function runs): during it demand is multiplied by ``(1 - discount) ** -price_elasticity``
    (3.75 turns 8% off into about +37%; 0: promotions move nothing).
    """

    base_per_day: Units
    trend_per_year: Annotated[float, Field(gt=-1, le=10)] = 0.0
    seasonality: Seasonality = Seasonality()
    noise: Noise = Noise(distribution="none")
    whole_units: bool = True
    promotions: Annotated[tuple[Promotion, ...], Field(strict=False)] = ()
    price_elasticity: Annotated[float, Field(ge=0, le=20)] = 0.0

    @field_validator("noise")
    @classmethod
    def _dispersed(cls, noise: Noise, info: ValidationInfo) -> Noise:
        return _dispersed_at(noise, info.data.get("base_per_day"))


def _dispersed_at(noise: Noise, mean: float | None) -> Noise:
    problem = check_noise(noise, mean)
    if problem is not None:
        raise ValueError(problem)
    return noise


# ------------------------------------------------------------------------------ company


class Market(Strict):
    """A group of customers: its share of every product's demand and how it is served."""

    share: Annotated[float, Field(gt=0, le=1)] = 1.0
    priority: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    patience_days: Days = 7
    lost_sale_penalty_per_unit: Money = 0.0
    payment_terms_days: Days = 30


class Product(Strict):
    """A finished good.

    ``shelf_life_days``: finished goods that many days old (counted from the day they were
    made; the opening stock counts as made on day 0) are scrapped and written off at standard
    cost — spoilage, or a model superseded by the next. Stock is shipped oldest first.
    """

    price: PositiveMoney
    conversion_cost_per_unit: Money = 0.0
    bom: dict[Name, PositiveUnits] = Field(default_factory=dict)
    demand: Demand
    initial_on_hand: Units = 0.0
    shelf_life_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None


class Component(Strict):
    """A purchased component; inventory is valued at ``standard_cost`` per unit."""

    standard_cost: Money
    initial_on_hand: Units = 0.0


class PriceBreak(Strict):
    min_quantity: PositiveUnits
    price: Money


class ReservationTerms(Strict):
    """A supplier's offer to hold extra capacity for the company: a capacity reservation,
    paid whether it is used or not (take-or-pay).

    The company may reserve up to ``extra_per_week`` more units of the component a week, for
    a window of at least ``min_weeks`` whole weeks that starts on the first day of a week at
    least ``lead_days`` after it asks. The supplier bills ``fee_per_unit_per_week`` for each
    unit reserved, each week of the window: the bill of a week is issued on its first day and
    paid on the supplier's payment terms, like its invoices for components. Reserved capacity
    serves the orders placed once it is reserved, in the weeks of its window.
    """

    extra_per_week: PositiveUnits
    fee_per_unit_per_week: Money
    lead_days: Days = 14
    min_weeks: Annotated[int, Field(ge=1, le=MAX_DAYS // 7)] = 4


class SupplyTerms(Strict):
    """What a supplier charges for one component: a base price and optional volume tiers.

    ``capacity_per_week`` is the most the supplier makes of it a week (none: no limit); a
    supplier with a limit may offer a ``reservation`` of more, for a fee.
    """

    price: Money
    price_breaks: Annotated[tuple[PriceBreak, ...], Field(strict=False)] = ()
    capacity_per_week: Annotated[float, Field(ge=1, le=MAX_UNITS)] | None = None
    reservation: ReservationTerms | None = None


class Supplier(Strict):
    """A supplier of one or more components.

    ``lead_time_days`` is the time to make and hand over an order (transport comes on top);
    with probability ``1 - reliability`` a shipment leaves ``late_by_days`` late.
    """

    components: dict[Name, SupplyTerms]
    lead_time_days: Delay = Constant(distribution="constant", value=7)
    reliability: Fraction = 1.0
    late_by_days: Delay = Constant(distribution="constant", value=7)
    modes: Annotated[tuple[Name, ...], Field(strict=False)]
    payment_terms_days: Days = 30


class TransportMode(Strict):
    """A way to move components from suppliers to the plant."""

    lead_time_days: Delay
    cost_per_unit: Money
    expedite: bool = False


class Line(Strict):
    """A production line: regular capacity per day, overtime on top at a premium."""

    products: Annotated[tuple[Name, ...], Field(strict=False)]
    capacity_per_day: Units
    overtime_max_fraction: Annotated[float, Field(ge=0, le=10)] = 0.0
    overtime_premium_per_unit: Money = 0.0


class Plant(Strict):
    lines: dict[Name, Line]
    production_lead_time_days: Days = 1


class Finance(Strict):
    """The books' opening position and the rates that turn operations into money.

    ``overhead_per_year`` is the fixed cost of running the company (salaries, rent, systems),
    paid in cash every day in equal parts.
    """

    opening_cash: SignedMoney = 1_000_000.0
    fixed_assets: Money = 0.0
    depreciation_years: Annotated[float, Field(ge=0.01, le=1000)] = 10.0
    overhead_per_year: Money = 0.0
    capital_charge_rate_per_year: RatePerYear = 0.10
    storage_cost_rate_per_year: RatePerYear = 0.05
    overdraft_interest_rate_per_year: RatePerYear = 0.08


class CapacityOption(Strict):
    """A capacity expansion the company could make: ``delta_per_day`` more on ``line`` for
    ``capex``, in service ``lead_days`` after approval.

    After ``lead_days`` the added capacity rises in equal daily steps to ``delta_per_day``
    over ``ramp_days`` days (the first step on the day it is in service, the full amount on
    its ``ramp_days``-th day; 0 = all at once): a new line or shift takes time to learn.
    The capex is paid in cash on approval and depreciated, like the plant, from the day the
    new capacity is in service. The option is on the table from ``offered_from_day`` on.
    """

    line: Name
    delta_per_day: PositiveUnits
    capex: Money
    lead_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 90
    ramp_days: Days = 0
    offered_from_day: Day = 0


class Common(Strict):
    name: str = "oneplan"
    description: str = ""
    seed: Seed = 1
    horizon_days: Annotated[int, Field(ge=1, le=100_000)] = 1095
    warmup_days: Day = 0
    strict_audit: bool = False


class WorldConfig(Common):
    """The world of a manufacturing company: customers, products, components, suppliers,
    transport modes, a plant, the books' opening position, and timed scenarios
    (:mod:`sim.scenarios`).

    ``warmup_days`` opening days are simulated but left out of every KPI, so that a study of
    the steady state is not biased by the opening stock (``docs/kpis.md`` says what each KPI
    then counts; it must be shorter than the run).

    ``information_delay_days`` is how late one function sees data that belongs to another
    when they do not share it (a fact of the company's systems, used by the functions'
    views); ``capacity_options`` are the expansions the company could buy.

    ``families`` groups the products into product families, each named with the products it
    holds, for planning in aggregate (the families of S&OP; see ``sim.families``). Every
    product belongs to exactly one family; left empty, each product is a family of its own,
    named like the product.
    """

    kind: Literal["company"] = "company"
    markets: dict[Name, Market] = Field(default_factory=lambda: {"all": Market()})
    allocation: Literal["fifo", "priority", "fair_share"] = "fifo"
    products: dict[Name, Product]
    components: dict[Name, Component] = Field(default_factory=dict)
    suppliers: dict[Name, Supplier] = Field(default_factory=dict)
    transport_modes: dict[Name, TransportMode] = Field(default_factory=dict)
    plant: Plant
    finance: Finance = Finance()
    scenarios: Annotated[tuple[ScenarioSpec, ...], Field(strict=False)] = ()
    information_delay_days: Annotated[int, Field(ge=0, le=90)] = 7
    capacity_options: Annotated[tuple[CapacityOption, ...], Field(strict=False)] = ()
    families: dict[Name, Annotated[tuple[Name, ...], Field(strict=False)]] = Field(
        default_factory=dict
    )

    @property
    def expansion_options(self) -> tuple[CapacityOption, ...]:
        """The capacity the company could buy: its ``capacity_options``, then each new line a
        scenario offers to the executive (``new_line`` with ``decision: offered``)."""
        offered = tuple(
            CapacityOption(
                line=x.line,
                delta_per_day=x.capacity_per_day,
                capex=x.capex,
                lead_days=x.install_days,
                ramp_days=x.ramp_days,
                offered_from_day=x.start,
            )
            for x in self.scenarios
            if x.kind == "new_line" and x.decision == "offered"
        )
        return self.capacity_options + offered


class ChainStage(Strict):
    """One stock point of a serial chain (listed from the customer upstream), as the world
    knows it: delays, opening stock and costs (its ordering policy is the decider's).

    Its orders reach the stage upstream ``order_delay_periods`` later; what that stage ships
    arrives here ``lead_time_periods`` later (for the last stage: from an unlimited source).
    At the start ``initial_pipeline_per_period`` units sit in every period-slot of the
    shipping delay and ``initial_orders_per_period`` in every slot of the order delay; for
    the first ``fixed_orders_until_period`` periods the stage orders ``fixed_order_quantity``
    whatever its policy says. A shipment takes at least one period: it leaves after the stage
    downstream has taken this period's deliveries.

    Costs, per unit and period, on end-of-period quantities: ``holding_cost_per_unit_per_period``
    on the stage's stock on hand; ``backorder_cost_per_unit_per_period`` on what it owes (its
    customers' backlog, or the orders of the stage downstream it has not shipped);
    ``in_transit_holding_cost_per_unit_per_period`` on the goods shipped to the stage and not
    yet received (orders still in the mail and the upstream stage's backlog are not goods in
    transit). Left unset, the in-transit rate is the textbook one: the shipping stage's
    holding rate, and nothing for goods coming from the unlimited source.
    """

    lead_time_periods: Annotated[int, Field(ge=1, le=MAX_CHAIN_DELAY)]
    order_delay_periods: Annotated[int, Field(ge=0, le=MAX_CHAIN_DELAY)] = 0
    initial_on_hand: Units = 0.0
    initial_pipeline_per_period: Units = 0.0
    initial_orders_per_period: Units = 0.0
    holding_cost_per_unit_per_period: Money = 0.0
    backorder_cost_per_unit_per_period: Money = 0.0
    in_transit_holding_cost_per_unit_per_period: Money | None = None
    visibility: Literal["local", "shared"] = "local"
    fixed_orders_until_period: Day = 0
    fixed_order_quantity: Units = 0.0


class DemandStep(Strict):
    from_period: Day
    base_per_period: Units


class ChainDemand(Strict):
    """End-customer demand of a serial chain, per period: a level, step changes, and noise."""

    base_per_period: Units
    steps: Annotated[tuple[DemandStep, ...], Field(strict=False)] = ()
    noise: Noise = Noise(distribution="none")
    whole_units: bool = False

    @model_validator(mode="after")
    def _dispersed(self) -> ChainDemand:
        # The lowest level the chain's demand takes, for a noise that depends on the mean.
        levels = [self.base_per_period, *(step.base_per_period for step in self.steps)]
        _dispersed_at(self.noise, min((x for x in levels if x > 0), default=None))
        return self


class ChainWorldConfig(Common):
    """A serial chain of stock points, each ordering from the next (textbook networks).

    The chain moves in periods of ``period_days`` days: once a period every stage receives,
    ships and orders. In a chain, delays, review periods and histories count periods.

    ``warmup_days`` opening days are simulated but left out of every KPI (every period that
    starts in them); it must be shorter than the run.
    """

    kind: Literal["serial_chain"]
    period_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 1
    horizon_days: Annotated[int, Field(ge=1, le=MAX_DAY)] = 3650
    demand: ChainDemand
    customer_patience_days: Day | None = None
    allow_negative_orders: bool = False
    stages: dict[Name, ChainStage]

    @model_validator(mode="after")
    def _stages(self) -> ChainWorldConfig:
        if not self.stages:
            raise ValueError("a serial chain needs at least one stage")
        return self

    def in_transit_holding_rates(self) -> tuple[float, ...]:
        """The holding cost per unit and period of goods in transit to each stage, in stage
        order: the stage's own ``in_transit_holding_cost_per_unit_per_period`` where set, else
        the holding rate of the stage that ships to it (0 for the last stage, which is
        supplied by the unlimited source)."""
        stages = list(self.stages.values())
        rates = []
        for i, stage in enumerate(stages):
            rate = stage.in_transit_holding_cost_per_unit_per_period
            if rate is None:
                shipper = stages[i + 1] if i + 1 < len(stages) else None
                rate = shipper.holding_cost_per_unit_per_period if shipper is not None else 0.0
            rates.append(rate)
        return tuple(rates)


# ------------------------------------------------------------------------------ loading


KIND_KEYS = ("kind", "distribution", "policy", "method")
"""Keys that say what kind of thing a mapping describes. An overlay's mapping that changes one
of them replaces the base's mapping instead of merging into it: the keys of a normal
distribution mean nothing to a constant one, and must not leak into it."""


def _merge(base: Located, overlay: Located) -> Any:
    """Deep-merge ``overlay`` into ``base`` (updating ``base.locations``); return the data.

    Mappings merge key by key; any other value, a ``null`` (which removes the key), or a
    mapping of another kind (:data:`KIND_KEYS`) replaces what the base had. Linear in the
    size of both: locations are filtered once, never searched per key.
    """
    cut: set[tuple] = set()  # paths whose base subtree is gone
    taken: set[tuple] = set()  # paths whose overlay subtree is taken whole
    joined: set[tuple] = set()  # mappings present in both, merged key by key

    def merge(base_data: Any, over: Any, path: tuple) -> Any:
        merged = dict(base_data)
        for key, value in over.items():
            child = (*path, key)
            old = merged.get(key)
            if value is None:
                merged.pop(key, None)
                cut.add(child)
            elif isinstance(value, dict) and isinstance(old, dict) and not _other_kind(old, value):
                merged[key] = merge(old, value, child)
                joined.add(child)
            else:
                merged[key] = value
                cut.add(child)
                taken.add(child)
        return merged

    if not (isinstance(base.data, dict) and isinstance(overlay.data, dict)):
        base.locations = dict(overlay.locations)
        return overlay.data
    data = merge(base.data, overlay.data, ())
    locations = {k: v for k, v in base.locations.items() if not _under(k, cut)}
    for k, v in overlay.locations.items():
        if k in joined or _under(k, taken):
            locations[k] = v
    base.locations = locations
    return data


def _other_kind(old: dict, new: dict) -> bool:
    return any(key in old and key in new and old[key] != new[key] for key in KIND_KEYS)


def _under(path: tuple, prefixes: set[tuple]) -> bool:
    """Whether ``path`` is one of ``prefixes`` or lies inside one."""
    return bool(prefixes) and any(path[:i] in prefixes for i in range(1, len(path) + 1))


def _drop(locations: dict, prefix: tuple) -> None:
    for key in [k for k in locations if k[: len(prefix)] == prefix]:
        del locations[key]


def _load_with_extends(path: Path, seen: tuple[Path, ...] = ()) -> Located:
    located = load_yaml(path, str(path))
    if not isinstance(located.data, dict):
        raise SourceError(
            [SourceProblem(located.locate(()), "", "a config must be a mapping of keys to values")]
        )
    parent = located.data.pop("extends", None)
    if parent is None:
        return located
    where = located.locations.pop(("extends",), located.locate(()))
    if not isinstance(parent, str):
        raise SourceError([SourceProblem(where, "extends", "must be a path to a YAML file")])
    parent_path = (path.parent / parent).resolve()
    if parent_path in seen or parent_path == path.resolve():
        chain = [*seen, path.resolve(), parent_path]
        start = chain.index(parent_path)
        names = " extends ".join(_display_path(p).as_posix() for p in chain[start:])
        message = f"circular extends: {names}"
        raise SourceError([SourceProblem(where, "extends", message)])
    if not parent_path.exists():
        raise SourceError([SourceProblem(where, "extends", f"file not found: {parent}")])
    if not parent_path.is_file():
        message = f"{parent} is a directory; extends names a YAML file"
        raise SourceError([SourceProblem(where, "extends", message)])
    base = _load_with_extends(_display_path(parent_path), (*seen, path.resolve()))
    base.data = _merge(base, located)
    return base


def _display_path(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def parse_overrides(assignments: Iterable[str]) -> list[tuple[tuple[str, ...], Any, str]]:
    """Parse ``dotted.path=value`` strings (values are YAML scalars or flow collections)."""
    parsed = []
    problems = []
    for text in assignments:
        path_text, sep, value_text = text.partition("=")
        path_text = path_text.strip()
        if (
            not sep
            or not path_text
            or not re.fullmatch(r"[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*", path_text)
        ):
            problems.append(
                SourceProblem(
                    Location("--set"), text, "expected dotted.path=value, e.g. horizon_days=730"
                )
            )
            continue
        try:
            value = parse_scalar(value_text) if value_text.strip() else None
        except SourceError as exc:
            problems.append(SourceProblem(Location("--set"), path_text, exc.problems[0].message))
            continue
        parsed.append((tuple(path_text.split(".")), value, text))
    if problems:
        raise SourceError(problems)
    return parsed


def set_value(located: Located, path: tuple[str, ...], value: Any, where: Location) -> None:
    """Set the value at dotted ``path`` (creating mappings on the way), written at ``where``.

    A number in the path picks an item of a list (``scenarios.0.start_day``; counting from 0);
    a ``None`` value removes a mapping's key, as ``null`` does in an overlay. Problems found
    later in the value (or in a mapping made on the way) point at ``where``.
    """
    node = located.data
    written: list[str | int] = []  # the path as stored: list positions as integers
    for i, key in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                dotted = ".".join(map(str, written))
                raise SourceError(
                    [
                        SourceProblem(
                            where,
                            dotted,
                            f"is a list of {len(node)} items; to set one, give its position "
                            f"0 to {len(node) - 1} (got {key!r}), or set the whole list",
                        )
                    ]
                )
            step: str | int = int(key)
        else:
            step = key
        written.append(step)
        if last:
            break
        child = node[step] if isinstance(node, list) else node.get(step)
        if child is None:
            # A mapping made by this assignment: problems inside it come from the assignment.
            child = {}
            node[step] = child
            located.locations[tuple(written)] = where
        elif not isinstance(child, dict | list):
            raise SourceError(
                [
                    SourceProblem(
                        where,
                        ".".join(map(str, written)),
                        f"is a {type(child).__name__}, not a mapping; cannot set {'.'.join(path)}",
                    )
                ]
            )
        node = child
    _drop(located.locations, tuple(written))
    if value is None and isinstance(node, dict):
        # As in an overlay, null removes the key (back to its default, or missing); the
        # location stays, so a problem that follows points at the assignment.
        node.pop(written[-1], None)
    else:
        node[written[-1]] = value
    located.locations[tuple(written)] = where


def compose(path: Path | str, overlays: Iterable[Path | str] = ()) -> Located:
    """Read a config file (following its ``extends``) and merge ``overlays`` over it in order.

    An overlay is a partial config file: only what it changes is written, and it cannot
    ``extends`` another file. The result is the merged source, not yet validated.
    """
    located = _load_with_extends(_display_path(Path(path)))
    for overlay in overlays:
        shown = _display_path(Path(overlay))
        over = load_yaml(shown, str(shown))
        if not isinstance(over.data, dict):
            message = "an overlay must be a mapping of keys to values"
            raise SourceError([SourceProblem(over.locate(()), "", message)])
        if "extends" in over.data:
            raise SourceError(
                [
                    SourceProblem(
                        over.locate(("extends",)),
                        "extends",
                        "an overlay is merged over a base and cannot extend another file",
                    )
                ]
            )
        located.data = _merge(located, over)
    return located


def load_source(path: Path | str, overrides: Iterable[str] | Mapping[str, Any] = ()) -> Located:
    """Read a config file (following its ``extends``) and apply ``overrides``; not validated.

    ``overrides`` are ``dotted.path=value`` strings (as given to ``--set``) or a mapping of
    dotted paths to Python values.
    """
    located = compose(path)
    if isinstance(overrides, Mapping):
        items = [(tuple(k.split(".")), v, f"{k}={v}") for k, v in overrides.items()]
    else:
        items = parse_overrides(overrides)
    for dotted, value, text in items:
        set_value(located, dotted, value, Location(f"--set {text}"))
    return located


References = Callable[[Any], list[tuple[tuple, str]]]
"""A check of plain config data that the schema alone cannot make: ``[(path, message)]``."""


def validate_model[M: BaseModel](
    model: type[M], located: Located, references: Iterable[References] = ()
) -> M:
    """Validate ``located`` against the strict ``model`` and the ``references`` checks.

    Every schema and cross-reference problem is reported together, in reading order, each at
    the place it was written. Every YAML input of oneplan (configs, study files) goes through
    here, so their errors read alike.
    """
    problems: list[SourceProblem] = []
    config = None
    try:
        config = model.model_validate(located.data)
    except ValidationError as exc:
        problems = _problems_from(exc, located, model)
    for check in references:
        problems += [
            SourceProblem(located.locate(path), ".".join(map(str, path)), message)
            for path, message in check(located.data)
        ]
    if problems:
        problems.sort(key=_reading_order)
        raise SourceError(problems)
    return config


def _reading_order(problem: SourceProblem) -> tuple[str, int, int]:
    where = problem.location
    return where.file, where.line or 0, where.column or 0


def _problems_from(
    exc: ValidationError, located: Located, model: type[BaseModel]
) -> list[SourceProblem]:
    problems = []
    seen = set()
    for error in exc.errors(include_url=False):
        loc, message = _describe_error(error, model, located)
        key = (loc, message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(SourceProblem(located.locate(loc), ".".join(map(str, loc)), message))
    return problems


def _describe_error(error: dict, model: type[BaseModel], located: Located) -> tuple[tuple, str]:
    """The path the user wrote and a message saying what is wrong and what is allowed."""
    raw = tuple(error["loc"])
    loc, annotation = _walk(model, raw)
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        _, parent = _walk(model, raw[:-1])
        fields = _model_fields(parent)
        if not fields:
            return loc, "unknown key"
        allowed = sorted(fields)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return loc, f"unknown key{hint}; allowed keys: {', '.join(allowed)}"
    if kind == "missing":
        return loc, "required field is missing"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        # Pydantic speaks of dictionaries and instances; a YAML file has mappings.
        fields = _model_fields(annotation)
        keys = f" with keys: {', '.join(sorted(fields))}" if fields else " of names to values"
        return loc, f"must be a mapping{keys} (got {value!r})"
    if kind in {"tuple_type", "list_type"}:
        return loc, f"must be a list (got {value!r})"
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        field = str(ctx.get("discriminator", "")).strip("'")
        tags = [tag for member in _union_members(annotation) for tag in _tags_of(member, field)]
        allowed = ", ".join(tags) or str(ctx.get("expected_tags", ""))
        if kind == "union_tag_not_found":
            return loc, f"'{field}' is missing; it must be one of: {allowed}"
        tag = str(ctx.get("tag", ""))
        close = difflib.get_close_matches(tag, tags, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        if (*loc, field) in located.locations:
            loc = (*loc, field)
        return loc, f"unknown {field} '{tag}'{hint}; allowed: {allowed}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == NAME_PATTERN:
        return loc, (
            "a name must start with a letter and hold only letters, digits, '_' and '-' "
            f"(got {value!r})"
        )
    text = error["msg"]
    if kind.startswith("value_error"):
        text = text.removeprefix("Value error, ")
    if kind == "bool_type":
        text = "Input should be true or false"
    if not isinstance(value, dict | list):
        text = f"{text} (got {value!r})"
    return loc, text


def _walk(model: type[BaseModel], raw: tuple) -> tuple[tuple, Any]:
    """Follow a pydantic error location through the schema.

    Returns the location as the user wrote it and the type expected there (None once the
    schema is left). Pydantic adds to the location the tag of a discriminated union
    (``base_stock``), the name of a function validator and ``[key]`` for a mapping's key;
    users wrote none of them. A tag is recognised only where the schema has a union, so a
    product named ``normal`` keeps its name.
    """
    annotation: Any = model
    written: list[str | int] = []
    for part in raw:
        if isinstance(part, str) and (part.startswith("function-") or part == "[key]"):
            continue
        annotation = _unwrap(annotation)
        chosen = next((m for m in _union_members(annotation) if part in _tags_of(m)), None)
        if chosen is not None:
            annotation = chosen
            continue
        written.append(part)
        fields = _model_fields(annotation)
        origin = get_origin(annotation)
        if fields is not None:
            annotation = fields[part].annotation if part in fields else None
        elif origin is dict:
            annotation = get_args(annotation)[1]
        elif origin in (tuple, list):
            annotation = get_args(annotation)[0]
        else:
            annotation = None
    return tuple(written), _unwrap(annotation)


def _unwrap(annotation: Any) -> Any:
    """``annotation`` without ``Annotated[...]`` metadata and without ``| None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin in (Union, UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _union_members(annotation: Any) -> list[type[BaseModel]]:
    """The models of a union of models (a discriminated union), else an empty list."""
    if get_origin(annotation) not in (Union, UnionType):
        return []
    members = list(get_args(annotation))
    return members if all(_model_fields(m) is not None for m in members) else []


def _tags_of(model: type[BaseModel], discriminator: str = "") -> tuple[str, ...]:
    """The values of a union member's ``Literal`` fields (its ``discriminator`` field's
    only, when the union names one): the tags that select it."""
    return tuple(
        tag
        for name, field in model.model_fields.items()
        if get_origin(field.annotation) is Literal and (not discriminator or name == discriminator)
        for tag in get_args(field.annotation)
    )


def _model_fields(annotation: Any) -> dict | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.model_fields
    return None


def warmup_problems(data: Any) -> list[tuple[tuple, str]]:
    """A warm-up must leave part of the run to measure."""
    if not isinstance(data, dict):
        return []
    chain = data.get("kind") == "serial_chain"
    model = ChainWorldConfig if chain else WorldConfig
    warmup = data.get("warmup_days", 0)
    horizon = data.get("horizon_days", model.model_fields["horizon_days"].default)
    # A horizon or warm-up out of its bounds is the schema's to report.
    if not (isinstance(warmup, int) and isinstance(horizon, int)) or not 0 < horizon <= warmup:
        return []
    message = (
        f"a warm-up of {warmup} days leaves nothing of the {horizon}-day run (horizon_days) "
        f"to measure; it must be shorter than the run"
    )
    return [(("warmup_days",), message)]


def world_references(data: Any) -> list[tuple[tuple, str]]:
    """References between the world's named things that the schema alone cannot check.

    Works on the plain data, so it runs even when the schema found problems and every problem
    is reported at once; a part that does not have the expected shape is skipped (the schema
    reports it).
    """
    if not isinstance(data, dict) or data.get("kind", "company") != "company":
        return []
    problems: list[tuple[tuple, str]] = []
    products, components = set(mapping_at(data, "products")), set(mapping_at(data, "components"))
    modes = set(mapping_at(data, "transport_modes"))
    for pname, product in mapping_at(data, "products").items():
        for cname in mapping_at(product, "bom"):
            if cname not in components:
                where = ("products", pname, "bom", cname)
                problems.append((where, unknown_name("component", cname, components)))
    supplied: set[str] = set()
    for sname, supplier in mapping_at(data, "suppliers").items():
        for cname, terms in mapping_at(supplier, "components").items():
            supplied.add(cname)
            if cname not in components:
                where = ("suppliers", sname, "components", cname)
                problems.append((where, unknown_name("component", cname, components)))
            terms = mapping_at(terms)
            if (
                isinstance(terms.get("reservation"), dict)
                and terms.get("capacity_per_week") is None
            ):
                where = ("suppliers", sname, "components", cname, "reservation")
                message = (
                    "a reservation adds to the supplier's weekly capacity, and this component "
                    "has no limit to add to: set capacity_per_week, or remove the reservation"
                )
                problems.append((where, message))
        for i, mode in listed_names(mapping_at(supplier).get("modes")):
            if mode not in modes:
                where = ("suppliers", sname, "modes", i)
                problems.append((where, unknown_name("transport mode", mode, modes)))
        if isinstance(supplier, dict) and supplier.get("modes") == []:
            problems.append((("suppliers", sname, "modes"), "list at least one transport mode"))
    for cname in sorted(components - supplied):
        message = "no supplier sells this component; add it to a supplier"
        problems.append((("components", cname), message))
    made: set[str] = set()
    lines_listed = True  # every line lists its products (else the schema has a problem to tell)
    for lname, line in mapping_at(data, "plant", "lines").items():
        lines_listed &= isinstance(mapping_at(line).get("products"), list | tuple)
        for i, pname in listed_names(mapping_at(line).get("products")):
            if pname not in products:
                where = ("plant", "lines", lname, "products", i)
                problems.append((where, unknown_name("product", pname, products)))
            made.add(pname)
    for pname in sorted(products - made) if lines_listed else []:
        message = "no production line makes this product; list it in a line"
        problems.append((("products", pname), message))
    problems += _family_problems(data.get("families"), products)
    if isinstance(data.get("markets"), dict):
        shares = [mapping_at(m).get("share", 1.0) for m in mapping_at(data, "markets").values()]
        if all(is_number(s) for s in shares):
            share = sum(shares)
            if abs(share - 1.0) > 1e-9:
                message = f"market shares must add up to 1 (they add up to {share:g})"
                problems.append((("markets",), message))
    lines = set(mapping_at(data, "plant", "lines"))
    options = data.get("capacity_options")
    for i, option in enumerate(options if isinstance(options, list | tuple) else []):
        line = mapping_at(option).get("line")
        if isinstance(line, str) and line not in lines:
            problems.append((("capacity_options", i, "line"), unknown_name("line", line, lines)))
    problems += scenario_problems(data)
    return problems


def _family_problems(families: Any, products: set[str]) -> list[tuple[tuple, str]]:
    """Every name a family lists is a product, and every product is in exactly one family
    (when families are given at all)."""
    if not isinstance(families, dict) or not families:
        return []
    problems: list[tuple[tuple, str]] = []
    family_of: dict[str, str] = {}
    for fname, listed in families.items():
        if isinstance(listed, list | tuple) and not listed:
            problems.append((("families", fname), "a family lists at least one product"))
        for i, pname in listed_names(listed):
            where = ("families", fname, i)
            if pname not in products:
                problems.append((where, unknown_name("product", pname, products)))
            elif family_of.get(pname) == fname:
                problems.append((where, f"product '{pname}' is listed twice in family '{fname}'"))
            elif pname in family_of:
                message = (
                    f"product '{pname}' is already in family '{family_of[pname]}'; a product "
                    f"belongs to exactly one family"
                )
                problems.append((where, message))
            else:
                family_of[pname] = fname
    if all(isinstance(listed, list | tuple) for listed in families.values()):
        names = ", ".join(str(f) for f in families)
        for pname in sorted(products - set(family_of)):
            message = f"product '{pname}' is in no family; list it in one of: {names}"
            problems.append((("families",), message))
    return problems


def inert_events(located: Located, config: WorldConfig | ChainWorldConfig) -> list[SourceProblem]:
    """Timed events of a valid config that start after its last day, so never happen:
    promotions of a company (a scenario that starts after the run is an error), demand
    steps of a chain. Not errors (a longer ``--days`` or
    study horizon may reach them), but a config that says they happen deserves a word."""
    found: list[SourceProblem] = []

    def note(path: tuple, message: str) -> None:
        found.append(SourceProblem(located.locate(path), ".".join(map(str, path)), message))

    horizon = config.horizon_days
    if isinstance(config, ChainWorldConfig):
        periods = max(1, horizon // config.period_days)
        for i, step in enumerate(config.demand.steps):
            if step.from_period >= periods:
                note(
                    ("demand", "steps", i, "from_period"),
                    f"period {step.from_period} is after the last period simulated "
                    f"({periods - 1}); this step has no effect",
                )
        return found
    after = f"after the last day simulated ({horizon - 1}); it has no effect"
    for name, product in config.products.items():
        for i, promotion in enumerate(product.demand.promotions):
            if promotion.start_day >= horizon:
                where = ("products", name, "demand", "promotions", i, "start_day")
                note(where, f"day {promotion.start_day} is {after}")
    return found


def mapping_at(node: Any, *path: str) -> dict:
    """The mapping at ``path`` in plain config data, or an empty one if it is not there."""
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def listed_names(value: Any) -> list[tuple[int, str]]:
    """The (index, name) pairs of a list of names in plain config data."""
    items = value if isinstance(value, list | tuple) else []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, str)]


def unknown_name(what: str, name: str, known: set[str]) -> str:
    """The message for a reference to a named thing that is not defined."""
    names = ", ".join(sorted(known)) or "none defined"
    return f"unknown {what} '{name}'; defined {what}s: {names}"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
