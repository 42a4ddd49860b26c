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
def kernels(dtype, hidden_size, input_size):
    """``(forward, backward)`` CUDA kernels for a float dtype name, specialised for one
    ``hidden_size`` and ``input_size`` (see :mod:`tsrnn.kernels.cuda`: compile-time sizes
    let the compiler unroll the dot products)."""
    DT = from_dtype(np.dtype(dtype))
    HS = int(hidden_size)  # compile-time constants inside the kernels
    IS = int(input_size)
    ONE = np.dtype(dtype).type(1.0)
    ZERO = np.dtype(dtype).type(0.0)
    tanh, _, relu = gate_math(dtype)

    @cuda.jit
    def forward(x, w_t, bias, h0, lengths, nonlinearity, y, h_n):
        """One Elman layer: x (B, T, I); w_t (H + I, H); bias (1, H); h0 (B, H);
        lengths (B,) int64; outputs y (B, T, H), h_n (B, H). The outputs are the
        whole backward cache. Dynamic shared memory: 2 * blockDim.y * H elements."""
        B, T, _ = x.shape
        H = HS
        I = IS
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
            j = tx
            while j < H:
                sm[ty * H + j] = h0[b, j]
                j += TX
        cuda.syncthreads()
        t = 0
        while t < T:
            cur = (t % 2) * R * H + ty * H
            nxt = ((t + 1) % 2) * R * H + ty * H
            if active:
                if t < L:
                    j = tx
                    while j < H:
                        a = ZERO
                        k = 0
                        while k < H:
                            a += sm[cur + k] * w_t[k, j]
                            k += 1
                        k = 0
                        while k < I:
                            a += x[b, t, k] * w_t[H + k, j]
                            k += 1
                        a += bias[0, j]
                        h = tanh(a) if nonlinearity == TANH else relu(a)
                        sm[nxt + j] = h
                        y[b, t, j] = h
                        j += TX
                else:
                    j = tx
                    while j < H:
                        sm[nxt + j] = sm[cur + j]
                        y[b, t, j] = ZERO
                        j += TX
            cuda.syncthreads()
            t += 1
        if active:
            last = (T % 2) * R * H + ty * H
            j = tx
            while j < H:
                h_n[b, j] = sm[last + j]
                j += TX

    @cuda.jit
    def backward(dy, dh_n, y, lengths, nonlinearity, w_hh, dg, dh0):
        """Backpropagate through :func:`forward`: dy (B, T, H), dh_n (B, H), y (B, T, H),
        w_hh (H, H); outputs dg (B, T, H) (pre-activation gradients, zero past a sample's
        length), dh0 (B, H). Dynamic shared memory: blockDim.y * H elements."""
        B, T, _ = y.shape
        H = HS
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
            j = tx
            while j < H:
                sm[dh_off + j] = dh_n[b, j]
                j += TX
        for t in range(T - 1, -1, -1):
            valid = active and t < L
            if valid:
                j = tx
                while j < H:
                    d = sm[dh_off + j] + dy[b, t, j]
                    yj = y[b, t, j]
                    if nonlinearity == TANH:
                        dg[b, t, j] = d * (ONE - yj * yj)
                    else:
                        dg[b, t, j] = d if yj > ZERO else ZERO
                    j += TX
            elif active:
                j = tx
                while j < H:
                    dg[b, t, j] = ZERO
                    j += TX
            cuda.syncthreads()
            if valid:
                j = tx
                while j < H:
                    s = ZERO
                    m = 0
                    while m < H:
                        s += dg[b, t, m] * w_hh[m, j]
                        m += 1
                    sm[dh_off + j] = s
                    j += TX
        if active:
            j = tx
            while j < H:
                dh0[b, j] = sm[dh_off + j]
                j += TX

    return forward, backward
