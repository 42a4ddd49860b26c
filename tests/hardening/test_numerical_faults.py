"""Numerical faults: exploding gradients (huge learning rates), vanishing gradients (long
sequences), float32 overflow in the gates (huge inputs). Training either recovers or stops
with TrainingDivergedError, and the model left behind has finite weights and predicts
finite values."""

import warnings

import numpy as np
import pandas as pd
import pytest

from hardening._support import assert_clean_message, assert_finite
from tsrnn import RNNClassifier, RNNForecaster, RNNRegressor, TrainingDivergedError
from tsrnn.cli.main import main

CELLS = ["rnn", "lstm", "gru"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 12, 2))
    return X, X[:, :, 0].sum(axis=1) + 0.1 * rng.normal(size=64)


def _fit_or_diverge(model, X, y):
    """Fit; on divergence check the message. Returns True when training diverged."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
    except TrainingDivergedError as exc:
        message = str(exc)
        assert "diverged" in message and "learning_rate" in message and "restored" in message
        return True
    return False


def _usable(model, X):
    assert_finite(model.network_.flat_params, "weights")
    pred = model.predict(X)
    assert_finite(pred if pred.dtype.kind == "f" else model.predict_proba(X), "predictions")


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("optimizer,lr,clip", [("sgd", 1e30, None), ("sgd", 1e8, None), ("adam", 1e6, 1.0),
                                                ("rmsprop", 1e4, None)])
def test_exploding_learning_rate(cell, optimizer, lr, clip, data):
    X, y = data
    model = RNNRegressor(cell=cell, hidden_size=8, max_epochs=5, optimizer=optimizer, learning_rate=lr,
                         clip_norm=clip, nonlinearity="relu" if cell == "rnn" else "tanh", random_state=0)
    _fit_or_diverge(model, X, y)
    _usable(model, X)


@pytest.mark.parametrize("cell", CELLS)
def test_exploding_classifier_keeps_finite_weights(cell, data):
    X, y = data
    model = RNNClassifier(cell=cell, hidden_size=8, max_epochs=3, optimizer="sgd", learning_rate=1e30,
                          clip_norm=None, random_state=0)
    _fit_or_diverge(model, X, y > 0)
    _usable(model, X)


@pytest.mark.parametrize("cell", CELLS)
def test_clipping_recovers_from_a_huge_gradient(cell, data):
    """Huge targets give huge gradients; with clipping and Adam, training stays finite."""
    X, y = data
    model = RNNRegressor(cell=cell, hidden_size=8, max_epochs=3, learning_rate=1e-2, clip_norm=1.0,
                         random_state=0)
    assert not _fit_or_diverge(model, X * 1e3, y * 1e12)
    _usable(model, X * 1e3)


@pytest.mark.parametrize("cell", CELLS)
def test_vanishing_gradients_on_long_sequences(cell):
    """1500 steps: gradients vanish (tiny, finite), training runs, predictions are finite."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(16, 1500, 1)).astype(np.float32)
    y = X[:, 0, 0]  # depends on the first step only: the gradient has to travel 1500 steps
    model = RNNRegressor(cell=cell, hidden_size=4, max_epochs=2, batch_size=8, random_state=0)
    assert not _fit_or_diverge(model, X, y)
    _usable(model, X)
    assert np.isfinite(model.loss_curve_).all()


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("scale", [1e20, 1e30])
def test_float32_overflow_in_the_gates(cell, scale, data):
    """Huge float32 inputs: the gates saturate; training stops cleanly or goes on, and the
    model predicts finite values."""
    X, y = data
    Xb = (np.sign(X) * scale).astype(np.float32)
    model = RNNRegressor(cell=cell, hidden_size=8, max_epochs=2, random_state=0)
    _fit_or_diverge(model, Xb, y)
    _usable(model, Xb)
    _usable(model, X)


@pytest.mark.parametrize("cell", CELLS)
def test_inputs_at_the_float32_limit_are_refused(cell, data):
    """At float32's limit a weighted sum of inputs overflows (inf - inf = NaN): refused."""
    X, y = data
    Xb = (np.sign(X) * 3e38).astype(np.float32)
    with pytest.raises(ValueError, match="too large for float32 arithmetic") as info:
        RNNRegressor(cell=cell, hidden_size=8, max_epochs=2).fit(Xb, y)
    assert_clean_message(info.value)
    model = RNNRegressor(cell=cell, hidden_size=8, max_epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="too large for float32 arithmetic"):
        model.predict(Xb)


def test_values_beyond_float32_are_refused_with_a_clear_message(data):
    X, y = data
    with pytest.raises(ValueError, match="too large for float32") as info:
        RNNRegressor(hidden_size=2, max_epochs=1).fit(X * 1e300, y)
    assert_clean_message(info.value)
    model = RNNRegressor(hidden_size=2, max_epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="too large for float32"):
        model.predict(X * 1e300)
    with pytest.raises(ValueError, match="too large to standardise"):
        RNNRegressor(hidden_size=2, max_epochs=1).fit(X, y * 1e305)


def _series(n=60, level=10.0):
    t = np.arange(n)
    return pd.DataFrame({"unique_id": np.repeat(["a", "b"], n), "ds": np.tile(pd.date_range("2020-01-01", periods=n), 2),
                         "y": np.r_[level + np.sin(t / 3), 2 * level + np.cos(t / 4)]})


@pytest.mark.parametrize("cell", CELLS)
def test_forecaster_divergence_leaves_a_usable_model(cell):
    df = _series()
    model = RNNForecaster(horizon=3, input_size=6, cell=cell, hidden_size=8, max_steps=30, learning_rate=1e38,
                          clip_norm=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TrainingDivergedError, match="diverged"):
            model.fit(df)
    for reg in model.models_:
        assert_finite(reg.network_.flat_params, "weights")
    out = model.predict()
    assert len(out) == 6
    assert_finite(out["yhat"], "forecasts")


def test_forecaster_huge_levels_forecast_finite_values():
    """Series at 1e150 and 1e-150: per-window scaling keeps the network in range."""
    df = _series(level=1.0)
    df.loc[df.unique_id == "a", "y"] *= 1e150
    df.loc[df.unique_id == "b", "y"] *= 1e-150
    for scaler in ("robust", "standard", "minmax"):
        model = RNNForecaster(horizon=2, input_size=6, cell="gru", hidden_size=4, max_steps=10, scaler=scaler,
                              level_features=True, random_state=0).fit(df)
        out = model.predict(h=4)
        assert_finite(out["yhat"], "forecasts")
        a, b = out[out.unique_id == "a"].yhat, out[out.unique_id == "b"].yhat
        assert (np.abs(a) > 1e148).all() and (np.abs(b) < 1e-148).all()


def test_cli_divergence_is_a_one_line_error(tmp_path, capsys):
    _series().to_csv(tmp_path / "d.csv", index=False)
    code = main(["forecast", str(tmp_path / "d.csv"), "--horizon", "2", "--learning-rate", "1e38",
                 "--hidden-size", "4", "--max-steps", "30", "-o", str(tmp_path / "o.csv"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "diverged" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "o.csv").exists()
