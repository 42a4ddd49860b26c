"""LSTM forward and backprop-through-time on the CPU.

Shapes: B batch, T time steps, H hidden units, gates laid out ``i, f, g, o``
(PyTorch order) along the last axis of length 4H.

The input projection ``X @ W_ih.T + b_ih + b_hh`` and the weight gradients are
single GEMMs over all time steps done by the caller; these kernels run only the
sequential part. The batch is cut into chunks of a size fixed by the caller, one
chunk per parallel task, so results do not depend on the thread count.
"""

import numpy as np
from numba import njit, prange

from ._options import KERNEL_OPTIONS
from .._math import sigmoid, tanh


@njit(**KERNEL_OPTIONS)
def lstm_forward(gx, w_hh_t, h0, c0, lengths, chunk, y, c_seq, gates, h_n, c_n):
    """Run an LSTM layer over whole sequences.

    Parameters
    ----------
    gx : ndarray of shape (B, T, 4H)
        Input projections with both biases added.
    w_hh_t : ndarray of shape (H, 4H)
        Transposed recurrent weights (``weight_hh.T``, C-contiguous).
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
    B, T, G = gx.shape
    H = G // 4
    n_chunks = (B + chunk - 1) // chunk
    for ci in prange(n_chunks):
        b0 = ci * chunk
        b1 = min(B, b0 + chunk)
        nb = b1 - b0
        h = h0[b0:b1].copy()
        c = c0[b0:b1].copy()
        pre = np.empty((nb, G), dtype=gx.dtype)
        for t in range(T):
            np.dot(h, w_hh_t, pre)
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    row = gx[b, t]
                    p = pre[r]
                    act = gates[b, t]
                    hr = h[r]
                    cr = c[r]
                    for j in range(H):
                        ig = sigmoid(row[j] + p[j])
                        fg = sigmoid(row[H + j] + p[H + j])
                        gg = tanh(row[2 * H + j] + p[2 * H + j])
                        og = sigmoid(row[3 * H + j] + p[3 * H + j])
                        cj = fg * cr[j] + ig * gg
                        hj = og * tanh(cj)
                        act[j] = ig
                        act[H + j] = fg
                        act[2 * H + j] = gg
                        act[3 * H + j] = og
                        cr[j] = cj
                        hr[j] = hj
                    y[b, t] = hr
                    c_seq[b, t] = cr
                else:
                    y[b, t] = 0
                    gates[b, t] = 0
                    c_seq[b, t] = c[r]
        h_n[b0:b1] = h
        c_n[b0:b1] = c


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
                    act = gates[b, t]
                    cs = c_seq[b, t]
                    cp = c_seq[b, t - 1] if t > 0 else c0[b]
                    dyr = dy[b, t]
                    dhr = dh[r]
                    dcr = dc[r]
                    out = dgc[r]
                    for j in range(H):
                        ig = act[j]
                        fg = act[H + j]
                        gg = act[2 * H + j]
                        og = act[3 * H + j]
                        tc = tanh(cs[j])
                        dhj = dhr[j] + dyr[j]
                        dcj = dcr[j] + dhj * og * (one - tc * tc)
                        out[j] = dcj * gg * ig * (one - ig)
                        out[H + j] = dcj * cp[j] * fg * (one - fg)
                        out[2 * H + j] = dcj * ig * (one - gg * gg)
                        out[3 * H + j] = dhj * tc * og * (one - og)
                        dcr[j] = dcj * fg
                    dg[b, t] = out
                else:
                    dgc[r] = 0
                    dg[b, t] = 0
            np.dot(dgc, w_hh, dh_rec)
            for r in range(nb):
                if t < lengths[b0 + r]:
                    dh[r] = dh_rec[r]
        dh0[b0:b1] = dh
        dc0[b0:b1] = dc
