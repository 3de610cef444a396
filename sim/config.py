"""The one validation gate: YAML files and ``--set`` overrides become a frozen, typed config.

Every problem is reported at once as ``file:line:col: dotted.path: what is wrong and what is
allowed``. Unknown keys, duplicate keys, wrong types and dangling references (a BOM naming an
unknown component) are all errors.

A file may ``extends: other.yaml`` (a path relative to itself); its own keys are merged into the
base, mapping by mapping, and a value given as ``null`` removes the base's value. Named things
(products, components, suppliers, lines, stages...) are mappings keyed by name, so any value has
a dotted path such as ``products.compact.demand.base_per_day``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.source import Located, Location, SourceError, SourceProblem, load_yaml, parse_scalar

__all__ = [
    "ChainConfig",
    "CompanyConfig",
    "Config",
    "ConfigError",
    "compose",
    "load_config",
    "parse_overrides",
    "set_value",
    "validate",
    "validate_model",
]

ConfigError = SourceError

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
NonNeg = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class Strict(BaseModel):
    """Base of every config model: frozen, no unknown keys, no silent type coercion."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


# --------------------------------------------------------------------------- distributions


class Constant(Strict):
    distribution: Literal["constant"]
    value: NonNeg


class Normal(Strict):
    """Normal(mean, sd), truncated at zero."""

    distribution: Literal["normal"]
    mean: NonNeg
    sd: NonNeg


class Uniform(Strict):
    distribution: Literal["uniform"]
    low: NonNeg
    high: NonNeg

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self


class LogNormal(Strict):
    """Lognormal with the given mean and standard deviation (not those of the log)."""

    distribution: Literal["lognormal"]
    mean: Positive
    sd: NonNeg


class Gamma(Strict):
    """Gamma with the given mean and standard deviation."""

    distribution: Literal["gamma"]
    mean: Positive
    sd: NonNeg


Delay = Annotated[
    Constant | Normal | Uniform | LogNormal | Gamma, Field(discriminator="distribution")
]
"""A random number of days: rounded to whole days when drawn."""


# ------------------------------------------------------------------------------- demand


class Noise(Strict):
    """Day-to-day noise around the demand mean.

    ``normal`` (truncated at 0), ``gamma`` and ``lognormal`` take a coefficient of variation
    ``cv``; ``poisson`` takes none (its variance is its mean); ``negative_binomial`` needs
    ``cv**2 * mean > 1`` to be over-dispersed; ``none`` gives deterministic demand.
    """

    distribution: Literal["none", "normal", "poisson", "gamma", "lognormal", "negative_binomial"]
    cv: NonNeg = 0.0

    @model_validator(mode="after")
    def _spread(self) -> Noise:
        if (
            self.distribution in {"normal", "gamma", "lognormal", "negative_binomial"}
            and self.cv <= 0
        ):
            raise ValueError(
                f"{self.distribution} noise needs cv > 0; use distribution: none for no noise"
            )
        return self


class Seasonality(Strict):
    """Annual cosine seasonality: the mean is multiplied by ``1 + amplitude*cos(2π(d-peak)/365)``."""  # noqa: E501

    amplitude: Annotated[float, Field(ge=0, lt=1)] = 0.0
    peak_day: Annotated[int, Field(ge=0, lt=365)] = 0


class Promotion(Strict):
    """A planned promotion: demand multiplied by ``1 + uplift`` for ``duration_days``."""

    start_day: Annotated[int, Field(ge=0)]
    duration_days: Annotated[int, Field(ge=1)]
    uplift: Annotated[float, Field(gt=-1)]
    cost: NonNeg = 0.0


class Demand(Strict):
    """Customer demand for one product, in units per day (all markets together)."""

    base_per_day: NonNeg
    trend_per_year: Annotated[float, Field(gt=-1)] = 0.0
    seasonality: Seasonality = Seasonality()
    noise: Noise = Noise(distribution="none")
    whole_units: bool = True
    promotions: Annotated[tuple[Promotion, ...], Field(strict=False)] = ()


# ------------------------------------------------------------------------------ policies


class Forecaster(Strict):
    """A statistical forecaster of demand per period.

    ``moving_average`` over the last ``periods`` periods; ``exponential_smoothing`` with
    ``alpha``; ``naive`` repeats the last value.
    """

    method: Literal["moving_average", "exponential_smoothing", "naive"]
    periods: Annotated[int, Field(ge=1)] = 28
    alpha: Annotated[float, Field(gt=0, le=1)] = 0.2


