"""One recurrent layer on a CUDA GPU: the host side of the kernels.

Mirrors :mod:`tsrnn.kernels.cpu.layers`: each cell class has ``forward(x, w_ih, w_hh,
b_ih, b_hh, h0, c0, lengths, nonlinearity, need_cache)`` -> ``(y, h_n, c_n, cache)`` and
``backward(dy, dh_n, dc_n, cache, w_ih, w_hh, grads, nonlinearity, need_dx)`` ->
``(dx, dh0, dc0)``, with the same shapes and meanings. Differences:

* activations (``x``, ``h0``, ``c0``, ``lengths``, ``dy``, ``dh_n``, ``dc_n`` and every
  returned array) are numba device arrays (host numpy arrays are accepted and copied
  to the device);
* the weights are host numpy arrays (PyTorch layout, as on the CPU); ``forward``
  uploads them once in the layouts the kernels read (:func:`prepare_weights`) and keeps
  them in the cache for ``backward``. A caller that already holds a
  :class:`DeviceWeights` passes it as ``dev_weights`` and nothing is uploaded;
* ``grads`` (host numpy arrays ``gw_ih, gw_hh, gb_ih, gb_hh``) are written from the
  device (weight gradients are tiled GEMMs, :mod:`.gemm`);
* ``ws``: an optional :class:`Workspace`. Without one every call allocates its outputs
  and scratch buffers (``cudaMalloc``/``cudaFree`` each time, which costs more than the
  kernels on small batches); with one, buffers of the same role and shape are reused
  from call to call, so the arrays a call returns (and its cache) are valid only until
  the next call of the same kind with the same workspace.
"""

import collections
import functools

import numpy as np
from numba import config, cuda

from . import gemm
from . import gru as _gru
from . import lstm as _lstm
from . import rnn as _rnn
from .workspace import Workspace, empty as _empty, upload, zeros  # noqa: F401 (Workspace, zeros: re-exported)

# Threads per block of the recurrent kernels and the shared memory they may use.
# 256 threads / 48 KiB work on every GPU numba supports; tune with benchmarks/bench_gpu.py.
MAX_THREADS = 256
SHARED_LIMIT = 48 * 1024


@functools.lru_cache(maxsize=None)
def _sm_count():
    if config.ENABLE_CUDASIM:
        return 0  # the simulator: no spreading, keep whole batches in few blocks
    try:
        return int(cuda.get_current_device().MULTIPROCESSOR_COUNT)
    except Exception:
        return 80


