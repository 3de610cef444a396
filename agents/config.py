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

from agents.names import PROTOCOL_NAMES, ProtocolName
from sim.config import (
    ChainStage,
    ChainWorldConfig,
    ConfigError,
    Seasonality,
    WorldConfig,
    load_source,
    mapping_at,
    unknown_name,
    validate_model,
    warmup_problems,
    world_references,
)
from sim.schema import (
    MAX_DAYS,
    MIN_UNITS,
    Duration,
    Fraction,
    Money,
    Name,
    PositiveUnits,
    SignedMoney,
    SignedUnits,
    Strict,
    Units,
)
from sim.source import Located

__all__ = [
    "OPTION_KINDS",
    "PROTOCOL_NAMES",
    "ChainConfig",
    "CompanyConfig",
    "Config",
    "ConfigError",
    "load_config",
    "validate",
]


Review = Annotated[int, Field(ge=1, le=MAX_DAYS)]
"""A review period: periods between two orders (days in a company)."""
Weight = Annotated[float, Field(ge=0, le=1_000)]
PayWeight = Annotated[float, Field(ge=0, le=1e6)]
"""A weight of a function's pay: dollars counted per dollar, or per unit, of what it is paid
on."""
CapDays = Annotated[float, Field(ge=0.01, le=MAX_DAYS)]
"""Days of cost of goods sold that inventory may hold (Finance's cap and its bounds)."""


# ------------------------------------------------------------------------------ policies


class Forecaster(Strict):
    """A statistical forecaster of demand per period.

    ``moving_average`` over the last ``periods`` periods; ``exponential_smoothing`` with
    ``alpha``; ``naive`` repeats the last value; ``constant`` knows the demand process and
    always forecasts ``mean`` units per period with a one-period error of standard deviation
    ``sd`` (units per period), whatever demand it sees.
    """

    method: Literal["moving_average", "exponential_smoothing", "naive", "constant"]
    periods: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 28
    alpha: Annotated[float, Field(gt=0, le=1)] = 0.2
    mean: Units | None = None
    sd: Units | None = None

    @model_validator(mode="after")
    def _known_mean(self) -> Forecaster:
        if self.method == "constant" and self.mean is None:
            raise ValueError("the constant forecaster needs its 'mean' (units per period)")
        if self.method != "constant":
            given = [key for key in ("mean", "sd") if key in self.model_fields_set]
            if given:
                keys = " and ".join(f"'{key}'" for key in given)
                verb = "applies" if len(given) == 1 else "apply"
                raise ValueError(
                    f"{keys} {verb} only to method 'constant' "
                    f"(the {self.method} forecaster estimates demand from what it sees)"
                )
        return self


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
    and ``s_prime`` the anchor for desired stock plus ``beta`` times the desired supply line
    (units). ``L̂`` starts at ``initial_expectation`` (units per period) when it is given, and
    at the first demand seen when it is not; with ``theta`` 0 it stays there, so a known mean
    demand is written ``theta: 0, initial_expectation: <mean>``. Sterman's average player:
    theta 0.36, alpha_s 0.26, beta 0.34, s_prime 17.

    With ``theta`` 0, ``beta`` 1 and a known mean this is Disney & Towill's proportional
    order-up-to policy, ``order = mean + (target − position) / Ti``: ``alpha_s = 1/Ti`` and
    ``s_prime`` the target for stock plus supply line.
    """

    policy: Literal["anchor_and_adjust"]
    theta: Fraction
    alpha_s: Fraction
    beta: Fraction
    s_prime: Units
    initial_expectation: Units | None = None
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


# ------------------------------------------------------------------------ function agents
#
# Each function decides by scoring candidate actions on its own objective: a weighted sum of
# the terms it is paid on, each estimated from its own view. ``incentive`` names a preset of
# weights (the presets are listed in ``agents.objective``); ``pay`` overrides any weight.


class DemandForecasterSpec(Strict):
    """How a function forecasts daily demand per product from what it sees.

    ``holt_winters``: level, trend and an annual seasonal wave (``harmonics`` sine-cosine
    pairs), each updated recursively with every day observed (smoothing ``alpha`` for the
    level, ``beta`` for the trend, ``gamma`` for the season); ``exponential_smoothing``: the
    level only (``alpha``); ``moving_average``: the mean of the last ``window_days``. Each
    tracks the spread of its own one-day-ahead errors, which a function uses for safety stock.
    """

    method: Literal["holt_winters", "exponential_smoothing", "moving_average"] = "holt_winters"
    alpha: Annotated[float, Field(gt=0, le=1)] = 0.015
    beta: Annotated[float, Field(ge=0, le=1)] = 0.0005
    gamma: Annotated[float, Field(ge=0, le=1)] = 0.01
    harmonics: Annotated[int, Field(ge=1, le=6)] = 1
    window_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 28


class MarketPrior(Strict):
    """What a function believes of one product's market before it has seen demand: the
    seasonal wave (relative amplitude and peak day) and the trend. It is only a prior: the
    forecaster's own estimates move away from it as demand is observed."""

    trend_per_year: Annotated[float, Field(gt=-1, le=10)] = 0.0
    seasonality: Seasonality = Seasonality()


