"""Embedding: lookup, gradient by central differences, padding row gets no gradient."""

import numpy as np
import pytest

from tsrnn.heads import ModelSpec, get_head
from tsrnn.nn.dense import bind_components
from tsrnn.nn.embedding import Embedding


def test_forward_is_a_lookup(rng):
    emb = Embedding(7, 3, padding_idx=0, dtype=np.float64)
    emb.reset_parameters(rng)
    ids = np.array([[1, 0, 6], [6, 6, 2]])
    out = emb.forward(ids)
    assert out.shape == (2, 3, 3)
    assert np.array_equal(out[0, 2], emb.weight[6])
    assert np.all(out[0, 1] == 0)  # padding row starts at zero


def test_gradient_matches_central_differences(rng):
    emb = Embedding(6, 4, padding_idx=0, dtype=np.float64)
    emb.reset_parameters(rng)
    ids = np.array([[1, 2, 2, 0], [5, 1, 0, 0]])  # repeated ids accumulate
    W = rng.standard_normal((2, 4, 4))

    def loss():
        return float((np.tanh(emb.forward(ids)) * W).sum())

    out = emb.forward(ids)
    emb.backward(W * (1 - np.tanh(out) ** 2))
    analytic = emb.weight_grad.copy()
    numeric = np.zeros_like(analytic)
    eps = 1e-6
    for v in range(6):
        for j in range(4):
            old = emb.weight[v, j]
            emb.weight[v, j] = old + eps
            up = loss()
            emb.weight[v, j] = old - eps
            down = loss()
            emb.weight[v, j] = old
            numeric[v, j] = (up - down) / (2 * eps)
    numeric[0] = 0  # the padding row is frozen
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    assert np.all(analytic[0] == 0)
    assert np.all(analytic[3] == 0) and np.all(analytic[4] == 0)  # unused ids


def test_backward_overwrites_and_checks_shape(rng):
    emb = Embedding(4, 2, padding_idx=None, dtype=np.float32)
    emb.reset_parameters(rng)
    emb.forward(np.array([1, 1]))
    emb.backward(np.ones((2, 2), np.float32))
    emb.backward(np.ones((2, 2), np.float32))
    assert np.array_equal(emb.weight_grad[1], [2, 2])  # written, not accumulated over calls
    with pytest.raises(ValueError):
        emb.backward(np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match="padding_idx"):
        Embedding(4, 2, padding_idx=4)


def test_bind_shares_one_flat_vector(rng):
    a, b = Embedding(5, 2), Embedding(3, 3)
    flat, grad = bind_components([a, b], np.float32)
    assert flat.size == 10 + 9
    a.weight[...] = 1
    assert flat[:10].sum() == 10


@pytest.mark.parametrize("head,cell", [("last", "gru"), ("sequence", "lstm"), ("encoder_decoder", "rnn")])
def test_head_with_embedding_gradcheck(head, cell, rng):
    """Loss gradient w.r.t. the embedding table through a whole head, float64."""
    V, E, T, B = 6, 3, 5, 3
    task_len = 2 if head == "encoder_decoder" else None
    spec = ModelSpec(cell=cell, hidden_size=4, num_layers=1, nonlinearity="tanh", dtype=np.float64, n_features=E,
                     n_outputs=2, output_length=task_len, random_state=0, vocab_size=V, embedding_dim=E, padding_idx=0)
    net = get_head(head).initialize(spec)
    assert net.embedding is not None and "embedding.weight" in net.named_parameters()
    ids = np.array([[1, 2, 3, 0, 0], [5, 5, 1, 2, 4], [2, 0, 0, 0, 0]])
    assert ids.shape == (B, T)
    lengths = np.array([3, 5, 1])
    y = rng.standard_normal((B, task_len, 2)) if head == "encoder_decoder" else None
    out0 = net.forward(net.embed(ids), lengths, y, training=True)
    G = rng.standard_normal(out0.shape)

    def loss():
        return float((net.forward(net.embed(ids), lengths, y, training=True) * G).sum())

    loss()
    net.backward_embedding(net.backward(G))
    analytic = net.embedding.weight_grad.copy()
    eps = 1e-6
    numeric = np.zeros_like(analytic)
    for v in range(1, V):
        for j in range(E):
            old = net.embedding.weight[v, j]
            net.embedding.weight[v, j] = old + eps
            up = loss()
            net.embedding.weight[v, j] = old - eps
            down = loss()
            net.embedding.weight[v, j] = old
            numeric[v, j] = (up - down) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    assert np.all(analytic[0] == 0)  # padding gets no gradient
