"""Days, weeks, months, and the order of phases within a day.

The time unit is the day: day ``d`` is the interval ``[d, d + 1)`` of the SimPy clock. Within a
day, things happen in a fixed order of phases (see :class:`Phase`); each phase runs at a fixed
offset inside the day, chosen as binary fractions so that ``day + offset`` is exact in floating
point for any realistic horizon.

The year has 365 days and twelve months of the usual lengths (no leap years); week ``w`` is
days ``[7w, 7w + 7)``; day 0 is the first day of January and the first day of a week.
"""

from __future__ import annotations

import bisect
from enum import Enum

import numpy as np

__all__ = [
    "DAYS_PER_YEAR",
    "Phase",
    "at",
    "is_month_start",
    "is_week_start",
    "month_of_day",
    "month_start",
    "monthly_totals",
    "weekly_totals",
]

DAYS_PER_YEAR = 365
DAYS_PER_WEEK = 7
MONTH_LENGTHS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MONTH_STARTS = np.cumsum((0, *MONTH_LENGTHS[:-1]))
_MONTH_STARTS_LIST = [int(x) for x in _MONTH_STARTS]


class Phase(float, Enum):
    """The phases of a day, in the order they run, with their offset inside the day: what
    each does is written once, in :mod:`sim.world` (and a chain's in :mod:`sim.chain`).

    An order placed in ``EXECUTE`` on day ``t`` with lead time ``L`` arrives in ``RECEIVE`` on
    day ``t + L``, before that day's demand: it protects demand of ``L`` days.
    """

    RECEIVE = 0.0
    DEMAND = 0.125
    DECIDE = 0.25
    EXECUTE = 0.5
    CLOSE = 0.875


def at(day: int, phase: Phase) -> float:
    """The clock time at which ``phase`` runs on ``day``."""
    return day + phase.value


def month_of_day(day):
    """The month index (0 = first January of the run) of ``day`` (an int, or an array of
    days, month by month)."""
    if np.ndim(day) == 0:  # one day (many times a run): plain integers
        year, day_in_year = divmod(int(day), DAYS_PER_YEAR)
        return year * 12 + bisect.bisect_right(_MONTH_STARTS_LIST, day_in_year) - 1
    year, day_in_year = np.divmod(day, DAYS_PER_YEAR)
    return year * 12 + np.searchsorted(_MONTH_STARTS, day_in_year, side="right") - 1


def month_start(month: int) -> int:
    """The first day of ``month`` (0 = first January of the run; 12 months a year): also the
    number of days in the months before it."""
    years, rest = divmod(month, 12)
    return DAYS_PER_YEAR * years + int(_MONTH_STARTS[rest])


def is_month_start(day):
    """True on the first day of a calendar month (for an int, or an array of days)."""
    if np.ndim(day) == 0:
        return int(day % DAYS_PER_YEAR) in _MONTH_STARTS_SET
    return np.isin(np.asarray(day) % DAYS_PER_YEAR, _MONTH_STARTS)


def monthly_totals(per_day: np.ndarray, first_day: int, months: int) -> np.ndarray:
    """``per_day`` [..., days] from ``first_day`` summed per calendar month, the first being
    ``first_day``'s: [..., months] (days past the ``months``-th month are left out)."""
    index = month_of_day(np.arange(first_day, first_day + per_day.shape[-1]))
    index = index - index[0] if len(index) else index
    out = np.zeros((*per_day.shape[:-1], months))
    keep = index < months
    np.add.at(np.moveaxis(out, -1, 0), index[keep], np.moveaxis(per_day[..., keep], -1, 0))
    return out


def is_week_start(day: int) -> bool:
    """True on the first day of a week (weekly planning runs then)."""
    return day % DAYS_PER_WEEK == 0


_MONTH_STARTS_SET = frozenset(int(x) for x in _MONTH_STARTS)


def weekly_totals(per_day: np.ndarray, axis: int = 0, weeks: int | None = None) -> np.ndarray:
    """Sums over whole weeks of a per-day array along ``axis`` (the first ``weeks`` weeks, or
    every whole week; a partial last week is dropped)."""
    values = np.moveaxis(np.asarray(per_day), axis, 0)
    weeks = len(values) // DAYS_PER_WEEK if weeks is None else weeks
    summed = values[: weeks * DAYS_PER_WEEK].reshape(weeks, DAYS_PER_WEEK, *values.shape[1:])
    return np.moveaxis(summed.sum(axis=1), 0, axis)
