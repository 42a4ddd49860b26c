"""Tiled matrix products for the weight and input gradients after BPTT.

Two kernels, both plain shared-memory tiled GEMMs whose every sum runs in a fixed
order (tile by tile, then within the tile), so results are deterministic:

* ``tn(A, S, h0, T, shift, out)``: ``out[m, k] = sum_n A[n, m] * S'(n, k)`` for the
  weight gradients ``dG.T @ X`` and ``dG.T @ H_prev``, where ``n = b * T + t`` runs over
  all (sample, step) pairs. ``S'`` is ``S`` itself (``shift=0``), or ``S`` shifted one
  step later in time with ``h0`` at ``t = 0`` (``shift=1``: the previous hidden state,
  read from the layer output ``y`` without building it). ``out`` has one column more
  than ``S``: ``S'(n, K) = 1``, so the last column is the bias gradient ``sum_n A[n, m]``.
* ``nn(A, W, out)``: ``out = A @ W``, the input gradient ``dG @ W_ih``.

The tile is 16 x 16 on a GPU; the simulator (which runs one Python thread per CUDA
thread) uses 4 x 4, see :func:`tile_size`.
"""

import functools

import numpy as np
from numba import config, cuda, from_dtype


def tile_size():
    """Tile edge: 16 on a GPU, 4 under NUMBA_ENABLE_CUDASIM (same code, fewer Python threads)."""
    return 4 if config.ENABLE_CUDASIM else 16


@functools.lru_cache(maxsize=None)
def kernels(dtype, tile):
    """``(tn, nn)`` kernels for a float dtype name and a tile edge."""
    DT = from_dtype(np.dtype(dtype))
    ONE = np.dtype(dtype).type(1.0)
    ZERO = np.dtype(dtype).type(0.0)
    TILE = tile

    @cuda.jit
    def tn(A, S, h0, T, shift, out):
        """out (M, K + 1) = A.T @ [S' | 1] with A (N, M), S (N, K), h0 (N // T, K)."""
        N, M = A.shape
        K = S.shape[1]
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        m = cuda.blockIdx.y * TILE + ty
        k = cuda.blockIdx.x * TILE + tx
        sA = cuda.shared.array((TILE, TILE), DT)
        sS = cuda.shared.array((TILE, TILE), DT)
        m_load = cuda.blockIdx.y * TILE + tx
        acc = ZERO
        for n0 in range(0, N, TILE):
            n = n0 + ty
            # sA[i, c] = A[n0 + i, m0 + c]; sS[i, c] = S'(n0 + i, k0 + c)
            sA[ty, tx] = A[n, m_load] if (n < N and m_load < M) else ZERO
            v = ZERO
            if n < N:
                if k < K:
                    if shift:
                        t = n % T
                        v = h0[n // T, k] if t == 0 else S[n - 1, k]
                    else:
                        v = S[n, k]
                elif k == K:
                    v = ONE
            sS[ty, tx] = v
            cuda.syncthreads()
            for i in range(TILE):
                acc += sA[i, ty] * sS[i, tx]
            cuda.syncthreads()
        if m < M and k <= K:
            out[m, k] = acc

    @cuda.jit
    def nn(A, W, out):
        """out (N, K) = A (N, M) @ W (M, K)."""
        N, M = A.shape
        K = W.shape[1]
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        n = cuda.blockIdx.y * TILE + ty
        k = cuda.blockIdx.x * TILE + tx
        sA = cuda.shared.array((TILE, TILE), DT)
        sW = cuda.shared.array((TILE, TILE), DT)
        acc = ZERO
        for m0 in range(0, M, TILE):
            ma = m0 + tx
            sA[ty, tx] = A[n, ma] if (n < N and ma < M) else ZERO
            mw = m0 + ty
            sW[ty, tx] = W[mw, k] if (mw < M and k < K) else ZERO
            cuda.syncthreads()
            for i in range(TILE):
                acc += sA[ty, i] * sW[i, tx]
            cuda.syncthreads()
        if n < N and k < K:
            out[n, k] = acc

    return tn, nn


def _blocks(rows, cols, tile):
    return (-(-cols // tile), -(-rows // tile)), (tile, tile)


def weight_grad(dg2, src2, h0, T, shift, out):
    """``out (M, K + 1) = dg2.T @ [src' | 1]`` on the device (see the module docstring)."""
    tile = tile_size()
    tn, _ = kernels(np.dtype(dg2.dtype).name, tile)
    grid, block = _blocks(out.shape[0], out.shape[1], tile)
    tn[grid, block](dg2, src2, h0, T, shift, out)


def matmul(a, w, out):
    """``out = a @ w`` on the device."""
    tile = tile_size()
    _, nn = kernels(np.dtype(a.dtype).name, tile)
    grid, block = _blocks(out.shape[0], out.shape[1], tile)
    nn[grid, block](a, w, out)
