"""LSTM forward and backprop-through-time on the CPU.

Shapes: B batch, T time steps, I input features, H hidden units; gates ``i, f, g, o``
(PyTorch order) live on their own axis, ``(..., 4, H)``.

The input projection is merged into the per-step recurrent GEMM: each parallel task
keeps a buffer ``hx = [h_{t-1}, x_t]`` of shape (rows, H + I) and multiplies it by
``[W_hh, W_ih].T`` of shape (H + I, 4H), so no (B, T, 4H) projection is ever written
or read back. The weight gradients are single GEMMs over all steps done by the caller.
:func:`lstm_infer_columns` is the inference kernel with the batch along the columns
instead (``[W_hh, W_ih, b] @ [h; x; 1]``), for chunks of few rows.
The batch is cut into chunks of a size fixed by the caller; the caller runs groups
of whole chunks on parallel threads, so results do not depend on the thread count.

Why the loops look the way they do (each point measured):

* gate math runs in short loops with one tanh each: one long fused loop is latency
  bound (five dependent rational tanh per element are more than the CPU overlaps);
* every loop runs ``j`` from 0 over the last (contiguous) axis with a constant index
  for the gate (``gates[b, t, 2, j]``, never ``gates[b, t, 2 * H + j]``): Numba's
  negative-index wraparound on a runtime offset makes LLVM gather lane by lane;
* few arrays per loop, so LLVM's runtime alias checks stay under its limit.
"""

import numpy as np
from numba import njit

from ._options import KERNEL_OPTIONS
from ._rows import copy_rows
from .._math import sigmoid, tanh


@njit(**KERNEL_OPTIONS)
def lstm_forward(x, w_t, bias, h0, c0, lengths, lo, hi, chunk, y, c_seq, gates, h_n, c_n):
    """Run an LSTM layer over whole sequences, keeping what backward needs.

    Parameters
    ----------
    x : ndarray of shape (B, T, I)
        Layer input.
    w_t : ndarray of shape (H + I, 4H)
        ``np.concatenate((w_hh, w_ih), axis=1).T``, C-contiguous.
    bias : ndarray of shape (4, H)
        ``b_ih + b_hh``, one row per gate.
    h0, c0 : ndarray of shape (B, H)
        Initial hidden and cell states.
    lengths : ndarray of shape (B,), int64
        Valid steps per sample; steps at or past ``lengths[b]`` keep the state.
    lo, hi, chunk : int
        Rows ``lo:hi`` of the batch, in chunks of ``chunk`` rows (see
        :func:`tsrnn.kernels.cpu.layers.run_chunks`).
    y : ndarray of shape (B, T, H), output
        Hidden states; zero past a sample's length.
    c_seq : ndarray of shape (B, T, H), output
        Cell states (carried unchanged past a sample's length).
    gates : ndarray of shape (B, T, 4, H), output
        Activated gates i, f, g, o (zero past a sample's length).
    h_n, c_n : ndarray of shape (B, H), output
        States after each sample's last valid step.
    """
    B, T, I = x.shape
    K, G = w_t.shape
    H = G // 4
    zero = x.dtype.type(0.0)
    for b0 in range(lo, hi, chunk):
        b1 = min(hi, b0 + chunk)
        nb = b1 - b0
        hx = np.empty((nb, K), dtype=x.dtype)
        c = np.empty((nb, H), dtype=x.dtype)
        for r in range(nb):
            for j in range(H):
                hx[r, j] = h0[b0 + r, j]
                c[r, j] = c0[b0 + r, j]
        pre = np.empty((nb, 4, H), dtype=x.dtype)
        pre2 = pre.reshape((nb, G))
        for t in range(T):
            for r in range(nb):
                for k in range(I):
                    hx[r, H + k] = x[b0 + r, t, k]
            np.dot(hx, w_t, pre2)
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    for j in range(H):
                        gates[b, t, 0, j] = sigmoid(pre[r, 0, j] + bias[0, j])
                    for j in range(H):
                        gates[b, t, 1, j] = sigmoid(pre[r, 1, j] + bias[1, j])
                    for j in range(H):
                        gates[b, t, 2, j] = tanh(pre[r, 2, j] + bias[2, j])
                    for j in range(H):
                        gates[b, t, 3, j] = sigmoid(pre[r, 3, j] + bias[3, j])
                    for j in range(H):
                        cj = gates[b, t, 1, j] * c[r, j] + gates[b, t, 0, j] * gates[b, t, 2, j]
                        c[r, j] = cj
                        hx[r, j] = gates[b, t, 3, j] * tanh(cj)
                    for j in range(H):
                        c_seq[b, t, j] = c[r, j]
                        y[b, t, j] = hx[r, j]
                else:
                    for j in range(H):
                        y[b, t, j] = zero
                        c_seq[b, t, j] = c[r, j]
                    for k in range(4):
                        for j in range(H):
                            gates[b, t, k, j] = zero
        for r in range(nb):
            for j in range(H):
                h_n[b0 + r, j] = hx[r, j]
                c_n[b0 + r, j] = c[r, j]


