"""Near-constant series, constant targets and extreme scales: errors proportionate to
the data's own variation, finite outputs."""

import warnings

import numpy as np
import pandas as pd
import pytest

from tsrnn import RNNForecaster, RNNRegressor
from tsrnn.forecasting._seasonality import seasonal_strength
from tsrnn.windows import scaled

KW = dict(horizon=3, input_size=6, hidden_size=8, max_steps=20, n_models=1, n_jobs=1, random_state=0)


def frame(y):
    return pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000", periods=len(y)), "y": y})


@pytest.mark.parametrize("noise", [0.0, 1e-12, 1e-10])
@pytest.mark.parametrize("scaler", ["auto", "standard", "robust", "minmax"])
def test_a_near_constant_series_forecasts_its_level(noise, scaler):
    """Noise below 1e-8 of the level was scaled by the level: the optimizer's steps on
    ~1e-12 targets moved the forecast by ~1% of it (99.34 for a series at 100)."""
    y = 100 + 100 * noise * np.random.default_rng(0).standard_normal(40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few calibration windows for the level
        out = RNNForecaster(scaler=scaler, **KW).fit(frame(y)).predict(level=[80])
    assert np.abs(out["yhat"] - 100).max() <= 1e-6
    assert (out["yhat-hi-80"] - out["yhat-lo-80"]).max() <= 1e-6


def test_scaled_zeroes_deviations_within_the_floor_of_constant_windows_only():
    values = np.array([[100.0, 100.0 + 1e-9, 100.0 - 1e-9], [1.0, 2.0, 3.0]])
    loc, scale = np.array([100.0, 2.0]), np.array([100.0, 1.0])  # row 0: a constant window's fallback scale
    np.testing.assert_array_equal(scaled(values, loc, scale), [[0.0, 0.0, 0.0], [-1.0, 0.0, 1.0]])
    jump = np.array([[100.0, 100.0, 101.0]])  # a real change after a flat stretch is kept
    np.testing.assert_allclose(scaled(jump, np.array([100.0]), np.array([100.0])), [[0.0, 0.0, 0.01]])


@pytest.mark.parametrize("level", [1e-9, 1.0, 1e160])
def test_a_constant_target_is_predicted_in_proportion_to_its_level(level):
    """A constant y was scaled by 1: y = 1e-9 predicted 0.01-0.03 (2e7 times the target)."""
    X = np.random.default_rng(0).normal(size=(60, 8))
    model = RNNRegressor(hidden_size=8, max_epochs=20, random_state=0, early_stopping=False)
    pred = model.fit(X, np.full(60, level)).predict(X)
    assert np.abs(pred - level).max() <= 0.1 * level


def test_targets_beyond_1e154_are_standardised():
    """Their squares overflowed: "too large to standardise" far below float64's limit."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 6)), rng.normal(size=40)
    small = RNNRegressor(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    large = RNNRegressor(hidden_size=4, max_epochs=2, random_state=0).fit(X, y * 2.0**600)
    np.testing.assert_array_equal(large.y_mean_, small.y_mean_ * 2.0**600)  # power-of-two scaling is exact
    np.testing.assert_array_equal(large.y_scale_, small.y_scale_ * 2.0**600)
    np.testing.assert_array_equal(large.predict(X), small.predict(X) * 2.0**600)


def test_interval_bounds_beyond_float64_are_capped_with_a_warning():
    y = np.r_[np.ones(39), 1e30]  # a spike: the log-space interval is ~1000 wide
    model = RNNForecaster(target_transform="log", **KW).fit(frame(y))
    with pytest.warns(UserWarning, match=r"interval bounds of series 'a' are beyond float64's range"):
        out = model.predict(level=[90])
    assert np.isfinite(out.drop(columns=["unique_id", "ds"]).to_numpy()).all()
    assert (out["yhat-lo-90"] <= out["yhat"]).all() and (out["yhat"] <= out["yhat-hi-90"]).all()


def test_seasonal_strength_does_not_depend_on_the_scale():
    t = np.arange(120)
    y = -(1 + 0.01 * t + 0.3 * np.sin(2 * np.pi * t / 12) + 0.1 * np.random.default_rng(0).standard_normal(120))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the squares of 1e160 overflowed with a RuntimeWarning
        strengths = [seasonal_strength(y * 2.0**k, 12) for k in (0, 540, -600)]
    assert strengths[0] == strengths[1] == strengths[2] and 0.5 < strengths[0] < 1
