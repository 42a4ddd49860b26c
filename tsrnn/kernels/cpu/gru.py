"""GRU forward and backprop-through-time on the CPU.

Gates ``r, z, n`` as PyTorch computes them::

    r = sigmoid(Wir x + bir + Whr h + bhr)
    z = sigmoid(Wiz x + biz + Whz h + bhz)
    n = tanh(Win x + bin + r * (Whn h + bhn))
    h' = (1 - z) * n + z * h

Because ``r`` multiplies the recurrent part of ``n``, the recurrent bias cannot be
folded into the input projection, and the pre-activation gradients differ between
the input side (``dgx``) and the recurrent side (``dgh``).
"""

import numpy as np
from numba import njit

from ._options import KERNEL_OPTIONS
from ._rows import copy_rows
from .._math import sigmoid, tanh


@njit(**KERNEL_OPTIONS)
def gru_forward(gx, w_hh_t, bias, h0, lengths, lo, hi, chunk, y, gates, ghn, h_n):
    """Run a GRU layer over whole sequences.

    Loops are written as in :mod:`.lstm` (short loops, one tanh each, a constant
    index for the gate axis, few arrays per loop), for the reasons given there.

    Parameters
    ----------
    gx : ndarray of shape (B, T, 3, H)
        Input projections ``X @ W_ih.T`` (no bias).
    w_hh_t : ndarray of shape (H, 3H)
        Transposed recurrent weights.
    bias : ndarray of shape (4, H)
        Rows ``b_ir + b_hr``, ``b_iz + b_hz``, ``b_in``, ``b_hn``.
    h0 : ndarray of shape (B, H)
    lengths : ndarray of shape (B,), int64
    lo, hi, chunk : int
        Rows ``lo:hi`` of the batch, in chunks of ``chunk`` rows (see
        :func:`tsrnn.kernels.cpu.layers.run_chunks`).
    y : ndarray of shape (B, T, H), output
        Hidden states, zero past a sample's length.
    gates : ndarray of shape (B, T, 3, H), output
        Activated r, z, n.
    ghn : ndarray of shape (B, T, H), output
        ``Whn h + bhn``, needed by the backward pass.
    h_n : ndarray of shape (B, H), output
    """
    B, T, _, H = gx.shape
    G = 3 * H
    one = gx.dtype.type(1.0)
    zero = gx.dtype.type(0.0)
    for b0 in range(lo, hi, chunk):
        b1 = min(hi, b0 + chunk)
        nb = b1 - b0
        h = h0[b0:b1].copy()
        pre = np.empty((nb, 3, H), dtype=gx.dtype)
        pre2 = pre.reshape((nb, G))
        for t in range(T):
            np.dot(h, w_hh_t, pre2)
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    for j in range(H):
                        gates[b, t, 0, j] = sigmoid(gx[b, t, 0, j] + pre[r, 0, j] + bias[0, j])
                    for j in range(H):
                        gates[b, t, 1, j] = sigmoid(gx[b, t, 1, j] + pre[r, 1, j] + bias[1, j])
                    for j in range(H):
                        pre[r, 2, j] += bias[3, j]
                    for j in range(H):
                        gates[b, t, 2, j] = tanh(gx[b, t, 2, j] + bias[2, j] + gates[b, t, 0, j] * pre[r, 2, j])
                    for j in range(H):
                        zg = gates[b, t, 1, j]
                        h[r, j] = (one - zg) * gates[b, t, 2, j] + zg * h[r, j]
                    for j in range(H):
                        y[b, t, j] = h[r, j]
                        ghn[b, t, j] = pre[r, 2, j]
                else:
                    for j in range(H):
                        y[b, t, j] = zero
                        ghn[b, t, j] = zero
                    for k in range(3):
                        for j in range(H):
                            gates[b, t, k, j] = zero
        copy_rows(h, h_n, b0)


