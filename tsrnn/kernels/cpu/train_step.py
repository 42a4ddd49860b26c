"""A small model's training pass in two compiled calls: the "last" head on a stack.

A 1x32 LSTM's training step on 32 windows of 24 steps took ~540 us, about half of it
in the Python and NumPy calls around the kernels (head, stack, layer ops, thread and
BLAS dispatch, the weight-gradient rows, the dense layer; 2026-12-07). Here the
forward pass (every layer, the pooling of the top layer's outputs, the dense output)
is one call and the backward pass (dense, every layer's backprop-through-time, every weight
and bias gradient) another; the loss, clipping and optimizer stay in Python between
them. The cell kernels are the layered path's, called with the same arguments, and
every product is one BLAS call (:func:`tsrnn.kernels.cpu._gemm.matmul`, SciPy's
GEMM), so the results equal the layered path's up to rounding: of the products
(NumPy's BLAS there), of a few sums NumPy adds pairwise (the dense bias gradient of a
single output) and of subnormals, which the fused calls flush in the dense layer too.

Shapes: B batch, T steps, I input features, H hidden units, L layers, G = gates x H,
O outputs. ``params`` / ``grads`` are a :class:`tsrnn.nn.Recurrent`'s flat arrays:
per layer ``weight_ih`` (G, I_k), ``weight_hh`` (G, H), ``bias_ih`` (G,), ``bias_hh``
(G,), layer after layer. The caches (``ys`` (L, B, T, H), ...) are filled by the
forward call and read by the backward call. Loops stand in for slice assignments:
see ``_rows.py`` on what NumPy-style assignment costs at compile time.
"""

import numpy as np
from numba import njit

from ._gemm import matmul
from ._options import KERNEL_OPTIONS
from .last_state import POOL_LAST, POOL_MEAN
from .gru import gru_backward, gru_forward
from .lstm import lstm_backward, lstm_forward
from .rnn import rnn_backward, rnn_forward

# The kernels' first row and matmul's transpose flags as typed NumPy scalars: a literal
# (0, True, False) at a call site compiles the callee again for each literal value (see
# tests/nn/test_cold_compile.py).
FIRST_ROW = np.int64(0)
T_ = np.bool_(True)
N_ = np.bool_(False)


@njit(inline="always", **KERNEL_OPTIONS)
def _layer_start(k, n_in, H, G):
    """Offset of layer ``k``'s parameters in the flat array."""
    return 0 if k == 0 else G * (n_in + H + 2) + (k - 1) * G * (2 * H + 2)


@njit(inline="always", **KERNEL_OPTIONS)
def _views(flat, k, n_in, H, G):
    """``(weight_ih, weight_hh, bias_ih, bias_hh)`` of layer ``k`` (its input size
    ``n_in`` for k = 0, ``H`` above)."""
    off = _layer_start(k, n_in, H, G)
    k_in = n_in if k == 0 else H
    w_ih = flat[off : off + G * k_in].reshape((G, k_in))
    off += G * k_in
    w_hh = flat[off : off + G * H].reshape((G, H))
    off += G * H
    return w_ih, w_hh, flat[off : off + G], flat[off + G : off + 2 * G]


@njit(inline="always", **KERNEL_OPTIONS)
def _merged_t(w_ih, w_hh):
    """``[w_hh, w_ih].T``, shape (H + I, G) (as ``layers._merged_weights``)."""
    G, H = w_hh.shape
    k_in = w_ih.shape[1]
    w_t = np.empty((H + k_in, G), dtype=w_hh.dtype)
    for j in range(H):
        for g in range(G):
            w_t[j, g] = w_hh[g, j]
    for j in range(k_in):
        for g in range(G):
            w_t[H + j, g] = w_ih[g, j]
    return w_t


