"""Tiled matrix products for the weight and input gradients after BPTT.

Two kernels, both shared-memory tiled GEMMs whose every sum runs in a fixed order (tile
by tile, then within the tile), so results are deterministic:

* ``tn(A, S, h0, T, shift, rows, out)``: ``out[m, k] = sum_n A[n, m] * S'(n, k)`` for the
  weight gradients ``dG.T @ X`` and ``dG.T @ H_prev``, where ``n = b * T + t`` runs over
  all (sample, step) pairs. ``S'`` is ``S`` itself (``shift=0``), or ``S`` shifted one
  step later in time with ``h0`` at ``t = 0`` (``shift=1``: the previous hidden state,
  read from the layer output ``y`` without building it). ``out`` has one column more
  than ``S``: ``S'(n, K) = 1``, so the last column is the bias gradient ``sum_n A[n, m]``.
  Register-tiled: a block of ``E x E`` threads computes an ``(E*TM) x (E*TK)`` tile of
  ``out``, each thread a ``TM x TK`` micro-tile held in registers, so each value read
  from shared memory feeds several multiply-adds. ``TK`` is 1 for narrow outputs
  (the input-weight gradient has ``I + 1`` columns) and 4 otherwise.
* ``nn(A, W, out)``: ``out = A @ W``, the input gradient ``dG @ W_ih``.

The tile edge ``E`` is 16 on a GPU; the simulator (which runs one Python thread per
CUDA thread) uses 4, see :func:`tile_size`.
"""

import functools

import numpy as np
from numba import config, cuda, from_dtype

from .workspace import empty

MICRO_M = 4  # output rows per thread in ``tn``


def tile_size():
    """Tile edge: 16 on a GPU, 4 under NUMBA_ENABLE_CUDASIM (same code, fewer Python threads)."""
    return 4 if config.ENABLE_CUDASIM else 16


def micro_cols(K):
    """Output columns per thread in ``tn`` for an output of ``K + 1`` columns."""
    return 1 if K + 1 <= 16 else 4


def kernels(dtype, tile, tm=MICRO_M, tk=4):
    """``(tn, nn, reduce_chunks)`` kernels for a float dtype name, a tile edge and the
    micro-tile of ``tn`` (``tm`` x ``tk`` outputs per thread). Only ``tn`` depends on the
    micro-tile: the other two are shared, so each compiles once."""
    return (_tn_kernel(dtype, tile, tm, tk),) + _plain_kernels(dtype, tile)


