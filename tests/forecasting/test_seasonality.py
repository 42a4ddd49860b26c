"""Season length from frequencies, seasonal strength, and what ``differences="auto"`` and
``scaler="auto"`` choose from them."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn import RNNForecaster
from tsrnn.forecasting._seasonality import SEASONAL_STRENGTH_THRESHOLD, season_length, seasonal_strength
from tsrnn.forecasting import _transforms

FAST = dict(hidden_size=8, max_steps=15, batch_size=16, random_state=0)


@pytest.mark.parametrize("freq,m", [("MS", 12), ("ME", 12), ("QS", 4), ("QE-DEC", 4), ("QS-OCT", 4), ("W-SUN", 52),
                                    ("D", 7), ("B", 5), ("h", 24), ("YS", 1), ("min", 1), ("2D", 1), (1, 1),
                                    (None, 1)])
def test_season_length_of_usual_frequencies(freq, m):
    assert season_length(freq) == m
    if isinstance(freq, str):
        assert season_length(pd.tseries.frequencies.to_offset(freq)) == m


def test_seasonal_strength_separates_seasonal_from_plain_series():
    rng = np.random.default_rng(0)
    t = np.arange(120)
    seasonal = 10 * np.sin(2 * np.pi * t / 12) + rng.normal(size=120)
    noise = rng.normal(size=120)
    trend_only = 0.5 * t + rng.normal(size=120)  # a trend is not a season
    assert seasonal_strength(seasonal, 12) > 0.9
    assert seasonal_strength(noise, 12) < SEASONAL_STRENGTH_THRESHOLD
    assert seasonal_strength(trend_only, 12) < SEASONAL_STRENGTH_THRESHOLD
    assert seasonal_strength(seasonal + 2 * t, 12) > 0.9  # the trend is removed first
    # odd season lengths use a plain moving average
    assert seasonal_strength(np.tile([0.0, 5.0, -5.0], 20) + 0.1 * rng.normal(size=60), 3) > 0.9
    assert seasonal_strength(seasonal[:30], 12) == 0.0  # under three seasons: no test
    assert seasonal_strength(seasonal, 1) == 0.0
    assert seasonal_strength(np.full(60, 4.0), 12) == 0.0


def _monthly(y, n_series=1):
    n = y.shape[-1]
    return pd.DataFrame({"unique_id": np.repeat([f"s{i}" for i in range(n_series)], n),
                         "ds": np.tile(pd.date_range("2000-01-01", periods=n, freq="MS"), n_series),
                         "y": np.asarray(y, dtype=float).ravel()})


def test_auto_differences_difference_trending_seasonal_series_at_the_season():
    rng = np.random.default_rng(1)
    t = np.arange(120)
    season = 20 * np.sin(2 * np.pi * t / 12)
    z = np.concatenate([100 + 2 * t + season + rng.normal(size=120), 100 + season + rng.normal(size=120)])
    offsets = np.array([0, 120, 240])
    assert _transforms.auto_differences(z[:120], offsets[:2], 12) == (12,)  # trend + season
    assert _transforms.auto_differences(z[:120], offsets[:2], 1) == (1,)  # no season known
    assert _transforms.auto_differences(z[120:], offsets[:2], 12) == ()  # stationary, however seasonal
    walk = 100 + rng.normal(size=120).cumsum()
    assert _transforms.auto_differences(walk, offsets[:2], 12) == (1,)  # a trend without a season


def test_multiplicative_seasonality_is_measured_on_the_log_scale():
    # exponential growth times seasonal factors: the swings grow with the level, and the
    # additive decomposition counts them as remainder (strength 0.47 < 0.64; 0.97 in logs)
    rng = np.random.default_rng(0)
    t = np.arange(100)
    y = np.exp(0.04 * t) * (1 + 0.3 * np.array([1, -0.5, -1, 0.5])[t % 4]) * np.exp(rng.normal(0, 0.05, t.size))
    offsets = np.array([0, 100])
    assert seasonal_strength(y, 4) < SEASONAL_STRENGTH_THRESHOLD < seasonal_strength(np.log(y), 4)
    assert _transforms.auto_differences(y, offsets, 4) == (4,)
    assert _transforms.auto_differences(y, offsets, 4, multiplicative=False) == (1,)
    assert _transforms.auto_differences(y - y.max() - 1, offsets, 4) == (1,)  # not positive: own scale only
    assert RNNForecaster(horizon=4, input_size=8, max_steps=1).fit(
        pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000-01-01", periods=100, freq="QS"), "y": y})
    ).differences_ == [4]
    assert RNNForecaster(horizon=4, input_size=8, max_steps=1, target_transform="log").fit(
        pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000-01-01", periods=100, freq="QS"), "y": y})
    ).differences_ == [4]  # log targets: seasonal on their own scale already


def test_forecaster_chooses_seasonal_differences_and_series_scaling():
    rng = np.random.default_rng(2)
    t = np.arange(96)
    trending = 50 + 1.5 * t + 15 * np.sin(2 * np.pi * t / 12) + rng.normal(size=96)
    f = RNNForecaster(horizon=6, input_size=12, **FAST).fit(_monthly(trending))
    assert f.differences_ == [12] and f.scaler_ == "robust"
    assert len(f.predict()) == 6 and np.isfinite(f.predict()["yhat"]).all()
    # too short to spare a season: first differences instead
    assert RNNForecaster(horizon=6, input_size=40, **FAST).fit(_monthly(trending[:56])).differences_ == [1]
    stationary = np.zeros(96)
    for i in range(1, 96):  # AR(1): mean-reverting
        stationary[i] = 0.6 * stationary[i - 1] + rng.normal()
    g = RNNForecaster(horizon=6, input_size=12, **FAST).fit(_monthly(stationary))
    assert g.differences_ == [] and g.scaler_ == "series"
    # an explicit choice is kept
    h = RNNForecaster(horizon=6, input_size=12, scaler="standard", **FAST).fit(_monthly(stationary))
    assert h.scaler_ == "standard"


def test_local_models_choose_their_scaler_and_keep_it_in_model_files(tmp_path):
    rng = np.random.default_rng(3)
    series = np.vstack([rng.normal(size=(2, 80)), np.cumsum(rng.normal(size=(1, 80)), axis=1) + np.arange(80)])
    f = RNNForecaster(horizon=4, input_size=12, local=True, **FAST).fit(_monthly(series, 3))
    assert [m.scaler_ for m in f.local_models_] == ["series", "series", "robust"]
    assert not hasattr(f, "scaler_")  # no choice for all
    f.save(tmp_path / "f.tsrnn")
    loaded = tsrnn.load(tmp_path / "f.tsrnn")
    assert loaded.scaler == "auto" and [m.scaler_ for m in loaded.local_models_] == ["series", "series", "robust"]
    pd.testing.assert_frame_equal(loaded.predict(), f.predict())


def test_unknown_scaler_names_the_choices():
    with pytest.raises(ValueError, match="'auto'"):
        RNNForecaster(horizon=2, scaler="global").fit(_monthly(np.arange(40.0)))
