"""Found by the low-level API review of 2026-12-07 (sixth session): a training pass's
cache is safe from in-place edits of X, h0 and Y; plugin heads must be registered to be
saved; heads accept lengths=None at any batch size and name a wrong input dtype;
load_state_dict checks everything before it copies anything."""

import numpy as np
import pytest

from tsrnn import RNNRegressor
from tsrnn.heads import LastStepHead, get_head, register
from tsrnn.heads.base import ModelSpec
from tsrnn.nn import Recurrent


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_in_place_edits_between_forward_and_backward_do_not_change_gradients(cell):
    rng = np.random.default_rng(0)
    net = Recurrent(cell, 3, 5, dtype="float64", random_state=0)
    X = rng.standard_normal((2, 4, 3))
    dY = rng.standard_normal((2, 4, 5))
    h = rng.standard_normal((1, 2, 5))
    state = (h, h.copy()) if cell == "lstm" else h
    net.forward(X, state)
    dX_ref, dh_ref = net.backward(dY)
    grad_ref = net.flat_grad.copy()
    Y, h_n = net.forward(X, state)
    Y *= 0.5  # the caller's outputs, edited in place
    X[...] = 0.0  # and its inputs
    if cell == "lstm":  # a stateful loop carrying the state in its own arrays
        state[0][...], state[1][...] = h_n
    else:
        state[...] = h_n
    dX, dh = net.backward(dY)
    assert np.array_equal(dX, dX_ref) and np.array_equal(net.flat_grad, grad_ref)


def test_unregistered_head_subclass_is_refused_at_save(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 5, 1)), rng.normal(size=20)

    class ScaledLast(LastStepHead):  # inherits the name "last", which loads LastStepHead
        def forward(self, X, lengths, y=None, training=False):
            return 10 * super().forward(X, lengths, y, training)

        def backward(self, dout):
            return super().backward(10 * dout)

    model = RNNRegressor(head=ScaledLast(pooling="mean"), max_epochs=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"head ScaledLast is not registered .*loads LastStepHead.*register"):
        model.save(tmp_path / "m.tsrnn")
    assert not (tmp_path / "m.tsrnn").exists()

    @register("scaled_last_review_test")
    class Registered(ScaledLast):
        pass

    model = RNNRegressor(head="scaled_last_review_test", max_epochs=2, random_state=0).fit(X, y)
    model.save(tmp_path / "r.tsrnn")
    import tsrnn

    assert np.array_equal(tsrnn.load(tmp_path / "r.tsrnn").predict(X), model.predict(X))


def _spec(dtype="float32"):
    return ModelSpec(cell="gru", hidden_size=4, num_layers=1, nonlinearity="tanh", dtype=np.dtype(dtype),
                     n_features=2, n_outputs=1, output_length=None, task="regression")


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_last_head_reads_lengths_none_as_full_length_at_any_batch_size(pooling):
    head = get_head("last", {"pooling": pooling}).initialize(_spec())
    X = np.random.default_rng(0).normal(size=(20, 6, 2)).astype(np.float32)
    full = np.full(20, 6, dtype=np.int64)
    np.testing.assert_allclose(head.predict(X, None), head.predict(X, full), rtol=1e-6)  # batch path
    np.testing.assert_allclose(head.predict(X[:4], None), head.predict(X[:4], full[:4]), rtol=1e-5)  # serial


@pytest.mark.parametrize("name", ["last", "sequence", "encoder_decoder"])
def test_heads_name_a_wrong_input_dtype(name):
    spec = _spec()
    if name == "encoder_decoder":
        spec.output_length = 3
    head = get_head(name).initialize(spec)
    X = np.zeros((20, 6, 2))  # float64 for a float32 network
    with pytest.raises(TypeError, match=r"X is float64 but the network computes in float32"):
        head.predict(X, np.full(20, 6, dtype=np.int64))


def test_load_state_dict_changes_nothing_on_an_error():
    net = Recurrent("gru", 3, 5, num_layers=2, random_state=0)
    before = net.flat_params.copy()
    state = {k: np.ones_like(v) for k, v in net.state_dict().items()}
    state["bias_hh_l1"] = np.ones(4, dtype=np.float32)  # the last key is the wrong shape
    with pytest.raises(ValueError, match="bias_hh_l1: expected shape"):
        net.load_state_dict(state)
    state["bias_hh_l1"] = np.full(15, np.nan, dtype=np.float32)
    with pytest.raises(ValueError, match="bias_hh_l1 must hold finite numbers"):
        net.load_state_dict(state)
    assert np.array_equal(net.flat_params, before)
