"""Compile (or load from the cache) the kernels a fit will use, ahead of time."""

import time

import numpy as np

from ..kernels.cache import cache_stats
from ..kernels.cpu import last_state, layers, lstm
from .optimizers import get_optimizer
from .recurrent import Recurrent


def warmup(cells=("lstm", "gru", "rnn"), dtypes=("float32",)):
    """Run every kernel (training forward/backward, batched inference, the "last"
    head's small-batch predict and the Adam update) of ``cells`` x ``dtypes`` once.

    The first call on a machine compiles and writes Numba's cache (several seconds
    per cell); later processes load it in well under a second. On a Dask cluster,
    ``client.run(warmup)`` readies every worker (see ``tsrnn.distributed``).

    Parameters
    ----------
    cells : sequence of {"lstm", "gru", "rnn"}
    dtypes : sequence of {"float32", "float64"}

    Returns
    -------
    dict
        ``seconds`` per ``"cell/dtype"``, ``compiled`` and ``loaded``: kernel signatures
        compiled in this process vs loaded from the cache so far, and ``cache_dir``.
    """
    seconds = {}
    for cell in cells:
        for dtype in dtypes:
            start = time.perf_counter()
            net = Recurrent(cell, 2, 4, dtype=dtype, random_state=0)
            X = np.zeros((3, 5, 2), dtype=dtype)
            Y, _ = net.forward(X, lengths=[5, 3, 1])  # training kernels
            net.backward(np.ones_like(Y))
            net.forward(X, training=False)  # inference kernels
            if cell == "lstm":  # the column kernel serves larger hidden sizes: compile it here too
                _lstm_columns_inference(net, X)
            _small_batch_predict(net, X)
            get_optimizer("adam").step(net.flat_params.copy(), net.flat_grad)  # the fit loops' default
            seconds[f"{cell}/{dtype}"] = time.perf_counter() - start
    stats = cache_stats()
    cache_dir = stats.pop("cache_dir")
    return {"seconds": seconds, "compiled": sum(s["compiled"] for s in stats.values()),
            "loaded": sum(s["loaded"] for s in stats.values()), "cache_dir": cache_dir}


def _lstm_columns_inference(net, X):
    """``lstm_infer_columns`` (LSTM inference of batches in chunks of at most 32 rows with
    64 or more units) on this small network: its compiled signature does not depend on
    the hidden size."""
    w_ih, w_hh, b_ih, b_hh = net._layer(0, net.weights)
    B, T, _ = X.shape
    H = net.hidden_size
    zeros = np.zeros((B, H), dtype=net.dtype)
    out = (np.empty((B, T, H), dtype=net.dtype), np.empty((B, H), dtype=net.dtype), np.empty((B, H), dtype=net.dtype))
    lstm.lstm_infer_columns(np.ascontiguousarray(X), layers._stacked_rows(w_ih, w_hh, b_ih + b_hh), zeros, zeros,
                            np.full(B, T, dtype=np.int64), 0, B, B, *out)


def _small_batch_predict(net, X):
    """The kernels behind ``LastStepHead.predict`` on a few samples, with the argument
    types it passes (C-contiguous arrays, int64 lengths), so the signatures match."""
    weights = last_state.stack_weights(net.flat_params, net.input_size, net.hidden_size,
                                       net.n_gates * net.hidden_size, net.num_layers)
    last_state.same_values(net.flat_params, net.flat_params)
    dense = np.zeros(net.hidden_size + 1, dtype=net.dtype)
    out = np.empty((X.shape[0], 1), dtype=net.dtype)
    lengths = np.full(X.shape[0], X.shape[1], dtype=np.int64)
    last_state.predict_last(net.cell, net.nonlinearity, np.ascontiguousarray(X), lengths, weights, dense, out)
    # the estimators' one-call predict of full-length samples; a regressor's also scales,
    # with its targets' statistics in their own dtype (float64 targets: float64)
    for target_dtype in dict.fromkeys((np.dtype(net.dtype), np.dtype(np.float64))):
        affine = (np.ones(1, target_dtype), np.zeros(1, target_dtype), np.empty((X.shape[0], 1)))
        last_state.predict_last_checked(net.cell, net.nonlinearity, np.ascontiguousarray(X), net.flat_params,
                                        (net.flat_params.copy(), *weights), dense, out,
                                        float(np.finfo(net.dtype).max), affine=affine)
