"""Whole-network inference for a few sequences: every recurrent layer, the ``"last"``
head's pooling (last state, mean or max of the top layer's outputs) and its dense
output in one compiled call.

The batched kernels (lstm.py, gru.py, rnn.py) run one GEMM per step over the batch.
With one sample that GEMM is a matrix-vector product, and the Python around each
layer (merged weight copies, buffers, the thread pool, the dense layer) costs more
than the arithmetic: a one-sample predict was ~80% overhead. These kernels read the
weights straight from the flat parameter vectors (PyTorch layout, see
:mod:`tsrnn.kernels.cpu.layers`), keep only the running state of one sample at a
time and finish with the dense layer.

The pre-activations are accumulated as ``acc[g] += w_t[k, g] * v[k]`` over a
transposed weight copy: contiguous in ``g``, so the loops vectorise without
reassociating any sum (``fastmath={"contract"}`` only), and results are deterministic.
They differ from the batched kernels (BLAS sums in its own order) by float rounding.
The transposed copy is made once by :func:`stack_weights` and kept by the caller
(``LastStepHead`` rebuilds it when :func:`same_values` sees the weights changed).

Shapes: B samples, T steps, I input features, H hidden units, G = gates * H, O outputs.
"""

import numpy as np
from numba import njit

from ._options import KERNEL_OPTIONS
from .._math import relu, sigmoid, tanh

TANH = 0
RELU = 1

# How the top layer's outputs become the dense layer's input (LastStepHead's pooling).
POOL_LAST = 0
POOL_MEAN = 1
POOL_MAX = 2
POOLINGS = {"last": POOL_LAST, "mean": POOL_MEAN, "max": POOL_MAX}


TILE = 16


# Row 0 as a typed integer: a literal 0 at a call site makes Numba compile the callee a
# second time, specialised for that literal (~0.5 s of cold compile for two helpers).
FIRST_ROW = np.int64(0)


@njit(**KERNEL_OPTIONS)
def _transpose_into(src, off, rows, cols, dst, row0):
    """``dst[row0 + k, g] = src[off + g * cols + k]`` for g < rows, k < cols, in tiles
    (an element-by-element transpose misses the cache on every write at H=128)."""
    for g0 in range(0, rows, TILE):
        g1 = min(rows, g0 + TILE)
        for k0 in range(0, cols, TILE):
            k1 = min(cols, k0 + TILE)
            for g in range(g0, g1):
                base = off + g * cols
                for k in range(k0, k1):
                    dst[row0 + k, g] = src[base + k]


@njit(**KERNEL_OPTIONS)
def stack_weights(params, n_inputs, H, G, num_layers):
    """Unpack a stack's flat parameters into transposed per-layer weights.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        Per layer ``weight_ih`` (G, n_in), ``weight_hh`` (G, H), ``bias_ih`` (G,),
        ``bias_hh`` (G,).
    n_inputs, H, G, num_layers : int
        Input features of layer 0, hidden units, gates * H, layers.

    Returns
    -------
    w_t : ndarray of shape (num_layers, H + max(n_inputs, H), G)
        ``w_t[l, :H] = weight_hh.T``, ``w_t[l, H:H + n_in] = weight_ih.T``.
    bias_ih, bias_hh : ndarray of shape (num_layers, G)
    """
    dt = params.dtype
    w_t = np.zeros((num_layers, H + max(n_inputs, H), G), dtype=dt)
    bias_ih = np.empty((num_layers, G), dtype=dt)
    bias_hh = np.empty((num_layers, G), dtype=dt)
    off = FIRST_ROW
    for layer in range(num_layers):
        n_in = n_inputs if layer == 0 else H
        _transpose_into(params, off, G, n_in, w_t[layer], H)
        off += G * n_in
        _transpose_into(params, off, G, H, w_t[layer], FIRST_ROW)
        off += G * H
        for g in range(G):
            bias_ih[layer, g] = params[off + g]
            bias_hh[layer, g] = params[off + G + g]
        off += 2 * G
    return w_t, bias_ih, bias_hh


