"""How the compiled kernels were obtained in this process: loaded from Numba's on-disk
cache, or compiled (a cache miss). Used by ``tsrnn warmup`` and by the Dask helpers to
check that workers do not recompile."""

import importlib

from numba.core.dispatcher import Dispatcher

KERNEL_MODULES = ("tsrnn.kernels.cpu.lstm", "tsrnn.kernels.cpu.gru", "tsrnn.kernels.cpu.rnn",
                  "tsrnn.kernels.cpu.last_state", "tsrnn.kernels.cpu.optim", "tsrnn.kernels.cpu._denormals")


def cache_stats():
    """Per-kernel counts of signatures loaded from the cache and compiled in this process.

    Returns
    -------
    dict
        ``{"module.kernel": {"loaded": int, "compiled": int}}`` for every CPU kernel
        (zero counts for kernels not used yet), plus ``"cache_dir"``: where Numba
        keeps the cache files.
    """
    out, cache_dir = {}, None
    for name in KERNEL_MODULES:
        module = importlib.import_module(name)
        for attr, obj in vars(module).items():
            if isinstance(obj, Dispatcher):
                stats = obj.stats
                cache_dir = cache_dir or stats.cache_path
                out[f"{name.rsplit('.', 1)[1]}.{attr}"] = {"loaded": sum(stats.cache_hits.values()),
                                                           "compiled": sum(stats.cache_misses.values())}
    out["cache_dir"] = cache_dir
    return out
