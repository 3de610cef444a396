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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.source import Located, Location, SourceError, SourceProblem, load_yaml, parse_scalar

__all__ = [
    "ChainConfig",
    "CompanyConfig",
    "Config",
    "ConfigError",
    "load_config",
    "parse_overrides",
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


class Seasonality(Strict):
    """Annual cosine seasonality: the mean is multiplied by ``1 + amplitude*cos(2π(d-peak)/365)``."""

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


PolicySpec = Annotated[OrderUpTo | BaseStock | SS | RQ | FixedPlan, Field(discriminator="policy")]


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


class Common(Strict):
    name: str = "oneplan"
    description: str = ""
    seed: Annotated[int, Field(ge=0)] = 1
    horizon_days: Annotated[int, Field(ge=1, le=100_000)] = 1095
    strict_audit: bool = False


class CompanyConfig(Common):
    """A manufacturing company: products, components, suppliers, modes, a plant, the books."""

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
    policies: Policies


class Stage(Strict):
    """One stock point of a serial chain (listed from the customer upstream).

    Its orders reach the stage upstream ``order_delay_periods`` later; what that stage ships
    arrives here ``lead_time_periods`` later (for the last stage: from an unlimited source).
    At the start ``initial_pipeline_per_period`` units sit in every period-slot of the
    shipping delay and ``initial_orders_per_period`` in every slot of the order delay; for
    the first ``fixed_orders_until_period`` periods the stage orders ``fixed_order_quantity``
    whatever its policy says.
    """

    lead_time_periods: Annotated[int, Field(ge=0)]
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
        if not sep or not path_text or not re.fullmatch(r"[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*", path_text):
            problems.append(
                SourceProblem(Location("--set"), text, "expected dotted.path=value, e.g. horizon_days=730")
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


def _apply_override(located: Located, path: tuple[str, ...], value: Any, text: str) -> None:
    node = located.data
    for i, key in enumerate(path[:-1]):
        child = node.get(key) if isinstance(node, dict) else None
        if child is None:
            child = {}
            node[key] = child
        elif not isinstance(child, dict):
            raise SourceError(
                [
                    SourceProblem(
                        Location("--set"),
                        ".".join(path[: i + 1]),
                        f"is a {type(child).__name__}, not a mapping; cannot set {'.'.join(path)}",
                    )
                ]
            )
        node = child
    _drop(located.locations, path)
    node[path[-1]] = value
    located.locations[path] = Location(f"--set {text}")


def load_config(
    path: Path | str, overrides: Iterable[str] | Mapping[str, Any] = ()
) -> Config:
    """Read, merge and validate a config file; raise :class:`ConfigError` listing every problem.

    ``overrides`` are ``dotted.path=value`` strings (as given to ``--set``) or a mapping of
    dotted paths to Python values.
    """
    located = _load_with_extends(_display_path(Path(path)))
    if isinstance(overrides, Mapping):
        items = [(tuple(k.split(".")), v, f"{k}={v}") for k, v in overrides.items()]
    else:
        items = parse_overrides(overrides)
    for dotted, value, text in items:
        _apply_override(located, dotted, value, text)
    return validate(located)


def validate(located: Located) -> Config:
    """Validate merged data; every schema and cross-reference problem is reported together."""
    data = located.data
    model: type[CompanyConfig] | type[ChainConfig]
    model = ChainConfig if isinstance(data, dict) and data.get("kind") == "serial_chain" else CompanyConfig
    try:
        config = model.model_validate(data)
    except ValidationError as exc:
        raise SourceError(_problems_from(exc, located, model)) from None
    problems = [
        SourceProblem(located.locate(path), ".".join(map(str, path)), message)
        for path, message in _cross_references(config)
    ]
    if problems:
        raise SourceError(problems)
    return config


def _problems_from(exc: ValidationError, located: Located, model: type[BaseModel]) -> list[SourceProblem]:
    problems = []
    seen = set()
    for error in exc.errors(include_url=False):
        loc = _clean_loc(error["loc"])
        message = _message(error, loc, model)
        key = (loc, message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(SourceProblem(located.locate(loc), ".".join(map(str, loc)), message))
    problems.sort(key=lambda p: (p.location.file, p.location.line or 0, p.location.column or 0))
    return problems


def _clean_loc(loc: tuple) -> tuple:
    # Pydantic adds the tag of a discriminated union ("order_up_to") and of a function
    # validator to the location; users wrote neither.
    tags = {
        "constant", "normal", "uniform", "lognormal", "gamma",
        "order_up_to", "base_stock", "s_S", "r_Q", "fixed_plan",
    }
    return tuple(p for p in loc if not (isinstance(p, str) and (p in tags or p.startswith("function-"))))


def _message(error: dict, loc: tuple, model: type[BaseModel]) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        hint = ""
        if allowed:
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return f"unknown key{hint}; allowed keys: {', '.join(allowed)}"
        return "unknown key"
    if kind == "missing":
        return "required field is missing"
    text = error["msg"]
    if kind.startswith("value_error"):
        text = text.removeprefix("Value error, ")
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        ctx = error.get("ctx", {})
        return f"{text}; allowed: {ctx.get('expected_tags', '')}"
    if not isinstance(value, dict | list) and kind not in {"missing"}:
        text = f"{text} (got {value!r})"
    return text


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names allowed at ``loc`` (walking the schema through mappings by name)."""
    annotation: Any = model
    for part in loc:
        fields = _model_fields(annotation)
        if fields is None:
            return []
        if isinstance(part, str) and part in fields:
            annotation = fields[part].annotation
            continue
        annotation = _value_type(annotation)
        if annotation is None:
            return []
    fields = _model_fields(annotation)
    return sorted(fields) if fields else []


def _model_fields(annotation: Any) -> dict | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.model_fields
    return None


def _value_type(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", ())
    return args[-1] if args else None


def _cross_references(config: Config) -> list[tuple[tuple, str]]:
    """References between named things that the schema alone cannot check."""
    if isinstance(config, ChainConfig):
        return []
    problems: list[tuple[tuple, str]] = []
    components, products = set(config.components), set(config.products)
    modes, suppliers = set(config.transport_modes), set(config.suppliers)

    def unknown(what: str, name: str, known: set[str]) -> str:
        listed = ", ".join(sorted(known)) or "none defined"
        return f"unknown {what} '{name}'; defined {what}s: {listed}"

    for pname, product in config.products.items():
        for cname in product.bom:
            if cname not in components:
                problems.append((("products", pname, "bom", cname), unknown("component", cname, components)))
    for sname, supplier in config.suppliers.items():
        for cname in supplier.components:
            if cname not in components:
                problems.append((("suppliers", sname, "components", cname), unknown("component", cname, components)))
        for i, mode in enumerate(supplier.modes):
            if mode not in modes:
                problems.append((("suppliers", sname, "modes", i), unknown("transport mode", mode, modes)))
        if not supplier.modes:
            problems.append((("suppliers", sname, "modes"), "list at least one transport mode"))
    supplied = {c for s in config.suppliers.values() for c in s.components}
    for cname in components - supplied:
        problems.append((("components", cname), "no supplier sells this component; add it to a supplier"))
    made = set()
    for lname, line in config.plant.lines.items():
        for i, pname in enumerate(line.products):
            if pname not in products:
                problems.append((("plant", "lines", lname, "products", i), unknown("product", pname, products)))
            made.add(pname)
    for pname in products - made:
        problems.append((("products", pname), "no production line makes this product; list it in a line"))
    share = sum(m.share for m in config.markets.values())
    if abs(share - 1.0) > 1e-9:
        problems.append((("markets",), f"market shares must add up to 1 (they add up to {share:g})"))
    for pname in config.policies.production.products:
        if pname not in products:
            problems.append((("policies", "production", "products", pname), unknown("product", pname, products)))
    for cname in config.policies.purchasing.components:
        if cname not in components:
            problems.append((("policies", "purchasing", "components", cname), unknown("component", cname, components)))
    purchase_mode = config.policies.purchasing.mode
    if purchase_mode not in modes:
        problems.append((("policies", "purchasing", "mode"), unknown("transport mode", purchase_mode, modes)))
    for i, shock in enumerate(config.shocks):
        known = {"demand": products | {"all"}, "supplier_failure": suppliers, "transport_delay": modes}[shock.kind]
        if shock.target not in known:
            problems.append((("shocks", i, "target"), f"unknown target '{shock.target}' for a {shock.kind} shock; allowed: {', '.join(sorted(known))}"))
        if shock.end_day is not None and shock.end_day <= shock.start_day:
            problems.append((("shocks", i, "end_day"), "end_day must be after start_day"))
    return problems
