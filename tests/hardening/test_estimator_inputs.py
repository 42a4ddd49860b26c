"""RNNRegressor / RNNClassifier fit and predict on generated data: shapes, dtypes, NaN/inf,
empty and one-row inputs, huge values, wrong column types. Every case works (finite
predictions of the right shape) or raises a clean ValueError / TypeError."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hardening._support import HARDENING, assert_clean_message, assert_finite
from tsrnn import RNNClassifier, RNNRegressor, TrainingDivergedError

TINY = dict(hidden_size=2, max_epochs=2, random_state=0)


def _value(draw, hostile):
    if hostile:
        specials = [1e30, -1e30, 3e38, 1e300, -1e300, np.nan, np.inf, -np.inf]
    elif draw(st.integers(0, 3)) == 0:  # a quarter of the valid cases hold huge finite values
        specials = [1e30, -1e30, 3e38, 1e300, -1e300]
    else:
        specials = [0.0, 1e6]
    return st.one_of(st.floats(-5, 5), st.sampled_from(specials))


@st.composite
def sequences(draw):
    hostile = draw(st.booleans())
    ndim = draw(st.sampled_from([2, 3, 3] + ([0, 1, 4] if hostile else [])))
    n = draw(st.integers(0, 6) if hostile else st.integers(4, 8))
    T = draw(st.integers(0 if hostile else 1, 5))
    F = draw(st.integers(1, 2))
    shape = {0: (), 1: (n,), 2: (n, T), 3: (n, T, F), 4: (n, T, F, 1)}[ndim]
    X = draw(hnp.arrays(np.float64, shape, elements=_value(draw, hostile)))
    if hostile and ndim >= 2 and n and T > 1 and draw(st.booleans()):
        X[0, T - 1] = np.nan  # trailing padding of the first sample
    form = draw(st.sampled_from(["array"] + (["float32", "int", "bool", "object-str", "list", "frame", "complex"]
                                              if hostile else ["float32", "list"])))
    with np.errstate(all="ignore"):
        if form == "float32":
            X = X.astype(np.float32)
        elif form == "int":
            X = np.nan_to_num(X).clip(-1e9, 1e9).astype(np.int64)
        elif form == "bool":
            X = np.nan_to_num(X) > 0
        elif form == "object-str":
            X = X.astype(object)
            if X.size:
                X.flat[0] = "a"
        elif form == "list":
            X = X.tolist()
        elif form == "frame" and ndim == 2:
            X = pd.DataFrame(X, columns=[f"t{i}" for i in range(T)])
        elif form == "complex":
            X = X.astype(np.complex128)
    return X, n, hostile


@st.composite
def targets(draw, n, hostile, classify):
    m = draw(st.integers(0, n + 1)) if hostile and draw(st.booleans()) else n
    if classify:
        labels = draw(st.sampled_from([["a", "b"], [0, 1, 2], ["é", "日本"], [True, False], [0.5, 1.5]]))
        y = draw(st.lists(st.sampled_from(labels), min_size=m, max_size=m))
        if hostile and y and draw(st.booleans()):
            y[0] = draw(st.sampled_from([np.nan, None, 3.7]))
        return np.array(y, dtype=object) if any(v is None for v in y) else np.array(y)
    y = draw(hnp.arrays(np.float64, (m,) if draw(st.booleans()) else (m, 2), elements=_value(draw, hostile)))
    if hostile and draw(st.booleans()):
        return y.astype(str)
    return y


def _check_estimator(Est, X, y, cases, name):
    model = Est(cell="gru", **TINY)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
    except TrainingDivergedError as exc:  # huge inputs: a clear stop, finite weights kept
        cases[f"{name} (diverged cleanly)"] += 1
        assert "diverged" in str(exc)
        assert_finite(model.network_.flat_params, "weights after divergence")
        return
    except (ValueError, TypeError) as exc:
        assert_clean_message(exc)
        return
    cases[f"{name} (fitted)"] += 1
    Xa = np.asarray(X, dtype=object) if isinstance(X, list) else X
    try:
        pred = model.predict(X)
    except (ValueError, TypeError) as exc:
        pytest.fail(f"predict on the training X failed after fit worked: {type(exc).__name__}: {exc}")
    assert len(pred) == len(Xa)
    if Est is RNNRegressor:
        assert_finite(pred, "predictions")
        assert pred.shape == np.asarray(y).shape
    else:
        assert set(np.unique(pred)) <= set(model.classes_)
        assert_finite(model.predict_proba(X), "probabilities")


@HARDENING
@given(data=sequences(), d=st.data())
def test_regressor_fit_predict(data, d, cases):
    cases["RNNRegressor fit/predict"] += 1
    X, n, hostile = data
    _check_estimator(RNNRegressor, X, d.draw(targets(n, hostile, False)), cases, "RNNRegressor")


@HARDENING
@given(data=sequences(), d=st.data())
def test_classifier_fit_predict(data, d, cases):
    cases["RNNClassifier fit/predict"] += 1
    X, n, hostile = data
    _check_estimator(RNNClassifier, X, d.draw(targets(n, hostile, True)), cases, "RNNClassifier")


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 4, 2))
    return RNNRegressor(cell="lstm", **TINY).fit(X, X[:, -1, 0]), X


@HARDENING
@given(X=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
                    elements=st.one_of(st.floats(-5, 5), st.sampled_from([np.nan, np.inf, 1e300, 3e38]))),
       lengths=st.one_of(st.none(), st.lists(st.integers(-1, 6), max_size=6)))
def test_predict_on_arbitrary_arrays(fitted, X, lengths, cases):
    cases["RNNRegressor.predict arbitrary X"] += 1
    model, _ = fitted
    try:
        pred = model.predict(X, lengths=lengths)
    except (ValueError, TypeError) as exc:
        assert_clean_message(exc)
        return
    assert_finite(pred)
    assert pred.shape == (X.shape[0],)


@pytest.mark.parametrize("batch_size", [10**9, 2**62])
def test_huge_batch_size_is_capped_by_the_data(batch_size):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 5, 1))
    model = RNNRegressor(cell="rnn", batch_size=batch_size, **TINY).fit(X, X[:, -1, 0])
    assert_finite(model.predict(X))
