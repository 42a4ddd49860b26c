"""Thread counts for a block of work: Numba's thread count (the kernels' thread pool) and
the BLAS libraries."""

import numba

from .cpu._blas import _blas_pairs


def resolve_n_jobs(n_jobs):
    """Threads to use: None -> current Numba setting, -1 -> all, k -> min(k, available)."""
    available = numba.config.NUMBA_NUM_THREADS
    if n_jobs is None:
        return numba.get_num_threads()
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be None, -1 or a positive integer, got {n_jobs!r}")
    return available if n_jobs == -1 else min(n_jobs, available)


class cpu_threads:
    """Context manager: run the block with ``n_jobs`` Numba threads and at most ``n_jobs``
    BLAS threads, restoring the previous settings after.

    ``n_jobs=None`` changes nothing. Only settings that differ are touched (direct
    OpenBLAS calls, no threadpoolctl round trip), which keeps one-sample predictions cheap.
    """

    __slots__ = ("n_jobs", "_numba_previous", "_blas_restore")

    def __init__(self, n_jobs):
        self.n_jobs = n_jobs

    def __enter__(self):
        self._numba_previous = None
        self._blas_restore = []
        if self.n_jobs is None:
            return self
        n = resolve_n_jobs(self.n_jobs)
        previous = numba.get_num_threads()
        if previous != n:
            numba.set_num_threads(n)
            self._numba_previous = previous
        for get, set_ in _blas_pairs():
            current = get()
            if current is not None and current != n:
                set_(n)
                self._blas_restore.append((set_, current))
        return self

    def __exit__(self, *exc):
        if self._numba_previous is not None:
            numba.set_num_threads(self._numba_previous)
        for set_, n in self._blas_restore:
            set_(n)
        return False
