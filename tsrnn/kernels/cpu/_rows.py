"""Row copies for the kernels, as loops.

``dst[row0:row0 + n] = src`` in a Numba kernel compiles NumPy's shape-mismatch error
message (string formatting of both shapes): about 3 s of the first cold compile of a
process (measured 2026-12-07, the README's forecast command: 14 s cold). A loop has no
such check to compile.
"""

from numba import njit

from ._options import KERNEL_OPTIONS


@njit(**KERNEL_OPTIONS)
def copy_rows(src, dst, row0):
    """``dst[row0:row0 + len(src)] = src`` for 2-D arrays with the same number of columns."""
    for r in range(src.shape[0]):
        for j in range(src.shape[1]):
            dst[row0 + r, j] = src[r, j]
