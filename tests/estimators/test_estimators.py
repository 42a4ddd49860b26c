"""RNNRegressor / RNNClassifier behaviour: sklearn integration, determinism, training loop,
variable lengths, plugin heads, bad input."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tsrnn import RNNClassifier, RNNRegressor, TrainingDivergedError
from tsrnn.heads import LastStepHead, available_heads, register

FAST = dict(hidden_size=8, max_epochs=4, batch_size=16, learning_rate=1e-2, random_state=0)


@pytest.fixture
def series(rng):
    """Noisy sines: predict the next value from the last 12."""
    t = np.arange(400)
    s = np.sin(0.3 * t) + 0.1 * rng.normal(size=t.size)
    X = np.lib.stride_tricks.sliding_window_view(s[:-1], 12).copy()
    return X, s[12:]


def test_learns_a_sine(series):
    X, y = series
    model = RNNRegressor(cell="gru", hidden_size=16, max_epochs=30, learning_rate=1e-2, random_state=0).fit(X, y)
    assert model.score(X, y) > 0.8
    assert model.n_iter_ == len(model.loss_curve_) <= 30
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    assert model.n_features_in_ == 12


def test_pipeline_and_grid_search(series):
    X, y = series
    pipe = make_pipeline(StandardScaler(), RNNRegressor(cell="rnn", **FAST))
    pipe.fit(X, y)
    assert pipe.predict(X).shape == y.shape
    grid = GridSearchCV(RNNRegressor(cell="gru", **FAST), {"hidden_size": [4, 8]}, cv=2).fit(X, y)
    assert grid.best_params_["hidden_size"] in (4, 8)


@pytest.mark.parametrize("Est", [RNNRegressor, RNNClassifier])
def test_clone_and_pickle_round_trip(Est, series):
    X, y = series
    if Est is RNNClassifier:
        y = (y > 0).astype(int)
    model = Est(cell="lstm", **FAST).fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    assert np.array_equal(model.predict(X), again.predict(X))
    # the unpickled network still trains in place: its views share the flat array
    again.set_params(warm_start=True, max_epochs=1).fit(X, y)
    assert not np.array_equal(model.predict(X[:5]), again.predict(X[:5])) or Est is RNNClassifier
    cloned = clone(model)
    assert not hasattr(cloned, "network_")
    assert np.array_equal(cloned.fit(X, y).predict(X), model.predict(X))


def test_same_seed_same_predictions_whatever_n_jobs(series):
    X, y = series
    a = RNNRegressor(cell="gru", n_jobs=1, **FAST).fit(X, y).predict(X)
    b = RNNRegressor(cell="gru", n_jobs=2, **FAST).fit(X, y).predict(X)
    c = RNNRegressor(cell="gru", **(FAST | {"random_state": 1})).fit(X, y).predict(X)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_early_stopping_restores_best_weights(series):
    X, y = series
    model = RNNRegressor(cell="gru", hidden_size=8, max_epochs=40, early_stopping=True, patience=3,
                         learning_rate=3e-2, random_state=0).fit(X, y)
    assert len(model.validation_loss_curve_) == model.n_iter_
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_loss_ == min(model.validation_loss_curve_)
    assert model.best_validation_score_ == max(model.validation_scores_)


def test_early_stopping_with_vector_inputs():
    """vec2seq reads one vector per sample (no lengths); the validation split used to
    index the missing lengths."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = np.repeat(X[:, :1], 4, axis=1)
    model = RNNRegressor(head="vec2seq", hidden_size=4, max_epochs=3, early_stopping=True, random_state=0).fit(X, y)
    assert len(model.validation_loss_curve_) == model.n_iter_ == 3
    assert model.predict(X).shape == (20, 4)


def test_regressor_defaults():
    """Chosen on benchmarks/bench_regression.py (see the RNNRegressor docstring)."""
    params = RNNRegressor().get_params()
    assert {k: params[k] for k in ("cell", "head_params", "batch_size", "learning_rate", "early_stopping",
                                   "validation_fraction", "patience")} == {
        "cell": "gru", "head_params": None, "batch_size": 16, "learning_rate": 1e-2, "early_stopping": True,
        "validation_fraction": 0.2, "patience": 20}
    X = np.random.default_rng(0).normal(size=(30, 6, 1))
    model = RNNRegressor(hidden_size=4, max_epochs=2, random_state=0).fit(X, X[:, -1, 0])
    assert model.network_.get_options() == {"pooling": "max"}
    assert len(model.validation_loss_curve_) == 2  # 6 of the 30 samples held out


def test_divergence_raises_and_keeps_finite_weights(series):
    X, y = series
    model = RNNRegressor(cell="rnn", nonlinearity="relu", hidden_size=8, max_epochs=20, clip_norm=None,
                         learning_rate=1e6, optimizer="sgd", random_state=0)
    with pytest.raises(TrainingDivergedError, match="diverged.*learning_rate"):
        model.fit(X * 1e3, y * 1e6)
    assert np.isfinite(model.network_.flat_params).all()


