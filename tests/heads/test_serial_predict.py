"""The "last" head's one-call predict for small batches (tsrnn.kernels.cpu.last_state)
against the batched kernels, PyTorch, changed weights, pickling and threads."""

import pickle
import threading

import numpy as np
import pytest

from tsrnn import RNNClassifier, RNNRegressor
from tsrnn.heads import sequence_to_vector
from tsrnn.heads.sequence_to_vector import SERIAL_MAX_BATCH

TOL = {"float32": 2e-5, "float64": 1e-12}


def _batched(model, X, method="predict"):
    """``model.<method>(X)`` through the batched kernels (the serial path switched off)."""
    saved = sequence_to_vector.SERIAL_MAX_BATCH
    sequence_to_vector.SERIAL_MAX_BATCH = 0
    try:
        return getattr(model, method)(X)
    finally:
        sequence_to_vector.SERIAL_MAX_BATCH = saved


def _padded(rng, n, T, F, min_len):
    X = rng.normal(size=(n, T, F))
    for i, length in enumerate(rng.integers(min_len, T + 1, size=n)):
        X[i, length:] = np.nan
    return X


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cell,num_layers,nonlinearity,pooling", [
    ("lstm", 1, "tanh", "last"), ("lstm", 2, "tanh", "max"), ("gru", 1, "tanh", "last"), ("gru", 2, "tanh", "mean"),
    ("rnn", 1, "tanh", "max"), ("rnn", 2, "relu", "last"), ("lstm", 1, "tanh", "mean"), ("gru", 1, "tanh", "max"),
])
def test_serial_predict_matches_batched_kernels(rng, cell, num_layers, nonlinearity, pooling, dtype):
    X = _padded(rng, 40, 12, 3, 4)
    y = rng.normal(size=(40, 2))
    model = RNNRegressor(cell=cell, hidden_size=9, num_layers=num_layers, nonlinearity=nonlinearity,
                         head_params={"pooling": pooling}, max_epochs=2, random_state=0, dtype=dtype).fit(X, y)
    small = X[:5]  # padded rows: each sample stops at its own length
    assert model.network_.predicts_serially(len(small))
    np.testing.assert_allclose(model.predict(small), _batched(model, small), rtol=TOL[dtype], atol=TOL[dtype])
    # one sample at a time gives the rows of the batch (to rounding)
    rows = np.concatenate([model.predict(small[i:i + 1]) for i in range(len(small))])
    np.testing.assert_allclose(rows, model.predict(small), rtol=TOL[dtype], atol=TOL[dtype])


def test_serial_predict_follows_changed_weights(rng):
    X = rng.normal(size=(64, 10, 2))
    y = X[:, -1, 0] + 0.1 * rng.normal(size=64)
    model = RNNRegressor(cell="lstm", hidden_size=8, max_epochs=1, random_state=0).fit(X, y)
    before = model.predict(X[:1])  # fills the transposed-weight cache
    model.partial_fit(X, y)  # weights change in place
    after = model.predict(X[:1])
    assert not np.array_equal(before, after)
    np.testing.assert_allclose(after, _batched(model, X[:1]), rtol=2e-5, atol=2e-5)
    model.network_.rnn.flat_params[0] += 0.5  # an edit by hand is seen too
    np.testing.assert_allclose(model.predict(X[:1]), _batched(model, X[:1]), rtol=2e-5, atol=2e-5)


def test_serial_cache_is_not_pickled_and_rebuilds(rng):
    X = rng.normal(size=(32, 8, 1))
    y = rng.normal(size=32)
    model = RNNRegressor(cell="gru", hidden_size=6, max_epochs=1, random_state=0).fit(X, y)
    expected = model.predict(X[:2])
    assert "_serial_cache" in model.network_.__dict__
    blob = pickle.dumps(model)
    assert "_serial_cache" not in pickle.loads(pickle.dumps(model.network_)).__dict__
    np.testing.assert_array_equal(pickle.loads(blob).predict(X[:2]), expected)


def test_serial_predict_from_threads_is_consistent(rng):
    X = rng.normal(size=(48, 16, 2))
    y = rng.normal(size=48)
    model = RNNRegressor(cell="lstm", hidden_size=16, max_epochs=1, random_state=0).fit(X, y)
    expected = [model.predict(X[i:i + 1]) for i in range(8)]
    model.network_.__dict__.pop("_serial_cache")  # every thread starts with an empty cache
    results, errors = {}, []

    def work(i):
        try:
            results[i] = [model.predict(X[i % 8:i % 8 + 1]) for _ in range(20)]
        except Exception as exc:  # reported below: a thread's exception does not fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i, outs in results.items():
        for out in outs:
            np.testing.assert_array_equal(out, expected[i % 8])


