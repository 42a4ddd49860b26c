"""scaler="series": windows scaled by their series' history (mean, std) up to the window's end."""

import numpy as np
import pytest

from tsrnn import RNNForecaster
from tsrnn.datasets.synthetic import make_random_walk_panel
from tsrnn.windows import WindowBatches


def test_windows_use_the_history_of_their_series():
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(5, 2, size=20), rng.normal(-3, 0.5, size=15)])
    starts, series_start = np.array([0, 7, 20, 26]), np.array([0, 0, 20, 20])
    data = WindowBatches(z, None, starts, 5, 2, scaler="series", dtype=np.float64, series_start=series_start,
                         level_feats=False)
    X, y, _, _ = data.batch(np.arange(4))
    assert X.shape == (4, 5, 1)
    for b, (s, a) in enumerate(zip(starts, series_start)):
        hist = z[a : s + 5]
        np.testing.assert_allclose(X[b, :, 0], (z[s : s + 5] - hist.mean()) / hist.std())
        np.testing.assert_allclose(y[b], (z[s + 5 : s + 7] - hist.mean()) / hist.std())
    with pytest.raises(ValueError, match="series_start"):
        WindowBatches(z, None, starts, 5, 2, scaler="series")


def test_forecaster_with_series_scaling_fits_and_backtests():
    df = make_random_walk_panel(3, 60, random_state=0)
    model = RNNForecaster(horizon=4, input_size=8, scaler="series", max_steps=50, random_state=0).fit(df)
    pred = model.predict(level=[80])
    assert len(pred) == 12 and np.isfinite(pred["yhat"]).all()
    assert len(model.cross_validation(df, n_windows=2)) == 24
    with pytest.raises(ValueError, match="'series'"):
        RNNForecaster(scaler="global").fit(df)


def test_history_statistics_clip_gross_outliers():
    from tsrnn.windows import expanding_stats
    from tsrnn.windows._windows import OUTLIER_FENCE

    rng = np.random.default_rng(0)
    z = 50 + rng.normal(size=200)
    clean_mean, clean_std = expanding_stats(z, np.array([0]), np.array([200]))
    z[100] = 50_000.0  # one data-entry error
    q1, q3 = np.quantile(z, [0.25, 0.75])
    fence = q3 + OUTLIER_FENCE * (q3 - q1)
    mean, std = expanding_stats(z, np.array([0, 0]), np.array([90, 200]))
    clipped = np.where(z > fence, fence, z)
    assert mean[1] == pytest.approx(clipped.mean()) and std[1] == pytest.approx(clipped.std())
    assert std[1] < 3 * clean_std[0]  # not ~3500, as the spike would make it
    # values within the fences (or a series whose quartiles coincide) are not touched
    np.testing.assert_array_equal(expanding_stats(z[:90], np.array([0]), np.array([90]))[0], mean[:1])
    steps = np.r_[np.zeros(50), 1e6]
    assert expanding_stats(steps, np.array([0]), np.array([51]))[0][0] == pytest.approx(1e6 / 51)


def test_one_gross_outlier_leaves_series_scaled_forecasts_near_the_level():
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 200
    y = 50 + 5 * np.sin(np.arange(n) * 2 * np.pi / 7) + rng.normal(size=n)
    y[100] = 50_000.0
    df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2020-01-01", periods=n, freq="D"), "y": y})
    model = RNNForecaster(horizon=7, input_size=14, hidden_size=8, n_models=1, max_steps=60, random_state=0).fit(df)
    assert model.scaler_ == "series"
    yhat = model.predict()["yhat"].to_numpy()
    assert np.all((yhat > 35) & (yhat < 65)), yhat  # forecast -22 to 47 before the outlier was clipped
