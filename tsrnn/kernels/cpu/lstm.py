"""LSTM forward and backprop-through-time on the CPU.

Shapes: B batch, T time steps, I input features, H hidden units, gates laid out
``i, f, g, o`` (PyTorch order) along the last axis of length 4H.

The input projection is merged into the per-step recurrent GEMM: each parallel task
keeps a buffer ``hx = [h_{t-1}, x_t]`` of shape (rows, H + I) and multiplies it by
``[W_hh, W_ih].T`` of shape (H + I, 4H), so no (B, T, 4H) projection is ever written
or read back. The weight gradients are single GEMMs over all steps done by the caller.
The batch is cut into chunks of a size fixed by the caller, one chunk per parallel
task, so results do not depend on the thread count.

Gate math runs in short loops with one tanh each (sigmoid of i and f, tanh of g,
sigmoid of o, then the cell update): one long fused loop is latency bound (the
dependency chain of five rational tanh per element is longer than what the CPU can
overlap), short ones pipeline.
"""

import numpy as np
from numba import njit, prange

from ._options import KERNEL_OPTIONS
from .._math import sigmoid, tanh


@njit(**KERNEL_OPTIONS)
def lstm_forward(x, w_t, bias, h0, c0, lengths, chunk, y, c_seq, gates, h_n, c_n):
    """Run an LSTM layer over whole sequences, keeping what backward needs.

    Parameters
    ----------
    x : ndarray of shape (B, T, I)
        Layer input.
    w_t : ndarray of shape (H + I, 4H)
        ``np.concatenate((w_hh, w_ih), axis=1).T``, C-contiguous.
    bias : ndarray of shape (4H,)
        ``b_ih + b_hh``.
    h0, c0 : ndarray of shape (B, H)
        Initial hidden and cell states.
    lengths : ndarray of shape (B,), int64
        Valid steps per sample; steps at or past ``lengths[b]`` keep the state.
    chunk : int
        Samples per parallel task.
    y : ndarray of shape (B, T, H), output
        Hidden states; zero past a sample's length.
    c_seq : ndarray of shape (B, T, H), output
        Cell states (carried unchanged past a sample's length).
    gates : ndarray of shape (B, T, 4H), output
        Activated gates i, f, g, o (zero past a sample's length).
    h_n, c_n : ndarray of shape (B, H), output
        States after each sample's last valid step.
    """
    B, T, I = x.shape
    K, G = w_t.shape
    H = G // 4
    n_chunks = (B + chunk - 1) // chunk
    zero = x.dtype.type(0.0)
    for ci in prange(n_chunks):
        b0 = ci * chunk
        b1 = min(B, b0 + chunk)
        nb = b1 - b0
        hx = np.empty((nb, K), dtype=x.dtype)
        c = np.empty((nb, H), dtype=x.dtype)
        for r in range(nb):
            for j in range(H):
                hx[r, j] = h0[b0 + r, j]
                c[r, j] = c0[b0 + r, j]
        pre = np.empty((nb, G), dtype=x.dtype)
        for t in range(T):
            for r in range(nb):
                for k in range(I):
                    hx[r, H + k] = x[b0 + r, t, k]
            np.dot(hx, w_t, pre)
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    for j in range(2 * H):
                        gates[b, t, j] = sigmoid(pre[r, j] + bias[j])
                    for j in range(2 * H, 3 * H):
                        gates[b, t, j] = tanh(pre[r, j] + bias[j])
                    for j in range(3 * H, G):
                        gates[b, t, j] = sigmoid(pre[r, j] + bias[j])
                    for j in range(H):
                        cj = gates[b, t, H + j] * c[r, j] + gates[b, t, j] * gates[b, t, 2 * H + j]
                        c[r, j] = cj
                        hx[r, j] = gates[b, t, 3 * H + j] * tanh(cj)
                    for j in range(H):
                        c_seq[b, t, j] = c[r, j]
                        y[b, t, j] = hx[r, j]
                else:
                    for j in range(H):
                        y[b, t, j] = zero
                        c_seq[b, t, j] = c[r, j]
                    for j in range(G):
                        gates[b, t, j] = zero
        for r in range(nb):
            for j in range(H):
                h_n[b0 + r, j] = hx[r, j]
                c_n[b0 + r, j] = c[r, j]