@njit(**KERNEL_OPTIONS)
def same_values(a, b):
    """Whether two 1-D arrays of one length hold the same values (NaN never matches)."""
    differ = 0
    for i in range(a.shape[0]):
        differ += a[i] != b[i]
    return differ == 0


@njit(**KERNEL_OPTIONS)
def _accumulate(w_t, row0, v, acc):
    """``acc += v @ w_t[row0:row0 + len(v)]`` as axpy loops (w_t of shape (K, G)).

    Eight rows per pass over ``acc`` (fewer loads and stores of it: 25% faster than
    four at G=128, where the weights sit in L1); each element still adds the rows one
    by one in order, so the sum is the same as one row per pass.
    """
    G = acc.shape[0]
    n = v.shape[0]
    k = 0
    while k + 8 <= n:
        v0, v1, v2, v3 = v[k], v[k + 1], v[k + 2], v[k + 3]
        v4, v5, v6, v7 = v[k + 4], v[k + 5], v[k + 6], v[k + 7]
        r0, r1, r2, r3 = w_t[row0 + k], w_t[row0 + k + 1], w_t[row0 + k + 2], w_t[row0 + k + 3]
        r4, r5, r6, r7 = w_t[row0 + k + 4], w_t[row0 + k + 5], w_t[row0 + k + 6], w_t[row0 + k + 7]
        for g in range(G):
            a = acc[g]
            a += r0[g] * v0
            a += r1[g] * v1
            a += r2[g] * v2
            a += r3[g] * v3
            a += r4[g] * v4
            a += r5[g] * v5
            a += r6[g] * v6
            a += r7[g] * v7
            acc[g] = a
        k += 8
    while k < n:
        vk = v[k]
        row = w_t[row0 + k]
        for g in range(G):
            acc[g] += row[g] * vk
        k += 1


@njit(**KERNEL_OPTIONS)
def _pool_step(h, t, pooling, pool):
    """Fold the top layer's output ``h`` at valid step ``t`` into ``pool`` (mean: a sum)."""
    if pooling == POOL_MAX:
        for j in range(h.shape[0]):
            pool[j] = h[j] if t == 0 else max(pool[j], h[j])
    elif pooling == POOL_MEAN:
        for j in range(h.shape[0]):
            pool[j] = h[j] if t == 0 else pool[j] + h[j]


@njit(**KERNEL_OPTIONS)
def _pooled(h, pooling, pool, length):
    """The dense layer's input: the last state, or the pooled outputs of ``length`` steps."""
    if pooling == POOL_LAST:
        return h
    if pooling == POOL_MEAN:
        n = pool.dtype.type(length)
        for j in range(pool.shape[0]):
            pool[j] = pool[j] / n
    return pool


@njit(**KERNEL_OPTIONS)
def _dense(h, dense, out_row):
    """``out_row = weight @ h + bias``; ``dense`` holds weight (O, H) then bias (O,)."""
    O = out_row.shape[0]
    H = h.shape[0]
    for o in range(O):
        s = dense[O * H + o]
        for k in range(H):
            s += dense[o * H + k] * h[k]
        out_row[o] = s


