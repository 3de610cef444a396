"""The functions' demand forecasters: recursive, fed what they see, priors corrected by data."""

from __future__ import annotations

import numpy as np

from agents.config import DemandForecasterSpec
from agents.forecasting.demand import (
    ExponentialSmoothing,
    HoltWinters,
    MovingAverage,
    make_demand_forecaster,
)

DAYS = 1095


def seasonal_demand(seed: int, amplitude=0.3, peak=330) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(DAYS)
    mean = 120 * (1 + 0.05 * t / 365) * (1 + amplitude * np.cos(2 * np.pi * (t - peak) / 365))
    return rng.gamma(1 / 0.35**2, mean * 0.35**2)[:, None]


def yearly_errors(forecaster, demand: np.ndarray) -> np.ndarray:
    """Mean absolute percentage error of the 28-day-ahead forecast, year by year."""
    errors = [[], [], []]
    for day in range(DAYS - 28):
        forecaster.observe(day, demand[day : day + 1])
        if day % 7 == 0 and day > 0:
            forecast = forecaster.ahead(day, 28).sum()
            actual = demand[day + 1 : day + 29].sum()
            errors[day // 365].append(abs(forecast - actual) / actual)
    return np.array([np.mean(e) for e in errors])


def test_a_wrong_prior_of_the_season_is_corrected_by_the_data():
    """Sales' market intelligence says the peak is in late May; the market peaks in late
    November. Year after year the forecaster's error shrinks as it learns the true season."""
    errors = []
    for seed in range(4):
        hw = make_demand_forecaster(DemandForecasterSpec(), 1)
        hw.set_prior(np.array([0.3]), np.array([150]), np.array([0.05]))
        errors.append(yearly_errors(hw, seasonal_demand(seed)))
    first, second, third = np.mean(errors, axis=0)
    assert first > second > third
    assert third < 0.5 * first


def test_with_the_right_prior_holt_winters_beats_a_level_alone():
    spec = DemandForecasterSpec()
    hw_errors, es_errors = [], []
    for seed in range(4):
        demand = seasonal_demand(seed)
        hw = HoltWinters(1, spec.alpha, spec.beta, spec.gamma)
        hw.set_prior(np.array([0.3]), np.array([330]), np.array([0.05]))
        hw_errors.append(yearly_errors(hw, demand).mean())
        es_errors.append(yearly_errors(ExponentialSmoothing(1, 0.05), demand).mean())
    assert np.mean(hw_errors) < 0.7 * np.mean(es_errors)


def test_a_forecaster_consumes_each_day_once_and_knows_its_error():
    demand = np.full((50, 2), 10.0)
    demand[::2] = 14.0
    for forecaster in (
        MovingAverage(2, 10),
        ExponentialSmoothing(2, 0.2),
        HoltWinters(2, 0.1, 0, 0),
    ):
        forecaster.observe(0, demand[:30])
        forecaster.observe(20, demand[20:50])  # days already seen are skipped
        assert forecaster.last_day == 49
        assert np.all(np.abs(forecaster.ahead(49, 5) - 12.0) < 1.5)
        assert np.all((forecaster.error_sd() > 1.0) & (forecaster.error_sd() < 3.0))