def recurrent_launch(B, H, n_state, itemsize):
    """``(grid, block, shared_bytes)`` for a recurrent kernel over B sequences of H units.

    A block holds ``R`` rows (sequences) x ``TX`` threads; thread ``tx`` owns units
    ``tx, tx + TX, ...`` of its row. ``n_state`` is the number of (R, H) arrays the kernel
    keeps in dynamic shared memory. Rows per block shrink so that the batch spreads over
    at least two blocks per multiprocessor when it is large enough.
    """
    if H <= 32:
        TX = min(H, MAX_THREADS)
    else:
        TX = min(-(-H // 32) * 32, MAX_THREADS)
    R = max(1, min(B, MAX_THREADS // TX))
    nsm = _sm_count()
    if nsm:
        R = min(R, max(1, B // (2 * nsm)))
    while R > 1 and n_state * R * H * itemsize > SHARED_LIMIT:
        R -= 1
    shared = n_state * R * H * itemsize
    if shared > SHARED_LIMIT:
        raise ValueError(
            f"hidden_size={H} needs {shared} bytes of shared memory per sequence in the CUDA kernels "
            f"(limit {SHARED_LIMIT}); use device='cpu' or a smaller hidden_size"
        )
    return -(-B // R), (TX, R), shared


DeviceWeights = collections.namedtuple("DeviceWeights", "w_t bias w_hh w_ih")
DeviceWeights.__doc__ = """A layer's weights on the device, in the layouts the kernels read:
``w_t = [W_hh, W_ih].T`` (H + I, G*H); ``bias`` (rows, H) as the CPU kernels combine it;
``w_hh`` (G*H, H) and ``w_ih`` (G*H, I) as given (for dh and dx)."""


def _merged(w_ih, w_hh):
    H = w_hh.shape[1]
    w_t = np.empty((H + w_ih.shape[1], w_hh.shape[0]), dtype=w_hh.dtype)
    w_t[:H] = w_hh.T
    w_t[H:] = w_ih.T
    return w_t


def _bias(cell, b_ih, b_hh, H):
    if cell == "gru":
        bias = np.empty((4, H), dtype=b_ih.dtype)
        np.add(b_ih[: 2 * H], b_hh[: 2 * H], out=bias[:2].reshape(-1))
        bias[2] = b_ih[2 * H :]
        bias[3] = b_hh[2 * H :]
        return bias
    return (b_ih + b_hh).reshape(-1, H)


def prepare_weights(cell, w_ih, w_hh, b_ih, b_hh):
    """Upload one layer's weights (host numpy, PyTorch layout) as a :class:`DeviceWeights`."""
    H = w_hh.shape[1]
    return DeviceWeights(
        cuda.to_device(_merged(w_ih, w_hh)),
        cuda.to_device(np.ascontiguousarray(_bias(cell, b_ih, b_hh, H))),
        cuda.to_device(np.ascontiguousarray(w_hh)),
        cuda.to_device(np.ascontiguousarray(w_ih)),
    )


@functools.lru_cache(maxsize=None)
def _dummies(dtype):
    """Small device arrays standing in for the cache outputs of inference launches."""
    dt = np.dtype(dtype)
    return cuda.device_array((1, 1, 1), dt), cuda.device_array((1, 1, 1, 1), dt)


def _weight_grads(dg_in, dg_rec, x, h0, y, grads, T, ws=None):
    """Write ``gw_ih, gw_hh, gb_ih, gb_hh`` (host arrays) from pre-activation gradients
    (device, shape (B*T, G*H)); ``h_{t-1}`` is h0 then y shifted (see :mod:`.gemm`)."""
    gw_ih, gw_hh, gb_ih, gb_hh = grads
    N, G = dg_in.shape
    I = x.shape[2]
    H = y.shape[2]
    dt = dg_in.dtype
    o_ih = _empty(ws, "o_ih", (G, I + 1), dt)
    gemm.weight_grad(dg_in, x.reshape(N, I), h0, T, False, o_ih, ws, "partial_ih")
    o_hh = _empty(ws, "o_hh", (G, H + 1), dt)
    gemm.weight_grad(dg_rec, y.reshape(N, H), h0, T, True, o_hh, ws, "partial_hh")
    h_ih = o_ih.copy_to_host()
    h_hh = o_hh.copy_to_host()
    gw_ih[...] = h_ih[:, :I]
    gb_ih[...] = h_ih[:, I]
    gw_hh[...] = h_hh[:, :H]
    gb_hh[...] = h_hh[:, H] if dg_rec is not dg_in else h_ih[:, I]


def _input_grad(dg, w_ih, B, T, ws=None):
    N, _ = dg.shape
    dx = _empty(ws, "dx", (N, w_ih.shape[1]), dg.dtype)
    gemm.matmul(dg, w_ih, dx)
    return dx.reshape(B, T, w_ih.shape[1])


class LSTMLayer:
    """LSTM layer ops on the GPU (gates i, f, g, o)."""

    n_gates = 4
    has_cell_state = True

    @staticmethod
    def forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, nonlinearity=None, need_cache=True, dev_weights=None,
                ws=None):
        x, h0, c0, lengths = upload(x), upload(h0), upload(c0), upload(lengths)
        B, T, _ = x.shape
        H = h0.shape[1]
        dt = np.dtype(x.dtype)
        dw = dev_weights if dev_weights is not None else prepare_weights("lstm", w_ih, w_hh, b_ih, b_hh)
        fwd, _ = _lstm.kernels(dt.name, H, x.shape[2])
        y = _empty(ws, "y", (B, T, H), dt)
        h_n = _empty(ws, "h_n", (B, H), dt)
        c_n = _empty(ws, "c_n", (B, H), dt)
        if need_cache:
            c_seq = _empty(ws, "c_seq", (B, T, H), dt)
            gates = _empty(ws, "gates", (B, T, 4, H), dt)
        else:
            c_seq, gates = _dummies(dt.name)
        grid, block, shared = recurrent_launch(B, H, 3, dt.itemsize)
        fwd[grid, block, 0, shared](x, dw.w_t, dw.bias, h0, c0, lengths, need_cache, y, c_seq, gates, h_n, c_n)
        cache = (x, h0, c0, lengths, y, c_seq, gates, dw) if need_cache else None
        return y, h_n, c_n, cache

    @staticmethod
    def backward(dy, dh_n, dc_n, cache, w_ih, w_hh, grads, nonlinearity=None, need_dx=True, ws=None):
        x, h0, c0, lengths, y, c_seq, gates, dw = cache
        dy, dh_n, dc_n = upload(dy), upload(dh_n), upload(dc_n)
        B, T, _, H = gates.shape
        dt = np.dtype(gates.dtype)
        _, bwd = _lstm.kernels(dt.name, H, x.shape[2])
        dg = _empty(ws, "dg", (B, T, 4, H), dt)
        dh0 = _empty(ws, "dh0", (B, H), dt)
        dc0 = _empty(ws, "dc0", (B, H), dt)
        grid, block, shared = recurrent_launch(B, H, 2, dt.itemsize)
        bwd[grid, block, 0, shared](dy, dh_n, dc_n, gates, c_seq, c0, lengths, dw.w_hh, dg, dh0, dc0)
        dg2 = dg.reshape(B * T, 4 * H)
        _weight_grads(dg2, dg2, x, h0, y, grads, T, ws)
        dx = _input_grad(dg2, dw.w_ih, B, T, ws) if need_dx else None
        return dx, dh0, dc0


class GRULayer:
    """GRU layer ops on the GPU (gates r, z, n as PyTorch)."""

    n_gates = 3
    has_cell_state = False

    @staticmethod
    def forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, nonlinearity=None, need_cache=True, dev_weights=None,
                ws=None):
        x, h0, lengths = upload(x), upload(h0), upload(lengths)
        B, T, _ = x.shape
        H = h0.shape[1]
        dt = np.dtype(x.dtype)
        dw = dev_weights if dev_weights is not None else prepare_weights("gru", w_ih, w_hh, b_ih, b_hh)
        fwd, _ = _gru.kernels(dt.name, H, x.shape[2])
        y = _empty(ws, "y", (B, T, H), dt)
        h_n = _empty(ws, "h_n", (B, H), dt)
        if need_cache:
            ghn = _empty(ws, "ghn", (B, T, H), dt)
            gates = _empty(ws, "gates", (B, T, 3, H), dt)
        else:
            ghn, gates = _dummies(dt.name)
        grid, block, shared = recurrent_launch(B, H, 2, dt.itemsize)
        fwd[grid, block, 0, shared](x, dw.w_t, dw.bias, h0, lengths, need_cache, y, gates, ghn, h_n)
        cache = (x, h0, lengths, y, gates, ghn, dw) if need_cache else None
        return y, h_n, None, cache

    @staticmethod
    def backward(dy, dh_n, dc_n, cache, w_ih, w_hh, grads, nonlinearity=None, need_dx=True, ws=None):
        x, h0, lengths, y, gates, ghn, dw = cache
        dy, dh_n = upload(dy), upload(dh_n)
        B, T, _, H = gates.shape
        dt = np.dtype(gates.dtype)
        _, bwd = _gru.kernels(dt.name, H, x.shape[2])
        dgx = _empty(ws, "dgx", (B, T, 3, H), dt)
        dgh = _empty(ws, "dgh", (B, T, 3, H), dt)
        dh0 = _empty(ws, "dh0", (B, H), dt)
        grid, block, shared = recurrent_launch(B, H, 1, dt.itemsize)
        bwd[grid, block, 0, shared](dy, dh_n, gates, ghn, h0, y, lengths, dw.w_hh, dgx, dgh, dh0)
        dgx2 = dgx.reshape(B * T, 3 * H)
        _weight_grads(dgx2, dgh.reshape(B * T, 3 * H), x, h0, y, grads, T, ws)
        dx = _input_grad(dgx2, dw.w_ih, B, T, ws) if need_dx else None
        return dx, dh0, None


class RNNLayer:
    """Elman RNN layer ops on the GPU (tanh or relu)."""

    n_gates = 1
    has_cell_state = False
    NONLINEARITIES = {"tanh": _rnn.TANH, "relu": _rnn.RELU}

    @staticmethod
    def forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, nonlinearity="tanh", need_cache=True, dev_weights=None,
                ws=None):
        x, h0, lengths = upload(x), upload(h0), upload(lengths)
        B, T, _ = x.shape
        H = h0.shape[1]
        dt = np.dtype(x.dtype)
        code = RNNLayer.NONLINEARITIES[nonlinearity]
        dw = dev_weights if dev_weights is not None else prepare_weights("rnn", w_ih, w_hh, b_ih, b_hh)
        fwd, _ = _rnn.kernels(dt.name, H, x.shape[2])
        y = _empty(ws, "y", (B, T, H), dt)
        h_n = _empty(ws, "h_n", (B, H), dt)
        grid, block, shared = recurrent_launch(B, H, 2, dt.itemsize)
        fwd[grid, block, 0, shared](x, dw.w_t, dw.bias, h0, lengths, code, y, h_n)
        cache = (x, h0, lengths, y, dw) if need_cache else None
        return y, h_n, None, cache

    @staticmethod
    def backward(dy, dh_n, dc_n, cache, w_ih, w_hh, grads, nonlinearity="tanh", need_dx=True, ws=None):
        x, h0, lengths, y, dw = cache
        dy, dh_n = upload(dy), upload(dh_n)
        B, T, H = y.shape
        dt = np.dtype(y.dtype)
        code = RNNLayer.NONLINEARITIES[nonlinearity]
        _, bwd = _rnn.kernels(dt.name, H, x.shape[2])
        dg = _empty(ws, "dg", (B, T, H), dt)
        dh0 = _empty(ws, "dh0", (B, H), dt)
        grid, block, shared = recurrent_launch(B, H, 1, dt.itemsize)
        bwd[grid, block, 0, shared](dy, dh_n, y, lengths, code, dw.w_hh, dg, dh0)
        dg2 = dg.reshape(B * T, H)
        _weight_grads(dg2, dg2, x, h0, y, grads, T, ws)
        dx = _input_grad(dg2, dw.w_ih, B, T, ws) if need_dx else None
        return dx, dh0, None


LAYERS = {"lstm": LSTMLayer, "gru": GRULayer, "rnn": RNNLayer}
