"""Elman RNN (tanh or relu) forward and backprop-through-time on the CPU.

``h' = act(W_ih x + b_ih + W_hh h + b_hh)``; ``nonlinearity`` is 0 for tanh and 1
for relu. As in the LSTM kernels, the input projection is merged into the per-step
GEMM: ``[h_{t-1}, x_t] @ [W_hh, W_ih].T``.
"""

import numpy as np
from numba import njit

from ._options import KERNEL_OPTIONS
from ._rows import copy_rows
from .._math import relu, tanh

TANH = 0
RELU = 1


@njit(**KERNEL_OPTIONS)
def rnn_forward(x, w_t, bias, h0, lengths, nonlinearity, lo, hi, chunk, y, h_n):
    """Run an Elman RNN layer over whole sequences.

    Parameters
    ----------
    x : ndarray of shape (B, T, I)
    w_t : ndarray of shape (H + I, H)
        ``np.concatenate((w_hh, w_ih), axis=1).T``, C-contiguous.
    bias : ndarray of shape (H,)
        ``b_ih + b_hh``.
    h0 : ndarray of shape (B, H)
    lengths : ndarray of shape (B,), int64
    nonlinearity : int
        0 for tanh, 1 for relu.
    lo, hi, chunk : int
        Rows ``lo:hi`` of the batch, in chunks of ``chunk`` rows (see
        :func:`tsrnn.kernels.cpu.layers.run_chunks`).
    y : ndarray of shape (B, T, H), output
        Hidden states, zero past a sample's length.
    h_n : ndarray of shape (B, H), output
    """
    B, T, I = x.shape
    K, H = w_t.shape
    zero = x.dtype.type(0.0)
    for b0 in range(lo, hi, chunk):
        b1 = min(hi, b0 + chunk)
        nb = b1 - b0
        hx = np.empty((nb, K), dtype=x.dtype)
        for r in range(nb):
            for j in range(H):
                hx[r, j] = h0[b0 + r, j]
        pre = np.empty((nb, H), dtype=x.dtype)
        for t in range(T):
            for r in range(nb):
                for k in range(I):
                    hx[r, H + k] = x[b0 + r, t, k]
            np.dot(hx, w_t, pre)
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    if nonlinearity == TANH:
                        for j in range(H):
                            hx[r, j] = tanh(pre[r, j] + bias[j])
                    else:
                        for j in range(H):
                            hx[r, j] = relu(pre[r, j] + bias[j])
                    for j in range(H):
                        y[b, t, j] = hx[r, j]
                else:
                    for j in range(H):
                        y[b, t, j] = zero
        for r in range(nb):
            for j in range(H):
                h_n[b0 + r, j] = hx[r, j]


@njit(**KERNEL_OPTIONS)
def rnn_backward(dy, dh_n, y, lengths, nonlinearity, w_hh, lo, hi, chunk, dg, dh0):
    """Backpropagate through an Elman RNN layer run by :func:`rnn_forward`.

    Parameters
    ----------
    dy : ndarray of shape (B, T, H)
    dh_n : ndarray of shape (B, H)
    y : ndarray of shape (B, T, H)
        Forward outputs (the post-activation states).
    lengths : ndarray of shape (B,), int64
    nonlinearity : int
        0 for tanh, 1 for relu.
    w_hh : ndarray of shape (H, H)
    lo, hi, chunk : int
        Rows ``lo:hi`` of the batch, in chunks of ``chunk`` rows.
    dg : ndarray of shape (B, T, H), output
        Gradient w.r.t. the pre-activations.
    dh0 : ndarray of shape (B, H), output
    """
    B, T, H = dg.shape
    one = dg.dtype.type(1.0)
    zero = dg.dtype.type(0.0)
    for b0 in range(lo, hi, chunk):
        b1 = min(hi, b0 + chunk)
        nb = b1 - b0
        dh = dh_n[b0:b1].copy()
        dgc = np.empty((nb, H), dtype=dg.dtype)
        dh_rec = np.empty((nb, H), dtype=dg.dtype)
        for t in range(T - 1, -1, -1):
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    if nonlinearity == TANH:
                        for j in range(H):
                            yj = y[b, t, j]
                            dgc[r, j] = (dh[r, j] + dy[b, t, j]) * (one - yj * yj)
                    else:
                        for j in range(H):
                            dgc[r, j] = (dh[r, j] + dy[b, t, j]) if y[b, t, j] > zero else zero
                    for j in range(H):
                        dg[b, t, j] = dgc[r, j]
                else:
                    for j in range(H):
                        dgc[r, j] = zero
                        dg[b, t, j] = zero
            np.dot(dgc, w_hh, dh_rec)
            for r in range(nb):
                if t < lengths[b0 + r]:
                    for j in range(H):
                        dh[r, j] = dh_rec[r, j]
        copy_rows(dh, dh0, b0)
