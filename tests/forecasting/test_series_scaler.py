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