class OrderUpTo(Strict):
    """Order up to ``S = f*T + safety_factor*sd*sqrt(T)`` every review, ``T = L + R - 1``.

    ``f`` and ``sd`` are the forecast of demand per period and the sd of its error, from
    ``forecaster``; L is the nominal lead time (``lead_time`` overrides it) and R the review
    period. Orders are placed after the period's demand and arrive before demand L periods
    later, so an order protects ``L + R - 1`` periods of demand.

    Periods are days in a company and the chain's periods in a serial chain.
    """

    policy: Literal["order_up_to"]
    forecaster: Forecaster = Forecaster(method="moving_average")
    safety_factor: float = 1.65
    review_period: Annotated[int, Field(ge=1)] = 1
    lead_time: NonNeg | None = None


class BaseStock(Strict):
    """Order up to a fixed ``level`` every review."""

    policy: Literal["base_stock"]
    level: float
    review_period: Annotated[int, Field(ge=1)] = 1


class SS(Strict):
    """(s, S): when the position is at or below ``reorder_point`` order up to ``order_up_to``."""

    policy: Literal["s_S"]
    reorder_point: float
    order_up_to: float
    review_period: Annotated[int, Field(ge=1)] = 1

    @model_validator(mode="after")
    def _ordered(self) -> SS:
        if self.order_up_to < self.reorder_point:
            raise ValueError("order_up_to must be >= reorder_point")
        return self


class RQ(Strict):
    """(r, Q): when the position is at or below ``reorder_point``, order ``quantity`` (repeated
    until the position is above r)."""

    policy: Literal["r_Q"]
    reorder_point: float
    quantity: Positive
    review_period: Annotated[int, Field(ge=1)] = 1


class FixedPlan(Strict):
    """Order the same ``quantity`` every review, whatever happens."""

    policy: Literal["fixed_plan"]
    quantity: NonNeg
    review_period: Annotated[int, Field(ge=1)] = 1


class AnchorAndAdjust(Strict):
    """Sterman's (1989) anchoring-and-adjustment ordering heuristic, fitted to Beer Game players.

    Every review the expected demand per period ``L̂`` moves a fraction ``theta`` toward the
    latest demand the stage sees (its incoming order, or end-customer demand when the stage's
    visibility is ``shared``), then the stage orders

    ``max(0, R*L̂ + alpha_s * (s_prime - S - beta * SL))``

    where ``S`` is effective stock (on hand − backlog), ``SL`` the supply line (ordered, not yet
    received) and ``R`` the review period. ``alpha_s`` is the fraction of the stock gap closed
    per review, ``beta`` the weight given to the supply line (1: counted in full, 0: ignored),
    and ``s_prime`` the anchor for desired stock plus ``beta`` times the desired supply line.
    ``L̂`` starts at the first demand seen. Sterman's average player: theta 0.36, alpha_s 0.26,
    beta 0.34, s_prime 17.
    """

    policy: Literal["anchor_and_adjust"]
    theta: Fraction
    alpha_s: Fraction
    beta: Fraction
    s_prime: NonNeg
    review_period: Annotated[int, Field(ge=1)] = 1


PolicySpec = Annotated[
    OrderUpTo | BaseStock | SS | RQ | FixedPlan | AnchorAndAdjust, Field(discriminator="policy")
]


# ------------------------------------------------------------------------------ company


class Market(Strict):
    """A group of customers: its share of every product's demand and how it is served."""

    share: Annotated[float, Field(gt=0, le=1)] = 1.0
    priority: Annotated[int, Field(ge=0)] = 0
    patience_days: Annotated[int, Field(ge=0)] = 7
    lost_sale_penalty_per_unit: NonNeg = 0.0
    payment_terms_days: Annotated[int, Field(ge=0)] = 30


class Product(Strict):
    """A finished good."""

    price: Positive
    conversion_cost_per_unit: NonNeg = 0.0
    bom: dict[Name, Positive] = Field(default_factory=dict)
    demand: Demand
    initial_on_hand: NonNeg = 0.0


class Component(Strict):
    """A purchased component; inventory is valued at ``standard_cost`` per unit."""

    standard_cost: NonNeg
    initial_on_hand: NonNeg = 0.0


class PriceBreak(Strict):
    min_quantity: Positive
    price: NonNeg


