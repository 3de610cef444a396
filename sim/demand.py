"""Exogenous customer demand: a mean schedule per product and day, and its random realisation.

The uniform draws behind demand are taken once, up front, from the ``demand`` stream (one per
day and product). Demand on a day is the inverse CDF of the day's distribution at that draw, so a
change of the mean (a promotion, a scenario) changes the demand of that day only and leaves every
other day as it was: runs that differ only in decisions face the same customers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.calendar import DAYS_PER_YEAR
from sim.config import Demand, Noise, check_noise

__all__ = ["NOISE_LAWS", "NoiseLaw", "check_noise", "mean_schedule", "realise", "split_by_share"]

_EPS = 1e-12


def mean_schedule(demand: Demand, days: int) -> np.ndarray:
    """Mean demand per day for days ``0..days-1``: level × trend × season × planned promotions."""
    t = np.arange(days, dtype=float)
    mean = demand.base_per_day * (1.0 + demand.trend_per_year * t / DAYS_PER_YEAR)
    season = demand.seasonality
    if season.amplitude:
        mean *= 1.0 + season.amplitude * np.cos(2 * np.pi * (t - season.peak_day) / DAYS_PER_YEAR)
    for promo in demand.promotions:
        mean[promo.start_day : promo.start_day + promo.duration_days] *= 1.0 + promo.uplift
    return np.maximum(mean, 0.0)


def realise(noise: Noise, mean: np.ndarray, u: np.ndarray, whole_units: bool) -> np.ndarray:
    """Demand at quantiles ``u`` (uniform draws, same shape as ``mean``) of the day's law."""
    u = np.clip(u, _EPS, 1 - _EPS)
    m = np.asarray(mean, dtype=float)
    law = NOISE_LAWS[noise.distribution]
    if law.counts:
        return law.quantile(u, m, noise.cv)
    if noise.distribution == "none" and whole_units:
        # Deterministic demand in whole units that keeps the running total exact.
        cumulative = np.round(np.cumsum(m, axis=0))
        return np.diff(cumulative, axis=0, prepend=np.zeros((1, *m.shape[1:])))
    x = law.quantile(u, m, noise.cv)
    return np.round(x) if whole_units else x


@dataclass(frozen=True)
class NoiseLaw:
    """A day's demand law around its mean: the demand at quantile ``u`` of a day whose mean
    is ``m``, with coefficient of variation ``cv``. ``counts``: the law gives whole units."""

    quantile: Callable[[np.ndarray, np.ndarray, float], np.ndarray]
    counts: bool = False


def _none(u: np.ndarray, m: np.ndarray, cv: float) -> np.ndarray:
    return m.copy()


def _normal(u: np.ndarray, m: np.ndarray, cv: float) -> np.ndarray:
    from scipy import special  # heavy to import: only where a law needs it

    return np.maximum(m + cv * m * special.ndtri(u), 0.0)


def _lognormal(u: np.ndarray, m: np.ndarray, cv: float) -> np.ndarray:
    from scipy import special  # heavy to import: only where a law needs it

    sigma2 = np.log1p(cv * cv)
    return np.where(
        m > 0,
        np.exp(np.log(np.maximum(m, _EPS)) - sigma2 / 2 + np.sqrt(sigma2) * special.ndtri(u)),
        0.0,
    )


def _gamma(u: np.ndarray, m: np.ndarray, cv: float) -> np.ndarray:
    from scipy import special  # heavy to import: only where a law needs it

    shape = 1.0 / (cv * cv)
    return special.gammaincinv(shape, u) * m * cv * cv


def _poisson_law(u: np.ndarray, m: np.ndarray, cv: float) -> np.ndarray:
    return np.where(m > 0, _poisson(u, m), 0.0)


def _negative_binomial(u: np.ndarray, m: np.ndarray, cv: float) -> np.ndarray:
    # Over-dispersed only where var > mean; on a day whose mean is too low for the cv (a
    # seasonal trough, a demand cut), its limit as the dispersion vanishes: Poisson.
    var = (cv * m) ** 2
    over = (var > m) & (m > 0)
    n = np.where(over, m * m / np.where(over, var - m, 1.0), 1.0)
    p = n / (n + np.maximum(m, _EPS))
    from scipy import special  # heavy to import: only where a law needs it

    negative_binomial = _count_quantile(
        u, special.nbdtrik(u, n, p), lambda k: special.betainc(n, k + 1, p)
    )
    return np.where(m > 0, np.where(over, negative_binomial, _poisson(u, m)), 0.0)


NOISE_LAWS: dict[str, NoiseLaw] = {
    "none": NoiseLaw(_none),
    "normal": NoiseLaw(_normal),
    "lognormal": NoiseLaw(_lognormal),
    "gamma": NoiseLaw(_gamma),
    "poisson": NoiseLaw(_poisson_law, counts=True),
    "negative_binomial": NoiseLaw(_negative_binomial, counts=True),
}
"""The demand noise laws, by the name a config gives (``demand.noise.distribution``)."""


_POISSON_NORMAL = 1e8
"""The mean above which Poisson quantiles come from the normal approximation."""


def _poisson(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson quantiles at ``u``. Above a mean of 1e8 (skewness 1e-4) the normal approximation
    stands in: it is exact to well within a unit's rounding there, and scipy's quantile
    function gives NaN once the mean passes about 1e10."""
    from scipy import special  # heavy to import: only where a law needs it

    m = np.maximum(mean, _EPS)
    small = np.minimum(m, _POISSON_NORMAL)
    exact = _count_quantile(u, special.pdtrik(u, small), lambda k: special.pdtr(k, small))
    approximate = np.maximum(np.round(m + np.sqrt(m) * special.ndtri(u)), 0.0)
    return np.where(m > _POISSON_NORMAL, approximate, exact)


def _count_quantile(u: np.ndarray, inverse: np.ndarray, cdf) -> np.ndarray:
    """The smallest count ``k`` whose ``cdf(k)`` reaches ``u``, from ``inverse``, the inverse
    of the cdf taken as continuous in ``k``: rounded up, then one less where that count's cdf
    already reaches ``u``. This is how ``scipy.stats`` finds Poisson quantiles, and it gives
    its negative binomial quantiles too, without importing ``scipy.stats`` (a third of a
    second). At ``u = 0`` it is 0, the least count, where ``scipy.stats`` says -1."""
    k = np.ceil(inverse)
    below = np.maximum(k - 1, 0.0)
    return np.where(cdf(below) >= u, below, k)


def split_by_share(quantity, shares: np.ndarray, whole_units: bool) -> np.ndarray:
    """Split ``quantity`` (a number, or an array of them: one split each) across parts in
    proportion to ``shares`` (which add up to 1); the parts are the last axis.

    In whole units the parts are whole and add up to ``quantity`` rounded down (largest
    remainder first): never more than there is, as a fraction of a unit cannot be split.
    Otherwise they add up to ``quantity`` (up to rounding).
    """
    quantity = np.asarray(quantity, dtype=float)
    raw = quantity[..., None] * shares
    if not whole_units:
        return raw
    base = np.floor(raw)
    # The units left after flooring each part; the tolerance absorbs rounding in raw, the
    # floor keeps a fractional unit from being handed out.
    remainder = np.floor(quantity - base.sum(axis=-1) + 1e-9)
    # Each part's rank by the fraction flooring took from it (ties: the first part first).
    order = np.argsort(-(raw - base), axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[-1]), axis=-1)
    base[rank < remainder[..., None]] += 1
    return base
