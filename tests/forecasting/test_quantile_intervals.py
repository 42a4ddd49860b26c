"""quantile_levels: networks that emit the median and interval quantiles (pinball loss)."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn import RNNForecaster
from tsrnn.forecasting.forecaster import _MultiQuantileLoss, quantile_grid
from tsrnn.nn.losses import PinballLoss


def _noisy_sine(length=600, sigma=0.5, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    return pd.DataFrame({"unique_id": "a", "ds": t, "y": 5 + np.sin(2 * np.pi * t / 10) + sigma * rng.normal(size=length)})


def test_quantile_grid_and_loss_wrapper():
    np.testing.assert_allclose(quantile_grid([80, 95]), [0.5, 0.1, 0.9, 0.025, 0.975])
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(4, 3 * 5)), rng.normal(size=(4, 3))
    value, grad = _MultiQuantileLoss(quantile_grid([80, 95]), 3)(pred, target)
    ref_value, ref_grad = PinballLoss(tuple(quantile_grid([80, 95])))(pred.reshape(4, 3, 5), target)
    assert value == pytest.approx(ref_value)
    np.testing.assert_array_equal(grad, ref_grad.reshape(4, 15))


def test_learned_intervals_cover_fresh_noise_and_never_cross():
    df = _noisy_sine()
    model = RNNForecaster(horizon=5, input_size=20, hidden_size=16, quantile_levels=[80], max_steps=600,
                          random_state=0).fit(df.iloc[:500])
    cv = model.cross_validation(df, n_windows=20, step_size=5, level=[80])
    coverage = cv.attrs["coverage"][80]
    assert 0.6 <= coverage <= 0.95, coverage  # 100 fresh points; nominal 0.8
    width = (cv["yhat-hi-80"] - cv["yhat-lo-80"]).mean()
    assert 0.6 < width < 2.6  # the true 80% width is 2 * 1.28 * 0.5 = 1.28
    assert (cv["yhat-lo-80"] <= cv["yhat"]).all() and (cv["yhat"] <= cv["yhat-hi-80"]).all()


def test_levels_must_have_been_learned_and_models_round_trip(tmp_path):
    df = _noisy_sine(length=120)
    model = RNNForecaster(horizon=4, input_size=8, quantile_levels=[80, 95], max_steps=20, random_state=0).fit(df)
    with pytest.raises(ValueError, match=r"level \[90\] was not learned"):
        model.predict(level=90)
    pred = model.predict(4, level=[95, 80])
    assert len(pred) == 4 and (pred["yhat-lo-95"] <= pred["yhat-lo-80"]).all()
    path = tmp_path / "q.tsrnn"
    model.save(path)
    pd.testing.assert_frame_equal(tsrnn.load(path).predict(4, level=[95, 80]), pred)
    # past the horizon only the median is fed back: the learned quantiles would not widen
    with pytest.raises(ValueError, match=r"intervals are calibrated for h <= horizon=4; got h=8"):
        model.predict(8, level=[95, 80])
    assert len(model.predict(8)) == 8  # point forecasts are fine
    with pytest.raises(ValueError, match="encoder_decoder"):
        RNNForecaster(horizon=4, quantile_levels=[80], strategy="encoder_decoder").fit(df)
    with pytest.raises(ValueError, match=r"not supported with strategy='recursive' and horizon > 1"):
        RNNForecaster(horizon=4, quantile_levels=[80], strategy="recursive").fit(df)
    one_step = RNNForecaster(horizon=1, input_size=8, quantile_levels=[80], strategy="recursive", max_steps=5).fit(df)
    assert len(one_step.predict(level=80)) == 1
    with pytest.raises(ValueError, match="level must be percentages"):
        RNNForecaster(horizon=4, quantile_levels=[180]).fit(df)


def test_recursive_quantile_models_of_older_files_load_and_forecast_without_intervals(tmp_path, monkeypatch):
    df = _noisy_sine(length=120)
    kw = dict(horizon=4, input_size=8, quantile_levels=[80], strategy="recursive", max_steps=5, random_state=0)
    with monkeypatch.context() as m:  # as an older version fitted and saved them
        m.setattr(RNNForecaster, "_check_quantile_strategy", lambda self: None)
        old = RNNForecaster(**kw).fit(df)
        old.save(tmp_path / "old.tsrnn")
    loaded = tsrnn.load(tmp_path / "old.tsrnn")
    assert len(loaded.predict()) == 4  # point forecasts still work
    with pytest.raises(ValueError, match="not supported with strategy='recursive' and horizon > 1"):
        loaded.predict(level=80)
