"""Tiled matrix products for the weight and input gradients after BPTT.

Two kernels, both plain shared-memory tiled GEMMs whose every sum runs in a fixed
order (tile by tile, then within the tile), so results are deterministic:

* ``tn(A, S, h0, T, shift, rows, out)``: ``out[m, k] = sum_n A[n, m] * S'(n, k)`` for the
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
    def tn(A, S, h0, T, shift, rows, out):
        """out[z] (M, K + 1) = A[z-th chunk of ``rows`` rows].T @ [S' | 1] for the chunk
        z = blockIdx.z, with A (N, M), S (N, K), h0 (N // T, K)."""
        N, M = A.shape
        K = S.shape[1]
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        z = cuda.blockIdx.z
        m = cuda.blockIdx.y * TILE + ty
        k = cuda.blockIdx.x * TILE + tx
        sA = cuda.shared.array((TILE, TILE), DT)
        sS = cuda.shared.array((TILE, TILE), DT)
        m_load = cuda.blockIdx.y * TILE + tx
        acc = ZERO
        n_end = (z + 1) * rows
        if n_end > N:  # (no builtin min(): numba 0.68's CUDA target fails to compile it)
            n_end = N
        for n0 in range(z * rows, n_end, TILE):
            n = n0 + ty
            # sA[i, c] = A[n0 + i, m0 + c]; sS[i, c] = S'(n0 + i, k0 + c)
            sA[ty, tx] = A[n, m_load] if (n < n_end and m_load < M) else ZERO
            v = ZERO
            if n < n_end:
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
            out[z, m, k] = acc

    @cuda.jit
    def reduce_chunks(partial, out):
        """out (M, C) = sum over z of partial (Z, M, C), z in order (deterministic)."""
        Z, M, C = partial.shape
        i = cuda.grid(1)
        if i < M * C:
            m = i // C
            c = i % C
            acc = ZERO
            for z in range(Z):
                acc += partial[z, m, c]
            out[m, c] = acc

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

    return tn, nn, reduce_chunks


def _blocks(rows, cols, tile):
    return (-(-cols // tile), -(-rows // tile)), (tile, tile)


# Split-K for the weight gradients: the sum over N = B*T rows is cut into chunks of at
# least MIN_CHUNK_ROWS rows (whole tiles), one grid layer each, so a few hundred output
# tiles still fill the GPU; the chunk sums are then added in chunk order. The chunk
# size depends on the shapes only, so results stay deterministic.
TARGET_BLOCKS = 1024
MIN_CHUNK_ROWS = 2048


def split_rows(N, out_tiles, tile):
    """Rows per chunk of the split-K weight-gradient GEMM (a multiple of ``tile``)."""
    chunks = max(1, min(-(-N // MIN_CHUNK_ROWS), TARGET_BLOCKS // max(1, out_tiles)))
    rows = -(-N // chunks)
    return -(-rows // tile) * tile


def weight_grad(dg2, src2, h0, T, shift, out):
    """``out (M, K + 1) = dg2.T @ [src' | 1]`` on the device (see the module docstring)."""
    tile = tile_size()
    tn, _, reduce_chunks = kernels(np.dtype(dg2.dtype).name, tile)
    (gx, gy), block = _blocks(out.shape[0], out.shape[1], tile)
    N = dg2.shape[0]
    rows = split_rows(N, gx * gy, tile)
    Z = -(-N // rows)
    if Z == 1:
        tn[(gx, gy, 1), block](dg2, src2, h0, T, shift, rows, out.reshape(1, out.shape[0], out.shape[1]))
        return
    partial = cuda.device_array((Z, out.shape[0], out.shape[1]), out.dtype)
    tn[(gx, gy, Z), block](dg2, src2, h0, T, shift, rows, partial)
    n = out.shape[0] * out.shape[1]
    threads = 128
    reduce_chunks[-(-n // threads), threads](partial, out)


def matmul(a, w, out):
    """``out = a @ w`` on the device."""
    tile = tile_size()
    _, nn, _ = kernels(np.dtype(a.dtype).name, tile)
    grid, block = _blocks(out.shape[0], out.shape[1], tile)
    nn[grid, block](a, w, out)
