"""The building blocks of every config schema: the strict base model, names, and bounded
numbers (units, money, days), shared by the world's config and its scenarios."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sim.limits import (
    MAX_CHAIN_DELAY,
    MAX_DAY,
    MAX_DAYS,
    MAX_MONEY,
    MAX_SEED,
    MAX_UNITS,
    MIN_CV,
    MIN_PRICE,
    MIN_UNITS,
)

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