@njit(**KERNEL_OPTIONS)
def lstm_last_state(x, lengths, w_t, bias_ih, bias_hh, pooling, dense, out):
    """LSTM stack + dense on each sample's state after its last valid step (or on its
    top-layer outputs pooled over the valid steps).

    Parameters
    ----------
    x : ndarray of shape (B, T, I)
    lengths : ndarray of int64 of shape (B,)
        Valid steps per sample, 1..T.
    w_t, bias_ih, bias_hh : ndarray
        The stack's weights from :func:`stack_weights` (gates i, f, g, o).
    pooling : int
        POOL_LAST, POOL_MEAN or POOL_MAX.
    dense : ndarray of shape (O * H + O,)
        The output layer's flat parameters.
    out : ndarray of shape (B, O), output
    """
    B, T, I = x.shape
    num_layers, G = bias_ih.shape
    H = G // 4
    dt = x.dtype
    seq = np.empty((T, H), dtype=dt)  # layer l-1's outputs, overwritten step by step by layer l's
    h = np.empty(H, dtype=dt)
    c = np.empty(H, dtype=dt)
    pre = np.empty(G, dtype=dt)
    gate = pre.reshape((4, H))
    pool = np.empty(H, dtype=dt)
    for b in range(B):
        for layer in range(num_layers):
            h[:] = 0
            c[:] = 0
            for t in range(lengths[b]):
                for g in range(G):
                    pre[g] = bias_ih[layer, g] + bias_hh[layer, g]
                _accumulate(w_t[layer], FIRST_ROW, h, pre)
                _accumulate(w_t[layer], H, x[b, t] if layer == 0 else seq[t], pre)
                for j in range(H):
                    gate[0, j] = sigmoid(gate[0, j])
                for j in range(H):
                    gate[1, j] = sigmoid(gate[1, j])
                for j in range(H):
                    gate[2, j] = tanh(gate[2, j])
                for j in range(H):
                    gate[3, j] = sigmoid(gate[3, j])
                for j in range(H):
                    c[j] = gate[1, j] * c[j] + gate[0, j] * gate[2, j]
                for j in range(H):
                    h[j] = gate[3, j] * tanh(c[j])
                if layer + 1 < num_layers:
                    for j in range(H):
                        seq[t, j] = h[j]
                else:
                    _pool_step(h, t, pooling, pool)
        _dense(_pooled(h, pooling, pool, lengths[b]), dense, out[b])


@njit(**KERNEL_OPTIONS)
def gru_last_state(x, lengths, w_t, bias_ih, bias_hh, pooling, dense, out):
    """GRU stack + dense on each sample's last valid state (gates r, z, n); as
    :func:`lstm_last_state`."""
    B, T, I = x.shape
    num_layers, G = bias_ih.shape
    H = G // 3
    dt = x.dtype
    one = dt.type(1.0)
    seq = np.empty((T, H), dtype=dt)
    h = np.empty(H, dtype=dt)
    from_x = np.empty(G, dtype=dt)
    from_h = np.empty(G, dtype=dt)
    gx = from_x.reshape((3, H))
    gh = from_h.reshape((3, H))
    pool = np.empty(H, dtype=dt)
    for b in range(B):
        for layer in range(num_layers):
            h[:] = 0
            for t in range(lengths[b]):
                for g in range(G):
                    from_x[g] = bias_ih[layer, g]
                for g in range(G):
                    from_h[g] = bias_hh[layer, g]
                _accumulate(w_t[layer], H, x[b, t] if layer == 0 else seq[t], from_x)
                _accumulate(w_t[layer], FIRST_ROW, h, from_h)
                for j in range(H):
                    gx[0, j] = sigmoid(gx[0, j] + gh[0, j])  # r
                for j in range(H):
                    gx[1, j] = sigmoid(gx[1, j] + gh[1, j])  # z
                for j in range(H):
                    gx[2, j] = tanh(gx[2, j] + gx[0, j] * gh[2, j])  # n
                for j in range(H):
                    h[j] = (one - gx[1, j]) * gx[2, j] + gx[1, j] * h[j]
                if layer + 1 < num_layers:
                    for j in range(H):
                        seq[t, j] = h[j]
                else:
                    _pool_step(h, t, pooling, pool)
        _dense(_pooled(h, pooling, pool, lengths[b]), dense, out[b])