@njit(inline="always", **KERNEL_OPTIONS)
def _pool_and_dense(y, lengths, pooling, argmax, dense_w, dense_b, feats, out):
    """``feats`` (B, H) pooled from ``y`` (B, T, H) over each sample's valid steps (as
    ``LastStepHead.forward``: its last step, their mean, or their maximum with its step
    kept in ``argmax`` (B, H), the first where tied); ``out = feats @ dense_w.T + dense_b``."""
    B, T, H = y.shape
    for b in range(B):
        n = lengths[b]
        if pooling == POOL_LAST:
            for j in range(H):
                feats[b, j] = y[b, n - 1, j]
        elif pooling == POOL_MEAN:  # NumPy's sum over the time axis adds step after step
            for j in range(H):
                feats[b, j] = y[b, 0, j]
            for t in range(1, T):
                for j in range(H):
                    feats[b, j] += y[b, t, j]
            count = y.dtype.type(n)
            for j in range(H):
                feats[b, j] /= count
        else:
            for j in range(H):
                best = y[b, 0, j]
                at = 0
                for t in range(1, n):
                    v = y[b, t, j]
                    if np.isnan(best):
                        break
                    if v > best or np.isnan(v):
                        best = v
                        at = t
                argmax[b, j] = at
                feats[b, j] = best
    matmul(feats, dense_w, out, N_, T_)
    for b in range(B):
        for o in range(out.shape[1]):
            out[b, o] += dense_b[o]


@njit(inline="always", **KERNEL_OPTIONS)
def _dense_backward_and_unpool(dout, feats, dense_w, lengths, pooling, argmax, dense_wgrad, dense_bgrad, dy):
    """The dense layer's gradients, and its input gradient spread back over ``dy``
    (B, T, H) as :func:`_pool_and_dense` pooled (zero elsewhere)."""
    B, O = dout.shape
    T, H = dy.shape[1], dy.shape[2]
    matmul(dout, feats, dense_wgrad, T_, N_)
    for o in range(O):
        dense_bgrad[o] = dout[0, o]
    for b in range(1, B):
        for o in range(O):
            dense_bgrad[o] += dout[b, o]
    dfeats = np.empty((B, H), dtype=feats.dtype)
    matmul(dout, dense_w, dfeats, N_, N_)
    for b in range(B):
        if pooling == POOL_MEAN:  # every step, the padded ones too (the kernels skip those)
            count = dy.dtype.type(lengths[b])
            for j in range(H):
                dfeats[b, j] /= count
            for t in range(T):
                for j in range(H):
                    dy[b, t, j] = dfeats[b, j]
        else:
            for t in range(T):
                for j in range(H):
                    dy[b, t, j] = 0
            if pooling == POOL_LAST:
                for j in range(H):
                    dy[b, lengths[b] - 1, j] = dfeats[b, j]
            else:
                for j in range(H):
                    dy[b, argmax[b, j], j] = dfeats[b, j]


@njit(inline="always", **KERNEL_OPTIONS)
def _weight_grad_rows(y, x, rows):
    """Rows ``[h_{t-1}, x_t, 1]`` (``x`` may have 0 features: ``[h_{t-1}, 1]``) of the
    weight-gradient product, ``h_{-1} = 0``: ``rows`` (B * T, H + I + 1) (as
    ``layers._weight_grads``)."""
    B, T, H = y.shape
    k_in = x.shape[2]
    one = y.dtype.type(1.0)
    for b in range(B):
        for t in range(T):
            r = b * T + t
            if t == 0:
                for j in range(H):
                    rows[r, j] = 0
            else:
                for j in range(H):
                    rows[r, j] = y[b, t - 1, j]
            for j in range(k_in):
                rows[r, H + j] = x[b, t, j]
            rows[r, H + k_in] = one


@njit(inline="always", **KERNEL_OPTIONS)
def _inputs_and_ones(x, rows):
    """Rows ``[x_t, 1]`` (B * T, I + 1)."""
    B, T, k_in = x.shape
    one = x.dtype.type(1.0)
    for b in range(B):
        for t in range(T):
            for j in range(k_in):
                rows[b * T + t, j] = x[b, t, j]
            rows[b * T + t, k_in] = one