class SupplyTerms(Strict):
    """What a supplier charges for one component: a base price and optional volume tiers."""

    price: NonNeg
    price_breaks: Annotated[tuple[PriceBreak, ...], Field(strict=False)] = ()
    capacity_per_week: Positive | None = None


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
    payment_terms_days: Annotated[int, Field(ge=0)] = 30


class TransportMode(Strict):
    """A way to move components from suppliers to the plant."""

    lead_time_days: Delay
    cost_per_unit: NonNeg
    expedite: bool = False


class Line(Strict):
    """A production line: regular capacity per day, overtime on top at a premium."""

    products: Annotated[tuple[Name, ...], Field(strict=False)]
    capacity_per_day: NonNeg
    overtime_max_fraction: NonNeg = 0.0
    overtime_premium_per_unit: NonNeg = 0.0


class Plant(Strict):
    lines: dict[Name, Line]
    production_lead_time_days: Annotated[int, Field(ge=0)] = 1


class Finance(Strict):
    """The books' opening position and the rates that turn operations into money.

    ``overhead_per_year`` is the fixed cost of running the company (salaries, rent, systems),
    paid in cash every day in equal parts.
    """

    opening_cash: float = 1_000_000.0
    fixed_assets: NonNeg = 0.0
    depreciation_years: Positive = 10.0
    overhead_per_year: NonNeg = 0.0
    capital_charge_rate_per_year: NonNeg = 0.10
    storage_cost_rate_per_year: NonNeg = 0.05
    overdraft_interest_rate_per_year: NonNeg = 0.08


class Shock(Strict):
    """A timed change to the world (scenario hook).

    ``demand``: multiply demand of ``target`` (a product, or ``all``) by ``multiplier``;
    ``supplier_failure``: supplier ``target`` ships nothing; ``transport_delay``: mode
    ``target`` takes ``extra_days`` longer. Active on days ``[start_day, end_day)``.
    """

    kind: Literal["demand", "supplier_failure", "transport_delay"]
    target: Name
    start_day: Annotated[int, Field(ge=0)]
    end_day: Annotated[int, Field(ge=0)] | None = None
    multiplier: NonNeg = 1.0
    extra_days: Annotated[int, Field(ge=0)] = 0


class ProductionPolicy(Strict):
    """How finished goods are replenished: a policy per product (``default`` for the rest)."""

    default: PolicySpec
    products: dict[Name, PolicySpec] = Field(default_factory=dict)
    allow_overtime: bool = True


class PurchasingPolicy(Strict):
    """How components are bought: a policy per component, a sourcing rule and a mode.

    ``sourcing``: ``cheapest`` (lowest base price), ``fastest`` (shortest mean lead time) or
    ``split`` (equal shares across all suppliers of the component).
    """

    default: PolicySpec
    components: dict[Name, PolicySpec] = Field(default_factory=dict)
    sourcing: Literal["cheapest", "fastest", "split"] = "cheapest"
    mode: Name


class Policies(Strict):
    production: ProductionPolicy
    purchasing: PurchasingPolicy


# ------------------------------------------------------------------------ function agents


class PromotionPlay(Strict):
    """How Sales uses promotions to close a gap to its revenue target.

    When revenue over the last 28 days is more than ``trigger_gap`` below target, Sales runs a
    promotion of the product furthest behind, announced ``lead_days`` ahead, at most once every
    ``min_days_between`` days.
    """

    enabled: bool = True
    uplift: Annotated[float, Field(gt=0, le=3)] = 0.35
    duration_days: Annotated[int, Field(ge=1)] = 14
    price_discount: Annotated[float, Field(ge=0, lt=1)] = 0.08
    cost: NonNeg = 15_000.0
    trigger_gap: Annotated[float, Field(ge=0, le=1)] = 0.03
    lead_days: Annotated[int, Field(ge=1)] = 7
    min_days_between: Annotated[int, Field(ge=1)] = 56


class SalesAgent(Strict):
    """Sales: brings the demand forecast; paid on ``incentive``.

    Sales knows its market's seasonal pattern and its own promotions, and smooths the
    deseasonalised level of the orders it sees with ``level_alpha``. Paid on revenue, it adds
    ``optimism_bias`` to its forecast and aims ``target_stretch`` above expected demand; paid on
    operating profit, it does neither and promotes only when the promotion pays for itself.
    """

    incentive: Literal["revenue", "operating_profit"] = "revenue"
    optimism_bias: Annotated[float, Field(ge=-0.5, le=2)] = 0.15
    target_stretch: Annotated[float, Field(ge=0, le=1)] = 0.06
    level_alpha: Annotated[float, Field(gt=0, le=1)] = 0.1
    promotion: PromotionPlay = PromotionPlay()
    plan_adherence: Fraction = 0.9