@njit(**KERNEL_OPTIONS)
def lstm_infer(x, w_t, bias, h0, c0, lengths, chunk, y, h_n, c_n):
    """:func:`lstm_forward` without the backward cache (inference only)."""
    B, T, I = x.shape
    K, G = w_t.shape
    H = G // 4
    n_chunks = (B + chunk - 1) // chunk
    zero = x.dtype.type(0.0)
    for ci in prange(n_chunks):
        b0 = ci * chunk
        b1 = min(B, b0 + chunk)
        nb = b1 - b0
        hx = np.empty((nb, K), dtype=x.dtype)
        c = np.empty((nb, H), dtype=x.dtype)
        for r in range(nb):
            for j in range(H):
                hx[r, j] = h0[b0 + r, j]
                c[r, j] = c0[b0 + r, j]
        pre = np.empty((nb, G), dtype=x.dtype)
        act = np.empty((nb, G), dtype=x.dtype)
        for t in range(T):
            for r in range(nb):
                for k in range(I):
                    hx[r, H + k] = x[b0 + r, t, k]
            np.dot(hx, w_t, pre)
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    for j in range(2 * H):
                        act[r, j] = sigmoid(pre[r, j] + bias[j])
                    for j in range(2 * H, 3 * H):
                        act[r, j] = tanh(pre[r, j] + bias[j])
                    for j in range(3 * H, G):
                        act[r, j] = sigmoid(pre[r, j] + bias[j])
                    for j in range(H):
                        cj = act[r, H + j] * c[r, j] + act[r, j] * act[r, 2 * H + j]
                        c[r, j] = cj
                        hx[r, j] = act[r, 3 * H + j] * tanh(cj)
                    for j in range(H):
                        y[b, t, j] = hx[r, j]
                else:
                    for j in range(H):
                        y[b, t, j] = zero
        for r in range(nb):
            for j in range(H):
                h_n[b0 + r, j] = hx[r, j]
                c_n[b0 + r, j] = c[r, j]


@njit(**KERNEL_OPTIONS)
def lstm_backward(dy, dh_n, dc_n, gates, c_seq, c0, lengths, w_hh, chunk, dg, dh0, dc0):
    """Backpropagate through an LSTM layer run by :func:`lstm_forward`.

    Parameters
    ----------
    dy : ndarray of shape (B, T, H)
        Gradient of the loss w.r.t. the outputs ``y`` (ignored past a sample's length).
    dh_n, dc_n : ndarray of shape (B, H)
        Gradients w.r.t. the final states.
    gates, c_seq : ndarray
        The forward cache, shapes (B, T, 4H) and (B, T, H).
    c0 : ndarray of shape (B, H)
        Initial cell state.
    lengths : ndarray of shape (B,), int64
    w_hh : ndarray of shape (4H, H)
        Recurrent weights (not transposed).
    chunk : int
        Samples per parallel task (any value gives the same result).
    dg : ndarray of shape (B, T, 4H), output
        Gradients w.r.t. the gate pre-activations (zero past a sample's length).
    dh0, dc0 : ndarray of shape (B, H), output
        Gradients w.r.t. the initial states.
    """
    B, T, G = dg.shape
    H = G // 4
    n_chunks = (B + chunk - 1) // chunk
    one = dg.dtype.type(1.0)
    zero = dg.dtype.type(0.0)
    for ci in prange(n_chunks):
        b0 = ci * chunk
        b1 = min(B, b0 + chunk)
        nb = b1 - b0
        dh = dh_n[b0:b1].copy()
        dc = dc_n[b0:b1].copy()
        dgc = np.empty((nb, G), dtype=dg.dtype)
        dh_rec = np.empty((nb, H), dtype=dg.dtype)
        for t in range(T - 1, -1, -1):
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    # Few arrays per loop, so LLVM's runtime alias checks stay
                    # under its limit and every loop vectorises.
                    for j in range(H):
                        dh[r, j] += dy[b, t, j]
                    for j in range(H):
                        og = gates[b, t, 3 * H + j]
                        tc = tanh(c_seq[b, t, j])
                        dhj = dh[r, j]
                        dc[r, j] = dc[r, j] + dhj * og * (one - tc * tc)
                        dgc[r, 3 * H + j] = dhj * tc * og * (one - og)
                    cp = c_seq[b, t - 1] if t > 0 else c0[b]
                    for j in range(H):
                        ig = gates[b, t, j]
                        fg = gates[b, t, H + j]
                        gg = gates[b, t, 2 * H + j]
                        dcj = dc[r, j]
                        dgc[r, j] = dcj * gg * ig * (one - ig)
                        dgc[r, H + j] = dcj * cp[j] * fg * (one - fg)
                        dgc[r, 2 * H + j] = dcj * ig * (one - gg * gg)
                        dc[r, j] = dcj * fg
                    for j in range(G):
                        dg[b, t, j] = dgc[r, j]
                else:
                    for j in range(G):
                        dgc[r, j] = zero
                        dg[b, t, j] = zero
            np.dot(dgc, w_hh, dh_rec)
            for r in range(nb):
                if t < lengths[b0 + r]:
                    for j in range(H):
                        dh[r, j] = dh_rec[r, j]
        dh0[b0:b1] = dh
        dc0[b0:b1] = dc
