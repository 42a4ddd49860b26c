"""Matrix products called from compiled code, through the BLAS Numba's ``np.dot`` uses.

``np.dot`` inside a kernel compiles a separate implementation (shape checks, error
messages, layout dispatch) for every combination of operand layouts and for every
function that calls it. :func:`matmul` is one small compiled function per dtype,
with C-contiguous operands and transposes as flags, that calls Numba's own
``numba_xxgemm`` helper (SciPy's ``cython_blas`` GEMM) by name: cacheable, and
linked into its callers instead of compiled again for each.
"""

import numpy as np
from numba import njit, types
from numba.extending import overload
from numba.np.linalg import ensure_blas

from ._options import KERNEL_OPTIONS

ensure_blas()  # a clear error here if SciPy's BLAS is missing (it is a dependency)

# int numba_xxgemm(kind, transa, transb, m, n, k, *alpha, *a, lda, *b, ldb, *beta, *c, ldc), column-major
_xxgemm = types.ExternalFunction("numba_xxgemm", types.intc(
    types.char, types.char, types.char, types.intp, types.intp, types.intp, types.voidptr, types.voidptr,
    types.intp, types.voidptr, types.intp, types.voidptr, types.voidptr, types.intp))

_NO_TRANSPOSE, _TRANSPOSE = np.int8(ord("N")), np.int8(ord("T"))


def _blas_kind(x):
    """BLAS's type letter for the array ``x`` (compiled: see the overload)."""


@overload(_blas_kind, inline="always")
def _blas_kind_impl(x):
    code = np.int8(ord("s") if x.dtype == types.float32 else ord("d"))
    return lambda x: code


@njit(**KERNEL_OPTIONS)
def matmul(a, b, out, transpose_a, transpose_b):
    """``out = op(a) @ op(b)``, op the transpose where asked.

    Parameters
    ----------
    a : ndarray of shape (M, K), or (K, M) with ``transpose_a``
    b : ndarray of shape (K, N), or (N, K) with ``transpose_b``
    out : ndarray of shape (M, N), output
        All three C-contiguous, of one dtype (float32 or float64).
    transpose_a, transpose_b : bool
    """
    M, N = out.shape
    K = a.shape[0] if transpose_a else a.shape[1]
    if M == 0 or N == 0:
        return
    if K == 0:  # (BLAS would reject the leading dimension 0)
        out[...] = 0
        return
    alpha_beta = np.zeros(2, dtype=out.dtype)
    alpha_beta[0] = 1
    # row-major out = op(a) op(b) is column-major out.T = op(b).T op(a).T: the operands
    # swap, and each C-contiguous array read column-major is already its own transpose
    _xxgemm(_blas_kind(out), _TRANSPOSE if transpose_b else _NO_TRANSPOSE,
            _TRANSPOSE if transpose_a else _NO_TRANSPOSE, N, M, K, alpha_beta[0:].ctypes, b.ctypes, b.shape[1],
            a.ctypes, a.shape[1], alpha_beta[1:].ctypes, out.ctypes, N)