@njit(inline="always", **KERNEL_OPTIONS)
def _shared_weight_grads(dg2, y, x, scratch, gw_ih, gw_hh, gb_ih, gb_hh):
    """LSTM / RNN weight and bias gradients, one product over ``[h_{t-1}, x_t, 1]``;
    ``scratch`` is flat, at least B * T * (H + I + 1) long."""
    G, H = gw_hh.shape
    k_in = gw_ih.shape[1]
    cols = H + k_in + 1
    rows = scratch[: dg2.shape[0] * cols].reshape((dg2.shape[0], cols))
    _weight_grad_rows(y, x, rows)
    both = np.empty((G, cols), dtype=dg2.dtype)
    matmul(dg2, rows, both, T_, N_)
    for g in range(G):
        for j in range(H):
            gw_hh[g, j] = both[g, j]
        for j in range(k_in):
            gw_ih[g, j] = both[g, H + j]
        gb_hh[g] = both[g, cols - 1]
        gb_ih[g] = both[g, cols - 1]


# ---------------------------------------------------------------------------- LSTM
@njit(**KERNEL_OPTIONS)
def lstm_train_forward(x, lengths, params, n_layers, ys, c_seqs, gates, pooling, argmax, dense_w, dense_b, feats,
                       out):
    """Forward pass of an LSTM stack and the dense layer on its last valid step.

    Parameters
    ----------
    x : ndarray of shape (B, T, I)
    lengths : ndarray of shape (B,), int64
    params : ndarray of shape (n_params,)
    n_layers : int
    ys, c_seqs : ndarray of shape (L, B, T, H), output
        Every layer's outputs and cell states (the cache).
    gates : ndarray of shape (L, B, T, 4, H), output
    pooling : int
        ``last_state.POOLINGS`` code: the top layer's last valid step, the mean or the
        maximum of its valid steps feeds the dense layer.
    argmax : ndarray of shape (B, H), int64, output
        With max pooling, the step of each maximum (kept for the backward call).
    dense_w : ndarray of shape (O, H)
    dense_b : ndarray of shape (O,)
    feats : ndarray of shape (B, H), output
        The pooled top-layer outputs.
    out : ndarray of shape (B, O), output
    """
    B, T, n_in = x.shape
    H = ys.shape[3]
    zeros = np.zeros((B, H), dtype=x.dtype)  # h0 and c0
    h_n = np.empty((B, H), dtype=x.dtype)
    c_n = np.empty((B, H), dtype=x.dtype)
    bias = np.empty((4, H), dtype=x.dtype)
    for k in range(n_layers):
        inp = x if k == 0 else ys[k - 1]
        w_ih, w_hh, b_ih, b_hh = _views(params, k, n_in, H, 4 * H)
        for g in range(4):
            for j in range(H):
                bias[g, j] = b_ih[g * H + j] + b_hh[g * H + j]
        lstm_forward(inp, _merged_t(w_ih, w_hh), bias, zeros, zeros, lengths, FIRST_ROW, B, B, ys[k], c_seqs[k], gates[k],
                     h_n, c_n)
    _pool_and_dense(ys[n_layers - 1], lengths, pooling, argmax, dense_w, dense_b, feats, out)