class PromotionPlay(Strict):
    """How Sales runs promotions.

    Each quarter Sales may run up to ``per_quarter`` promotions of ``duration_days`` at
    ``price_discount`` off list, each costing ``cost`` (media, displays), announced
    ``lead_days`` ahead and at least ``min_days_between`` apart for a product. Every week it
    scores running one now for each product against the best slots left in the quarter, on its
    own objective, expecting demand to rise by ``expected_uplift`` (its belief; with adaptation
    on it learns the market's real answer from the promotions it runs).
    """

    enabled: bool = True
    per_quarter: Annotated[int, Field(ge=0, le=13)] = 2
    duration_days: Annotated[int, Field(ge=1, le=91)] = 14
    price_discount: Annotated[float, Field(ge=0, lt=1)] = 0.08
    cost: Money = 15_000.0
    lead_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 7
    min_days_between: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 56
    expected_uplift: Annotated[float, Field(ge=0, le=5)] = 0.35


class SalesLearning(Strict):
    """How Sales learns its forecast inflation: it tries its inflation ``step`` higher for one
    period of ``period_days`` and ``step`` lower for the next (in a random order), scores each
    period on its pay after a ``washout_days`` (what it sells in the first days of a trial was
    planned on the last trial's forecast), then moves
    it by ``rate ×`` the slope of its pay between the two (pay per dollar of demand, per unit
    of inflation), within
    ``±max_inflation`` (:class:`agents.learning.HillClimb`); it learns a promotion's real
    uplift with weight ``uplift_weight`` per promotion."""

    period_days: Annotated[int, Field(ge=14, le=MAX_DAYS)] = 56
    washout_days: Annotated[int, Field(ge=0, le=MAX_DAYS)] = 21
    step: Annotated[float, Field(gt=0, le=0.5)] = 0.08
    rate: Annotated[float, Field(ge=0, le=100)] = 0.25
    max_inflation: Annotated[float, Field(ge=0, le=0.5)] = 0.5
    uplift_weight: Fraction = 0.5


class SalesAgent(Strict):
    """Sales: brings the demand forecast (and its optimism), runs promotions; paid on
    ``incentive`` (``revenue``, ``volume`` or ``operating_profit``; ``pay`` overrides weights of
    the terms ``revenue``, ``volume``, ``service``, ``forecast_accuracy``, ``operating_profit``).

    Sales forecasts every product with its ``forecaster`` on the customer orders it sees,
    starting from its ``market_intelligence`` (per product), and submits that forecast raised
    by its inflation (per product), which starts at ``optimism_bias`` and, with
    adaptation on, is learned from what it was paid. ``plan_adherence``: how far it adopts an
    agreed consensus as the number it works to.
    """

    incentive: Literal["revenue", "volume", "operating_profit"] = "revenue"
    pay: dict[
        Literal["revenue", "volume", "service", "forecast_accuracy", "operating_profit"], PayWeight
    ] = Field(default_factory=dict)
    optimism_bias: Annotated[float, Field(ge=-0.5, le=2)] = 0.15
    forecaster: DemandForecasterSpec = DemandForecasterSpec()
    market_intelligence: dict[Name, MarketPrior] = Field(default_factory=dict)
    promotion: PromotionPlay = PromotionPlay()
    learning: SalesLearning = SalesLearning()
    plan_adherence: Fraction = 0.9