class OperationsAgent(Strict):
    """Operations: plans production weekly; paid on ``incentive`` (stable, cheap output).

    Its own forecast is a moving average over ``forecast_days`` of what it can see (shipments
    in silo). It aims at ``safety_days`` of cover beyond the lead time, moves a fraction
    ``smoothing`` of the way from last week's plan to what is needed (1 = chase, 0 = level),
    does not change the plan inside ``frozen_days``, makes lots of ``lot_size`` units, and
    allows overtime only once the backlog exceeds ``overtime_trigger_days`` of demand.
    """

    incentive: Literal["unit_cost", "operating_profit"] = "unit_cost"
    forecast_days: Annotated[int, Field(ge=1)] = 28
    planned_lead_time_days: Annotated[int, Field(ge=1)] = 7
    safety_days: NonNeg = 5.0
    smoothing: Fraction = 0.6
    frozen_days: Annotated[int, Field(ge=0)] = 0
    lot_size: NonNeg = 100.0
    overtime_trigger_days: NonNeg = 2.0
    plan_adherence: Fraction = 0.9


class ProcurementAgent(Strict):
    """Procurement: buys components weekly; paid on ``incentive`` (low price, few surprises).

    ``sourcing``: ``cheapest``, ``reliable`` (highest reliability) or ``dual`` (``dual_share``
    to the cheapest, the rest to the most reliable). Buys by ``mode`` (default: each supplier's
    cheapest), expedites by ``expedite_mode`` (default: each supplier's fastest) when a shortage
    is near, rounds orders up to a volume price break when
    ``buy_to_price_break`` and the order is at least ``price_break_reach`` of the break.
    """

    incentive: Literal["purchase_price", "operating_profit"] = "purchase_price"
    sourcing: Literal["cheapest", "reliable", "dual"] = "cheapest"
    dual_share: Fraction = 0.7
    mode: Name | None = None
    expedite_mode: Name | None = None
    safety_lead_time_days: NonNeg = 7.0
    forecast_days: Annotated[int, Field(ge=1)] = 28
    buy_to_price_break: bool = True
    price_break_reach: Fraction = 0.6
    plan_adherence: Fraction = 0.9


class FinanceAgent(Strict):
    """Finance: budgets and caps; paid on ``incentive`` (cost, margin, cash).

    Caps inventory at ``inventory_cap_days`` of cost of goods sold: over the cap, it cuts
    production and purchase orders by ``cut_fraction``. Allows ``expedite_budget_per_month``
    of air freight. Discounts Sales' forecast by ``skepticism``. Approves capital spending
    that earns ``capex_hurdle_rate`` a year.
    """

    incentive: Literal["working_capital", "operating_profit"] = "working_capital"
    inventory_cap_days: Positive = 25.0
    cut_fraction: Fraction = 0.3
    expedite_budget_per_month: NonNeg = 15_000.0
    skepticism: Annotated[float, Field(ge=0, lt=1)] = 0.10
    capex_hurdle_rate: NonNeg = 0.15


class ExecutiveAgent(Strict):
    """The executive: reads reports in silo; in S&OP chooses among costed options by weights.

    An option is taken when ``service*revenue kept + cost*cost change + inventory*carrying
    change + growth*revenue change`` is positive (all in dollars).
    """

    service_weight: NonNeg = 1.0
    cost_weight: NonNeg = 1.0
    inventory_weight: NonNeg = 1.0
    growth_weight: NonNeg = 0.2


class CapacityOption(Strict):
    """A capacity expansion the company could make: ``delta_per_day`` more on ``line`` for
    ``capex``, available ``lead_days`` after approval."""

    line: Name
    delta_per_day: Positive
    capex: NonNeg
    lead_days: Annotated[int, Field(ge=1)] = 90


class Agents(Strict):
    sales: SalesAgent = SalesAgent()
    operations: OperationsAgent = OperationsAgent()
    procurement: ProcurementAgent = ProcurementAgent()
    finance: FinanceAgent = FinanceAgent()
    executive: ExecutiveAgent = ExecutiveAgent()