@njit(**KERNEL_OPTIONS)
def lstm_infer(x, w_t, bias, h0, c0, lengths, lo, hi, chunk, y, h_n, c_n):
    """:func:`lstm_forward` without the backward cache (inference only)."""
    B, T, I = x.shape
    K, G = w_t.shape
    H = G // 4
    zero = x.dtype.type(0.0)
    for b0 in range(lo, hi, chunk):
        b1 = min(hi, b0 + chunk)
        nb = b1 - b0
        hx = np.empty((nb, K), dtype=x.dtype)
        c = np.empty((nb, H), dtype=x.dtype)
        for r in range(nb):
            for j in range(H):
                hx[r, j] = h0[b0 + r, j]
                c[r, j] = c0[b0 + r, j]
        pre = np.empty((nb, 4, H), dtype=x.dtype)
        pre2 = pre.reshape((nb, G))
        act = np.empty((4, H), dtype=x.dtype)
        for t in range(T):
            for r in range(nb):
                for k in range(I):
                    hx[r, H + k] = x[b0 + r, t, k]
            np.dot(hx, w_t, pre2)
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    for j in range(H):
                        act[0, j] = sigmoid(pre[r, 0, j] + bias[0, j])
                    for j in range(H):
                        act[1, j] = sigmoid(pre[r, 1, j] + bias[1, j])
                    for j in range(H):
                        act[2, j] = tanh(pre[r, 2, j] + bias[2, j])
                    for j in range(H):
                        act[3, j] = sigmoid(pre[r, 3, j] + bias[3, j])
                    for j in range(H):
                        cj = act[1, j] * c[r, j] + act[0, j] * act[2, j]
                        c[r, j] = cj
                        hx[r, j] = act[3, j] * tanh(cj)
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
def lstm_infer_columns(x, w_rows, h0, c0, lengths, lo, hi, chunk, y, h_n, c_n):
    """:func:`lstm_infer` with the batch along the columns, for chunks of few rows.

    Each step computes ``pre.T = [W_hh | W_ih | b] @ [h; x; 1]``, shape (4H, rows):
    OpenBLAS runs a product whose long side is the weights' faster than one whose long
    side is the batch (32 rows, H=128: 210 against 144 GFLOP/s, 2026-12-07, AVX-512
    kernels), and the gate loops then run over whole contiguous gate blocks. Each
    pre-activation sums the same terms as in :func:`lstm_infer` (the bias as the last
    one); how BLAS orders them can differ by float rounding.

    Parameters
    ----------
    x : ndarray of shape (B, T, I)
    w_rows : ndarray of shape (4H, H + I + 1)
        ``[w_hh, w_ih, b_ih + b_hh]`` side by side, C-contiguous.
    h0, c0, lengths, lo, hi, chunk, y, h_n, c_n
        As in :func:`lstm_infer`.
    """
    B, T, I = x.shape
    G, K1 = w_rows.shape
    H = G // 4
    one = x.dtype.type(1.0)
    zero = x.dtype.type(0.0)
    for b0 in range(lo, hi, chunk):
        b1 = min(hi, b0 + chunk)
        nb = b1 - b0
        n = H * nb
        hx = np.empty((K1, nb), dtype=x.dtype)  # [h; x; 1], one column per sample
        c = np.empty((H, nb), dtype=x.dtype)
        for j in range(H):
            for r in range(nb):
                hx[j, r] = h0[b0 + r, j]
                c[j, r] = c0[b0 + r, j]
        for r in range(nb):
            hx[K1 - 1, r] = one
        h_flat = hx[:H].reshape(n)
        c_flat = c.reshape(n)
        pre = np.empty((4, n), dtype=x.dtype)
        pre2 = pre.reshape((G, nb))
        i_g, f_g, g_g, o_g = pre[0], pre[1], pre[2], pre[3]
        shortest = T
        for r in range(nb):
            shortest = min(shortest, lengths[b0 + r])
        for t in range(T):
            for k in range(I):
                for r in range(nb):
                    hx[H + k, r] = x[b0 + r, t, k]
            np.dot(w_rows, hx, pre2)
            for m in range(n):
                i_g[m] = sigmoid(i_g[m])
            for m in range(n):
                f_g[m] = sigmoid(f_g[m])
            for m in range(n):
                g_g[m] = tanh(g_g[m])
            for m in range(n):
                o_g[m] = sigmoid(o_g[m])
            if t < shortest:  # every sample still running
                for m in range(n):
                    cm = f_g[m] * c_flat[m] + i_g[m] * g_g[m]
                    c_flat[m] = cm
                    h_flat[m] = o_g[m] * tanh(cm)
            else:  # finished samples keep their states
                for j in range(H):
                    for r in range(nb):
                        if t < lengths[b0 + r]:
                            m = j * nb + r
                            cm = f_g[m] * c_flat[m] + i_g[m] * g_g[m]
                            c_flat[m] = cm
                            h_flat[m] = o_g[m] * tanh(cm)
            for r in range(nb):
                running = t < lengths[b0 + r]
                for j in range(H):
                    y[b0 + r, t, j] = hx[j, r] if running else zero
        for r in range(nb):
            for j in range(H):
                h_n[b0 + r, j] = hx[j, r]
                c_n[b0 + r, j] = c[j, r]


