"""Training passes reuse their scratch arrays (see tsrnn.kernels.cpu.layers.Workspace):
the numbers are the same as with fresh arrays, and nothing handed back is overwritten."""

import numpy as np
import pytest

from tsrnn import RNNRegressor
from tsrnn.nn import Recurrent


def _pass(net, X, lengths, seed):
    Y, state = net.forward(X, lengths=lengths)
    dY = np.random.default_rng(seed).normal(size=Y.shape).astype(Y.dtype)
    dX, d0 = net.backward(dY)
    return Y, state, dX, d0, net.flat_grad.copy()


def _flat(out):
    Y, state, dX, d0, grads = out
    parts = [Y, dX, grads] + (list(state) + list(d0) if isinstance(state, tuple) else [state, d0])
    return [np.array(p, copy=True) for p in parts]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_reused_scratch_gives_the_numbers_of_fresh_arrays(cell):
    rng = np.random.default_rng(0)
    reused = Recurrent(cell, 3, 6, num_layers=2, random_state=0)
    batches = [(rng.normal(size=(B, T, 3)).astype(np.float32), rng.integers(1, T + 1, size=B))
               for B, T in ((20, 7), (5, 7), (20, 9), (33, 4))]  # smaller, then larger than the buffers
    kept = []
    for i, (X, lengths) in enumerate(batches):
        out = _pass(reused, X, lengths, i)
        kept.append((out, _flat(out)))
        fresh = Recurrent(cell, 3, 6, num_layers=2, random_state=0)  # no buffers yet: fresh arrays
        for a, b in zip(_flat(out), _flat(_pass(fresh, X, lengths, i)), strict=True):
            assert np.array_equal(a, b)
    # what earlier passes handed back was not overwritten by later ones
    for out, snapshot in kept:
        for a, b in zip(_flat(out), snapshot, strict=True):
            assert np.array_equal(a, b)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_a_second_pass_allocates_no_new_scratch(cell):
    net = Recurrent(cell, 2, 8, random_state=0)
    X = np.random.default_rng(1).normal(size=(16, 10, 2)).astype(np.float32)
    _pass(net, X, None, 0)
    buffers = dict(net._workspace(0)._buffers)
    assert buffers  # the cache and the gradients live there
    _pass(net, X[:9], None, 1)
    assert {k: id(v) for k, v in net._workspace(0)._buffers.items()} == {k: id(v) for k, v in buffers.items()}


def test_a_fitted_estimator_keeps_no_training_buffers():
    X = np.random.default_rng(0).normal(size=(40, 6, 2))
    reg = RNNRegressor(cell="gru", hidden_size=4, max_epochs=2, random_state=0).fit(X, X[:, -1, 0])
    rnn = reg.network_.rnn
    assert "_cpu_ws" not in rnn.__dict__ and rnn._cache is None
    with pytest.raises(RuntimeError, match="forward"):
        rnn.backward(None)