@njit(**KERNEL_OPTIONS)
def lstm_train_backward(x, lengths, params, grads, n_layers, ys, c_seqs, gates, pooling, argmax, dense_w, feats, dout,
                        dense_wgrad, dense_bgrad, dy, dg, scratch):
    """Backward pass after :func:`lstm_train_forward`: every gradient, written into
    ``grads`` (the stack's, shape (n_params,)), ``dense_wgrad`` (O, H) and
    ``dense_bgrad`` (O,). ``dout`` (B, O) is the loss gradient w.r.t. ``out``. Scratch:
    ``dy`` (B, T, H), ``dg`` (B, T, 4, H), ``scratch`` (flat, at least B * T * (H +
    max(I, H) + 2) long)."""
    B, T, n_in = x.shape
    H = ys.shape[3]
    G = 4 * H
    _dense_backward_and_unpool(dout, feats, dense_w, lengths, pooling, argmax, dense_wgrad, dense_bgrad, dy)
    zeros = np.zeros((B, H), dtype=x.dtype)  # dh_n, dc_n and c0
    dh0 = np.empty((B, H), dtype=x.dtype)
    dc0 = np.empty((B, H), dtype=x.dtype)
    dg2 = dg.reshape((B * T, G))
    for k in range(n_layers - 1, -1, -1):
        inp = x if k == 0 else ys[k - 1]
        w_ih, w_hh, _, _ = _views(params, k, n_in, H, G)
        gw_ih, gw_hh, gb_ih, gb_hh = _views(grads, k, n_in, H, G)
        lstm_backward(dy, zeros, zeros, gates[k], c_seqs[k], zeros, lengths, w_hh, FIRST_ROW, B, B, dg, dh0, dc0)
        _shared_weight_grads(dg2, ys[k], inp, scratch, gw_ih, gw_hh, gb_ih, gb_hh)
        if k > 0:
            matmul(dg2, w_ih, dy.reshape((B * T, H)), N_, N_)


# ---------------------------------------------------------------------------- Elman RNN
@njit(**KERNEL_OPTIONS)
def rnn_train_forward(x, lengths, params, n_layers, nonlinearity, ys, pooling, argmax, dense_w, dense_b, feats, out):
    """:func:`lstm_train_forward` for an Elman RNN stack (``nonlinearity`` 0 tanh, 1 relu);
    its outputs ``ys`` (L, B, T, H) are the whole cache."""
    B, T, n_in = x.shape
    H = ys.shape[3]
    zeros = np.zeros((B, H), dtype=x.dtype)
    h_n = np.empty((B, H), dtype=x.dtype)
    for k in range(n_layers):
        inp = x if k == 0 else ys[k - 1]
        w_ih, w_hh, b_ih, b_hh = _views(params, k, n_in, H, H)
        rnn_forward(inp, _merged_t(w_ih, w_hh), b_ih + b_hh, zeros, lengths, nonlinearity, FIRST_ROW, B, B, ys[k], h_n)
    _pool_and_dense(ys[n_layers - 1], lengths, pooling, argmax, dense_w, dense_b, feats, out)


@njit(**KERNEL_OPTIONS)
def rnn_train_backward(x, lengths, params, grads, n_layers, nonlinearity, ys, pooling, argmax, dense_w, feats, dout,
                       dense_wgrad, dense_bgrad, dy, dg, scratch):
    """:func:`lstm_train_backward` for an Elman RNN stack; ``dg`` (B, T, H) is scratch."""
    B, T, n_in = x.shape
    H = ys.shape[3]
    _dense_backward_and_unpool(dout, feats, dense_w, lengths, pooling, argmax, dense_wgrad, dense_bgrad, dy)
    zeros = np.zeros((B, H), dtype=x.dtype)
    dh0 = np.empty((B, H), dtype=x.dtype)
    dg2 = dg.reshape((B * T, H))
    for k in range(n_layers - 1, -1, -1):
        inp = x if k == 0 else ys[k - 1]
        w_ih, w_hh, _, _ = _views(params, k, n_in, H, H)
        gw_ih, gw_hh, gb_ih, gb_hh = _views(grads, k, n_in, H, H)
        rnn_backward(dy, zeros, ys[k], lengths, nonlinearity, w_hh, FIRST_ROW, B, B, dg, dh0)
        _shared_weight_grads(dg2, ys[k], inp, scratch, gw_ih, gw_hh, gb_ih, gb_hh)
        if k > 0:
            matmul(dg2, w_ih, dy.reshape((B * T, H)), N_, N_)


