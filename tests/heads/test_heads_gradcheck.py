"""End-to-end gradient checks of every built-in head: loss w.r.t. every parameter, float64."""

import numpy as np
import pytest

from tsrnn.heads import ModelSpec, get_head
from tsrnn.nn import get_loss


def _spec(cell, task, n_features, n_outputs, output_length=None, num_layers=2):
    return ModelSpec(cell=cell, hidden_size=4, num_layers=num_layers, nonlinearity="tanh", dtype=np.float64,
                     n_features=n_features, n_outputs=n_outputs, output_length=output_length, task=task,
                     random_state=0)


def _check(head, X, lengths, y, loss_fn, rng):
    head.flat_params[:] += rng.normal(scale=0.05, size=head.n_params)

    def loss_value():
        out = head.forward(X, lengths, y, training=True)
        return head.loss(out, y, None, lengths, loss_fn)[0]

    out = head.forward(X, lengths, y, training=True)
    _, dout = head.loss(out, y, None, lengths, loss_fn)
    head.backward(dout)
    analytic = head.flat_grad.copy()
    numeric = np.zeros_like(analytic)
    eps = 1e-6
    for i in range(head.n_params):
        old = head.flat_params[i]
        head.flat_params[i] = old + eps
        up = loss_value()
        head.flat_params[i] = old - eps
        down = loss_value()
        head.flat_params[i] = old
        numeric[i] = (up - down) / (2 * eps)
    err = np.max(np.abs(analytic - numeric)) / max(np.max(np.abs(numeric)), 1e-12)
    assert err <= 1e-6, err
    assert np.any(analytic != 0)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_last_head(cell, pooling, rng):
    head = get_head("last", {"pooling": pooling}).initialize(_spec(cell, "regression", 3, 2))
    X = rng.normal(size=(4, 6, 3))
    lengths = np.array([6, 2, 5, 1])
    _check(head, X, lengths, rng.normal(size=(4, 2)), get_loss("mse"), rng)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_last_head_classification(cell, rng):
    head = get_head("last").initialize(_spec(cell, "classification", 3, 3))
    X = rng.normal(size=(5, 4, 3))
    _check(head, X, np.full(5, 4), rng.integers(0, 3, size=5), get_loss("cross_entropy"), rng)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_sequence_head_with_padding(cell, rng):
    head = get_head("sequence").initialize(_spec(cell, "regression", 2, 2))
    X = rng.normal(size=(3, 5, 2))
    _check(head, X, np.array([5, 3, 1]), rng.normal(size=(3, 5, 2)), get_loss("mse"), rng)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("init_state", [True, False])
def test_vec2seq_head(cell, init_state, rng):
    head = get_head("vec2seq", {"init_state": init_state}).initialize(_spec(cell, "regression", 3, 1, output_length=5))
    X = rng.normal(size=(4, 3))
    _check(head, X, None, rng.normal(size=(4, 5, 1)), get_loss("mse"), rng)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("task", ["regression", "classification"])
def test_encoder_decoder_head_teacher_forced(cell, task, rng):
    k = 3
    head = get_head("encoder_decoder").initialize(_spec(cell, task, 2, k, output_length=4))
    X = rng.normal(size=(3, 6, 2))
    if task == "regression":
        y, loss = rng.normal(size=(3, 4, k)), get_loss("mse")
    else:
        y, loss = rng.integers(0, k, size=(3, 4)), get_loss("cross_entropy")
    _check(head, X, np.array([6, 4, 2]), y, loss, rng)


def test_encoder_decoder_scheduled_sampling_treats_feedback_as_constant(rng):
    """With teacher forcing off, the decoder input is its own (constant) prediction: the
    gradient is the gradient of the loss of the network run on those fixed inputs."""
    head = get_head("encoder_decoder", {"teacher_forcing": 0.0}).initialize(_spec("gru", "regression", 2, 1, 3))
    X = rng.normal(size=(2, 4, 2))
    y = rng.normal(size=(2, 3, 1))
    lengths = np.full(2, 4)
    generated = head.predict(X, lengths)
    out = head.forward(X, lengths, y, training=True)
    np.testing.assert_allclose(out, generated, rtol=1e-12)
    _, dout = head.loss(out, y, None, lengths, get_loss("mse"))
    head.backward(dout)
    assert np.isfinite(head.flat_grad).all() and np.any(head.flat_grad != 0)


@pytest.mark.parametrize("name, options, output_length", [
    ("last", {}, None), ("sequence", {}, None), ("encoder_decoder", {}, 3),
])
def test_input_gradient_only_where_an_embedding_needs_it(name, options, output_length, rng):
    """A head on float input returns no input gradient from backward (its GEMM is
    skipped: nothing below the head trains), and the parameter gradients do not
    depend on it; with token input the embedding gets its gradient."""
    X = rng.normal(size=(3, 5, 2))
    y = rng.normal(size=(3, 2) if name == "last" else (3, output_length or 5, 2))
    head = get_head(name, options).initialize(_spec("lstm", "regression", 2, 2, output_length=output_length))
    out = head.forward(X, np.full(3, 5), y, training=True)
    _, dout = head.loss(out, y, None, np.full(3, 5), get_loss("mse"))
    assert head.backward(dout) is None
    assert np.any(head.flat_grad != 0)

    tokens = rng.integers(0, 7, size=(3, 5))
    spec = ModelSpec(cell="lstm", hidden_size=4, num_layers=2, nonlinearity="tanh", dtype=np.float64, n_features=2,
                     n_outputs=2, output_length=output_length, task="regression", random_state=0, vocab_size=7,
                     embedding_dim=2)
    head = get_head(name, options).initialize(spec)
    out = head.forward(head.embed(tokens), np.full(3, 5), y, training=True)
    _, dout = head.loss(out, y, None, np.full(3, 5), get_loss("mse"))
    dX = head.backward(dout)
    assert dX.shape == (3, 5, 2) and np.any(dX != 0)
    head.backward_embedding(dX)
    assert np.any(head.embedding.weight_grad != 0)


def test_a_subclass_below_which_something_trains_gets_the_input_gradient(rng):
    """A plugin head that chains a built-in head's backward and trains a layer of its own
    below the recurrent network asks for the input gradient with needs_input_grad."""
    from tsrnn.heads.sequence_to_vector import LastStepHead

    class WithInputLayer(LastStepHead):
        needs_input_grad = True

    X = rng.normal(size=(3, 5, 2))
    y = rng.normal(size=(3, 2))
    head = WithInputLayer().initialize(_spec("gru", "regression", 2, 2))
    out = head.forward(X, np.full(3, 5), y, training=True)
    _, dout = head.loss(out, y, None, np.full(3, 5), get_loss("mse"))
    dX = head.backward(dout)
    assert dX.shape == X.shape and np.any(dX != 0)