class ProtocolOptions(Strict):
    """Overrides of a protocol's pieces (unset: the protocol's own)."""

    visibility: Literal["own", "shared"] | None = None
    demand_review: bool | None = None
    supply_review: bool | None = None
    financial_reconciliation: bool | None = None
    horizon_months: Annotated[int, Field(ge=1, le=24)] | None = None


class Common(Strict):
    name: str = "oneplan"
    description: str = ""
    seed: Annotated[int, Field(ge=0)] = 1
    horizon_days: Annotated[int, Field(ge=1, le=100_000)] = 1095
    strict_audit: bool = False


class CompanyConfig(Common):
    """A manufacturing company: products, components, suppliers, modes, a plant, the books.

    ``protocol`` chooses who decides: ``classic`` (textbook ``policies``, no functions) or a
    rung of the ladder from functional silos to IBP, played by the function ``agents``.
    ``information_delay_days`` is how late a function sees another function's data when
    visibility is ``own``.
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
    shocks: Annotated[tuple[Shock, ...], Field(strict=False)] = ()
    protocol: Literal["classic", "silo", "info_sharing", "consensus_demand", "sop", "ibp"] = (
        "classic"
    )
    protocol_options: ProtocolOptions = ProtocolOptions()
    information_delay_days: Annotated[int, Field(ge=0, le=90)] = 7
    agents: Agents = Agents()
    capacity_options: Annotated[tuple[CapacityOption, ...], Field(strict=False)] = ()
    policies: Policies | None = None


class Stage(Strict):
    """One stock point of a serial chain (listed from the customer upstream).

    Its orders reach the stage upstream ``order_delay_periods`` later; what that stage ships
    arrives here ``lead_time_periods`` later (for the last stage: from an unlimited source).
    At the start ``initial_pipeline_per_period`` units sit in every period-slot of the
    shipping delay and ``initial_orders_per_period`` in every slot of the order delay; for
    the first ``fixed_orders_until_period`` periods the stage orders ``fixed_order_quantity``
    whatever its policy says. A shipment takes at least one period: it leaves after the stage
    downstream has taken this period's deliveries.
    """

    lead_time_periods: Annotated[int, Field(ge=1)]
    order_delay_periods: Annotated[int, Field(ge=0)] = 0
    initial_on_hand: NonNeg = 0.0
    initial_pipeline_per_period: NonNeg = 0.0
    initial_orders_per_period: NonNeg = 0.0
    holding_cost_per_unit_per_period: NonNeg = 0.0
    backorder_cost_per_unit_per_period: NonNeg = 0.0
    visibility: Literal["local", "shared"] = "local"
    policy: PolicySpec
    fixed_orders_until_period: Annotated[int, Field(ge=0)] = 0
    fixed_order_quantity: NonNeg = 0.0


class DemandStep(Strict):
    from_period: Annotated[int, Field(ge=0)]
    base_per_period: NonNeg


class ChainDemand(Strict):
    """End-customer demand of a serial chain, per period: a level, step changes, and noise."""

    base_per_period: NonNeg
    steps: Annotated[tuple[DemandStep, ...], Field(strict=False)] = ()
    noise: Noise = Noise(distribution="none")
    whole_units: bool = False


class ChainConfig(Common):
    """A serial chain of stock points, each ordering from the next (textbook networks).

    The chain moves in periods of ``period_days`` days: once a period every stage receives,
    ships and orders. In a chain, delays, review periods and histories count periods.
    """

    kind: Literal["serial_chain"]
    period_days: Annotated[int, Field(ge=1)] = 1
    horizon_days: Annotated[int, Field(ge=1, le=1_000_000)] = 3650
    demand: ChainDemand
    customer_patience_days: Annotated[int, Field(ge=0)] | None = None
    allow_negative_orders: bool = False
    stages: dict[Name, Stage]

    @model_validator(mode="after")
    def _stages(self) -> ChainConfig:
        if not self.stages:
            raise ValueError("a serial chain needs at least one stage")
        return self


Config = CompanyConfig | ChainConfig


# ------------------------------------------------------------------------------ loading


def _merge(
    base: Located, overlay: Located, path: tuple = (), base_data: Any = None, over: Any = None
) -> Any:
    """Deep-merge ``overlay`` into ``base`` (mutating ``base.locations``), return merged data."""
    if path == ():
        base_data, over = base.data, overlay.data
    if isinstance(base_data, dict) and isinstance(over, dict):
        merged = dict(base_data)
        for key, value in over.items():
            child = (*path, key)
            if value is None:
                merged.pop(key, None)
                _drop(base.locations, child)
                continue
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = _merge(base, overlay, child, merged[key], value)
                base.locations[child] = overlay.locations.get(child, base.locate(child))
            else:
                _drop(base.locations, child)
                merged[key] = value
                _copy_locations(overlay.locations, base.locations, child)
        return merged
    return over


def _drop(locations: dict, prefix: tuple) -> None:
    for key in [k for k in locations if k[: len(prefix)] == prefix]:
        del locations[key]


def _copy_locations(src: dict, dst: dict, prefix: tuple) -> None:
    for key, loc in src.items():
        if key[: len(prefix)] == prefix:
            dst[key] = loc


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
    if parent_path in seen:
        raise SourceError([SourceProblem(where, "extends", "circular extends")])
    if not parent_path.exists():
        raise SourceError([SourceProblem(where, "extends", f"file not found: {parent}")])
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

    Problems found later in the value (or in a mapping made on the way) point at ``where``.
    """
    node = located.data
    for i, key in enumerate(path[:-1]):
        child = node.get(key) if isinstance(node, dict) else None
        if child is None:
            # A mapping made by this assignment: problems inside it come from the assignment.
            child = {}
            node[key] = child
            located.locations[path[: i + 1]] = where
        elif not isinstance(child, dict):
            raise SourceError(
                [
                    SourceProblem(
                        where,
                        ".".join(path[: i + 1]),
                        f"is a {type(child).__name__}, not a mapping; cannot set {'.'.join(path)}",
                    )
                ]
            )
        node = child
    _drop(located.locations, path)
    node[path[-1]] = value
    located.locations[path] = where


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


