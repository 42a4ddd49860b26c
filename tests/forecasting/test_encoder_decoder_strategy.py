"""strategy="encoder_decoder": an encoder reads the window, a decoder emits the horizon."""

import numpy as np
import pandas as pd

import tsrnn
from tsrnn import RNNForecaster


def _sine_panel(n_series=2, length=120):
    t = np.arange(length)
    return pd.concat([pd.DataFrame({"unique_id": f"s{i}", "ds": t, "y": 10 + (i + 1) * np.sin(2 * np.pi * t / 12)})
                      for i in range(n_series)], ignore_index=True)


def test_learns_a_seasonal_pattern_and_round_trips(tmp_path):
    df = _sine_panel()
    train = df[df.groupby("unique_id").cumcount(ascending=False) >= 12]
    test = df[df.groupby("unique_id").cumcount(ascending=False) < 12]
    model = RNNForecaster(horizon=12, input_size=24, strategy="encoder_decoder", hidden_size=16, max_steps=300,
                          random_state=0).fit(train)
    assert model.models_[0].network_.name == "encoder_decoder"
    pred = model.predict()
    err = np.abs(pred["yhat"].to_numpy() - test["y"].to_numpy()).mean()
    assert err < 0.5  # amplitudes 1 and 2: a flat forecast errs by ~0.9 on average
    longer = model.predict(30)  # past the horizon: blocks fed back
    assert len(longer) == 2 * 30 and np.isfinite(longer["yhat"]).all()
    np.testing.assert_allclose(longer["yhat"].to_numpy().reshape(2, 30)[:, :12], pred["yhat"].to_numpy().reshape(2, 12))
    path = tmp_path / "ed.tsrnn"
    model.save(path)
    pd.testing.assert_frame_equal(tsrnn.load(path).predict(), pred)


def test_with_future_covariates_and_intervals():
    df = _sine_panel(n_series=1)
    df["k"] = np.cos(2 * np.pi * df["ds"] / 12)
    model = RNNForecaster(horizon=6, input_size=12, strategy="encoder_decoder", future_covariates=["k"],
                          hidden_size=8, max_steps=30, random_state=0).fit(df)
    future = model.make_future_frame().assign(k=0.0)
    pred = model.predict(X_future=future, level=[90])
    assert len(pred) == 6 and (pred["yhat-lo-90"] <= pred["yhat-hi-90"]).all()
