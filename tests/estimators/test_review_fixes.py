"""Review fixes: sequence R^2, validation scores (padding, weights), tiny float32 weights,
output_length at predict, score on huge targets, the NaN step named in errors."""

import numpy as np
import pytest
import sklearn.model_selection
from sklearn.metrics import r2_score

from tsrnn import RNNClassifier, RNNRegressor
from tsrnn._memory import MemoryLimitError
from tsrnn.nn import get_loss


def _sequence_data(n=40, T=6, k=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, T, 1))
    y = np.cumsum(X[:, :, 0], axis=1)
    y[:, 0] = 0.01 * X[:, 0, 0]  # a step of small variance: per-step R^2 would be far off there
    if k is not None:
        y = np.stack([y, -2.0 * y + 1.0][:k], axis=-1)
    return X, y


def _pooled_r2(y, pred):
    """Each output's R^2 over all its values pooled, averaged over the outputs."""
    y, pred = y.reshape(y.shape[0], y.shape[1], -1), pred.reshape(pred.shape[0], pred.shape[1], -1)
    return np.mean([r2_score(y[..., j].ravel(), pred[..., j].ravel()) for j in range(y.shape[-1])])


def test_sequence_score_pools_the_steps_of_each_output():
    X, y = _sequence_data()
    params = dict(head="sequence", hidden_size=4, max_epochs=2, random_state=0, early_stopping=False)
    model = RNNRegressor(**params).fit(X, y)
    pred = model.predict(X)
    assert model.score(X, y) == pytest.approx(_pooled_r2(y, pred), rel=1e-12)
    assert abs(model.score(X, y) - r2_score(y, pred)) > 0.1  # the per-step average it was before
    assert model.score(X, y[:, :, None]) == pytest.approx(model.score(X, y), rel=1e-12)
    Xp, yp = X.copy(), y.copy()
    Xp[0, -1], yp[0, -1] = np.nan, np.nan  # one padded step changes the score only a little
    assert model.score(Xp, yp) == pytest.approx(model.score(X, y), abs=0.01)

    X2, y2 = _sequence_data(k=2)
    two = RNNRegressor(**params).fit(X2, y2)
    assert two.score(X2, y2) == pytest.approx(_pooled_r2(y2, two.predict(X2)), rel=1e-12)


def _record_splits(monkeypatch):
    """The (train, validation) indices of every early-stopping split made while active."""
    splits = []
    real = sklearn.model_selection.train_test_split

    def spy(*args, **kwargs):
        tr, va = real(*args, **kwargs)
        splits.append((np.sort(tr), np.sort(va)))
        return tr, va

    monkeypatch.setattr(sklearn.model_selection, "train_test_split", spy)
    return splits


def test_sequence_validation_score_is_score_over_valid_steps(monkeypatch):
    rng = np.random.default_rng(0)
    N, T = 60, 8
    X = rng.normal(size=(N, T, 1))
    y = np.cumsum(X[:, :, 0], axis=1)
    pad = np.arange(T)[None, :] >= rng.integers(2, T + 1, N)[:, None]
    X[pad], y[pad] = np.nan, np.nan
    splits = _record_splits(monkeypatch)
    model = RNNRegressor(head="sequence", hidden_size=8, max_epochs=1, random_state=0,
                         validation_fraction=0.3).fit(X, y)
    va = splits[-1][1]
    assert model.validation_scores_[0] == pytest.approx(model.score(X[va], y[va]), rel=1e-5)


def test_validation_scores_weigh_the_validation_samples(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 6))
    y = X.sum(axis=1)
    w = np.where(np.arange(100) % 2 == 0, 1.0, 0.0)
    y_bad = np.where(w > 0, y, 1000.0)  # garbage targets on the samples of weight 0
    splits = _record_splits(monkeypatch)
    reg = RNNRegressor(hidden_size=8, max_epochs=1, random_state=0).fit(X, y_bad, sample_weight=w)
    va = splits[-1][1]
    expected = reg.score(X[va], y_bad[va], sample_weight=w[va])
    assert reg.validation_scores_[0] == pytest.approx(expected, rel=1e-5)
    assert reg.best_validation_score_ == pytest.approx(expected, rel=1e-5)

    yc = (X[:, 0] > 0).astype(int)
    yc_bad = np.where(w > 0, yc, 1 - yc)  # flipped labels on the samples of weight 0
    clf = RNNClassifier(hidden_size=8, max_epochs=1, random_state=0, early_stopping=True, validation_fraction=0.3).fit(
        X, yc_bad, sample_weight=w)
    va = splits[-1][1]
    assert clf.validation_scores_[0] == pytest.approx(clf.score(X[va], yc_bad[va], sample_weight=w[va]))