class OperationsAgent(Strict):
    """Operations: plans production weekly; paid on ``incentive`` (``unit_cost`` or
    ``operating_profit``; ``pay`` overrides weights of the terms ``overtime``, ``utilization``,
    ``schedule_changes``, ``shortage``, ``holding``, ``operating_profit``).

    Its demand belief is the official forecast with weight ``trust_in_official`` and its own
    ``forecaster`` (on shipments it sees, or on customer orders when they are shared) with the
    rest. Every week it scores candidate plans — safety stock, how far to move from last
    week's quantities, overtime or not — on its objective, with a cover of
    ``planned_lead_time_days`` plus a week; makes lots of ``lot_size`` units and does not
    change what it released within ``frozen_weeks``. ``plan_adherence``: how closely it makes
    the agreed plan.
    """

    incentive: Literal["unit_cost", "operating_profit"] = "unit_cost"
    pay: dict[
        Literal[
            "overtime", "utilization", "schedule_changes", "shortage", "holding", "operating_profit"
        ],
        PayWeight,
    ] = Field(default_factory=dict)
    trust_in_official: Fraction = 1.0
    forecaster: DemandForecasterSpec = DemandForecasterSpec()
    planned_lead_time_days: Annotated[int, Field(ge=1, le=90)] = 7
    lot_size: Units = 100.0
    frozen_weeks: Annotated[int, Field(ge=0, le=12)] = 0
    plan_adherence: Fraction = 0.9

    @field_validator("lot_size")
    @classmethod
    def _whole_lots(cls, lot: float) -> float:
        # Quantities are divided by the lot: a lot of 1e-300 units makes that overflow.
        if 0 < lot < MIN_UNITS:
            raise ValueError(f"a lot size is 0 (no lots) or at least {MIN_UNITS:g} units")
        return lot


class ProcurementLearning(Strict):
    """How Procurement learns its suppliers: each week's deliveries move its estimate of a
    supplier's on-time share and of its average lateness by ``weight`` (a recency-weighted
    average), and units overdue at a supplier count as late."""

    weight: Fraction = 0.15


class ProcurementAgent(Strict):
    """Procurement: buys components weekly; paid on ``incentive`` (``purchase_price`` or
    ``operating_profit``; ``pay`` overrides weights of the terms ``purchase_price_variance``,
    ``freight``, ``component_inventory``, ``supply_risk``, ``operating_profit``).

    Without an agreed plan it buys to the official forecast through the bill of materials
    (``plans_to: official``) or to its own ``forecaster`` on what production consumed
    (``own``). Every week, for each component, it scores candidate orders — which supplier (or
    two), which mode, how many weeks to cover, whether to round up to a price break — on its
    objective, with ``safety_days`` of need as a buffer; and scores rushing what would run
    out before a regular order can arrive. Its beliefs about suppliers start from their quoted
    reliability and, with adaptation on, follow the surprises it has had.
    """

    incentive: Literal["purchase_price", "operating_profit"] = "purchase_price"
    pay: dict[
        Literal[
            "purchase_price_variance",
            "freight",
            "component_inventory",
            "supply_risk",
            "operating_profit",
        ],
        PayWeight,
    ] = Field(default_factory=dict)
    plans_to: Literal["official", "own"] = "official"
    forecaster: DemandForecasterSpec = DemandForecasterSpec(
        method="exponential_smoothing", alpha=0.05
    )
    safety_days: Duration = 7.0
    learning: ProcurementLearning = ProcurementLearning()
    plan_adherence: Fraction = 0.9


class FinanceLearning(Strict):
    """How Finance tunes its inventory cap: at each month's close it moves the cap by
    ``rate`` × the relative gap between the inventory it held last month, in days of what was
    actually sold, and its target (tighter when over), within
    ``[min_cap_days, max_cap_days]``."""

    rate: Annotated[float, Field(ge=0, le=2)] = 0.1
    min_cap_days: CapDays = 15.0
    max_cap_days: CapDays = 120.0


