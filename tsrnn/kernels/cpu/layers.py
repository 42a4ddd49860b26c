"""One recurrent layer on the CPU: the GEMMs around the sequential kernels.

Each cell class turns a layer's weights and input into outputs and a cache
(``forward``), and a cache plus output gradients into input, initial-state and
weight gradients (``backward``). The input projection for all time steps and
every weight gradient are single BLAS calls; only the recurrence runs in Numba.

Weight shapes follow PyTorch: ``w_ih`` (G*H, I), ``w_hh`` (G*H, H), ``b_ih`` and
``b_hh`` (G*H,), with G = 4 (LSTM), 3 (GRU) or 1 (RNN).
"""

import concurrent.futures
import os
import threading

import numba
import numpy as np

from . import gru as _gru
from . import lstm as _lstm
from . import rnn as _rnn
from ._blas import single_threaded_blas
from ._denormals import fp_control, set_fp_control


def batch_chunk(batch_size):
    """Samples per parallel task for a batch; depends on the batch size only.

    Keeping it independent of the thread count makes every result bitwise
    identical whatever ``numba.set_num_threads`` says.
    """
    # Up to 32 rows: one task; up to 64: tasks of 32. Larger: four tasks of 32 to 128
    # rows. The per-step GEMM gets faster with more rows (OpenBLAS sgemm at K=40..136:
    # ~30 GFLOP/s with 16 rows, ~45 with 32, ~55 with 64 and more) and each task reads
    # all the recurrent weights every step, so at B=32 two tasks of 16 rows were
    # 10-30% slower on one thread and no faster on two (2026-12-07, every cell, H 32
    # and 128); four tasks of B/4 rows still share two cores evenly.
    if batch_size <= 32:
        return batch_size
    if batch_size <= 64:
        return 32
    return min(128, max(32, -(-batch_size // 4)))


# A product smaller than this runs as one BLAS call (a thread hand-off costs more).
GEMM_SPLIT_FLOPS = 4_000_000
GEMM_ALIGN = 16


class Workspace:
    """Scratch arrays of one layer, reused from one training pass to the next.

    A training pass writes megabytes of activations and gradients (gates, cell
    states, pre-activation gradients). Fresh arrays of that size come from the
    operating system page by page on first touch: ~1400 page faults per GRU training
    step at batch 256; reusing the buffers measured 1.0-1.2x faster (never slower,
    2026-12-07, A/B in one process). A pass reuses the buffers of the
    previous one (the forward cache is only read by the next ``backward``, and a new
    forward replaces it anyway); arrays handed back to the caller (outputs, input
    gradients) are never taken from here.
    """

    __slots__ = ("_buffers",)

    def __init__(self):
        self._buffers = {}

    def buffer(self, name, shape, dtype):
        """An uninitialised C-contiguous array of ``shape``, the buffer ``name`` reused
        when it holds enough elements of ``dtype``."""
        dtype = np.dtype(dtype)
        size = 1
        for n in shape:
            size *= int(n)
        buf = self._buffers.get(name)
        if buf is None or buf.dtype != dtype or buf.size < size:
            buf = self._buffers[name] = np.empty(size, dtype)
        return buf[:size].reshape(shape)


def _scratch(ws, name, shape, dtype):
    """``np.empty(shape, dtype)``, or the workspace's buffer ``name`` when there is one."""
    return np.empty(shape, dtype) if ws is None else ws.buffer(name, shape, dtype)


_pool = None
_pool_lock = threading.Lock()


def _thread_pool():
    global _pool
    if _pool is None:
        with _pool_lock:  # ensemble members in threads may ask first at the same time
            if _pool is None:
                _pool = concurrent.futures.ThreadPoolExecutor(max(1, numba.config.NUMBA_NUM_THREADS - 1))
    return _pool


def _forget_pool_after_fork():
    # A forked child inherits the executor without its threads: work submitted there would never run.
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _run_tasks(tasks):
    """Run ``(function, *args)`` tasks on up to ``numba.get_num_threads()`` threads
    (this one included), contiguous groups of tasks per thread, and wait for all."""
    n = min(numba.get_num_threads(), len(tasks))  # (run_chunks runs a single chunk itself)
    if n <= 1:
        for fn, *args in tasks:
            fn(*args)
        return

    def group(i):
        for fn, *args in tasks[len(tasks) * i // n : len(tasks) * (i + 1) // n]:
            fn(*args)

    control = fp_control()  # the caller's denormal handling, for every thread (same results wherever a task runs)

    def pooled_group(i):
        previous = fp_control()
        set_fp_control(control)
        try:
            group(i)
        finally:
            set_fp_control(previous)

    futures = [_thread_pool().submit(pooled_group, i) for i in range(1, n)]
    group(0)
    for f in futures:
        f.result()


def gemm_blocks(n, flops):
    """Ranges of ``n`` (rows, or the inner dimension) a product of ``flops`` is cut
    into; they depend on the shapes only.

    Returns
    -------
    list of (start, stop)
        One range below ``GEMM_SPLIT_FLOPS``; else up to four, aligned to 16.
    """
    k = min(4, n // GEMM_ALIGN, int(flops // GEMM_SPLIT_FLOPS))
    if k <= 1:
        return [(0, n)]
    step = -(-n // k)
    step = -(-step // GEMM_ALIGN) * GEMM_ALIGN
    return [(lo, min(n, lo + step)) for lo in range(0, n, step)]


def gemm(a, b, out=None):
    """``a @ b`` into ``out``, bitwise the same whatever the thread counts.

    OpenBLAS's own threading splits the inner dimension of some products (e.g. the
    weight gradients, whose inner dimension is batch x time), which changes their
    rounding with the thread count. Here BLAS runs single-threaded on blocks chosen
    from the shapes alone (:func:`gemm_blocks`), run in parallel on the kernels'
    thread pool: row blocks when ``a`` is C-contiguous, else (``a`` a transposed
    view, as in the weight gradients) blocks of the inner dimension whose partial
    products are summed in a fixed order.

    Parameters
    ----------
    a : ndarray of shape (M, K)
        C-contiguous, or the transpose of a C-contiguous (K, M) array.
    b : ndarray of shape (K, N)
    out : ndarray of shape (M, N), C-contiguous, optional
        Allocated (dtype of ``a @ b``) when not given.

    Returns
    -------
    out : ndarray of shape (M, N)
    """
    M, K = a.shape
    if out is None:
        out = np.empty((M, b.shape[1]), dtype=np.result_type(a, b))
    flops = 2 * M * K * b.shape[1]
    rows = a.flags.c_contiguous
    blocks = gemm_blocks(M if rows else K, flops)
    with single_threaded_blas():
        if len(blocks) == 1:
            np.dot(a, b, out=out)
        elif rows:
            _run_tasks([(np.dot, a[lo:hi], b, out[lo:hi]) for lo, hi in blocks])
        else:
            parts = np.empty((len(blocks),) + out.shape, dtype=out.dtype)
            _run_tasks([(np.dot, a[:, lo:hi], b[lo:hi], parts[i]) for i, (lo, hi) in enumerate(blocks)])
            np.copyto(out, parts[0])
            for part in parts[1:]:
                out += part
    return out


def run_chunks(kernel, batch_size, head, tail):
    """``kernel(*head, lo, hi, chunk, *tail)`` over the batch, on up to
    ``numba.get_num_threads()`` threads.

    The batch is cut into chunks of ``batch_chunk(batch_size)`` rows; each thread runs
    a contiguous group of whole chunks (the kernels release the GIL). A chunk's result
    does not depend on which thread ran it, so results are bitwise identical for any
    thread count. BLAS is capped at one thread meanwhile (the kernels call it per step).
    """
    chunk = batch_chunk(batch_size)
    if chunk >= batch_size:  # one chunk (batches up to 32): on this thread, without the task list
        with single_threaded_blas():
            kernel(*head, 0, batch_size, chunk, *tail)
        return
    n_chunks = -(-batch_size // chunk)
    n = min(numba.get_num_threads(), n_chunks)
    bounds = [min(batch_size, (n_chunks * i // n) * chunk) for i in range(n + 1)]
    with single_threaded_blas():
        _run_tasks([(kernel, *head, bounds[i], bounds[i + 1], chunk, *tail) for i in range(n)])


def _project(x, w_ih, ws=None):
    """``x @ w_ih.T`` for all steps at once: (B, T, I) -> (B, T, G*H) (biases go in the kernel)."""
    B, T, I = x.shape
    out = _scratch(ws, "projection", (B * T, w_ih.shape[0]), np.result_type(x, w_ih))
    return gemm(x.reshape(B * T, I), w_ih.T, out).reshape(B, T, -1)


def _merged_weights(w_ih, w_hh):
    """``[w_hh, w_ih].T``, shape (H + I, G*H): one per-step GEMM does the recurrent and
    the input product of ``[h_{t-1}, x_t]``."""
    H = w_hh.shape[1]
    w_t = np.empty((H + w_ih.shape[1], w_hh.shape[0]), dtype=w_hh.dtype)
    w_t[:H] = w_hh.T
    w_t[H:] = w_ih.T
    return w_t


def _stacked_rows(w_ih, w_hh, bias):
    """``[w_hh, w_ih, bias]`` side by side, shape (G*H, H + I + 1), for
    :func:`tsrnn.kernels.cpu.lstm.lstm_infer_columns`."""
    H, I = w_hh.shape[1], w_ih.shape[1]
    w = np.empty((w_hh.shape[0], H + I + 1), dtype=w_hh.dtype)
    w[:, :H] = w_hh
    w[:, H:H + I] = w_ih
    w[:, H + I] = bias
    return w


# LSTM inference whose chunks hold at most this many rows (batches up to 128 samples, see
# batch_chunk) with at least COLUMNS_MIN_HIDDEN units runs lstm_infer_columns: 1.3-1.36x
# faster at H=128 for batches of 32-128 (chunks of 32) on one or two threads, with
# OpenBLAS's AVX-512 kernels and with its AVX2 ones; at H=64 1.0x (AVX-512) to 1.2x
# (AVX2); at H=32 0.83x (its per-step product is too small to gain, the strided output
# writes cost), and no faster for the 64-row chunks of larger batches (2026-12-07).
COLUMNS_MAX_ROWS = 32
COLUMNS_MIN_HIDDEN = 64


def _weight_grads(dg_in, dg_rec, x, h0, y, gw_ih, gw_hh, gb_ih, gb_hh, ws=None):
    """Weight and bias gradients as GEMMs over all steps; ``h_{t-1}`` is h0 then y shifted.

    The copy of the previous states gets a column of ones, so the recurrent bias
    gradient (the column sums of the pre-activation gradients) comes out of the same
    product as the recurrent weights' instead of a second pass over megabytes of
    gradients (GRU, batch 256 x 24 steps, H=32: 75 us saved per bias, 2026-12-07).
    LSTM and RNN give both biases that gradient, and their inputs share the
    pre-activation gradients too: the inputs are copied beside the states, and one
    product gives every weight and bias gradient (a second call for the input weights
    cost ~15 us a training step for a small LSTM, 3% of it, 2026-12-07). A GRU's
    input bias has its own gradient, so its inputs are copied with a column of ones
    for a second product. Steps past a sample's length have zero pre-activation
    gradients, so whatever ``y`` holds there adds nothing.
    """
    B, T, G = dg_in.shape
    I, H = x.shape[-1], y.shape[-1]
    dgi = dg_in.reshape(B * T, G)
    dgr = dg_rec.reshape(B * T, G)
    shared = dg_rec is dg_in  # LSTM, RNN
    cols = H + I + 1 if shared else H + 1
    h_prev = _scratch(ws, "h_prev", (B, T, cols), y.dtype)
    h_prev[:, 0, :H] = h0
    h_prev[:, 1:, :H] = y[:, :-1]
    if shared:
        h_prev[..., H:H + I] = x
    h_prev[..., cols - 1] = 1
    both = gemm(dgr.T, h_prev.reshape(B * T, cols))
    gw_hh[...] = both[:, :H]
    gb_hh[...] = both[:, cols - 1]
    if shared:
        gw_ih[...] = both[:, H:H + I]
        gb_ih[...] = gb_hh
        return
    x_ones = _scratch(ws, "x_ones", (B, T, I + 1), x.dtype)
    x_ones[..., :I] = x
    x_ones[..., I] = 1
    both = gemm(dgi.T, x_ones.reshape(B * T, I + 1))
    gw_ih[...] = both[:, :I]
    gb_ih[...] = both[:, I]


def _input_grad(dg_in, w_ih):
    B, T, G = dg_in.shape
    return gemm(dg_in.reshape(B * T, G), w_ih).reshape(B, T, -1)


class LSTMLayer:
    """LSTM layer ops (gates i, f, g, o)."""

    n_gates = 4
    has_cell_state = True

    @staticmethod
    def forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, nonlinearity=None, need_cache=True, ws=None):
        """``need_cache=False``: inference only, no cache is kept (returned as None).
        ``ws``: a :class:`Workspace` for the cache (training passes of one layer)."""
        B, T, _ = x.shape
        H = w_hh.shape[1]
        dt = x.dtype
        y = np.empty((B, T, H), dtype=dt)
        h_n = np.empty((B, H), dtype=dt)
        c_n = np.empty((B, H), dtype=dt)
        if not need_cache and batch_chunk(B) <= COLUMNS_MAX_ROWS and H >= COLUMNS_MIN_HIDDEN:
            w_rows = _stacked_rows(w_ih, w_hh, b_ih + b_hh)
            run_chunks(_lstm.lstm_infer_columns, B, (x, w_rows, h0, c0, lengths), (y, h_n, c_n))
            return y, h_n, c_n, None
        w_t = _merged_weights(w_ih, w_hh)
        bias = (b_ih + b_hh).reshape(4, H)
        if not need_cache:
            run_chunks(_lstm.lstm_infer, B, (x, w_t, bias, h0, c0, lengths), (y, h_n, c_n))
            return y, h_n, c_n, None
        c_seq = _scratch(ws, "c_seq", (B, T, H), dt)
        gates = _scratch(ws, "gates", (B, T, 4, H), dt)
        run_chunks(_lstm.lstm_forward, B, (x, w_t, bias, h0, c0, lengths), (y, c_seq, gates, h_n, c_n))
        cache = (x, h0, c0, lengths, y, c_seq, gates)
        return y, h_n, c_n, cache

    @staticmethod
    def backward(dy, dh_n, dc_n, cache, w_ih, w_hh, grads, nonlinearity=None, need_dx=True, ws=None):
        x, h0, c0, lengths, y, c_seq, gates = cache
        B, T, _, H = gates.shape
        dg = _scratch(ws, "dg", gates.shape, gates.dtype)
        dh0 = np.empty_like(h0)
        dc0 = np.empty_like(c0)
        run_chunks(_lstm.lstm_backward, B, (dy, dh_n, dc_n, gates, c_seq, c0, lengths, w_hh), (dg, dh0, dc0))
        dg = dg.reshape(B, T, 4 * H)
        _weight_grads(dg, dg, x, h0, y, *grads, ws=ws)
        dx = _input_grad(dg, w_ih) if need_dx else None
        return dx, dh0, dc0


class GRULayer:
    """GRU layer ops (gates r, z, n as PyTorch)."""

    n_gates = 3
    has_cell_state = False

    @staticmethod
    def forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, nonlinearity=None, need_cache=True, ws=None):
        """``need_cache=False``: inference only, no cache is kept (returned as None).
        ``ws``: a :class:`Workspace` for the projection and the cache (training passes)."""
        B, T, _ = x.shape
        H = w_hh.shape[1]
        dt = x.dtype
        gx = _project(x, w_ih, ws if need_cache else None).reshape(B, T, 3, H)
        y = np.empty((B, T, H), dtype=dt)
        h_n = np.empty((B, H), dtype=dt)
        w_hh_t = np.ascontiguousarray(w_hh.T)
        bias = np.empty((4, H), dtype=dt)
        np.add(b_ih[: 2 * H], b_hh[: 2 * H], out=bias[:2].reshape(-1))
        bias[2] = b_ih[2 * H :]
        bias[3] = b_hh[2 * H :]
        if not need_cache:
            run_chunks(_gru.gru_infer, B, (gx, w_hh_t, bias, h0, lengths), (y, h_n))
            return y, h_n, None, None
        gates = _scratch(ws, "gates", (B, T, 3, H), dt)
        ghn = _scratch(ws, "ghn", (B, T, H), dt)
        run_chunks(_gru.gru_forward, B, (gx, w_hh_t, bias, h0, lengths), (y, gates, ghn, h_n))
        cache = (x, h0, lengths, y, gates, ghn)
        return y, h_n, None, cache

    @staticmethod
    def backward(dy, dh_n, dc_n, cache, w_ih, w_hh, grads, nonlinearity=None, need_dx=True, ws=None):
        x, h0, lengths, y, gates, ghn = cache
        B, T, _, H = gates.shape
        dgx = _scratch(ws, "dgx", gates.shape, gates.dtype)
        dgh = _scratch(ws, "dgh", gates.shape, gates.dtype)
        dh0 = np.empty_like(h0)
        run_chunks(_gru.gru_backward, B, (dy, dh_n, gates, ghn, h0, y, lengths, w_hh), (dgx, dgh, dh0))
        dgx = dgx.reshape(B, T, 3 * H)
        _weight_grads(dgx, dgh.reshape(B, T, 3 * H), x, h0, y, *grads, ws=ws)
        dx = _input_grad(dgx, w_ih) if need_dx else None
        return dx, dh0, None


class RNNLayer:
    """Elman RNN layer ops (tanh or relu)."""

    n_gates = 1
    has_cell_state = False
    NONLINEARITIES = {"tanh": _rnn.TANH, "relu": _rnn.RELU}

    @staticmethod
    def forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, nonlinearity="tanh", need_cache=True, ws=None):
        """``need_cache=False``: inference only, no cache is kept (returned as None).
        (``ws`` is accepted for a common signature: the cache is the output itself.)"""
        B, T, _ = x.shape
        H = w_hh.shape[1]
        code = RNNLayer.NONLINEARITIES[nonlinearity]
        y = np.empty((B, T, H), dtype=x.dtype)
        h_n = np.empty((B, H), dtype=x.dtype)
        run_chunks(_rnn.rnn_forward, B, (x, _merged_weights(w_ih, w_hh), b_ih + b_hh, h0, lengths, code), (y, h_n))
        cache = (x, h0, lengths, y) if need_cache else None
        return y, h_n, None, cache

    @staticmethod
    def backward(dy, dh_n, dc_n, cache, w_ih, w_hh, grads, nonlinearity="tanh", need_dx=True, ws=None):
        x, h0, lengths, y = cache
        B = x.shape[0]
        code = RNNLayer.NONLINEARITIES[nonlinearity]
        dg = _scratch(ws, "dg", y.shape, y.dtype)
        dh0 = np.empty_like(h0)
        run_chunks(_rnn.rnn_backward, B, (dy, dh_n, y, lengths, code, w_hh), (dg, dh0))
        _weight_grads(dg, dg, x, h0, y, *grads, ws=ws)
        dx = _input_grad(dg, w_ih) if need_dx else None
        return dx, dh0, None


LAYERS = {"lstm": LSTMLayer, "gru": GRULayer, "rnn": RNNLayer}
