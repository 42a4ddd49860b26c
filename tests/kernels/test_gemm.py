"""``matmul``: the products the fused training calls make, through Numba's BLAS helper."""

import numpy as np
import pytest

from tsrnn.kernels.cpu._gemm import matmul


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
@pytest.mark.parametrize("M,K,N", [(5, 7, 3), (1, 1, 1), (32, 33, 128), (128, 96, 34), (3, 0, 2)])
def test_matmul_equals_numpy(dtype, transpose_a, transpose_b, M, K, N, rng):
    a = rng.normal(size=(K, M) if transpose_a else (M, K)).astype(dtype)
    b = rng.normal(size=(N, K) if transpose_b else (K, N)).astype(dtype)
    out = np.full((M, N), np.nan, dtype)
    matmul(a, b, out, transpose_a, transpose_b)
    expected = (a.T if transpose_a else a) @ (b.T if transpose_b else b)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol * max(K, 1))
