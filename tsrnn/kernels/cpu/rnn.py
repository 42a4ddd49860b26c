"""Elman RNN (tanh or relu) forward and backprop-through-time on the CPU.

``h' = act(W_ih x + b_ih + W_hh h + b_hh)``; ``nonlinearity`` is 0 for tanh and 1
for relu.
"""

import numpy as np
from numba import njit, prange

from ._options import KERNEL_OPTIONS
from .._math import relu, tanh

TANH = 0
RELU = 1


@njit(**KERNEL_OPTIONS)
def rnn_forward(gx, w_hh_t, h0, lengths, nonlinearity, chunk, y, h_n):
    """Run an Elman RNN layer over whole sequences.

    Parameters
    ----------
    gx : ndarray of shape (B, T, H)
        Input projections with both biases added.
    w_hh_t : ndarray of shape (H, H)
        Transposed recurrent weights.
    h0 : ndarray of shape (B, H)
    lengths : ndarray of shape (B,), int64
    nonlinearity : int
        0 for tanh, 1 for relu.
    chunk : int
        Samples per parallel task.
    y : ndarray of shape (B, T, H), output
        Hidden states, zero past a sample's length.
    h_n : ndarray of shape (B, H), output
    """
    B, T, H = gx.shape
    n_chunks = (B + chunk - 1) // chunk
    for ci in prange(n_chunks):
        b0 = ci * chunk
        b1 = min(B, b0 + chunk)
        nb = b1 - b0
        h = h0[b0:b1].copy()
        pre = np.empty((nb, H), dtype=gx.dtype)
        for t in range(T):
            np.dot(h, w_hh_t, pre)
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    row = gx[b, t]
                    p = pre[r]
                    hr = h[r]
                    if nonlinearity == TANH:
                        for j in range(H):
                            hr[j] = tanh(row[j] + p[j])
                    else:
                        for j in range(H):
                            hr[j] = relu(row[j] + p[j])
                    y[b, t] = hr
                else:
                    y[b, t] = 0
        h_n[b0:b1] = h


@njit(**KERNEL_OPTIONS)
def rnn_backward(dy, dh_n, y, lengths, nonlinearity, w_hh, chunk, dg, dh0):
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
    chunk : int
    dg : ndarray of shape (B, T, H), output
        Gradient w.r.t. the pre-activations.
    dh0 : ndarray of shape (B, H), output
    """
    B, T, H = dg.shape
    n_chunks = (B + chunk - 1) // chunk
    one = dg.dtype.type(1.0)
    zero = dg.dtype.type(0.0)
    for ci in prange(n_chunks):
        b0 = ci * chunk
        b1 = min(B, b0 + chunk)
        nb = b1 - b0
        dh = dh_n[b0:b1].copy()
        dgc = np.empty((nb, H), dtype=dg.dtype)
        dh_rec = np.empty((nb, H), dtype=dg.dtype)
        for t in range(T - 1, -1, -1):
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    yr = y[b, t]
                    dyr = dy[b, t]
                    dhr = dh[r]
                    out = dgc[r]
                    if nonlinearity == TANH:
                        for j in range(H):
                            out[j] = (dhr[j] + dyr[j]) * (one - yr[j] * yr[j])
                    else:
                        for j in range(H):
                            out[j] = (dhr[j] + dyr[j]) if yr[j] > zero else zero
                    dg[b, t] = out
                else:
                    dgc[r] = 0
                    dg[b, t] = 0
            np.dot(dgc, w_hh, dh_rec)
            for r in range(nb):
                if t < lengths[b0 + r]:
                    dh[r] = dh_rec[r]
        dh0[b0:b1] = dh
