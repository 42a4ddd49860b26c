"""Keep BLAS single-threaded while batch-parallel kernels call it.

Numba's ``np.dot`` calls SciPy's BLAS. When several kernel threads call a
multi-threaded OpenBLAS at once the cores are oversubscribed (10-100x slower), so
each kernel call caps the BLAS libraries at one thread and restores them after.

The libraries are found once with threadpoolctl; for OpenBLAS the cap then costs
two direct ctypes calls per library (threadpoolctl's own setters cost ~10 us per
call, which is measurable for a 0.1 ms inference), and nothing at all when the
library already runs one thread.
"""

import os
import threading

_controllers = None
_pairs = None
_lock = threading.Lock()
_depth = 0  # blocks inside single_threaded_blas, all threads together
_saved = []  # (setter, threads) to restore when the last block leaves


def _getter_setter(controller):
    """(get, set) callables of one threadpoolctl controller, direct ctypes where possible."""
    get_symbol = getattr(controller, "_get_symbol", None)
    if getattr(controller, "internal_api", None) == "openblas" and get_symbol is not None:
        if getattr(controller, "threading_layer", None) != "openmp":
            try:
                get = get_symbol("openblas_get_num_threads")
                set_ = get_symbol("openblas_set_num_threads")
            except Exception:
                get = set_ = None
            if get is not None and set_ is not None:
                return get, set_
    return controller.get_num_threads, controller.set_num_threads


def _blas_controllers():
    """threadpoolctl controllers of the loaded BLAS libraries (found once)."""
    global _controllers
    if _controllers is None:
        try:
            import scipy.linalg.cython_blas  # noqa: F401  (the BLAS numba's np.dot calls: load it first)
        except ImportError:
            pass
        try:
            from threadpoolctl import ThreadpoolController

            found = ThreadpoolController().select(user_api="blas").lib_controllers
        except Exception:  # threadpoolctl missing or a BLAS it cannot drive
            found = []
        _controllers = [c for c in found if hasattr(c, "set_num_threads")]
    return _controllers


def _blas_pairs():
    global _pairs
    if _pairs is None:
        _pairs = [_getter_setter(c) for c in _blas_controllers()]
    return _pairs


class single_threaded_blas:
    """Context manager: every BLAS library runs on one thread inside the block.

    Reference-counted across threads: the first block to enter caps BLAS, the last to
    leave restores it, so one thread never re-enables multi-threaded BLAS (or calls
    ``openblas_set_num_threads``, which is not thread-safe) while another thread's
    kernels are running.
    """

    __slots__ = ()

    def __enter__(self):
        global _depth, _saved
        with _lock:
            if _depth == 0:
                saved = []
                try:
                    for get, set_ in _blas_pairs():
                        n = get()
                        if n is not None and n != 1:
                            set_(1)
                            saved.append((set_, n))
                finally:  # an interrupt half-way: what was capped is still restored by the last exit
                    _saved = saved
            _depth += 1
        return self

    def __exit__(self, *exc):
        global _depth, _saved
        with _lock:
            _depth -= 1
            if _depth == 0:
                saved, _saved = _saved, []
                for set_, n in saved:
                    set_(n)
        return False


def _reset_after_fork():
    # A forked child has none of the parent's threads inside a block.
    global _depth, _saved, _lock
    _lock = threading.Lock()
    _depth, _saved = 0, []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
