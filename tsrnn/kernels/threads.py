"""Thread counts for a block of work: Numba's thread count (the kernels' thread pool) and
the BLAS libraries."""

import numbers

import numba

from .cpu._blas import single_threaded_blas


def resolve_n_jobs(n_jobs):
    """Threads to use: None -> current Numba setting, k > 0 -> min(k, available), and as
    scikit-learn / joblib count them, -1 -> all, -2 -> all but one, ... (at least one)."""
    available = numba.config.NUMBA_NUM_THREADS
    if n_jobs is None:
        return numba.get_num_threads()
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"n_jobs must be None or a non-zero integer (-1: all cores, -2: all but one, ...), "
                         f"got {n_jobs!r}")
    n_jobs = int(n_jobs)  # (np.int64(2) as well as 2)
    return min(n_jobs, available) if n_jobs > 0 else max(1, available + 1 + n_jobs)


class cpu_threads:
    """Context manager: run the block with ``n_jobs`` Numba threads and single-threaded
    BLAS, restoring the previous settings after.

    ``n_jobs=None`` leaves the Numba setting alone. BLAS always runs one thread inside:
    tsrnn parallelises its own work (kernel chunks, GEMM row blocks) in pieces that
    depend on the shapes only, while OpenBLAS's threading splits the inner dimension of
    some products and so changes their rounding with the thread count. The BLAS cap is
    reference-counted across threads (``single_threaded_blas``): blocks running in
    several threads at once never reset it under each other.
    """

    __slots__ = ("n_jobs", "_numba_previous", "_blas")

    def __init__(self, n_jobs):
        self.n_jobs = n_jobs

    def __enter__(self):
        self._numba_previous = None
        n = None if self.n_jobs is None else resolve_n_jobs(self.n_jobs)  # validates before changing anything
        self._blas = single_threaded_blas()
        self._blas.__enter__()
        if n is not None:
            previous = numba.get_num_threads()
            if previous != n:
                numba.set_num_threads(n)
                self._numba_previous = previous
        return self

    def __exit__(self, *exc):
        try:
            if self._numba_previous is not None:
                numba.set_num_threads(self._numba_previous)
        finally:
            self._blas.__exit__(*exc)
        return False
