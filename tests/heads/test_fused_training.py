"""The "last" head's fused training passes (kernels/cpu/train_step.py) against the layered path."""

import pickle

import numpy as np
import pytest

from tsrnn.heads import ModelSpec, get_head
from tsrnn.heads import sequence_to_vector
from tsrnn.nn import get_loss


def _head(cell, num_layers, dtype, n_features=3, n_outputs=2, hidden=5, nonlinearity="tanh", pooling="last"):
    spec = ModelSpec(cell=cell, hidden_size=hidden, num_layers=num_layers, nonlinearity=nonlinearity, dtype=dtype,
                     n_features=n_features, n_outputs=n_outputs, output_length=None, task="regression",
                     random_state=0)
    return get_head("last", {"pooling": pooling}).initialize(spec)


def _pass(head, X, lengths, y):
    out = head.forward(X, lengths, y, training=True)
    value, dout = head.loss(out, y, None, lengths, get_loss("mse"))
    head.backward(dout)
    return out.copy(), value, head.flat_grad.copy()


@pytest.mark.parametrize("cell,nonlinearity", [("lstm", "tanh"), ("gru", "tanh"), ("rnn", "tanh"), ("rnn", "relu")])
@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_fused_pass_equals_the_layered_pass(cell, nonlinearity, num_layers, dtype, rtol, pooling, rng, monkeypatch):
    head = _head(cell, num_layers, dtype, nonlinearity=nonlinearity, pooling=pooling)
    head.flat_params[:] += rng.normal(scale=0.1, size=head.n_params).astype(dtype)
    X = rng.normal(size=(7, 6, 3)).astype(dtype)
    lengths = np.array([6, 2, 5, 1, 6, 3, 4])
    y = rng.normal(size=(7, 2)).astype(dtype)
    fused = _pass(head, X, lengths, y)
    assert head._fused_pass
    monkeypatch.setattr(sequence_to_vector, "fused_training_applies", lambda rnn, X: False)
    layered = _pass(head, X, lengths, y)
    assert not head._fused_pass
    np.testing.assert_allclose(fused[0], layered[0], rtol=rtol, atol=rtol)
    np.testing.assert_allclose(fused[1], layered[1], rtol=rtol)
    scale = np.abs(layered[2]).max()
    np.testing.assert_allclose(fused[2], layered[2], rtol=0, atol=rtol * scale)
    assert np.abs(fused[2]).max() > 0


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("pooling", ["last", "max"])
def test_layered_last_head_gradient_check(cell, pooling, rng, monkeypatch):
    # the fused path is gradient-checked by test_heads_gradcheck (small batches take it); this is the other
    monkeypatch.setattr(sequence_to_vector, "fused_training_applies", lambda rnn, X: False)
    head = _head(cell, 2, np.float64, hidden=4, pooling=pooling)
    head.flat_params[:] += rng.normal(scale=0.05, size=head.n_params)
    X = rng.normal(size=(4, 6, 3))
    lengths = np.array([6, 2, 5, 1])
    y = rng.normal(size=(4, 2))
    _, _, analytic = _pass(head, X, lengths, y)
    assert not head._fused_pass
    numeric = np.zeros_like(analytic)
    for i in range(head.n_params):
        old = head.flat_params[i]
        values = []
        for step in (1e-6, -1e-6):
            head.flat_params[i] = old + step
            out = head.forward(X, lengths, y, training=True)
            values.append(head.loss(out, y, None, lengths, get_loss("mse"))[0])
        head.flat_params[i] = old
        numeric[i] = (values[0] - values[1]) / 2e-6
    assert np.max(np.abs(analytic - numeric)) / np.max(np.abs(numeric)) <= 1e-6


def test_which_batches_take_the_fused_pass(rng):
    head = _head("lstm", 1, np.float32, n_features=1, n_outputs=12, hidden=32)
    y = np.zeros((32, 12), np.float32)
    head.forward(rng.normal(size=(32, 24, 1)).astype(np.float32), None, y, training=True)
    assert head._fused_pass  # the small forecaster's batch
    head.forward(rng.normal(size=(33, 24, 1)).astype(np.float32), None, np.zeros((33, 12), np.float32), training=True)
    assert not head._fused_pass  # two chunks: the layered path runs them on the kernel threads
    head.forward(rng.normal(size=(32, 96, 1)).astype(np.float32), None, y, training=True)
    assert not head._fused_pass  # products large enough to split
    head.forward(rng.normal(size=(4, 24, 1)).astype(np.float32), None, y[:4], training=False)
    assert not head._fused_pass  # inference


def test_a_head_pickles_without_its_training_scratch(rng):
    head = _head("gru", 1, np.float32)
    X = rng.normal(size=(4, 5, 3)).astype(np.float32)
    _pass(head, X, None, np.zeros((4, 2), np.float32))
    assert "_fused_training" in head.__dict__
    clone = pickle.loads(pickle.dumps(head))
    assert "_fused_training" not in clone.__dict__
    np.testing.assert_array_equal(clone.predict(X, None), head.predict(X, None))
    head.release_training_buffers()
    assert "_fused_training" not in head.__dict__


def test_a_subclass_with_its_own_backward_keeps_the_layered_pass(rng):
    class Scaled(sequence_to_vector.LastStepHead):
        def backward(self, dout):
            return super().backward(2 * dout)

    spec = ModelSpec(cell="gru", hidden_size=4, num_layers=1, nonlinearity="tanh", dtype=np.float64, n_features=3,
                     n_outputs=2, output_length=None, task="regression", random_state=0)
    head = Scaled().initialize(spec)
    X = rng.normal(size=(4, 5, 3))
    head.forward(X, None, training=True)
    assert not head._fused_pass
    head.backward(np.ones((4, 2)))
    assert np.abs(head.flat_grad).max() > 0