@pytest.mark.parametrize("name", ["mse", "mae", "huber", "cross_entropy"])
def test_loss_gradient_of_float32_subnormal_weights_is_finite(name):
    rng = np.random.default_rng(0)
    pred = rng.normal(size=(2, 3)).astype(np.float32)
    target = np.array([0, 2]) if name == "cross_entropy" else rng.normal(size=(2, 3)).astype(np.float32)
    loss = get_loss(name)
    value, grad = loss(pred, target, np.full(2, 1e-40, np.float32))  # 1 / sum(weights) overflows float32
    ref_value, ref_grad = loss(pred, target)
    assert value == pytest.approx(ref_value, rel=1e-4)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4)


@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
def test_weights_below_float32_normal_range_train_as_in_float64(Estimator):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 6))
    y = (X[:, 0] > 0).astype(int) if Estimator is RNNClassifier else X.sum(axis=1)
    w = np.where(np.arange(24) < 12, 1.0, 1e-41)  # batches of only tiny weights: steps of full size
    params = dict(hidden_size=4, max_epochs=2, batch_size=4, random_state=0, early_stopping=False)
    single = Estimator(**params).fit(X, y, sample_weight=w)
    double = Estimator(dtype="float64", **params).fit(X, y, sample_weight=w)
    out = "predict_proba" if Estimator is RNNClassifier else "predict"
    np.testing.assert_allclose(getattr(single, out)(X), getattr(double, out)(X), rtol=1e-3, atol=1e-4)


def test_output_length_is_checked_at_predict():
    rng = np.random.default_rng(0)
    V, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 4))
    model = RNNRegressor(head="vec2seq", hidden_size=4, max_epochs=1, random_state=0).fit(V, Y)
    for bad in [0, -1, 2.5]:
        with pytest.raises(ValueError, match=f"output_length must be a positive integer, got {bad}"):
            model.set_params(output_length=bad).predict(V[:1])
    assert model.set_params(output_length=np.int64(2)).predict(V[:1]).shape == (1, 2)


def test_encoder_decoder_output_length_zero_and_huge():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 5, 2)), rng.normal(size=(20, 4))
    model = RNNRegressor(head="encoder_decoder", hidden_size=4, max_epochs=1, random_state=0).fit(X, Y)
    X32 = X[:2].astype(np.float32)
    assert model.network_.predict(X32, None, output_length=0).shape == (2, 0, 1)  # 0 is not "unset"
    with pytest.raises(MemoryLimitError, match="decoding 1 sequences of 1000000000000 steps"):
        model.set_params(output_length=10**12).predict(X[:1])


@pytest.mark.parametrize("head", ["last", "sequence"])
def test_score_of_targets_beyond_1e154(head):
    X, y = _sequence_data(n=30)
    if head == "last":
        y = y[:, -1]
    big = y * 1e300
    model = RNNRegressor(head=head, hidden_size=4, max_epochs=2, random_state=0).fit(X, big)
    pred = model.predict(X)
    expected = (_pooled_r2 if head == "sequence" else r2_score)(big / 1e300, pred / 1e300)
    assert model.score(X, big) == pytest.approx(expected, rel=1e-9)


def test_nan_inside_a_sequence_names_its_step():
    X = np.ones((4, 6))
    X[0, 2] = np.nan
    with pytest.raises(ValueError, match="NaN at step 2 of sample 0, before its value at step 3"):
        RNNRegressor(max_epochs=1).fit(X, np.arange(4.0))


def test_long_sequences_predict_in_passes_that_fit_the_activation_budget(monkeypatch):
    from tsrnn.estimators import base

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 30, 2))
    model = RNNRegressor(cell="gru", hidden_size=8, max_epochs=2, random_state=0, dtype="float64").fit(X, X.sum((1, 2)))
    assert model._predict_rows(X) == base.PREDICT_BATCH and model._predict_rows(np.zeros((1, 10**6, 2))) < 200
    whole = model.predict(X)
    monkeypatch.setattr(base, "PREDICT_BYTES", 7 * 30 * 8 * 8 * 6)  # seven sequences per pass
    assert model._predict_rows(X) == 7
    np.testing.assert_allclose(model.predict(X), whole, rtol=1e-12)  # 4096 x 1000 steps took 2 GB before


