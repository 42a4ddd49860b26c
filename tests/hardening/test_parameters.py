"""Hostile constructor parameters: every estimator and the forecaster either fit (quickly,
on tiny data) or raise a clean ValueError / TypeError naming the parameter, never a Numba
error, a hang or an out-of-memory kill."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardening._support import HARDENING, assert_clean_message, assert_finite
from tsrnn import RNNClassifier, RNNForecaster, RNNRegressor

BAD = [0, -1, 1.5, "3", None, True, np.nan, np.inf, 10**12, 2**63, [], {"a": 1}, "lstm", "float16", object()]


def hostile(good):
    return st.one_of(st.just(good), st.sampled_from(BAD))


ESTIMATOR_PARAMS = {
    "cell": "gru", "hidden_size": 2, "num_layers": 1, "head": "last", "nonlinearity": "tanh", "loss": None,
    "batch_size": 4, "learning_rate": 1e-3, "optimizer": "adam", "weight_decay": 0.0, "clip_norm": 1.0,
    "lr_schedule": "constant", "validation_fraction": 0.1, "patience": 3, "tol": 1e-4, "dtype": "float32",
    "device": "cpu", "n_jobs": None, "early_stopping": False, "output_length": None, "embedding_dim": None,
    "head_params": None,
}
FORECASTER_PARAMS = {
    "horizon": 2, "input_size": 4, "cell": "gru", "hidden_size": 2, "num_layers": 1, "strategy": "direct",
    "scaler": "robust", "target_transform": None, "stride": 1, "batch_size": 8, "learning_rate": 1e-2,
    "loss": "mae", "lr_schedule": "constant", "clip_norm": 1.0, "n_models": 1, "conformal_windows": None,
    "freq": None, "fill": None, "dtype": "float32", "covariates": None, "level_features": False,
    "early_stopping": False, "quantile_levels": None, "differences": "auto",
}


@st.composite
def params(draw, defaults):
    out = dict(defaults)
    for name in draw(st.lists(st.sampled_from(sorted(defaults)), min_size=1, max_size=3, unique=True)):
        out[name] = draw(hostile(defaults[name]))
    return out


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


@HARDENING
@given(p=params(ESTIMATOR_PARAMS), classify=st.booleans())
def test_estimator_parameters(p, classify, cases):
    cases["estimator hostile parameters"] += 1
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 4, 1))
    y = X[:, -1, 0] > 0 if classify else X[:, -1, 0]
    Est = RNNClassifier if classify else RNNRegressor
    try:
        model = _quiet(Est(max_epochs=2, random_state=0, **p).fit, X, y)
    except (ValueError, TypeError) as exc:
        assert_clean_message(exc)
        return
    cases["estimator hostile parameters (fitted)"] += 1
    assert_finite(model.predict_proba(X) if classify else model.predict(X))


@HARDENING
@given(p=params(FORECASTER_PARAMS))
def test_forecaster_parameters(p, cases):
    cases["forecaster hostile parameters"] += 1
    df = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 30),
                       "ds": np.tile(pd.date_range("2020-01-01", periods=30, freq="D"), 2),
                       "y": np.sin(np.arange(60) / 4.0) + 2.0})
    try:
        model = _quiet(RNNForecaster(max_steps=4, random_state=0, **p).fit, df)
    except (ValueError, TypeError) as exc:
        assert_clean_message(exc)
        return
    cases["forecaster hostile parameters (fitted)"] += 1
    assert_finite(_quiet(model.predict)["yhat"], "forecasts")


@pytest.mark.parametrize("Est", [RNNRegressor, RNNClassifier])
def test_absurd_sizes_are_refused_before_allocating(Est):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 4, 1))
    for kwargs in (dict(hidden_size=10**7), dict(num_layers=10**12), dict(embedding_dim=10**6, vocab_size=10**9)):
        with pytest.raises((ValueError, TypeError)) as info:
            Xi = (X[:, :, 0] > 0).astype(np.int64) if "embedding_dim" in kwargs else X
            Est(max_epochs=1, **kwargs).fit(Xi, X[:, 0, 0] > 0)
        assert_clean_message(info.value)


def test_forecaster_with_a_billion_networks_is_refused():
    df = pd.DataFrame({"unique_id": "a", "ds": np.arange(40), "y": np.arange(40.0)})
    with pytest.raises(MemoryError, match="10000000000 network"):
        RNNForecaster(horizon=2, input_size=4, n_models=10**10).fit(df)


@pytest.mark.parametrize("name, value, message", [
    ("loss", "foo", r"loss='foo' is not supported; choose one of \['mae', 'mse', 'huber'\]"),
    ("early_stopping", "yes", "early_stopping must be True or False; got 'yes'"),
    ("level_features", "no", "level_features must be True or False; got 'no'"),
    ("verbose", "x", "verbose must be True, False or an integer >= 0; got 'x'"),
    ("verbose", -1, "verbose must be True, False or an integer >= 0; got -1"),
])
def test_forecaster_flags_and_loss_are_checked_before_the_data(name, value, message):
    """Strings were read as True (early_stopping='no' stopped early); a bad loss surfaced
    from inside the fit as RNNRegressor's error."""
    with pytest.raises(ValueError, match=message):
        RNNForecaster(horizon=2, **{name: value}).fit(None)  # refused before the data is read