class FinanceAgent(Strict):
    """Finance: budgets and controls working capital; paid on ``incentive``
    (``working_capital`` or ``operating_profit``; ``pay`` overrides weights of the terms
    ``budget_excess``, ``working_capital``, ``margin``, ``operating_profit``).

    Every month it sets an inventory target of ``inventory_cap_days`` of its own forecast of
    cost of goods sold — the official forecast less its ``skepticism`` — and an expediting
    budget. Every week it reviews the orders of Operations and Procurement against that target:
    it scores cutting nothing, part or all of the inventory it holds over the target out of
    the week's orders (``cut_order``: purchases first, production first, or across the board)
    on its objective, counting the capital charge over ``review_weeks``, and releases the rest;
    rush orders are released within the expediting budget.
    With adaptation on it tunes the cap so that inventory comes to ``inventory_target_days``
    of the cost of goods actually sold (its working-capital target for inventory: the cap is
    set on its own, skeptical forecast, the target is measured on what happened).
    Capital spending must earn ``capex_hurdle_rate`` a year.
    """

    incentive: Literal["working_capital", "operating_profit"] = "working_capital"
    pay: dict[
        Literal["budget_excess", "working_capital", "margin", "operating_profit"], PayWeight
    ] = Field(default_factory=dict)
    inventory_cap_days: CapDays = 25.0
    inventory_target_days: CapDays = 25.0
    review_weeks: Annotated[int, Field(ge=1, le=13)] = 1
    cut_order: Literal["purchases_first", "production_first", "across_the_board"] = (
        "purchases_first"
    )
    expedite_budget_per_month: Money = 15_000.0
    skepticism: Annotated[float, Field(ge=0, lt=1)] = 0.10
    capex_hurdle_rate: Annotated[float, Field(ge=0, le=10)] = 0.15
    learning: FinanceLearning = FinanceLearning()
    plan_adherence: Fraction = 0.9


class ExecutiveAgent(Strict):
    """The executive: reads reports in silo; at the meeting takes the options whose weighted
    dollars are positive: ``service_weight × (margin + penalties avoided) − cost_weight × cost
    − inventory_weight × (capital charge + storage) − cash timing + growth_weight × revenue``.
    With the defaults that is the option's operating profit over the horizon; a
    ``growth_weight`` buys revenue at a loss, on purpose."""

    service_weight: Weight = 1.0
    cost_weight: Weight = 1.0
    inventory_weight: Weight = 1.0
    growth_weight: Weight = 0.0


class Agents(Strict):
    """The functions. ``adaptation``: they learn from what their pay rewarded (Sales its
    forecast inflation and a promotion's uplift, Finance its inventory cap, Procurement its
    suppliers' reliability); off, every learned knob keeps its configured value."""

    adaptation: bool = False
    sales: SalesAgent = SalesAgent()
    operations: OperationsAgent = OperationsAgent()
    procurement: ProcurementAgent = ProcurementAgent()
    finance: FinanceAgent = FinanceAgent()
    executive: ExecutiveAgent = ExecutiveAgent()


OptionKind = Literal[
    "demand_shaping",
    "pre_build",
    "overtime",
    "air_freight",
    "alternate_supplier",
    "capacity_expansion",
    "capacity_reservation",
]
OPTION_KINDS: tuple[str, ...] = get_args(OptionKind)
"""What the supply review can put on the table for the executive to decide."""


class ProtocolOptions(Strict):
    """Overrides of a protocol's pieces (unset: the protocol's own). ``options``: the kinds of
    option the supply review may put on the table (unset: all of them)."""

    visibility: Literal["own", "shared"] | None = None
    demand_review: bool | None = None
    supply_review: bool | None = None
    exception_reviews: bool | None = None
    financial_reconciliation: bool | None = None
    horizon_months: Annotated[int, Field(ge=1, le=24)] | None = None
    options: Annotated[tuple[OptionKind, ...], Field(strict=False)] | None = None


class FamilyBudget(Strict):
    """One product family's part of a year's budget."""

    revenue: Money
    gross_margin: SignedMoney