def test_relu_network_that_overflows_is_not_turned_back_into_finite_outputs():
    from tsrnn.nn import Recurrent

    net = Recurrent("rnn", 1, 2, nonlinearity="relu", random_state=0)
    net.weights["weight_hh_l0"][...] = 2 * np.eye(2)
    net.weights["weight_ih_l0"][...] = 1
    net.weights["bias_ih_l0"][...] = 0
    net.weights["bias_hh_l0"][...] = 0
    with np.errstate(over="ignore", invalid="ignore"):
        Y, h_n = net.forward(np.ones((1, 140, 1), np.float32))
    assert np.isinf(Y[0, 127]).all() and np.isnan(h_n).all()  # relu(NaN) was 0: h_n came back 2047
    X = np.random.default_rng(0).normal(size=(32, 10, 1))
    model = RNNRegressor(cell="rnn", nonlinearity="relu", head_params={"pooling": "last"}, hidden_size=4,
                         max_epochs=2, random_state=0).fit(X, X.sum((1, 2)))
    rec = model.network_.rnn
    rec.weights["weight_hh_l0"][...] = 2 * np.eye(4)
    rec.weights["weight_ih_l0"][...] = 1
    with pytest.raises(FloatingPointError), np.errstate(over="ignore", invalid="ignore"):
        model.predict(np.ones((1, 200, 1)))  # a finite 7e20 before


def test_sample_weights_count_in_batches_of_one():
    # a classifier: weights do not move its targets (a regressor standardises y with them)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5, 1))
    y = (X.sum((1, 2)) > 0).astype(int)
    w = np.where(np.arange(40) < 20, 1.0, 10.0)
    kw = dict(hidden_size=4, max_epochs=3, batch_size=1, random_state=0)
    plain = RNNClassifier(**kw).fit(X, y)
    ones = RNNClassifier(**kw).fit(X, y, sample_weight=np.ones(40))
    weighted = RNNClassifier(**kw).fit(X, y, sample_weight=w)
    assert np.array_equal(plain.network_.flat_params, ones.network_.flat_params)  # equal weights: unchanged
    # each batch's loss scaled by its share of the weight: in batches of one the weights cancelled
    # and the fit equalled the unweighted one bit for bit
    assert not np.allclose(plain.network_.flat_params, weighted.network_.flat_params)
    scaled = RNNClassifier(**kw).fit(X, y, sample_weight=3.0 * w)  # only the ratios count
    np.testing.assert_allclose(scaled.network_.flat_params, weighted.network_.flat_params, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
def test_ragged_sequence_targets_are_named(Estimator):
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 9, size=12)
    X = [rng.normal(size=n) for n in lengths]  # ragged X is padded with NaN
    y = [np.zeros(n) for n in lengths]  # ragged y gave NumPy's "inhomogeneous shape" error
    with pytest.raises(ValueError, match=r"y holds sequences of different lengths \(3 to 8 steps\): give y as one "
                                         r"array of shape \(n_samples, n_steps"):
        Estimator(head="sequence", max_epochs=1).fit(X, y)


def test_ragged_vector_targets_and_zero_dimensional_items():
    X = np.random.default_rng(0).normal(size=(12, 4, 1))
    with pytest.raises(ValueError, match=r"y holds rows of different lengths \(1 to 2 outputs\): give y of shape "
                                         r"\(n_samples,\) or \(n_samples, n_outputs\)"):
        RNNRegressor(max_epochs=1).fit(X, [[1.0, 2.0]] * 6 + [[1.0]] * 6)
    y = [np.array(v) for v in X.sum((1, 2))]  # 0-d arrays: a plain 1-D target (len() of them raised)
    assert RNNRegressor(max_epochs=1, hidden_size=4, random_state=0).fit(X, y).predict(X).shape == (12,)


def test_vec2seq_head_called_directly_checks_output_length():
    X = np.random.default_rng(0).normal(size=(20, 3))
    model = RNNRegressor(head="vec2seq", hidden_size=4, max_epochs=1, random_state=0).fit(X, np.repeat(X[:, :1], 4, 1))
    with pytest.raises(ValueError, match="output_length must be a positive integer, got 0"):  # a reshape error before
        model.network_.forward(X.astype(np.float32), output_length=0)
