"""Statistical forecasters of demand per period, chosen by name.

A forecaster is fed a growing history (one value per period) and keeps its own state, so a
decision maker can ask for a forecast at any period at a cost independent of the history's
length. ``forecast()`` returns the forecast of demand per period and the standard deviation of
the one-period forecast error.
"""

from __future__ import annotations

from collections.abc import Callable
from math import sqrt

import numpy as np

from agents.config import Forecaster as ForecasterSpec

__all__ = ["FORECASTERS", "Forecaster", "make_forecaster"]


class Forecaster:
    """Base: consumes new history values through :meth:`update`."""

    def __init__(self) -> None:
        self.seen = 0

    def update(self, history: np.ndarray) -> None:
        """Consume the values of ``history`` not seen yet (history only ever grows)."""
        for value in history[self.seen :]:
            self._observe(float(value))
        self.seen = len(history)

    def _observe(self, value: float) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def forecast(self) -> tuple[float, float]:  # pragma: no cover - abstract
        raise NotImplementedError


class MovingAverage(Forecaster):
    """Mean of the last ``periods`` values; sd is their sample standard deviation."""

    def __init__(self, periods: int) -> None:
        super().__init__()
        self.periods = periods
        self.history: np.ndarray | None = None

    def update(self, history: np.ndarray) -> None:
        self.history = history
        self.seen = len(history)

    def forecast(self) -> tuple[float, float]:
        if self.history is None or len(self.history) == 0:
            return 0.0, 0.0
        window = self.history[-self.periods :]
        sd = float(window.std(ddof=1)) if len(window) > 1 else 0.0
        return float(window.mean()), sd


class ExponentialSmoothing(Forecaster):
    """Simple exponential smoothing; sd from the smoothed squared one-step error."""

    def __init__(self, alpha: float) -> None:
        super().__init__()
        self.alpha = alpha
        self.level: float | None = None
        self.mse = 0.0

    def _observe(self, value: float) -> None:
        if self.level is None:
            self.level = value
            return
        error = value - self.level
        self.mse = self.alpha * error * error + (1 - self.alpha) * self.mse
        self.level += self.alpha * error

    def forecast(self) -> tuple[float, float]:
        return (self.level or 0.0), sqrt(self.mse)


class Naive(Forecaster):
    """Tomorrow is like today; sd from the smoothed squared change (weight 0.1)."""

    def __init__(self) -> None:
        super().__init__()
        self.last: float | None = None
        self.mse = 0.0

    def _observe(self, value: float) -> None:
        if self.last is not None:
            self.mse = 0.1 * (value - self.last) ** 2 + 0.9 * self.mse
        self.last = value

    def forecast(self) -> tuple[float, float]:
        return (self.last or 0.0), sqrt(self.mse)


class Constant(Forecaster):
    """A known demand process: always ``mean`` per period, error sd ``sd`` (what it sees is
    ignored, so the forecast does not depend on the demand path)."""

    def __init__(self, mean: float, sd: float) -> None:
        super().__init__()
        self.mean, self.sd = mean, sd

    def _observe(self, value: float) -> None:
        pass

    def forecast(self) -> tuple[float, float]:
        return self.mean, self.sd


FORECASTERS: dict[str, Callable[[ForecasterSpec], Forecaster]] = {
    "moving_average": lambda spec: MovingAverage(spec.periods),
    "exponential_smoothing": lambda spec: ExponentialSmoothing(spec.alpha),
    "naive": lambda spec: Naive(),
    "constant": lambda spec: Constant(spec.mean or 0.0, spec.sd or 0.0),
}


def make_forecaster(spec: ForecasterSpec) -> Forecaster:
    """Build the forecaster named by ``spec.method``."""
    return FORECASTERS[spec.method](spec)