class BudgetYear(Strict):
    """One year of the annual operating plan: the revenue and gross margin the company means
    to make, the operating profit it expects from them, the inventory it will carry on average
    (at standard cost, all stages) and the cash it will end the year with."""

    revenue: Money
    gross_margin: SignedMoney
    operating_profit: SignedMoney
    average_inventory: Money
    ending_cash: SignedMoney
    families: dict[Name, FamilyBudget] = Field(default_factory=dict)


class OperatingPlan(Strict):
    """The annual operating plan (the budget), year by year from the first day of the run.

    ``phasing``: each calendar month's share of a year's revenue and gross margin (twelve
    weights, scaled to sum to 1; default: by the days in the month); the costs between gross
    margin and operating profit are spread by days, as they are mostly fixed. Inventory is
    budgeted at the year's average in every month; cash along a straight line
    from the previous year's end (the opening cash, the first year) to the year's end. The
    financial assumptions are the books': the capital charge and storage rates (``finance``),
    the payment terms of markets and suppliers, and Finance's ``capex_hurdle_rate``.
    Without a budget, IBP derives one from a first-year run (``oneplan budget CONFIG``
    prints it).
    """

    years: Annotated[tuple[BudgetYear, ...], Field(strict=False, min_length=1, max_length=300)]
    phasing: (
        Annotated[
            tuple[Annotated[float, Field(gt=0, le=1000)], ...],
            Field(strict=False, min_length=12, max_length=12),
        ]
        | None
    ) = None

    def month_weights(self) -> tuple[float, ...]:
        weights = self.phasing or (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
        total = sum(weights)
        return tuple(w / total for w in weights)


class IBPSettings(Strict):
    """How IBP values options: over ``scenarios`` demand scenarios, evenly spaced quantiles
    of the errors its consensus forecasts have shown, lag by lag (a lag needs ``min_errors``
    of its own; before any, a lognormal prior of coefficient of variation
    ``prior_error_cv``); the family plan is split into products by the consensus mix over the
    first ``near_months``."""

    scenarios: Annotated[int, Field(ge=1, le=101)] = 11
    prior_error_cv: Annotated[float, Field(ge=0, le=2)] = 0.15
    min_errors: Annotated[int, Field(ge=1, le=10_000)] = 6
    near_months: Annotated[int, Field(ge=1, le=24)] = 3


class CompanyConfig(WorldConfig):
    # Who decides, then the world's own keys as the world describes them, so that the config
    # reference explains every key written at the top of a company's file.
    __doc__ = """A manufacturing company: its world, and who decides in it.

    ``protocol`` chooses who decides: ``classic`` (textbook ``policies``, no functions) or a
    rung of the ladder from functional silos to IBP, played by the function ``agents``.
    ``budget`` is the annual operating plan IBP plans against; ``ibp`` how it values options.

""" + (WorldConfig.__doc__ or "").partition("\n\n")[2]

    protocol: ProtocolName = "classic"
    protocol_options: ProtocolOptions = ProtocolOptions()
    agents: Agents = Agents()
    policies: Policies | None = None
    budget: OperatingPlan | None = None
    ibp: IBPSettings = IBPSettings()


class Stage(ChainStage):
    # The world's description of a stage (delays, opening stock, what each cost is charged
    # on) follows the first line, so the config reference says it where stages are written.
    __doc__ = (
        "One stock point of a serial chain and the ``policy`` it orders by.\n\n"
        + (ChainStage.__doc__ or "").partition("\n\n")[2]
    )

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
    years = data.get("budget", {}).get("years") if isinstance(data.get("budget"), dict) else None
    horizon = data.get("horizon_days", 1095)
    if isinstance(years, list) and isinstance(horizon, int) and horizon > 0:
        needed = -(-horizon // 365)
        if 0 < len(years) < needed:
            message = (
                f"the run lasts {horizon} days, so the budget needs {needed} years; "
                f"it has {len(years)}"
            )
            problems.append((("budget", "years"), message))
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
    return validate_model(model, located, (world_references, decider_references, warmup_problems))


def load_config(path: Path | str, overrides: Iterable[str] | Mapping[str, Any] = ()) -> Config:
    """Read, merge and validate a config file; raise :class:`ConfigError` listing every problem.

    ``overrides`` are ``dotted.path=value`` strings (as given to ``--set``) or a mapping of
    dotted paths to Python values.
    """
    return validate(load_source(path, overrides))
