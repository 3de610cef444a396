"""The building blocks of every config schema: the strict base model, names, and bounded
numbers (units, money, days), shared by the world's config and its scenarios."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "MAX_CHAIN_DELAY",
    "MAX_DAY",
    "MAX_DAYS",
    "MAX_MONEY",
    "MAX_SEED",
    "MAX_UNITS",
    "MIN_CV",
    "MIN_PRICE",
    "MIN_UNITS",
    "NAME_PATTERN",
    "Day",
    "Days",
    "Duration",
    "Fraction",
    "Money",
    "Name",
    "NonNeg",
    "Positive",
    "PositiveMoney",
    "PositiveUnits",
    "RatePerYear",
    "Seed",
    "SignedMoney",
    "SignedUnits",
    "Strict",
    "Units",
]

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
# Unbounded above: a field takes one of the bounded kinds below instead (a test holds every
# number of a config to bounds on both sides).
NonNeg = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]

# Every number a config holds is bounded, so that no product of them overflows and units stay
# exact to well below one unit (float64 holds integers exactly up to 9e15).
MAX_UNITS = 1e9
"""The most units of anything: on hand, per day, per order, per unit of a product."""
MIN_UNITS = 1e-6
"""The least of a quantity that must be positive (a BOM quantity, a lot): ratios of units
stay below 1e15."""
MAX_MONEY = 1e12
"""The most money: a price, a cost per unit, cash, a budget."""
MIN_PRICE = 1e-6
"""The least a price that must be positive can be."""
MAX_DAYS = 36_500
"""The longest delay or span, in days (a hundred years)."""
MAX_DAY = 1_000_000
"""The latest day (or period) number: the longest horizon."""
MIN_CV = 0.001
"""The least coefficient of variation of a noisy demand (less is no noise: use ``none``)."""
MAX_SEED = 2**63 - 1
"""Seeds fit a 64-bit integer, as they are stored in result tables."""
MAX_CHAIN_DELAY = 10_000
"""The longest lead time or order delay of a chain stage, in periods (its pipeline is held
period by period)."""

Units = Annotated[float, Field(ge=0, le=MAX_UNITS)]
PositiveUnits = Annotated[float, Field(ge=MIN_UNITS, le=MAX_UNITS)]
SignedUnits = Annotated[float, Field(ge=-MAX_UNITS, le=MAX_UNITS)]
Money = Annotated[float, Field(ge=0, le=MAX_MONEY)]
PositiveMoney = Annotated[float, Field(ge=MIN_PRICE, le=MAX_MONEY)]
SignedMoney = Annotated[float, Field(ge=-MAX_MONEY, le=MAX_MONEY)]
Duration = Annotated[float, Field(ge=0, le=MAX_DAYS)]
"""A length of time in days that may be fractional (a lead-time distribution's parameter)."""
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]
Day = Annotated[int, Field(ge=0, le=MAX_DAY)]
RatePerYear = Annotated[float, Field(ge=0, le=10)]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]


class Strict(BaseModel):
    """Base of every config model: frozen, no unknown keys, no silent type coercion, and no
    infinite or NaN numbers (``.inf``, ``.nan``): no field of a config takes them."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)