def load_config(path: Path | str, overrides: Iterable[str] | Mapping[str, Any] = ()) -> Config:
    """Read, merge and validate a config file; raise :class:`ConfigError` listing every problem.

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
    return validate(located)


def validate(located: Located) -> Config:
    """Validate merged data; every schema and cross-reference problem is reported together."""
    data = located.data
    model: type[CompanyConfig] | type[ChainConfig]
    model = (
        ChainConfig
        if isinstance(data, dict) and data.get("kind") == "serial_chain"
        else CompanyConfig
    )
    problems: list[SourceProblem] = []
    try:
        config = model.model_validate(data)
    except ValidationError as exc:
        problems = _problems_from(exc, located, model)
    problems += [
        SourceProblem(located.locate(path), ".".join(map(str, path)), message)
        for path, message in _cross_references(data)
    ]
    if problems:
        problems.sort(key=_reading_order)
        raise SourceError(problems)
    return config


def validate_model[M: BaseModel](model: type[M], located: Located) -> M:
    """Validate ``located`` against any strict model, with this gate's located messages.

    Other YAML inputs (study files) use it so their errors read like a config's.
    """
    try:
        return model.model_validate(located.data)
    except ValidationError as exc:
        problems = _problems_from(exc, located, model)
        problems.sort(key=_reading_order)
        raise SourceError(problems) from None


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
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        field = str(ctx.get("discriminator", "")).strip("'")
        tags = [tag for member in _union_members(annotation) for tag in _tags_of(member)]
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


def _tags_of(model: type[BaseModel]) -> tuple[str, ...]:
    """The values of a union member's ``Literal`` fields: the tags that select it."""
    return tuple(
        tag
        for field in model.model_fields.values()
        if get_origin(field.annotation) is Literal
        for tag in get_args(field.annotation)
    )


def _model_fields(annotation: Any) -> dict | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.model_fields
    return None


