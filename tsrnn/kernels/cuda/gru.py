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
def kernels(dtype):
    """``(forward, backward)`` CUDA kernels for a float dtype name."""
    DT = from_dtype(np.dtype(dtype))
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
                        hr = ZERO
                        hz = ZERO
                        hn = ZERO
                        for k in range(H):
                            hk = sm[cur + k]
                            hr += hk * w_t[k, j]
                            hz += hk * w_t[k, H + j]
                            hn += hk * w_t[k, 2 * H + j]
                        xr = ZERO
                        xz = ZERO
                        xn = ZERO
                        for k in range(I):
                            xk = x[b, t, k]
                            xr += xk * w_t[H + k, j]
                            xz += xk * w_t[H + k, H + j]
                            xn += xk * w_t[H + k, 2 * H + j]
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
                else:
                    for j in range(tx, H, TX):
                        sm[nxt + j] = sm[cur + j]
                        y[b, t, j] = ZERO
                        if keep:
                            ghn[b, t, j] = ZERO
                            for g in range(3):
                                gates[b, t, g, j] = ZERO
            cuda.syncthreads()
        if active:
            last = (T % 2) * R * H + ty * H
            for j in range(tx, H, TX):
                h_n[b, j] = sm[last + j]

    @cuda.jit
    def backward(dy, dh_n, gates, ghn, h0, y, lengths, w_hh, dgx, dgh, dh0):
        """Backpropagate through :func:`forward` (see :func:`tsrnn.kernels.cpu.gru.gru_backward`).

        Outputs dgx (B, T, 3, H): gradient w.r.t. the input-side pre-activations;
        dgh (B, T, 3, H): w.r.t. the recurrent ones; dh0 (B, H).
        Dynamic shared memory: blockDim.y * H elements.
        """
        B, T, _, H = gates.shape
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
            elif active:
                for j in range(tx, H, TX):
                    for g in range(3):
                        dgx[b, t, g, j] = ZERO
                        dgh[b, t, g, j] = ZERO
            cuda.syncthreads()
            if valid:
                for j in range(tx, H, TX):
                    s = ZERO
                    for g in range(3):
                        for m in range(H):
                            s += dgh[b, t, g, m] * w_hh[g * H + m, j]
                    sm[dh_off + j] += s
        if active:
            for j in range(tx, H, TX):
                dh0[b, j] = sm[dh_off + j]

    return forward, backward
