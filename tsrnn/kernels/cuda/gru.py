"""GRU forward and backprop-through-time as persistent CUDA kernels.

Same conventions as :mod:`tsrnn.kernels.cpu.gru` (gates ``r, z, n`` as PyTorch)::

    r = sigmoid(Wir x + Whr h + b_ir + b_hr)
    z = sigmoid(Wiz x + Whz h + b_iz + b_hz)
    n = tanh(Win x + b_in + r * (Whn h + b_hn))
    h' = (1 - z) * n + z * h

The CPU kernels read a precomputed input projection; here each thread computes the
input and the recurrent parts of its unit's three pre-activations separately from the
merged weights ``w_t = [W_hh, W_ih].T`` (H + I, 3H), so no (B, T, 3H) projection is
written. ``bias`` (4, H) holds the rows ``b_ir + b_hr``, ``b_iz + b_hz``, ``b_in``,
``b_hn`` as on the CPU. Thread layout and synchronisation as in :mod:`.lstm`.
"""

import functools

import numpy as np
from numba import cuda, from_dtype

from ._math import gate_math


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
    tanh, sigmoid, _ = gate_math(dtype)

    @cuda.jit
    def forward(x, w_t, bias, h0, lengths, keep, y, gates, ghn, h_n):
        """One GRU layer over whole sequences.

        x (B, T, I); w_t (H + I, 3H); bias (4, H); h0 (B, H); lengths (B,) int64;
        keep: write the backward cache (``gates`` (B, T, 3, H) activated r, z, n and
        ``ghn`` (B, T, H) = ``Whn h + b_hn``); outputs y (B, T, H), h_n (B, H).
        Dynamic shared memory: 2 * blockDim.y * H elements.
        """
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
                        hr = ZERO
                        hz = ZERO
                        hn = ZERO
                        k = 0
                        while k < H:
                            hk = sm[cur + k]
                            hr += hk * w_t[k, j]
                            hz += hk * w_t[k, H + j]
                            hn += hk * w_t[k, 2 * H + j]
                            k += 1
                        xr = ZERO
                        xz = ZERO
                        xn = ZERO
                        k = 0
                        while k < I:
                            xk = x[b, t, k]
                            xr += xk * w_t[H + k, j]
                            xz += xk * w_t[H + k, H + j]
                            xn += xk * w_t[H + k, 2 * H + j]
                            k += 1
                        rg = sigmoid(xr + hr + bias[0, j])
                        zg = sigmoid(xz + hz + bias[1, j])
                        gh = hn + bias[3, j]
                        ng = tanh(xn + bias[2, j] + rg * gh)
                        h = (ONE - zg) * ng + zg * sm[cur + j]
                        sm[nxt + j] = h
                        y[b, t, j] = h
                        if keep:
                            gates[b, t, 0, j] = rg
                            gates[b, t, 1, j] = zg
                            gates[b, t, 2, j] = ng
                            ghn[b, t, j] = gh
                        j += TX
                else:
                    j = tx
                    while j < H:
                        sm[nxt + j] = sm[cur + j]
                        y[b, t, j] = ZERO
                        if keep:
                            ghn[b, t, j] = ZERO
                            g = 0
                            while g < 3:
                                gates[b, t, g, j] = ZERO
                                g += 1
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
    def backward(dy, dh_n, gates, ghn, h0, y, lengths, w_hh, dgx, dgh, dh0):
        """Backpropagate through :func:`forward` (see :func:`tsrnn.kernels.cpu.gru.gru_backward`).

        Outputs dgx (B, T, 3, H): gradient w.r.t. the input-side pre-activations;
        dgh (B, T, 3, H): w.r.t. the recurrent ones; dh0 (B, H).
        Dynamic shared memory: blockDim.y * H elements.
        """
        B, T, _, _ = gates.shape
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
                    dh = sm[dh_off + j] + dy[b, t, j]
                    hp = y[b, t - 1, j] if t > 0 else h0[b, j]
                    rg = gates[b, t, 0, j]
                    zg = gates[b, t, 1, j]
                    ng = gates[b, t, 2, j]
                    dn = dh * (ONE - zg) * (ONE - ng * ng)
                    d_r = dn * ghn[b, t, j] * rg * (ONE - rg)
                    d_z = dh * (hp - ng) * zg * (ONE - zg)
                    dgx[b, t, 0, j] = d_r
                    dgx[b, t, 1, j] = d_z
                    dgx[b, t, 2, j] = dn
                    dgh[b, t, 0, j] = d_r
                    dgh[b, t, 1, j] = d_z
                    dgh[b, t, 2, j] = dn * rg
                    sm[dh_off + j] = dh * zg
                    j += TX
            elif active:
                j = tx
                while j < H:
                    g = 0
                    while g < 3:
                        dgx[b, t, g, j] = ZERO
                        dgh[b, t, g, j] = ZERO
                        g += 1
                    j += TX
            cuda.syncthreads()
            if valid:
                j = tx
                while j < H:
                    s = ZERO
                    g = 0
                    while g < 3:
                        m = 0
                        while m < H:
                            s += dgh[b, t, g, m] * w_hh[g * H + m, j]
                            m += 1
                        g += 1
                    sm[dh_off + j] += s
                    j += TX
        if active:
            j = tx
            while j < H:
                dh0[b, j] = sm[dh_off + j]
                j += TX

    return forward, backward
