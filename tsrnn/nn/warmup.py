"""Compile (or load from the cache) the kernels a fit will use, ahead of time."""

import time

import numpy as np

from ..kernels.cache import cache_stats
from .recurrent import Recurrent


def warmup(cells=("lstm", "gru", "rnn"), dtypes=("float32",)):
    """Run every kernel (training forward/backward and inference) of ``cells`` x ``dtypes`` once.

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
            seconds[f"{cell}/{dtype}"] = time.perf_counter() - start
    stats = cache_stats()
    cache_dir = stats.pop("cache_dir")
    return {"seconds": seconds, "compiled": sum(s["compiled"] for s in stats.values()),
            "loaded": sum(s["loaded"] for s in stats.values()), "cache_dir": cache_dir}
