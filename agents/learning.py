"""How functions learn from what their pay rewarded: small, seeded learning rules.

Each rule adapts one knob from the function's own experience; none reads the world's
parameters. They are deliberately simple so that a workshop can explain them in a sentence:

- :class:`HillClimb` — *try a little more and a little less, keep what paid*. The knob is
  tried ``step`` above its value for one period and ``step`` below for the next (in an order
  drawn from the function's decision stream); the knob then moves by ``rate ×`` the slope of
  reward the pair shows. This is a two-sided perturbation estimate of the slope
  (simultaneous perturbation, Spall 1992): if inflating won more, inflation rises; if the
  reward does not depend on the knob, the knob wanders without drift. Sales learns its
  forecast inflation this way.
- :class:`TargetTracker` — *steer toward a target*. At each review the knob is multiplied by
  ``exp(−rate × (actual − target) / target)``: over target, tighten; under, loosen (an integral
  controller in log terms). Finance tunes its inventory cap toward its working-capital target.
- :class:`RecencyWeighted` — *believe what happened lately*. An estimate moves ``weight`` of
  the way to each new observation (an exponential recency-weighted average, as in
  reinforcement learning's constant step-size estimates). Procurement learns its suppliers'
  reliability, Sales a promotion's uplift.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HillClimb", "RecencyWeighted", "TargetTracker"]


class HillClimb:
    """Perturb-and-observe hill climbing of one knob per item (e.g. per product).

    Trials come in antithetic pairs: one period at ``value + d·step``, the next at
    ``value − d·step`` (``d`` = ±1 at random, per item); after the pair the knob moves by
    ``rate ×`` the slope the pair shows, ``d × (reward₁ − reward₂) / (2·step)``. Comparing
    two neighbouring periods removes what changes slowly between them (the season, a trend)
    from the estimate of the slope.
    :meth:`trial` returns the values to use in the coming period; :meth:`learn` takes that
    period's reward per item. ``rng`` draws the directions.
    """

    def __init__(
        self,
        start: np.ndarray,
        step: float,
        rate: float,
        low: float,
        high: float,
        rng: np.random.Generator,
    ) -> None:
        self.value = np.clip(np.asarray(start, dtype=float).copy(), low, high)
        self.step, self.rate, self.low, self.high = step, rate, low, high
        self.rng = rng
        self.direction = np.zeros_like(self.value)
        self._tried: list[tuple[np.ndarray, np.ndarray]] = []  # (offset used, reward)

    def trial(self) -> np.ndarray:
        """The knob to try next period: the value nudged ``step`` one way, then the other."""
        if len(self._tried) % 2 == 0:
            self.direction = self.rng.choice((-1.0, 1.0), size=self.value.shape)
        sign = self.direction if len(self._tried) % 2 == 0 else -self.direction
        self._trying = np.clip(self.value + sign * self.step, self.low, self.high)
        return self._trying

    def learn(self, reward: np.ndarray) -> None:
        """Take the reward of the period just tried; after a pair, move the knob."""
        self._tried.append((self._trying - self.value, np.asarray(reward, dtype=float)))
        if len(self._tried) < 2:
            return
        (first, r1), (second, r2) = self._tried
        self._tried = []
        spread = first - second  # 2·step, less where the bounds clipped a trial
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(np.abs(spread) > 1e-12, (r1 - r2) / spread, 0.0)
        self.value = np.clip(self.value + self.rate * slope, self.low, self.high)


class TargetTracker:
    """A knob steered multiplicatively toward a target: tighter when over, looser when under."""

    def __init__(self, start: float, rate: float, low: float, high: float) -> None:
        self.value = float(np.clip(start, low, high))
        self.rate, self.low, self.high = rate, low, high

    def learn(self, actual: float, target: float) -> None:
        if target <= 0 or not np.isfinite(actual):
            return
        gap = (actual - target) / target
        self.value = float(np.clip(self.value * np.exp(-self.rate * gap), self.low, self.high))


class RecencyWeighted:
    """An estimate that moves ``weight`` of the way to each observation (per item)."""

    def __init__(self, start: np.ndarray, weight: float) -> None:
        self.value = np.asarray(start, dtype=float).copy()
        self.weight = weight

    def learn(self, observed: np.ndarray, mask: np.ndarray | None = None) -> None:
        """Move toward ``observed`` where ``mask`` is true (all items by default)."""
        step = self.weight * (np.asarray(observed, dtype=float) - self.value)
        self.value = self.value + (step if mask is None else np.where(mask, step, 0.0))
