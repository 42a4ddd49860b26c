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
from numba import njit, prange

from ._options import KERNEL_OPTIONS
from .._math import sigmoid, tanh


@njit(**KERNEL_OPTIONS)
def gru_forward(gx, w_hh_t, b_hh, h0, lengths, chunk, y, gates, ghn, h_n):
    """Run a GRU layer over whole sequences.

    Parameters
    ----------
    gx : ndarray of shape (B, T, 3H)
        Input projections ``X @ W_ih.T + b_ih``.
    w_hh_t : ndarray of shape (H, 3H)
        Transposed recurrent weights.
    b_hh : ndarray of shape (3H,)
        Recurrent bias.
    h0 : ndarray of shape (B, H)
    lengths : ndarray of shape (B,), int64
    chunk : int
        Samples per parallel task.
    y : ndarray of shape (B, T, H), output
        Hidden states, zero past a sample's length.
    gates : ndarray of shape (B, T, 3H), output
        Activated r, z, n.
    ghn : ndarray of shape (B, T, H), output
        ``Whn h + bhn``, needed by the backward pass.
    h_n : ndarray of shape (B, H), output
    """
    B, T, G = gx.shape
    H = G // 3
    n_chunks = (B + chunk - 1) // chunk
    one = gx.dtype.type(1.0)
    for ci in prange(n_chunks):
        b0 = ci * chunk
        b1 = min(B, b0 + chunk)
        nb = b1 - b0
        h = h0[b0:b1].copy()
        pre = np.empty((nb, G), dtype=gx.dtype)
        for t in range(T):
            np.dot(h, w_hh_t, pre)
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    row = gx[b, t]
                    p = pre[r]
                    act = gates[b, t]
                    hn_row = ghn[b, t]
                    hr = h[r]
                    for j in range(H):
                        rg = sigmoid(row[j] + p[j] + b_hh[j])
                        zg = sigmoid(row[H + j] + p[H + j] + b_hh[H + j])
                        hn = p[2 * H + j] + b_hh[2 * H + j]
                        ng = tanh(row[2 * H + j] + rg * hn)
                        act[j] = rg
                        act[H + j] = zg
                        act[2 * H + j] = ng
                        hn_row[j] = hn
                        hr[j] = (one - zg) * ng + zg * hr[j]
                    y[b, t] = hr
                else:
                    y[b, t] = 0
                    gates[b, t] = 0
                    ghn[b, t] = 0
        h_n[b0:b1] = h


@njit(**KERNEL_OPTIONS)
def gru_backward(dy, dh_n, gates, ghn, h0, y, lengths, w_hh, chunk, dgx, dgh, dh0):
    """Backpropagate through a GRU layer run by :func:`gru_forward`.

    Parameters
    ----------
    dy : ndarray of shape (B, T, H)
    dh_n : ndarray of shape (B, H)
    gates, ghn, y : ndarray
        Forward cache, shapes (B, T, 3H), (B, T, H), (B, T, H).
    h0 : ndarray of shape (B, H)
    lengths : ndarray of shape (B,), int64
    w_hh : ndarray of shape (3H, H)
    chunk : int
    dgx : ndarray of shape (B, T, 3H), output
        Gradient w.r.t. the input-side pre-activations (``X @ W_ih.T + b_ih``).
    dgh : ndarray of shape (B, T, 3H), output
        Gradient w.r.t. the recurrent pre-activations (``h @ W_hh.T + b_hh``).
    dh0 : ndarray of shape (B, H), output
    """
    B, T, G = dgx.shape
    H = G // 3
    n_chunks = (B + chunk - 1) // chunk
    one = dgx.dtype.type(1.0)
    for ci in prange(n_chunks):
        b0 = ci * chunk
        b1 = min(B, b0 + chunk)
        nb = b1 - b0
        dh = dh_n[b0:b1].copy()
        dgc = np.empty((nb, G), dtype=dgx.dtype)
        dh_rec = np.empty((nb, H), dtype=dgx.dtype)
        for t in range(T - 1, -1, -1):
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    act = gates[b, t]
                    hn_row = ghn[b, t]
                    hp = y[b, t - 1] if t > 0 else h0[b]
                    dyr = dy[b, t]
                    dhr = dh[r]
                    gx_out = dgx[b, t]
                    gh_out = dgc[r]
                    for j in range(H):
                        rg = act[j]
                        zg = act[H + j]
                        ng = act[2 * H + j]
                        dhj = dhr[j] + dyr[j]
                        dn = dhj * (one - zg) * (one - ng * ng)
                        dr = dn * hn_row[j] * rg * (one - rg)
                        dz = dhj * (hp[j] - ng) * zg * (one - zg)
                        gx_out[j] = dr
                        gx_out[H + j] = dz
                        gx_out[2 * H + j] = dn
                        gh_out[j] = dr
                        gh_out[H + j] = dz
                        gh_out[2 * H + j] = dn * rg
                        dhr[j] = dhj * zg
                    dgh[b, t] = gh_out
                else:
                    dgc[r] = 0
                    dgx[b, t] = 0
                    dgh[b, t] = 0
            np.dot(dgc, w_hh, dh_rec)
            for r in range(nb):
                if t < lengths[b0 + r]:
                    dh[r] += dh_rec[r]
        dh0[b0:b1] = dh
