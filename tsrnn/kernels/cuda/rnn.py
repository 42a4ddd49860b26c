"""Elman RNN (tanh or relu) forward and backprop-through-time as persistent CUDA kernels.

``h' = act(W_ih x + b_ih + W_hh h + b_hh)``; ``nonlinearity`` is 0 for tanh and 1 for
relu (the codes of :mod:`tsrnn.kernels.cpu.rnn`). Merged weights ``w_t = [W_hh, W_ih].T``
(H + I, H), ``bias`` (1, H) = ``b_ih + b_hh``. Thread layout and synchronisation as in
:mod:`.lstm`.
"""

import functools

import numpy as np
from numba import cuda, from_dtype

from ._math import gate_math

TANH = 0
RELU = 1


@functools.lru_cache(maxsize=None)
def kernels(dtype):
    """``(forward, backward)`` CUDA kernels for a float dtype name."""
    DT = from_dtype(np.dtype(dtype))
    ONE = np.dtype(dtype).type(1.0)
    ZERO = np.dtype(dtype).type(0.0)
    tanh, _, relu = gate_math(dtype)

    @cuda.jit
    def forward(x, w_t, bias, h0, lengths, nonlinearity, y, h_n):
        """One Elman layer: x (B, T, I); w_t (H + I, H); bias (1, H); h0 (B, H);
        lengths (B,) int64; outputs y (B, T, H), h_n (B, H). The outputs are the
        whole backward cache. Dynamic shared memory: 2 * blockDim.y * H elements."""
        B, T, I = x.shape
        H = h0.shape[1]
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        TX = cuda.blockDim.x
        R = cuda.blockDim.y
        b = cuda.blockIdx.x * R + ty
        active = b < B
        sm = cuda.shared.array(0, DT)
        L = 0
        if active:
            L = lengths[b]
            for j in range(tx, H, TX):
                sm[ty * H + j] = h0[b, j]
        cuda.syncthreads()
        for t in range(T):
            cur = (t % 2) * R * H + ty * H
            nxt = ((t + 1) % 2) * R * H + ty * H
            if active:
                if t < L:
                    for j in range(tx, H, TX):
                        a = ZERO
                        for k in range(H):
                            a += sm[cur + k] * w_t[k, j]
                        for k in range(I):
                            a += x[b, t, k] * w_t[H + k, j]
                        a += bias[0, j]
                        h = tanh(a) if nonlinearity == TANH else relu(a)
                        sm[nxt + j] = h
                        y[b, t, j] = h
                else:
                    for j in range(tx, H, TX):
                        sm[nxt + j] = sm[cur + j]
                        y[b, t, j] = ZERO
            cuda.syncthreads()
        if active:
            last = (T % 2) * R * H + ty * H
            for j in range(tx, H, TX):
                h_n[b, j] = sm[last + j]

    @cuda.jit
    def backward(dy, dh_n, y, lengths, nonlinearity, w_hh, dg, dh0):
        """Backpropagate through :func:`forward`: dy (B, T, H), dh_n (B, H), y (B, T, H),
        w_hh (H, H); outputs dg (B, T, H) (pre-activation gradients, zero past a sample's
        length), dh0 (B, H). Dynamic shared memory: blockDim.y * H elements."""
        B, T, H = y.shape
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        TX = cuda.blockDim.x
        R = cuda.blockDim.y
        b = cuda.blockIdx.x * R + ty
        active = b < B
        sm = cuda.shared.array(0, DT)
        dh_off = ty * H
        L = 0
        if active:
            L = lengths[b]
            for j in range(tx, H, TX):
                sm[dh_off + j] = dh_n[b, j]
        for t in range(T - 1, -1, -1):
            valid = active and t < L
            if valid:
                for j in range(tx, H, TX):
                    d = sm[dh_off + j] + dy[b, t, j]
                    yj = y[b, t, j]
                    if nonlinearity == TANH:
                        dg[b, t, j] = d * (ONE - yj * yj)
                    else:
                        dg[b, t, j] = d if yj > ZERO else ZERO
            elif active:
                for j in range(tx, H, TX):
                    dg[b, t, j] = ZERO
            cuda.syncthreads()
            if valid:
                for j in range(tx, H, TX):
                    s = ZERO
                    for m in range(H):
                        s += dg[b, t, m] * w_hh[m, j]
                    sm[dh_off + j] = s
        if active:
            for j in range(tx, H, TX):
                dh0[b, j] = sm[dh_off + j]

    return forward, backward