@njit(**KERNEL_OPTIONS)
def rnn_last_state(x, lengths, w_t, bias_ih, bias_hh, nonlinearity, pooling, dense, out):
    """Elman RNN stack (0 tanh, 1 relu) + dense on each sample's last valid state; as
    :func:`lstm_last_state`."""
    B, T, I = x.shape
    num_layers, H = bias_ih.shape
    dt = x.dtype
    seq = np.empty((T, H), dtype=dt)
    h = np.empty(H, dtype=dt)
    pre = np.empty(H, dtype=dt)
    pool = np.empty(H, dtype=dt)
    for b in range(B):
        for layer in range(num_layers):
            h[:] = 0
            for t in range(lengths[b]):
                for j in range(H):
                    pre[j] = bias_ih[layer, j] + bias_hh[layer, j]
                _accumulate(w_t[layer], FIRST_ROW, h, pre)
                _accumulate(w_t[layer], H, x[b, t] if layer == 0 else seq[t], pre)
                if nonlinearity == TANH:
                    for j in range(H):
                        h[j] = tanh(pre[j])
                else:
                    for j in range(H):
                        h[j] = relu(pre[j])
                if layer + 1 < num_layers:
                    for j in range(H):
                        seq[t, j] = h[j]
                else:
                    _pool_step(h, t, pooling, pool)
        _dense(_pooled(h, pooling, pool, lengths[b]), dense, out[b])


# Status codes of the checked kernels below.
PREDICTED = 0
INPUT_OUT_OF_RANGE = 1  # NaN, inf or |x| > limit: the caller's full validation explains it
OUTPUT_NOT_FINITE = 2
STALE_WEIGHTS = 3  # the parameters changed since the transposed copy was made: rebuild it


@njit(**KERNEL_OPTIONS)
def _within(x, limit):
    """Whether every value of ``x`` (C-contiguous) is finite with ``|v| <= limit``."""
    flat = x.reshape(-1)
    ok = True
    for i in range(flat.shape[0]):
        ok &= abs(flat[i]) <= limit  # False for NaN
    return ok


@njit(**KERNEL_OPTIONS)
def _finite(out):
    flat = out.reshape(-1)
    ok = True
    for i in range(flat.shape[0]):
        ok &= np.isfinite(flat[i])
    return ok


# The target scaling of a regressor, compiled without fastmath: no fused multiply-add, so
# it rounds exactly as NumPy's ``out * scale + shift`` in float64 (the batch path).
@njit(**{**KERNEL_OPTIONS, "fastmath": False})
def _affine(out, scale, shift, dest):
    """``dest = float64(out) * scale + shift`` row by row; nothing when ``dest`` has no rows."""
    if dest.shape[0] == 0:
        return
    for b in range(out.shape[0]):
        for o in range(out.shape[1]):
            dest[b, o] = np.float64(out[b, o]) * scale[o] + shift[o]


# One compiled call per predict for a few full-length samples: the input check, the
# network, the output check and a regressor's target scaling cost less inside than as
# separate NumPy calls (each a few microseconds, like the kernel itself at H=32). One
# function per cell, so a model compiles only its own kernel.
@njit(**KERNEL_OPTIONS)
def lstm_predict_checked(x, params, snapshot, w_t, bias_ih, bias_hh, nonlinearity, pooling, dense, out, limit, scale,
                         shift, dest):
    """:func:`lstm_last_state` on full-length samples, between checks of ``x`` and
    ``out``, then ``dest = out * scale + shift`` (float64; skipped when ``dest`` has no
    rows); returns PREDICTED, STALE_WEIGHTS (``params`` differ from the ``snapshot``
    that ``w_t`` and the biases were made from), INPUT_OUT_OF_RANGE (``out`` untouched
    in both cases) or OUTPUT_NOT_FINITE. ``nonlinearity`` is unused (the three checked
    kernels share one signature)."""
    if not same_values(snapshot, params):
        return STALE_WEIGHTS
    if not _within(x, limit):
        return INPUT_OUT_OF_RANGE
    lstm_last_state(x, np.full(x.shape[0], x.shape[1], np.int64), w_t, bias_ih, bias_hh, pooling, dense, out)
    if not _finite(out):
        return OUTPUT_NOT_FINITE
    _affine(out, scale, shift, dest)
    return PREDICTED