def test_batches_above_the_limit_use_the_batched_kernels(rng):
    X = rng.normal(size=(SERIAL_MAX_BATCH + 1, 6, 1))
    y = rng.normal(size=len(X))
    model = RNNRegressor(cell="rnn", hidden_size=4, max_epochs=1, random_state=0).fit(X, y)
    assert not model.network_.predicts_serially(len(X))
    assert model.network_.predicts_serially(SERIAL_MAX_BATCH)
    mean_pooled = RNNRegressor(cell="rnn", hidden_size=4, max_epochs=1, random_state=0,
                               head_params={"pooling": "mean"}).fit(X, y)
    assert mean_pooled.network_.predicts_serially(1)  # every pooling has a serial kernel
    assert not mean_pooled.network_.predicts_serially(SERIAL_MAX_BATCH + 1)


def test_classifier_probabilities_through_serial_path(rng):
    X = rng.normal(size=(60, 10, 2))
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    model = RNNClassifier(cell="gru", hidden_size=8, max_epochs=2, random_state=0).fit(X, y)
    proba = model.predict_proba(X[:3])
    np.testing.assert_allclose(proba, _batched(model, X[:3], "predict_proba"), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_serial_predict_matches_pytorch(rng, cell):
    torch = pytest.importorskip("torch")
    X = rng.normal(size=(30, 9, 3))
    y = rng.normal(size=(30, 2))
    model = RNNRegressor(cell=cell, hidden_size=7, num_layers=2, head_params={"pooling": "last"}, max_epochs=1,
                         random_state=0, dtype="float64").fit(X, y)
    net = model.network_
    body = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell](
        3, 7, num_layers=2, batch_first=True, dtype=torch.float64)
    body.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in net.rnn.weights.items()})
    dense = torch.nn.Linear(7, 2, dtype=torch.float64)
    dense.weight.data = torch.from_numpy(net.out.weight.copy())
    dense.bias.data = torch.from_numpy(net.out.bias.copy())
    lengths = np.array([9, 4, 6])
    ours = net.predict(np.ascontiguousarray(X[:3]), lengths)
    with torch.no_grad():
        for i, n in enumerate(lengths):
            out, _ = body(torch.from_numpy(X[i:i + 1, :n]))
            np.testing.assert_allclose(ours[i], dense(out[0, -1]).numpy(), rtol=1e-10, atol=1e-12)