@functools.lru_cache(maxsize=None)
def _tn_kernel(dtype, tile, tm, tk):
    DT = from_dtype(np.dtype(dtype))
    ONE = np.dtype(dtype).type(1.0)
    ZERO = np.dtype(dtype).type(0.0)
    TILE = tile
    TM = tm
    TK = tk
    BM = TILE * TM
    BK = TILE * TK

    @cuda.jit
    def tn(A, S, h0, T, shift, rows, out):
        """out[z] (M, K + 1) = A[z-th chunk of ``rows`` rows].T @ [S' | 1] for the chunk
        z = blockIdx.z, with A (N, M), S (N, K), h0 (N // T, K)."""
        N, M = A.shape
        K = S.shape[1]
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        z = cuda.blockIdx.z
        m0 = cuda.blockIdx.y * BM
        k0 = cuda.blockIdx.x * BK
        sA = cuda.shared.array((TILE, BM), DT)
        sS = cuda.shared.array((TILE, BK), DT)
        acc = cuda.local.array((TM, TK), DT)
        av = cuda.local.array(TM, DT)
        sv = cuda.local.array(TK, DT)
        i = 0
        while i < TM:
            j = 0
            while j < TK:
                acc[i, j] = ZERO
                j += 1
            i += 1
        n_end = (z + 1) * rows
        if n_end > N:  # (no builtin min(): numba 0.68's CUDA target fails to compile it)
            n_end = N
        n0 = z * rows
        while n0 < n_end:
            n = n0 + ty
            # sA[r, c] = A[n0 + r, m0 + c]; sS[r, c] = S'(n0 + r, k0 + c)
            i = 0
            while i < TM:
                c = tx + TILE * i
                mm = m0 + c
                sA[ty, c] = A[n, mm] if (n < n_end and mm < M) else ZERO
                i += 1
            j = 0
            while j < TK:
                c = tx + TILE * j
                kk = k0 + c
                v = ZERO
                if n < n_end:
                    if kk < K:
                        if shift:
                            t = n % T
                            v = h0[n // T, kk] if t == 0 else S[n - 1, kk]
                        else:
                            v = S[n, kk]
                    elif kk == K:
                        v = ONE
                sS[ty, c] = v
                j += 1
            cuda.syncthreads()
            r = 0
            while r < TILE:
                i = 0
                while i < TM:
                    av[i] = sA[r, ty + TILE * i]
                    i += 1
                j = 0
                while j < TK:
                    sv[j] = sS[r, tx + TILE * j]
                    j += 1
                i = 0
                while i < TM:
                    j = 0
                    while j < TK:
                        acc[i, j] += av[i] * sv[j]
                        j += 1
                    i += 1
                r += 1
            cuda.syncthreads()
            n0 += TILE
        i = 0
        while i < TM:
            m = m0 + ty + TILE * i
            j = 0
            while j < TK:
                k = k0 + tx + TILE * j
                if m < M and k <= K:
                    out[z, m, k] = acc[i, j]
                j += 1
            i += 1

    return tn


@functools.lru_cache(maxsize=None)
def _plain_kernels(dtype, tile):
    """``(nn, reduce_chunks)``."""
    DT = from_dtype(np.dtype(dtype))
    ZERO = np.dtype(dtype).type(0.0)
    TILE = tile

    @cuda.jit
    def reduce_chunks(partial, out):
        """out (M, C) = sum over z of partial (Z, M, C), z in order (deterministic)."""
        Z, M, C = partial.shape
        i = cuda.grid(1)
        if i < M * C:
            m = i // C
            c = i % C
            acc = ZERO
            z = 0
            while z < Z:
                acc += partial[z, m, c]
                z += 1
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
        m0 = 0
        while m0 < M:
            ma = m0 + tx
            sA[ty, tx] = A[n, ma] if (n < N and ma < M) else ZERO
            mw = m0 + ty
            sW[ty, tx] = W[mw, k] if (mw < M and k < K) else ZERO
            cuda.syncthreads()
            i = 0
            while i < TILE:
                acc += sA[ty, i] * sW[i, tx]
                i += 1
            cuda.syncthreads()
            m0 += TILE
        if n < N and k < K:
            out[n, k] = acc

    return nn, reduce_chunks


def _blocks(rows, cols, tile):
    return (-(-cols // tile), -(-rows // tile)), (tile, tile)


# Split-K for the weight gradients: the sum over N = B*T rows is cut into chunks of at
# least MIN_CHUNK_ROWS rows (whole tiles), one grid layer each, so a few hundred output
# tiles still fill the GPU; the chunk sums are then added in chunk order. The chunk
# size depends on the shapes only, so results stay deterministic.
TARGET_BLOCKS = 1024
MIN_CHUNK_ROWS = 4096


def split_rows(N, out_tiles, tile):
    """Rows per chunk of the split-K weight-gradient GEMM (a multiple of ``tile``)."""
    chunks = max(1, min(-(-N // MIN_CHUNK_ROWS), TARGET_BLOCKS // max(1, out_tiles)))
    rows = -(-N // chunks)
    return -(-rows // tile) * tile


def weight_grad(dg2, src2, h0, T, shift, out, ws=None, key="partial"):
    """``out (M, K + 1) = dg2.T @ [src' | 1]`` on the device (see the module docstring).
    ``ws``: an optional :class:`~tsrnn.kernels.cuda.workspace.Workspace` for the split-K
    partial sums (``key`` names the buffer)."""
    tile = tile_size()
    M, C = out.shape
    tk = micro_cols(C - 1)
    tn, _, reduce_chunks = kernels(np.dtype(dg2.dtype).name, tile, MICRO_M, tk)
    gx, gy = -(-C // (tile * tk)), -(-M // (tile * MICRO_M))
    N = dg2.shape[0]
    rows = split_rows(N, gx * gy, tile)
    Z = -(-N // rows)
    block = (tile, tile)
    if Z == 1:
        tn[(gx, gy, 1), block](dg2, src2, h0, T, shift, rows, out.reshape(1, M, C))
        return
    partial = empty(ws, key, (Z, M, C), out.dtype)
    tn[(gx, gy, Z), block](dg2, src2, h0, T, shift, rows, partial)
    threads = 128
    reduce_chunks[-(-(M * C) // threads), threads](partial, out)


def matmul(a, w, out):
    """``out = a @ w`` on the device."""
    tile = tile_size()
    nn, _ = _plain_kernels(np.dtype(a.dtype).name, tile)
    grid, block = _blocks(out.shape[0], out.shape[1], tile)
    nn[grid, block](a, w, out)
