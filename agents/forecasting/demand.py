"""Forecasters of daily demand for several products at once, as the functions use them.

A function feeds its forecaster the days it has seen (one row per day, one column per
product) and asks for the expected demand on days ahead. Every forecaster is recursive: each
new day updates its state once, so the cost of a forecast never grows with the history
(nothing is refitted over the past). Each also tracks the spread of its own one-day-ahead
errors (a recency-weighted standard deviation), which is what a function knows of how far to
trust it.

- :class:`HoltWinters`: level, trend and an annual seasonal wave. The wave is written as
  sine-cosine pairs that rotate one step a day, the trigonometric form of seasonal exponential
  smoothing (De Livera, Hyndman & Snyder, *JASA* 2011), so it needs two numbers per harmonic
  rather than 365 seasonal indices and learns the season from every day observed. Multiplicative:
  demand ≈ (level + trend) × (1 + season).
- :class:`ExponentialSmoothing`: the level alone (simple exponential smoothing).
- :class:`MovingAverage`: the mean of the last ``window`` days.

A forecaster never sees the demand generator: only the numbers it is fed, and, for Holt-Winters,
a prior belief (a function's market intelligence) that the data then correct.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from agents.config import DemandForecasterSpec
from sim.calendar import DAYS_PER_YEAR

__all__ = [
    "DEMAND_FORECASTERS",
    "DemandForecaster",
    "ExponentialSmoothing",
    "HoltWinters",
    "MovingAverage",
    "make_demand_forecaster",
]

ERROR_WEIGHT = 0.03  # weight of the newest one-day-ahead error in the tracked spread
MAX_AMPLITUDE = 0.9  # a harmonic of the season can swing demand by at most ±90%


class DemandForecaster:
    """Base: :meth:`observe` days in order, then ask for :meth:`path` and :meth:`error_sd`."""

    def __init__(self, series: int) -> None:
        self.series = series
        self.last_day = -1  # the last day observed
        self._error_mean = np.zeros(series)
        self._error_var = np.zeros(series)
        self._errors_seen = 0

    def observe(self, first_day: int, rows: np.ndarray) -> None:
        """Consume demand of days ``first_day, first_day + 1, ...`` (``rows``: [days, series]);
        days already seen are skipped."""
        if self.series == 0:  # nothing to forecast (a company with no components)
            return
        for i, row in enumerate(np.asarray(rows, dtype=float).reshape(-1, self.series)):
            day = first_day + i
            if day <= self.last_day:
                continue
            error = self._update(day, row)
            if error is not None:
                self._track(error)
            self.last_day = day

    def _track(self, error: np.ndarray) -> None:
        w = ERROR_WEIGHT if self._errors_seen else 1.0
        self._errors_seen += 1
        self._error_mean += w * (error - self._error_mean)
        self._error_var += w * ((error - self._error_mean) ** 2 - self._error_var)

    def error_sd(self) -> np.ndarray:
        """Recency-weighted standard deviation of the one-day-ahead errors, per series."""
        return np.sqrt(self._error_var)

    def path(self, steps: np.ndarray) -> np.ndarray:
        """Expected demand ``steps`` days after the last day observed, [series, len(steps)]."""
        raise NotImplementedError  # pragma: no cover

    def _update(self, day: int, row: np.ndarray) -> np.ndarray | None:
        """Take in ``row`` (demand of ``day``); return the error of the forecast that had been
        made for it (None for the first day)."""
        raise NotImplementedError  # pragma: no cover

    def ahead(self, today: int, days: int) -> np.ndarray:
        """Expected demand on days ``today + 1 .. today + days``, [series, days]."""
        start = today + 1 - self.last_day if self.last_day >= 0 else 1
        return self.path(np.arange(start, start + days))


class MovingAverage(DemandForecaster):
    """The mean of the last ``window`` days observed, for every day ahead."""

    def __init__(self, series: int, window: int) -> None:
        super().__init__(series)
        self.window = window
        self._rows = np.zeros((window, series))
        self._count = 0

    def _update(self, day: int, row: np.ndarray) -> np.ndarray | None:
        seen = self._rows[: min(self._count, self.window)]
        error = row - seen.mean(axis=0) if self._count else None
        self._rows[self._count % self.window] = row
        self._count += 1
        return error

    def path(self, steps: np.ndarray) -> np.ndarray:
        if self._count == 0:
            return np.zeros((self.series, len(steps)))
        mean = self._rows[: min(self._count, self.window)].mean(axis=0)
        return np.repeat(mean[:, None], len(steps), axis=1)


class ExponentialSmoothing(DemandForecaster):
    """Simple exponential smoothing: the level moves ``alpha`` of the way to each new day."""

    def __init__(self, series: int, alpha: float) -> None:
        super().__init__(series)
        self.alpha = alpha
        self.level: np.ndarray | None = None
        self._seen = 0

    def _update(self, day: int, row: np.ndarray) -> np.ndarray | None:
        self._seen += 1
        if self.level is None:
            self.level = row.copy()
            return None
        error = row - self.level
        # A running mean at first, as if started from the average of the first days.
        self.level = self.level + max(self.alpha, 1.0 / self._seen) * error
        return error

    def path(self, steps: np.ndarray) -> np.ndarray:
        level = np.zeros(self.series) if self.level is None else self.level
        return np.repeat(level[:, None], len(steps), axis=1)


class HoltWinters(DemandForecaster):
    """Level, trend and a trigonometric annual season, updated with every day observed.

    The season is ``S = Σ_j s_j``, where each harmonic j keeps a pair ``(s_j, s*_j)`` that
    rotates by ``2πj/365`` a day, so that ``s_j`` is harmonic j's part of the seasonal factor
    of the current day. On each day, with ``e`` the error of the forecast made for it:

    - level ``ℓ ← ℓ + b + alpha·e/(1 + S)``, trend ``b ← b + beta·alpha·e/(1 + S)``;
    - season ``s_j ← s_j + gamma·e/(ℓ + b)`` (the error, relative to the level, is what the
      day says of the seasonal factor; the quadrature part learns through the rotation).

    :meth:`set_prior` starts the season and the trend from a belief (amplitude, peak day, trend
    per year); the level starts at the first day seen.
    """

    def __init__(
        self, series: int, alpha: float, beta: float, gamma: float, harmonics: int = 1
    ) -> None:
        super().__init__(series)
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.omega = 2 * np.pi * np.arange(1, harmonics + 1) / DAYS_PER_YEAR  # [K]
        self.level: np.ndarray | None = None
        self.trend = np.zeros(series)
        self.s = np.zeros((series, harmonics))
        self.s_star = np.zeros((series, harmonics))
        self._trend_per_day = np.zeros(series)  # relative trend of the prior, per day
        self._cos, self._sin = np.cos(self.omega), np.sin(self.omega)
        self._seen = 1

    def set_prior(
        self, amplitude: np.ndarray, peak_day: np.ndarray, trend_per_year: np.ndarray
    ) -> None:
        """Believe, before any demand is seen, in a season ``amplitude·cos(2π(d − peak)/365)``
        and a trend of ``trend_per_year`` (relative); day 0 is the first day to be observed."""
        phase = self.omega[0] * (0 - 1 - np.asarray(peak_day, dtype=float))  # day -1: before day 0
        self.s[:, 0] = np.asarray(amplitude) * np.cos(phase)
        self.s_star[:, 0] = -np.asarray(amplitude) * np.sin(phase)
        self._trend_per_day = np.asarray(trend_per_year, dtype=float) / DAYS_PER_YEAR

    def _rotate(self, steps: int) -> None:
        if steps == 1:
            c, s = self._cos, self._sin
        else:
            c, s = np.cos(self.omega * steps), np.sin(self.omega * steps)
        self.s, self.s_star = self.s * c + self.s_star * s, -self.s * s + self.s_star * c

    def _update(self, day: int, row: np.ndarray) -> np.ndarray | None:
        steps = day - self.last_day if self.last_day >= 0 else day + 1
        self._rotate(steps)
        season = 1.0 + self.s.sum(axis=1)
        if self.level is None:
            self.level = row / np.maximum(season, 1e-9)
            self.trend = self.level * self._trend_per_day
            return None
        self._seen += 1
        base = self.level + steps * self.trend
        error = row - base * season
        # Early on the level is a running mean (as if started from the average of the first
        # days), not one noisy day smoothed slowly away.
        alpha = max(self.alpha, 1.0 / self._seen)
        step = alpha * error / np.maximum(season, 1e-9)
        self.level = np.maximum(base + step, 0.0)
        self.trend = self.trend + self.beta * step
        # The error says how far today's seasonal factor is off; each harmonic takes a share.
        # A day far off the level (a stock-out seen as zero, a one-off order) says little of
        # the season: the relative error is bounded, and so is each harmonic's amplitude.
        relative = np.minimum(np.maximum(error / np.maximum(base, 1e-9), -1.0), 1.0)
        self.s += (self.gamma / self.s.shape[1]) * relative[:, None]
        amplitude = np.hypot(self.s, self.s_star)
        shrink = np.minimum(1.0, MAX_AMPLITUDE / np.maximum(amplitude, 1e-12))
        self.s *= shrink
        self.s_star *= shrink
        return error

    def path(self, steps: np.ndarray) -> np.ndarray:
        steps = np.asarray(steps, dtype=float)
        if self.level is None:
            return np.zeros((self.series, len(steps)))
        angle = self.omega[None, :, None] * steps[None, None, :]  # [1, K, H]
        season = 1.0 + (
            self.s[:, :, None] * np.cos(angle) + self.s_star[:, :, None] * np.sin(angle)
        ).sum(axis=1)
        base = self.level[:, None] + self.trend[:, None] * steps[None, :]
        return np.maximum(base * season, 0.0)


DEMAND_FORECASTERS: dict[str, Callable[[DemandForecasterSpec, int], DemandForecaster]] = {
    "holt_winters": lambda spec, n: HoltWinters(
        n, spec.alpha, spec.beta, spec.gamma, spec.harmonics
    ),
    "exponential_smoothing": lambda spec, n: ExponentialSmoothing(n, spec.alpha),
    "moving_average": lambda spec, n: MovingAverage(n, spec.window_days),
}


def make_demand_forecaster(spec: DemandForecasterSpec, series: int) -> DemandForecaster:
    """The forecaster ``spec.method`` names, for ``series`` products."""
    return DEMAND_FORECASTERS[spec.method](spec, series)