def test_partial_fit_and_warm_start(series):
    X, y = series
    model = RNNRegressor(cell="gru", **FAST)
    model.partial_fit(X, y)
    model.partial_fit(X, y)
    assert model.n_iter_ == 2
    warm = RNNRegressor(cell="gru", warm_start=True, **FAST).fit(X, y)
    first = warm.network_.flat_params.copy()
    warm.fit(X, y)
    assert warm.n_iter_ == 8 and not np.array_equal(first, warm.network_.flat_params)
    clf = RNNClassifier(cell="gru", **FAST)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y > 0)
    clf.partial_fit(X, y > 0, classes=[False, True])
    assert list(clf.classes_) == [False, True]


def test_nan_padding_equals_lengths_argument(rng):
    X = rng.normal(size=(30, 10, 2))
    lengths = rng.integers(3, 11, size=30)
    padded = X.copy()
    for i, n in enumerate(lengths):
        padded[i, n:] = np.nan
    y = rng.normal(size=30)
    a = RNNRegressor(cell="lstm", **FAST).fit(padded, y)
    b = RNNRegressor(cell="lstm", **FAST).fit(X, y, lengths=lengths)
    assert np.array_equal(a.predict(padded), b.predict(X, lengths=lengths))
    # a list of variable-length sequences works too
    seqs = [X[i, : lengths[i]] for i in range(30)]
    assert np.array_equal(RNNRegressor(cell="lstm", **FAST).fit(seqs, y).predict(seqs), a.predict(padded))


def test_classifier_probabilities_and_decision(series):
    X, y = series
    labels = np.where(y > 0.5, "high", np.where(y < -0.5, "low", "mid"))
    df = pd.DataFrame(X, columns=[f"lag{i}" for i in range(12)])
    clf = RNNClassifier(cell="gru", **FAST).fit(df, labels)
    proba = clf.predict_proba(df)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(df)) <= {"high", "low", "mid"}
    assert clf.decision_function(df).shape == (len(X), 3)
    assert list(clf.feature_names_in_) == list(df.columns)


def test_sequence_head_outputs_and_padding(rng):
    X = rng.normal(size=(40, 8, 3))
    y = np.cumsum(X[:, :, 0], axis=1)
    model = RNNRegressor(cell="gru", head="sequence", **FAST).fit(X, y)
    assert model.predict(X).shape == (40, 8)
    X[0, 5:] = np.nan
    pred = model.predict(X)
    assert np.isnan(pred[0, 5:]).all() and np.isfinite(pred[0, :5]).all()


def test_custom_head_by_name(series):
    X, y = series

    @register("mean_pool_for_test")
    class MeanPool(LastStepHead):
        def build(self, spec):
            self.options = {"pooling": "mean"}
            return super().build(spec)

    assert "mean_pool_for_test" in available_heads()
    model = RNNRegressor(cell="gru", head="mean_pool_for_test", **FAST).fit(X, y)
    assert isinstance(model.network_, MeanPool) and model.network_.pooling == "mean"


@pytest.mark.parametrize(
    "params,match",
    [
        (dict(cell="transformer"), "cell="),
        (dict(head="nope"), "head='nope' is not registered"),
        (dict(optimizer="lbfgs"), "optimizer="),
        (dict(hidden_size=0), "hidden_size"),
        (dict(learning_rate=-1.0), "learning_rate"),
        (dict(device="tpu"), "device="),
        (dict(device="cuda"), "cuda"),
        (dict(n_jobs=0), "n_jobs"),
        (dict(loss="hinge"), "loss="),
        (dict(head_params={"pooling": "median"}), "pooling="),
        (dict(dtype="int8"), "dtype="),
    ],
)
def test_bad_parameters(params, match, series):
    X, y = series
    with pytest.raises(ValueError, match=match):
        RNNRegressor(**(FAST | params)).fit(X, y)


def test_bad_data(series):
    X, y = series
    model = RNNRegressor(cell="gru", **FAST)
    with pytest.raises(NotFittedError):
        model.predict(X)
    with pytest.raises(ValueError, match="Expected 2D array"):
        model.fit(X[:, 0], y)
    with pytest.raises(ValueError, match="4-D"):
        model.fit(X[:, :, None, None], y)
    y_nan = y.copy()
    y_nan[3] = np.nan
    with pytest.raises(ValueError, match="y contains NaN"):
        model.fit(X, y_nan)
    with pytest.raises(ValueError, match="samples"):
        model.fit(X, y[:-1])
    with pytest.raises(ValueError, match="shape"):
        model.fit(X, y[:, None, None])
    X_bad = X.copy()
    X_bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN.*trailing padding"):
        model.fit(X_bad, y)
    model.fit(X, y)
    with pytest.raises(ValueError, match="expecting 12 features"):
        model.predict(X[:, :6])
    with pytest.raises(ValueError, match="fitted on 2-D"):
        model.predict(X[:, :, None])
    seq = RNNRegressor(cell="gru", head="sequence", **FAST)
    with pytest.raises(ValueError, match="one target per input step"):
        seq.fit(X[:, :, None], y[:, None].repeat(5, axis=1))
    with pytest.raises(ValueError, match="lengths must lie"):
        model.fit(X, y, lengths=np.full(len(X), 13))
