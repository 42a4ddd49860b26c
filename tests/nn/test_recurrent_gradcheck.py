"""Central-difference gradient checks of Recurrent in float64 (every cell, 1-2 layers,
initial states, variable lengths)."""

import numpy as np
import pytest

from tsrnn.nn import Recurrent

CASES = [("lstm", "tanh"), ("gru", "tanh"), ("rnn", "tanh"), ("rnn", "relu")]


def _loss_and_grads(net, X, state, lengths, wy, wh, wc):
    """Scalar loss sum(Y*wy) + sum(h_n*wh) (+ sum(c_n*wc)) and its analytic gradients."""
    Y, final = net.forward(X, state, lengths=lengths)
    if net.cell == "lstm":
        h_n, c_n = final
        loss = np.sum(Y * wy) + np.sum(h_n * wh) + np.sum(c_n * wc)
        dX, (dh0, dc0) = net.backward(wy, (wh, wc))
        return loss, dX, (dh0, dc0)
    loss = np.sum(Y * wy) + np.sum(final * wh)
    dX, dh0 = net.backward(wy, wh)
    return loss, dX, dh0


def _rel_err(analytic, numeric):
    return np.max(np.abs(analytic - numeric)) / max(np.max(np.abs(numeric)), 1e-12)


def _numeric_grad(f, arr, eps=1e-6):
    grad = np.zeros_like(arr)
    flat, g = arr.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        g[i] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("cell,nonlinearity", CASES)
@pytest.mark.parametrize("num_layers", [1, 2])
def test_gradients_match_central_differences(cell, nonlinearity, num_layers, rng):
    B, T, I, H = 3, 5, 3, 4
    net = Recurrent(cell, I, H, num_layers=num_layers, nonlinearity=nonlinearity, dtype="float64", random_state=1)
    net.flat_params[:] += rng.normal(scale=0.1, size=net.n_params)  # non-zero biases too
    X = rng.normal(size=(B, T, I))
    lengths = np.array([5, 2, 4])
    h0 = rng.normal(size=(num_layers, B, H))
    c0 = rng.normal(size=(num_layers, B, H))
    state = (h0, c0) if cell == "lstm" else h0
    wy, wh, wc = rng.normal(size=(B, T, H)), rng.normal(size=(num_layers, B, H)), rng.normal(size=(num_layers, B, H))

    _, dX, dstate = _loss_and_grads(net, X, state, lengths, wy, wh, wc)
    analytic = {"flat_params": net.flat_grad.copy(), "X": dX}
    if cell == "lstm":
        analytic["h0"], analytic["c0"] = dstate
    else:
        analytic["h0"] = dstate

    def loss():
        Y, final = net.forward(X, state, lengths=lengths)
        if cell == "lstm":
            return np.sum(Y * wy) + np.sum(final[0] * wh) + np.sum(final[1] * wc)
        return np.sum(Y * wy) + np.sum(final * wh)

    targets = {"flat_params": net.flat_params, "X": X, "h0": h0}
    if cell == "lstm":
        targets["c0"] = c0
    for name, arr in targets.items():
        numeric = _numeric_grad(loss, arr)
        assert _rel_err(analytic[name], numeric) <= 1e-6, name


def test_padded_steps_get_no_gradient(rng):
    net = Recurrent("gru", 2, 3, dtype="float64", random_state=0)
    X = rng.normal(size=(2, 6, 2))
    net.forward(X, lengths=[6, 3])
    dX, _ = net.backward(rng.normal(size=(2, 6, 3)))
    assert np.all(dX[1, 3:] == 0)
    assert np.any(dX[1, :3] != 0)