@njit(**KERNEL_OPTIONS)
def gru_predict_checked(x, params, snapshot, w_t, bias_ih, bias_hh, nonlinearity, pooling, dense, out, limit, scale,
                        shift, dest):
    """As :func:`lstm_predict_checked`, for :func:`gru_last_state`."""
    if not same_values(snapshot, params):
        return STALE_WEIGHTS
    if not _within(x, limit):
        return INPUT_OUT_OF_RANGE
    gru_last_state(x, np.full(x.shape[0], x.shape[1], np.int64), w_t, bias_ih, bias_hh, pooling, dense, out)
    if not _finite(out):
        return OUTPUT_NOT_FINITE
    _affine(out, scale, shift, dest)
    return PREDICTED


@njit(**KERNEL_OPTIONS)
def rnn_predict_checked(x, params, snapshot, w_t, bias_ih, bias_hh, nonlinearity, pooling, dense, out, limit, scale,
                        shift, dest):
    """As :func:`lstm_predict_checked`, for :func:`rnn_last_state`."""
    if not same_values(snapshot, params):
        return STALE_WEIGHTS
    if not _within(x, limit):
        return INPUT_OUT_OF_RANGE
    rnn_last_state(x, np.full(x.shape[0], x.shape[1], np.int64), w_t, bias_ih, bias_hh, nonlinearity, pooling, dense,
                   out)
    if not _finite(out):
        return OUTPUT_NOT_FINITE
    _affine(out, scale, shift, dest)
    return PREDICTED


NO_AFFINE = {np.dtype(dt): (np.ones(0, dt), np.zeros(0, dt), np.empty((0, 0))) for dt in (np.float32, np.float64)}

# The checked kernel of each cell (one signature) and the nonlinearity codes they take.
CHECKED_KERNELS = {"lstm": lstm_predict_checked, "gru": gru_predict_checked, "rnn": rnn_predict_checked}
NONLINEARITIES = {"tanh": TANH, "relu": RELU}


def predict_last_checked(cell, nonlinearity, x, params, weights, dense, out, limit, pooling="last", affine=None):
    """Checked whole-network predict of full-length samples ``x`` (B, T, I),
    C-contiguous in the weights' dtype; writes ``out`` (B, O) and returns a status code
    (PREDICTED, STALE_WEIGHTS, INPUT_OUT_OF_RANGE or OUTPUT_NOT_FINITE).

    ``params``: the stack's flat parameters now; ``weights``: ``(snapshot, w_t,
    bias_ih, bias_hh)``, a copy of the parameters and what :func:`stack_weights` made
    of it (the compiled call compares the two instead of a separate check: one call a
    predict). ``pooling``: "last", "mean" or "max" (LastStepHead's). ``affine``:
    (scale (O,), shift (O,), dest (B, O) float64) to also write ``dest = out * scale +
    shift`` (a regressor's targets; scale and shift in the dtype the regressor keeps
    them in: its targets', so float64 targets give a second signature)."""
    scale, shift, dest = NO_AFFINE[x.dtype] if affine is None else affine
    return CHECKED_KERNELS[cell](x, params, *weights, NONLINEARITIES[nonlinearity], POOLINGS[pooling], dense,
                                 out, limit, scale, shift, dest)


def predict_last(cell, nonlinearity, x, lengths, weights, dense, out, pooling="last"):
    """Run the kernel of ``cell`` ("lstm", "gru", "rnn"; ``nonlinearity`` "tanh"/"relu"
    for "rnn") with ``weights`` from :func:`stack_weights`; writes ``out`` (B, O).
    ``pooling``: "last", "mean" or "max" over each sample's valid steps."""
    w_t, bias_ih, bias_hh = weights
    pool = POOLINGS[pooling]
    if cell == "lstm":
        lstm_last_state(x, lengths, w_t, bias_ih, bias_hh, pool, dense, out)
    elif cell == "gru":
        gru_last_state(x, lengths, w_t, bias_ih, bias_hh, pool, dense, out)
    else:
        rnn_last_state(x, lengths, w_t, bias_ih, bias_hh, RELU if nonlinearity == "relu" else TANH, pool, dense, out)