@njit(**KERNEL_OPTIONS)
def lstm_backward(dy, dh_n, dc_n, gates, c_seq, c0, lengths, w_hh, lo, hi, chunk, dg, dh0, dc0):
    """Backpropagate through an LSTM layer run by :func:`lstm_forward`.

    Parameters
    ----------
    dy : ndarray of shape (B, T, H)
        Gradient of the loss w.r.t. the outputs ``y`` (ignored past a sample's length).
    dh_n, dc_n : ndarray of shape (B, H)
        Gradients w.r.t. the final states.
    gates, c_seq : ndarray
        The forward cache, shapes (B, T, 4, H) and (B, T, H).
    c0 : ndarray of shape (B, H)
        Initial cell state.
    lengths : ndarray of shape (B,), int64
    w_hh : ndarray of shape (4H, H)
        Recurrent weights (not transposed).
    lo, hi, chunk : int
        Rows ``lo:hi`` of the batch, in chunks of ``chunk`` rows.
    dg : ndarray of shape (B, T, 4, H), output
        Gradients w.r.t. the gate pre-activations (zero past a sample's length).
    dh0, dc0 : ndarray of shape (B, H), output
        Gradients w.r.t. the initial states.
    """
    B, T, _, H = dg.shape
    G = 4 * H
    one = dg.dtype.type(1.0)
    zero = dg.dtype.type(0.0)
    for b0 in range(lo, hi, chunk):
        b1 = min(hi, b0 + chunk)
        nb = b1 - b0
        dh = dh_n[b0:b1].copy()
        dc = dc_n[b0:b1].copy()
        dgc = np.empty((nb, 4, H), dtype=dg.dtype)
        dgc2 = dgc.reshape((nb, G))
        dh_rec = np.empty((nb, H), dtype=dg.dtype)
        for t in range(T - 1, -1, -1):
            for r in range(nb):
                b = b0 + r
                if t < lengths[b]:
                    for j in range(H):
                        dh[r, j] += dy[b, t, j]
                    for j in range(H):
                        og = gates[b, t, 3, j]
                        tc = tanh(c_seq[b, t, j])
                        dhj = dh[r, j]
                        dc[r, j] = dc[r, j] + dhj * og * (one - tc * tc)
                        dgc[r, 3, j] = dhj * tc * og * (one - og)
                    cp = c_seq[b, t - 1] if t > 0 else c0[b]
                    for j in range(H):
                        ig = gates[b, t, 0, j]
                        fg = gates[b, t, 1, j]
                        gg = gates[b, t, 2, j]
                        dcj = dc[r, j]
                        dgc[r, 0, j] = dcj * gg * ig * (one - ig)
                        dgc[r, 1, j] = dcj * cp[j] * fg * (one - fg)
                        dgc[r, 2, j] = dcj * ig * (one - gg * gg)
                        dc[r, j] = dcj * fg
                    for k in range(4):
                        for j in range(H):
                            dg[b, t, k, j] = dgc[r, k, j]
                else:
                    for k in range(4):
                        for j in range(H):
                            dgc[r, k, j] = zero
                            dg[b, t, k, j] = zero
            np.dot(dgc2, w_hh, dh_rec)
            for r in range(nb):
                if t < lengths[b0 + r]:
                    for j in range(H):
                        dh[r, j] = dh_rec[r, j]
        copy_rows(dh, dh0, b0)
        copy_rows(dc, dc0, b0)
