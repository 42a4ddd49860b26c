"""Thread counts for a block of work: Numba's parallel kernels and the BLAS libraries."""

import contextlib

import numba

from .cpu._blas import _blas_controllers


def resolve_n_jobs(n_jobs):
    """Threads to use: None -> current Numba setting, -1 -> all, k -> min(k, available)."""
    available = numba.config.NUMBA_NUM_THREADS
    if n_jobs is None:
        return numba.get_num_threads()
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be None, -1 or a positive integer, got {n_jobs!r}")
    return available if n_jobs == -1 else min(n_jobs, available)


@contextlib.contextmanager
def cpu_threads(n_jobs):
    """Run the block with ``n_jobs`` Numba threads and at most ``n_jobs`` BLAS threads.

    ``n_jobs=None`` changes nothing (and costs nothing), which keeps small predictions fast.
    """
    if n_jobs is None:
        yield
        return
    n = resolve_n_jobs(n_jobs)
    previous = numba.get_num_threads()
    controllers = _blas_controllers()
    blas_previous = [c.get_num_threads() for c in controllers]
    numba.set_num_threads(n)
    for c in controllers:
        c.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(previous)
        for c, k in zip(controllers, blas_previous):
            c.set_num_threads(k)