def _cross_references(data: Any) -> list[tuple[tuple, str]]:
    """References between named things that the schema alone cannot check.

    Works on the plain data, so it runs even when the schema found problems and every problem
    is reported at once; a part that does not have the expected shape is skipped (the schema
    reports it).
    """
    if not isinstance(data, dict) or data.get("kind", "company") != "company":
        return []
    problems: list[tuple[tuple, str]] = []

    def mapping(node: Any, *path: str) -> dict:
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}

    def listed(value: Any) -> list[tuple[int, str]]:
        items = value if isinstance(value, list | tuple) else []
        return [(i, item) for i, item in enumerate(items) if isinstance(item, str)]

    def unknown(what: str, name: str, known: set[str]) -> str:
        names = ", ".join(sorted(known)) or "none defined"
        return f"unknown {what} '{name}'; defined {what}s: {names}"

    products, components = set(mapping(data, "products")), set(mapping(data, "components"))
    modes, suppliers = set(mapping(data, "transport_modes")), set(mapping(data, "suppliers"))
    for pname, product in mapping(data, "products").items():
        for cname in mapping(product, "bom"):
            if cname not in components:
                where = ("products", pname, "bom", cname)
                problems.append((where, unknown("component", cname, components)))
    supplied: set[str] = set()
    for sname, supplier in mapping(data, "suppliers").items():
        for cname in mapping(supplier, "components"):
            supplied.add(cname)
            if cname not in components:
                where = ("suppliers", sname, "components", cname)
                problems.append((where, unknown("component", cname, components)))
        for i, mode in listed(mapping(supplier).get("modes")):
            if mode not in modes:
                where = ("suppliers", sname, "modes", i)
                problems.append((where, unknown("transport mode", mode, modes)))
        if isinstance(supplier, dict) and supplier.get("modes") == []:
            problems.append((("suppliers", sname, "modes"), "list at least one transport mode"))
    for cname in sorted(components - supplied):
        message = "no supplier sells this component; add it to a supplier"
        problems.append((("components", cname), message))
    made: set[str] = set()
    for lname, line in mapping(data, "plant", "lines").items():
        for i, pname in listed(mapping(line).get("products")):
            if pname not in products:
                where = ("plant", "lines", lname, "products", i)
                problems.append((where, unknown("product", pname, products)))
            made.add(pname)
    for pname in sorted(products - made):
        message = "no production line makes this product; list it in a line"
        problems.append((("products", pname), message))
    if "markets" in data:
        shares = [mapping(m).get("share", 1.0) for m in mapping(data, "markets").values()]
        if all(_is_number(s) for s in shares):
            share = sum(shares)
            if abs(share - 1.0) > 1e-9:
                message = f"market shares must add up to 1 (they add up to {share:g})"
                problems.append((("markets",), message))
    for pname in mapping(data, "policies", "production", "products"):
        if pname not in products:
            where = ("policies", "production", "products", pname)
            problems.append((where, unknown("product", pname, products)))
    for cname in mapping(data, "policies", "purchasing", "components"):
        if cname not in components:
            where = ("policies", "purchasing", "components", cname)
            problems.append((where, unknown("component", cname, components)))
    purchase_mode = mapping(data, "policies", "purchasing").get("mode")
    if isinstance(purchase_mode, str) and purchase_mode not in modes:
        where = ("policies", "purchasing", "mode")
        problems.append((where, unknown("transport mode", purchase_mode, modes)))
    for key in ("mode", "expedite_mode"):
        mode = mapping(data, "agents", "procurement").get(key)
        if isinstance(mode, str) and mode not in modes:
            where = ("agents", "procurement", key)
            problems.append((where, unknown("transport mode", mode, modes)))
    lines = set(mapping(data, "plant", "lines"))
    options = data.get("capacity_options")
    for i, option in enumerate(options if isinstance(options, list | tuple) else []):
        line = mapping(option).get("line")
        if isinstance(line, str) and line not in lines:
            problems.append((("capacity_options", i, "line"), unknown("line", line, lines)))
    protocol = data.get("protocol", "classic")
    if protocol == "classic" and "policies" not in data:
        message = "protocol 'classic' needs a 'policies' section (or choose a function protocol)"
        problems.append((("protocol",), message))
    targets = {
        "demand": products | {"all"},
        "supplier_failure": suppliers,
        "transport_delay": modes,
    }
    shocks = data.get("shocks")
    for i, shock in enumerate(shocks if isinstance(shocks, list | tuple) else []):
        shock = mapping(shock)
        kind, target = shock.get("kind"), shock.get("target")
        known = targets.get(kind) if isinstance(kind, str) else None
        if known is not None and isinstance(target, str) and target not in known:
            message = (
                f"unknown target '{target}' for a {kind} shock; allowed: {', '.join(sorted(known))}"
            )
            problems.append((("shocks", i, "target"), message))
        start, end = shock.get("start_day"), shock.get("end_day")
        if _is_number(start) and _is_number(end) and end <= start:
            problems.append((("shocks", i, "end_day"), "end_day must be after start_day"))
    return problems


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
