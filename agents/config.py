"""The decision makers' half of the config gate, and the full configs that combine it with the
world's.

The world's schema (``sim.config``) knows products, suppliers, lines and books; here are the
textbook policies that drive a company under ``protocol: classic`` or a serial chain's stages,
the function agents' incentives and knobs, and the protocol that decides how the functions
plan together. :class:`CompanyConfig` and :class:`ChainConfig` are what a config file
describes; :func:`load_config` reads, merges and validates one, reporting every problem at
once as ``file:line:col: dotted.path: why``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, field_validator, model_validator

from sim.config import (
    MAX_DAYS,
    MIN_UNITS,
    ChainStage,
    ChainWorldConfig,
    ConfigError,
    Duration,
    Fraction,
    Money,
    Name,
    PositiveUnits,
    SignedUnits,
    Strict,
    Units,
    WorldConfig,
    load_source,
    mapping_at,
    unknown_name,
    validate_model,
    world_references,
)
from sim.source import Located

__all__ = [
    "PROTOCOL_NAMES",
    "ChainConfig",
    "CompanyConfig",
    "Config",
    "ConfigError",
    "load_config",
    "validate",
]

ProtocolName = Literal["classic", "silo", "info_sharing", "consensus_demand", "sop", "ibp"]
PROTOCOL_NAMES: tuple[str, ...] = get_args(ProtocolName)
"""Who decides: ``classic`` textbook policies, or a rung of the ladder played by the functions."""


Review = Annotated[int, Field(ge=1, le=MAX_DAYS)]
"""A review period: periods between two orders (days in a company)."""
Weight = Annotated[float, Field(ge=0, le=1_000)]


# ------------------------------------------------------------------------------ policies


class Forecaster(Strict):
    """A statistical forecaster of demand per period.

    ``moving_average`` over the last ``periods`` periods; ``exponential_smoothing`` with
    ``alpha``; ``naive`` repeats the last value.
    """

    method: Literal["moving_average", "exponential_smoothing", "naive"]
    periods: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 28
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
    safety_factor: Annotated[float, Field(ge=-10, le=10)] = 1.65
    review_period: Review = 1
    lead_time: Duration | None = None


class BaseStock(Strict):
    """Order up to a fixed ``level`` every review."""

    policy: Literal["base_stock"]
    level: SignedUnits
    review_period: Review = 1


class SS(Strict):
    """(s, S): when the position is at or below ``reorder_point`` order up to ``order_up_to``."""

    policy: Literal["s_S"]
    reorder_point: SignedUnits
    order_up_to: SignedUnits
    review_period: Review = 1

    @model_validator(mode="after")
    def _ordered(self) -> SS:
        if self.order_up_to < self.reorder_point:
            raise ValueError("order_up_to must be >= reorder_point")
        return self


class RQ(Strict):
    """(r, Q): when the position is at or below ``reorder_point``, order ``quantity`` (repeated
    until the position is above r)."""

    policy: Literal["r_Q"]
    reorder_point: SignedUnits
    quantity: PositiveUnits
    review_period: Review = 1


class FixedPlan(Strict):
    """Order the same ``quantity`` every review, whatever happens."""

    policy: Literal["fixed_plan"]
    quantity: Units
    review_period: Review = 1


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
    s_prime: Units
    review_period: Review = 1


PolicySpec = Annotated[
    OrderUpTo | BaseStock | SS | RQ | FixedPlan | AnchorAndAdjust, Field(discriminator="policy")
]


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
    duration_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 14
    price_discount: Annotated[float, Field(ge=0, lt=1)] = 0.08
    cost: Money = 15_000.0
    trigger_gap: Annotated[float, Field(ge=0, le=1)] = 0.03
    lead_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 7
    min_days_between: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 56


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
    forecast_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 28
    planned_lead_time_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 7
    safety_days: Duration = 5.0
    smoothing: Fraction = 0.6
    frozen_days: Annotated[int, Field(ge=0, le=MAX_DAYS)] = 0
    lot_size: Units = 100.0
    overtime_trigger_days: Duration = 2.0
    plan_adherence: Fraction = 0.9

    @field_validator("lot_size")
    @classmethod
    def _whole_lots(cls, lot: float) -> float:
        # Quantities are divided by the lot: a lot of 1e-300 units makes that overflow.
        if 0 < lot < MIN_UNITS:
            raise ValueError(f"a lot size is 0 (no lots) or at least {MIN_UNITS:g} units")
        return lot


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
    safety_lead_time_days: Duration = 7.0
    forecast_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 28
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
    inventory_cap_days: Annotated[float, Field(ge=0.01, le=MAX_DAYS)] = 25.0
    cut_fraction: Fraction = 0.3
    expedite_budget_per_month: Money = 15_000.0
    skepticism: Annotated[float, Field(ge=0, lt=1)] = 0.10
    capex_hurdle_rate: Annotated[float, Field(ge=0, le=10)] = 0.15


class ExecutiveAgent(Strict):
    """The executive: reads reports in silo; in S&OP chooses among costed options by weights.

    An option is taken when ``service*revenue kept + cost*cost change + inventory*carrying
    change + growth*revenue change`` is positive (all in dollars).
    """

    service_weight: Weight = 1.0
    cost_weight: Weight = 1.0
    inventory_weight: Weight = 1.0
    growth_weight: Weight = 0.2


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


class CompanyConfig(WorldConfig):
    """A manufacturing company: its world, and who decides in it.

    ``protocol`` chooses who decides: ``classic`` (textbook ``policies``, no functions) or a
    rung of the ladder from functional silos to IBP, played by the function ``agents``.
    """

    protocol: ProtocolName = "classic"
    protocol_options: ProtocolOptions = ProtocolOptions()
    agents: Agents = Agents()
    policies: Policies | None = None


class Stage(ChainStage):
    """One stock point of a serial chain and the policy it orders by."""

    policy: PolicySpec


class ChainConfig(ChainWorldConfig):
    __doc__ = ChainWorldConfig.__doc__

    kind: Literal["serial_chain"]
    stages: dict[Name, Stage]


Config = CompanyConfig | ChainConfig


def decider_references(data: Any) -> list[tuple[tuple, str]]:
    """References from the decision makers' sections to the world's named things."""
    if not isinstance(data, dict) or data.get("kind", "company") != "company":
        return []
    problems: list[tuple[tuple, str]] = []
    products, components = set(mapping_at(data, "products")), set(mapping_at(data, "components"))
    modes = set(mapping_at(data, "transport_modes"))
    for pname in mapping_at(data, "policies", "production", "products"):
        if pname not in products:
            where = ("policies", "production", "products", pname)
            problems.append((where, unknown_name("product", pname, products)))
    for cname in mapping_at(data, "policies", "purchasing", "components"):
        if cname not in components:
            where = ("policies", "purchasing", "components", cname)
            problems.append((where, unknown_name("component", cname, components)))
    purchase_mode = mapping_at(data, "policies", "purchasing").get("mode")
    if isinstance(purchase_mode, str) and purchase_mode not in modes:
        where = ("policies", "purchasing", "mode")
        problems.append((where, unknown_name("transport mode", purchase_mode, modes)))
    for key in ("mode", "expedite_mode"):
        mode = mapping_at(data, "agents", "procurement").get(key)
        if isinstance(mode, str) and mode not in modes:
            where = ("agents", "procurement", key)
            problems.append((where, unknown_name("transport mode", mode, modes)))
    protocol = data.get("protocol", "classic")
    if protocol == "classic" and "policies" not in data:
        message = "protocol 'classic' needs a 'policies' section (or choose a function protocol)"
        problems.append((("protocol",), message))
    return problems


def validate(located: Located) -> Config:
    """Validate merged config data (a company, or ``kind: serial_chain``); every schema and
    cross-reference problem is reported together."""
    data = located.data
    chain = isinstance(data, dict) and data.get("kind") == "serial_chain"
    model: type[Config] = ChainConfig if chain else CompanyConfig
    return validate_model(model, located, (world_references, decider_references))


def load_config(path: Path | str, overrides: Iterable[str] | Mapping[str, Any] = ()) -> Config:
    """Read, merge and validate a config file; raise :class:`ConfigError` listing every problem.

    ``overrides`` are ``dotted.path=value`` strings (as given to ``--set``) or a mapping of
    dotted paths to Python values.
    """
    return validate(load_source(path, overrides))
