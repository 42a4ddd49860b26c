"""Keep BLAS single-threaded while batch-parallel kernels call it.

Numba's ``np.dot`` calls SciPy's BLAS. When several kernel threads call a
multi-threaded OpenBLAS at once the cores are oversubscribed (10-100x slower), so
each kernel call caps the BLAS libraries at one thread and restores them after.
The controllers are found once; a cap costs two ctypes calls per library.
"""

import contextlib

_controllers = None


def _blas_controllers():
    global _controllers
    if _controllers is None:
        try:
            import scipy.linalg.cython_blas  # noqa: F401  (load the BLAS numba's np.dot calls)
            from threadpoolctl import ThreadpoolController

            found = ThreadpoolController().select(user_api="blas").lib_controllers
        except Exception:  # threadpoolctl missing or a BLAS it cannot drive
            found = []
        _controllers = [c for c in found if hasattr(c, "set_num_threads")]
    return _controllers


@contextlib.contextmanager
def single_threaded_blas():
    """Context manager: every BLAS library runs on one thread inside the block."""
    controllers = _blas_controllers()
    previous = [c.get_num_threads() for c in controllers]
    for c in controllers:
        c.set_num_threads(1)
    try:
        yield
    finally:
        for c, n in zip(controllers, previous):
            c.set_num_threads(n)