@njit(**KERNEL_OPTIONS)
def gru_infer(gx, w_hh_t, bias, h0, lengths, lo, hi, chunk, y, h_n):
    """:func:`gru_forward` without the backward cache (inference only)."""
    B, T, _, H = gx.shape
    G = 3 * H
    one = gx.dtype.type(1.0)
    zero = gx.dtype.type(0.0)
    for b0 in range(lo, hi, chunk):
        b1 = min(hi, b0 + chunk)
        nb = b1 - b0
        h = h0[b0:b1].copy()
        pre = np.empty((nb, 3, H), dtype=gx.dtype)
        pre2 = pre.reshape((nb, G))
        act = np.empty((3, H), dtype=gx.dtype)
        for t in range(T):
            np.dot(h, w_hh_t, pre2)
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    for j in range(H):
                        act[0, j] = sigmoid(gx[b, t, 0, j] + pre[r, 0, j] + bias[0, j])
                    for j in range(H):
                        act[1, j] = sigmoid(gx[b, t, 1, j] + pre[r, 1, j] + bias[1, j])
                    for j in range(H):
                        pre[r, 2, j] += bias[3, j]
                    for j in range(H):
                        act[2, j] = tanh(gx[b, t, 2, j] + bias[2, j] + act[0, j] * pre[r, 2, j])
                    for j in range(H):
                        zg = act[1, j]
                        h[r, j] = (one - zg) * act[2, j] + zg * h[r, j]
                    for j in range(H):
                        y[b, t, j] = h[r, j]
                else:
                    for j in range(H):
                        y[b, t, j] = zero
        copy_rows(h, h_n, b0)


@njit(**KERNEL_OPTIONS)
def gru_backward(dy, dh_n, gates, ghn, h0, y, lengths, w_hh, lo, hi, chunk, dgx, dgh, dh0):
    """Backpropagate through a GRU layer run by :func:`gru_forward`.

    Parameters
    ----------
    dy : ndarray of shape (B, T, H)
    dh_n : ndarray of shape (B, H)
    gates, ghn, y : ndarray
        Forward cache, shapes (B, T, 3, H), (B, T, H), (B, T, H).
    h0 : ndarray of shape (B, H)
    lengths : ndarray of shape (B,), int64
    w_hh : ndarray of shape (3H, H)
    lo, hi, chunk : int
        Rows ``lo:hi`` of the batch, in chunks of ``chunk`` rows.
    dgx : ndarray of shape (B, T, 3, H), output
        Gradient w.r.t. the input-side pre-activations (``X @ W_ih.T + b_ih``).
    dgh : ndarray of shape (B, T, 3, H), output
        Gradient w.r.t. the recurrent pre-activations (``h @ W_hh.T + b_hh``).
    dh0 : ndarray of shape (B, H), output
    """
    B, T, _, H = dgx.shape
    G = 3 * H
    one = dgx.dtype.type(1.0)
    zero = dgx.dtype.type(0.0)
    for b0 in range(lo, hi, chunk):
        b1 = min(hi, b0 + chunk)
        nb = b1 - b0
        dh = dh_n[b0:b1].copy()
        dgc = np.empty((nb, 3, H), dtype=dgx.dtype)
        dgc2 = dgc.reshape((nb, G))
        dh_rec = np.empty((nb, H), dtype=dgx.dtype)
        for t in range(T - 1, -1, -1):
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    for j in range(H):
                        dh[r, j] += dy[b, t, j]
                    hp = y[b, t - 1] if t > 0 else h0[b]
                    for j in range(H):
                        rg = gates[b, t, 0, j]
                        zg = gates[b, t, 1, j]
                        ng = gates[b, t, 2, j]
                        dhj = dh[r, j]
                        dn = dhj * (one - zg) * (one - ng * ng)
                        dgx[b, t, 0, j] = dn * ghn[b, t, j] * rg * (one - rg)
                        dgx[b, t, 1, j] = dhj * (hp[j] - ng) * zg * (one - zg)
                        dgx[b, t, 2, j] = dn
                        dh[r, j] = dhj * zg
                    for k in range(2):
                        for j in range(H):
                            dgc[r, k, j] = dgx[b, t, k, j]
                            dgh[b, t, k, j] = dgx[b, t, k, j]
                    for j in range(H):
                        v = dgx[b, t, 2, j] * gates[b, t, 0, j]
                        dgc[r, 2, j] = v
                        dgh[b, t, 2, j] = v
                else:
                    for k in range(3):
                        for j in range(H):
                            dgc[r, k, j] = zero
                            dgx[b, t, k, j] = zero
                            dgh[b, t, k, j] = zero
            np.dot(dgc2, w_hh, dh_rec)
            for r in range(nb):
                if t < lengths[b0 + r]:
                    for j in range(H):
                        dh[r, j] += dh_rec[r, j]
        copy_rows(dh, dh0, b0)