# ---------------------------------------------------------------------------- GRU
@njit(**KERNEL_OPTIONS)
def gru_train_forward(x, lengths, params, n_layers, ys, gates, ghn, gx, pooling, argmax, dense_w, dense_b, feats,
                      out):
    """:func:`lstm_train_forward` for a GRU stack: caches ``ys``, ``ghn`` (L, B, T, H) and
    ``gates`` (L, B, T, 3, H); ``gx`` (B, T, 3, H) is scratch for the input projection."""
    B, T, n_in = x.shape
    H = ys.shape[3]
    G = 3 * H
    zeros = np.zeros((B, H), dtype=x.dtype)
    h_n = np.empty((B, H), dtype=x.dtype)
    w_hh_t = np.empty((H, G), dtype=x.dtype)
    bias = np.empty((4, H), dtype=x.dtype)  # as layers.GRULayer.forward
    gx2 = gx.reshape((B * T, G))
    for k in range(n_layers):
        inp = x if k == 0 else ys[k - 1]
        w_ih, w_hh, b_ih, b_hh = _views(params, k, n_in, H, G)
        matmul(inp.reshape((B * T, inp.shape[2])), w_ih, gx2, N_, T_)
        for j in range(H):
            for g in range(G):
                w_hh_t[j, g] = w_hh[g, j]
        for j in range(H):
            bias[0, j] = b_ih[j] + b_hh[j]
            bias[1, j] = b_ih[H + j] + b_hh[H + j]
            bias[2, j] = b_ih[2 * H + j]
            bias[3, j] = b_hh[2 * H + j]
        gru_forward(gx, w_hh_t, bias, zeros, lengths, FIRST_ROW, B, B, ys[k], gates[k], ghn[k], h_n)
    _pool_and_dense(ys[n_layers - 1], lengths, pooling, argmax, dense_w, dense_b, feats, out)


@njit(**KERNEL_OPTIONS)
def gru_train_backward(x, lengths, params, grads, n_layers, ys, gates, ghn, pooling, argmax, dense_w, feats, dout,
                       dense_wgrad, dense_bgrad, dy, dgx, dgh, scratch):
    """:func:`lstm_train_backward` for a GRU stack; ``dgx``, ``dgh`` (B, T, 3, H) are
    scratch too. The input bias has its own gradient, so the inputs get a product of
    their own (as ``layers._weight_grads``)."""
    B, T, n_in = x.shape
    H = ys.shape[3]
    G = 3 * H
    _dense_backward_and_unpool(dout, feats, dense_w, lengths, pooling, argmax, dense_wgrad, dense_bgrad, dy)
    zeros = np.zeros((B, H), dtype=x.dtype)
    dh0 = np.empty((B, H), dtype=x.dtype)
    dgx2 = dgx.reshape((B * T, G))
    dgh2 = dgh.reshape((B * T, G))
    no_inputs = np.empty((B, T, 0), dtype=x.dtype)
    h_rows = scratch[: B * T * (H + 1)].reshape((B * T, H + 1))
    both = np.empty((G, H + 1), dtype=x.dtype)
    for k in range(n_layers - 1, -1, -1):
        inp = x if k == 0 else ys[k - 1]
        k_in = inp.shape[2]
        w_ih, w_hh, _, _ = _views(params, k, n_in, H, G)
        gw_ih, gw_hh, gb_ih, gb_hh = _views(grads, k, n_in, H, G)
        gru_backward(dy, zeros, gates[k], ghn[k], zeros, ys[k], lengths, w_hh, FIRST_ROW, B, B, dgx, dgh, dh0)
        _weight_grad_rows(ys[k], no_inputs, h_rows)
        matmul(dgh2, h_rows, both, T_, N_)
        x_rows = scratch[B * T * (H + 1) : B * T * (H + k_in + 2)].reshape((B * T, k_in + 1))
        _inputs_and_ones(inp, x_rows)
        both_in = np.empty((G, k_in + 1), dtype=x.dtype)
        matmul(dgx2, x_rows, both_in, T_, N_)
        for g in range(G):
            for j in range(H):
                gw_hh[g, j] = both[g, j]
            gb_hh[g] = both[g, H]
            for j in range(k_in):
                gw_ih[g, j] = both_in[g, j]
            gb_ih[g] = both_in[g, k_in]
        if k > 0:
            matmul(dgx2, w_ih, dy.reshape((B * T, H)), N_, N_)