def _fused_calls(model, monkeypatch):
    """Count the head's fused (checked) predict calls that produced outputs."""
    calls = []
    original = type(model.network_).predict_checked

    def spy(self, X, limit, **kwargs):
        out = original(self, X, limit, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(type(model.network_), "predict_checked", spy)
    return calls


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cell,nonlinearity", [("lstm", "tanh"), ("gru", "tanh"), ("rnn", "relu")])
def test_fused_predict_of_full_length_samples(rng, monkeypatch, cell, nonlinearity, dtype):
    X = rng.normal(size=(40, 11, 2))
    y = rng.normal(size=(40, 3))
    model = RNNRegressor(cell=cell, hidden_size=10, num_layers=2, nonlinearity=nonlinearity, max_epochs=2,
                         random_state=0, dtype=dtype).fit(X, y)
    calls = _fused_calls(model, monkeypatch)
    small = X[:6]
    got = model.predict(small)
    other_dtype = model.predict(small.astype(np.float32 if dtype == "float64" else np.float64))
    assert calls == [True, True]  # both went through the one compiled call
    expected = _batched(model, small)
    np.testing.assert_allclose(got, expected, rtol=TOL[dtype], atol=TOL[dtype])
    np.testing.assert_allclose(other_dtype, expected, rtol=2e-5, atol=2e-5)


def test_fused_predict_sends_bad_values_to_full_validation(rng, monkeypatch):
    X = rng.normal(size=(30, 8, 1))
    y = rng.normal(size=30)
    model = RNNRegressor(cell="gru", hidden_size=5, max_epochs=1, random_state=0).fit(X, y)
    calls = _fused_calls(model, monkeypatch)
    bad = X[:2].copy()
    bad[1, 3, 0] = np.inf
    with pytest.raises(ValueError, match="inf"):
        model.predict(bad)
    padded = X[:2].copy()
    padded[0, 5:] = np.nan  # trailing NaN: padding, handled by the full path
    np.testing.assert_allclose(model.predict(padded)[0], model.predict(X[:1, :5])[0], rtol=1e-6)
    univariate = model.predict(X[:3, :, 0][:, :, None])
    assert calls[:2] == [False, False] and univariate.shape == (3,)


def test_fused_predict_refuses_non_finite_outputs(rng):
    X = rng.normal(size=(30, 8, 1))
    y = rng.normal(size=30)
    model = RNNRegressor(cell="lstm", hidden_size=5, max_epochs=1, random_state=0).fit(X, y)
    model.network_.out.flat_params[0] = np.nan
    with pytest.raises(FloatingPointError, match="NaN or infinite outputs"):
        model.predict(X[:1])


def test_checked_kernel_status_codes():
    from tsrnn.kernels.cpu import last_state

    rng = np.random.default_rng(0)
    params = rng.normal(size=4 * 3 * (2 + 3) + 2 * 4 * 3)  # LSTM, 2 inputs, 3 hidden
    stacked = last_state.stack_weights(params, 2, 3, 12, 1)
    weights = (params.copy(), *stacked)
    dense = rng.normal(size=3 + 1)
    x = rng.normal(size=(2, 5, 2))
    out = np.full((2, 1), -7.0)

    def status(limit=1e300):
        return last_state.predict_last_checked("lstm", "tanh", x, params, weights, dense, out, limit)

    assert status() == last_state.PREDICTED
    expected = np.empty_like(out)
    last_state.predict_last("lstm", "tanh", x, np.full(2, 5), stacked, dense, expected)
    np.testing.assert_array_equal(out, expected)
    out[...] = -7.0
    params[4] += 1e-9  # the parameters moved on since the transposed copy was made
    assert status() == last_state.STALE_WEIGHTS
    assert (out == -7.0).all()  # untouched
    params[4] -= 1e-9
    assert status() == last_state.PREDICTED
    out[...] = -7.0
    x[1, 2, 1] = np.nan
    assert status() == last_state.INPUT_OUT_OF_RANGE
    assert (out == -7.0).all()  # untouched
    x[1, 2, 1] = 5.0
    assert status(4.0) == last_state.INPUT_OUT_OF_RANGE
    dense[-1] = np.inf
    assert status() == last_state.OUTPUT_NOT_FINITE


def test_checked_predict_follows_in_place_weight_edits(rng):
    """The one-call path sees the weights change in place (as an optimizer step or a
    user's edit does) and predicts with the new ones, as the batched path does; NaN
    weights (never equal to their snapshot) reach the clear non-finite error."""
    X = rng.normal(size=(30, 6, 2))
    y = X[:, -1, 0]
    model = RNNRegressor(cell="lstm", hidden_size=5, max_epochs=2, random_state=0).fit(X, y)
    small = np.ascontiguousarray(X[:2], dtype=np.float32)
    before = model.predict(small)
    model.network_.rnn.flat_params *= 1.5
    after = model.predict(small)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, _batched(model, small, "predict"), rtol=2e-5, atol=2e-6)
    model.network_.rnn.flat_params[0] = np.nan
    with pytest.raises(FloatingPointError, match="NaN or infinite outputs"):
        model.predict(small)


@pytest.mark.parametrize("pooling", ["max", "mean"])
def test_pooled_serial_predict_of_full_length_samples(rng, pooling):
    """The checked one-call path (full-length samples, as the classifier's default max
    pooling predicts them) against the batched kernels."""
    X = rng.normal(size=(40, 15, 2))
    y = (X[:, :, 0].max(axis=1) > 1).astype(int)
    model = RNNClassifier(hidden_size=7, head_params={"pooling": pooling}, max_epochs=2, random_state=0).fit(X, y)
    small = np.ascontiguousarray(X[:3], dtype=np.float32)
    np.testing.assert_allclose(model.predict_proba(small), _batched(model, small, "predict_proba"), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_target_scaling_rounds_as_numpy(rng, dtype):
    """The regressor's scaling inside the compiled call (no fused multiply-add) gives the
    same bits as NumPy's ``out * scale + mean`` on the unscaled outputs."""
    X = rng.normal(size=(30, 7, 2))
    y = 1e3 + 250 * rng.normal(size=(30, 2))  # a scale and a shift far from 1 and 0
    model = RNNRegressor(cell="gru", hidden_size=6, max_epochs=2, random_state=0, dtype=dtype).fit(X, y)
    small = np.ascontiguousarray(X[:5], dtype=dtype)
    from tsrnn.estimators._validation import _input_limit

    raw = model.network_.predict_checked(small, _input_limit(np.dtype(dtype)))
    expected = np.multiply(raw, model.y_scale_, dtype=np.float64)
    expected += model.y_mean_
    got = model.predict(small)
    assert got.dtype == np.float64
    assert np.array_equal(got, expected)
