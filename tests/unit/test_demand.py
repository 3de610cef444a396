"""Demand: the mean schedule, and realisations whose moments match the configured law."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import Demand, Noise
from sim.demand import mean_schedule, realise, split_by_share


def test_mean_has_level_trend_season_and_promotions():
    demand = Demand.model_validate(
        {
            "base_per_day": 100,
            "trend_per_year": 0.1,
            "seasonality": {"amplitude": 0.2, "peak_day": 180},
            "promotions": [{"start_day": 10, "duration_days": 5, "uplift": 0.5}],
        }
    )
    mean = mean_schedule(demand, 730)
    assert mean[180] == pytest.approx(100 * (1 + 0.1 * 180 / 365) * 1.2)
    assert mean[365 + 180] == pytest.approx(100 * (1 + 0.1 * 545 / 365) * 1.2)  # linear trend
    assert mean[12] == pytest.approx(
        100 * (1 + 0.1 * 12 / 365) * (1 + 0.2 * np.cos(2 * np.pi * (12 - 180) / 365)) * 1.5
    )
    assert mean[15] < mean[14] / 1.4  # the promotion is over


def test_deterministic_whole_units_keep_the_running_total_exact():
    mean = np.full(10, 2.5)
    demand = realise(Noise(distribution="none"), mean, np.zeros(10), whole_units=True)
    assert set(demand) <= {2.0, 3.0}
    assert demand.sum() == 25.0


@pytest.mark.parametrize(
    ("distribution", "cv", "expected_cv"),
    [
        ("normal", 0.2, 0.2),
        ("gamma", 0.5, 0.5),
        ("lognormal", 0.3, 0.3),
        ("poisson", 0.0, 0.1),
        ("negative_binomial", 0.3, 0.3),
    ],
)
def test_realised_demand_has_the_configured_mean_and_spread(distribution, cv, expected_cv):
    rng = np.random.default_rng(0)
    mean = np.full(200_000, 100.0)
    x = realise(
        Noise(distribution=distribution, cv=cv), mean, rng.random(mean.shape), whole_units=False
    )
    assert x.mean() == pytest.approx(100, rel=0.01)
    assert x.std() / x.mean() == pytest.approx(expected_cv, rel=0.03)
    assert (x >= 0).all()


def test_the_same_draw_gives_more_demand_when_the_mean_rises():
    u = np.random.default_rng(1).random(1000)
    noise = Noise(distribution="gamma", cv=0.4)
    low = realise(noise, np.full(1000, 50.0), u, whole_units=False)
    high = realise(noise, np.full(1000, 60.0), u, whole_units=False)
    np.testing.assert_allclose(high, low * 1.2)  # common random numbers: same quantile


def test_split_by_share_keeps_whole_units_and_the_total():
    parts = split_by_share(7, np.array([0.7, 0.3]), whole_units=True)
    assert parts.sum() == 7 and list(parts) == [5.0, 2.0]
    np.testing.assert_allclose(
        split_by_share(7, np.array([0.7, 0.3]), whole_units=False), [4.9, 2.1]
    )


@pytest.mark.parametrize("quantity", [300.5, 7.999, 0.5, 2.0000001, 11.3])
def test_split_by_share_in_whole_units_never_hands_out_more_than_there_is(quantity):
    # Fair shares of stock that holds a fraction of a unit: the fraction stays on the shelf.
    shares = np.array([0.5, 0.3, 0.2])
    parts = split_by_share(quantity, shares, whole_units=True)
    assert parts.sum() == np.floor(quantity)
    assert (parts == np.round(parts)).all()


def _largest_remainder(quantity: float, shares) -> list[float]:
    """The whole-unit split worked by hand, one day at a time: floor every part, then one more
    unit to the parts that lost the largest fractions (the first part first on a tie)."""
    raw = [quantity * s for s in shares]
    base = [float(np.floor(r)) for r in raw]
    left = int(np.floor(quantity - sum(base) + 1e-9))
    for k in sorted(range(len(raw)), key=lambda k: -(raw[k] - base[k]))[: max(left, 0)]:
        base[k] += 1
    return base


def test_a_whole_horizon_split_at_once_is_each_day_split_on_its_own():
    # The world splits every day's demand over the markets up front; each day must get the
    # split it would get alone, ties and fractional quantities included.
    rng = np.random.default_rng(8)
    days = np.concatenate([rng.poisson(9.0, 300), rng.uniform(0, 40, 50), [0.0, 1.0, 10.0]])
    for shares in (np.array([0.5, 0.5]), np.array([0.6, 0.3, 0.1]), rng.dirichlet(np.ones(5))):
        for whole in (True, False):
            at_once = split_by_share(days, shares, whole)
            assert at_once.shape == (len(days), len(shares))
            for q, row in zip(days, at_once, strict=True):
                assert row.tobytes() == split_by_share(float(q), shares, whole).tobytes()
                if whole:
                    assert row.tolist() == _largest_remainder(float(q), shares)
            if whole:
                assert (at_once.sum(axis=1) == np.floor(days + 1e-9)).all()


def test_negative_binomial_days_too_quiet_for_the_cv_are_poisson_not_geometric():
    # cv 0.3 at a mean of 2 asks for a variance (0.36) below the mean: no negative binomial
    # has it. Such days (a seasonal trough) are drawn from the limiting Poisson law; they
    # used to be drawn with n = 1, a geometric law with cv near 1.
    u = np.random.default_rng(4).random(200_000)
    noise = Noise(distribution="negative_binomial", cv=0.3)
    x = realise(noise, np.full(u.shape, 2.0), u, whole_units=True)
    assert x.mean() == pytest.approx(2.0, rel=0.02)
    assert x.std() / x.mean() == pytest.approx(1 / np.sqrt(2), rel=0.03)


def test_poisson_demand_stays_a_number_at_the_largest_means():
    # A base of 10^9 units a day times a promotion's uplift: scipy's quantile gives NaN there.
    u = np.random.default_rng(5).random(10_000)
    x = realise(Noise(distribution="poisson"), np.full(u.shape, 5e10), u, whole_units=True)
    assert np.isfinite(x).all()
    assert x.mean() == pytest.approx(5e10, rel=1e-5)
    assert x.std() == pytest.approx(np.sqrt(5e10), rel=0.05)


@pytest.mark.parametrize("distribution", ["poisson", "negative_binomial"])
def test_count_demand_is_scipys_quantile_of_the_same_draw(distribution):
    # The count laws are drawn from scipy.special without importing scipy.stats; each draw
    # must be exactly the quantile scipy.stats gives for it, over means from a unit a day to
    # a hundred thousand and dispersions from nearly Poisson to a cv of 1.
    from scipy import stats

    rng = np.random.default_rng(6)
    mean = np.exp(rng.uniform(np.log(0.5), np.log(1e5), 100_000))
    u = rng.random(mean.shape)
    if distribution == "poisson":
        drawn = realise(Noise(distribution="poisson"), mean, u, whole_units=True)
        expected = stats.poisson.ppf(u, mean)
    else:
        cv = 0.8
        noise = Noise(distribution="negative_binomial", cv=cv)
        keep = (cv * mean) ** 2 > mean  # over-dispersed days (the rest are Poisson)
        mean, u = mean[keep], u[keep]
        drawn = realise(noise, mean, u, whole_units=True)
        n = mean**2 / ((cv * mean) ** 2 - mean)
        expected = stats.nbinom.ppf(u, n, n / (n + mean))
    assert np.array_equal(drawn, expected)
    # u = 0 is the least count, not scipy's -1.
    assert realise(Noise(distribution="poisson"), np.array([5.0]), np.array([0.0]), True)[0] == 0
