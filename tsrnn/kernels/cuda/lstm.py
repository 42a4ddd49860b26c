"""LSTM forward and backprop-through-time as persistent CUDA kernels.

Same conventions as :mod:`tsrnn.kernels.cpu.lstm`: gates ``i, f, g, o`` (PyTorch
order) on their own axis ``(B, T, 4, H)``; the merged weights ``w_t = [W_hh, W_ih].T``
of shape (H + I, 4H) multiply ``[h_{t-1}, x_t]``; ``bias`` (4, H) is ``b_ih + b_hh``;
steps at or past ``lengths[b]`` keep the state, output zeros and get no gradient.

Thread layout (see :func:`tsrnn.kernels.cuda.layers.recurrent_launch`): a block owns
``blockDim.y`` whole sequences (rows), thread ``(tx, ty)`` owns row ``ty`` and the
hidden units ``tx, tx + blockDim.x, ...``. The whole time loop runs inside one kernel
launch. Forward keeps ``h_{t-1}`` of every row of the block in shared memory (double
buffered, so one ``syncthreads`` per step) and the cell state of its own units there
too. Backward walks time in reverse, writes the pre-activation gradients of step t to
the global ``dg`` buffer, synchronises, then each thread reads the row's whole
``dg[b, t]`` back (writes before ``syncthreads`` are visible to the block) to form
``dh_{t-1} = dg[b, t] @ W_hh`` for its units. Weight gradients are GEMMs afterwards
(:mod:`.gemm`), so every reduction has a fixed order: results are deterministic.
"""

import functools

import numpy as np
from numba import cuda, from_dtype

from ._math import gate_math


@functools.lru_cache(maxsize=None)
def kernels(dtype, hidden_size, input_size):
    """``(forward, backward)`` CUDA kernels for a float dtype name, specialised for one
    ``hidden_size`` and ``input_size`` (see :mod:`tsrnn.kernels.cuda`: compile-time sizes
    let the compiler unroll the dot products) ("float32"/"float64")."""
    DT = from_dtype(np.dtype(dtype))
    HS = int(hidden_size)  # compile-time constants inside the kernels
    IS = int(input_size)
    ONE = np.dtype(dtype).type(1.0)
    ZERO = np.dtype(dtype).type(0.0)
    tanh, sigmoid, _ = gate_math(dtype)

    @cuda.jit
    def forward(x, w_t, bias, h0, c0, lengths, keep, y, c_seq, gates, h_n, c_n):
        """One LSTM layer over whole sequences.

        x (B, T, I); w_t (H + I, 4H); bias (4, H); h0, c0 (B, H); lengths (B,) int64;
        keep: write the backward cache (``c_seq`` (B, T, H), ``gates`` (B, T, 4, H),
        activated) or not (inference: pass any arrays of the right ndim);
        outputs y (B, T, H), h_n, c_n (B, H). Dynamic shared memory:
        3 * blockDim.y * H elements.
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
        c_off = 2 * R * H + ty * H
        L = 0
        if active:
            L = lengths[b]
            j = tx
            while j < H:
                sm[ty * H + j] = h0[b, j]
                sm[c_off + j] = c0[b, j]
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
                        a0 = ZERO
                        a1 = ZERO
                        a2 = ZERO
                        a3 = ZERO
                        k = 0
                        while k < H:
                            hk = sm[cur + k]
                            a0 += hk * w_t[k, j]
                            a1 += hk * w_t[k, H + j]
                            a2 += hk * w_t[k, 2 * H + j]
                            a3 += hk * w_t[k, 3 * H + j]
                            k += 1
                        k = 0
                        while k < I:
                            xk = x[b, t, k]
                            a0 += xk * w_t[H + k, j]
                            a1 += xk * w_t[H + k, H + j]
                            a2 += xk * w_t[H + k, 2 * H + j]
                            a3 += xk * w_t[H + k, 3 * H + j]
                            k += 1
                        ig = sigmoid(a0 + bias[0, j])
                        fg = sigmoid(a1 + bias[1, j])
                        gg = tanh(a2 + bias[2, j])
                        og = sigmoid(a3 + bias[3, j])
                        c = fg * sm[c_off + j] + ig * gg
                        sm[c_off + j] = c
                        h = og * tanh(c)
                        sm[nxt + j] = h
                        y[b, t, j] = h
                        if keep:
                            gates[b, t, 0, j] = ig
                            gates[b, t, 1, j] = fg
                            gates[b, t, 2, j] = gg
                            gates[b, t, 3, j] = og
                            c_seq[b, t, j] = c
                        j += TX
                else:
                    j = tx
                    while j < H:
                        sm[nxt + j] = sm[cur + j]
                        y[b, t, j] = ZERO
                        if keep:
                            c_seq[b, t, j] = sm[c_off + j]
                            g = 0
                            while g < 4:
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
                c_n[b, j] = sm[c_off + j]
                j += TX

    @cuda.jit
    def backward(dy, dh_n, dc_n, gates, c_seq, c0, lengths, w_hh, dg, dh0, dc0):
        """Backpropagate through :func:`forward` (see :func:`tsrnn.kernels.cpu.lstm.lstm_backward`).

        dy (B, T, H); dh_n, dc_n (B, H); gates (B, T, 4, H); c_seq (B, T, H); c0 (B, H);
        w_hh (4H, H); outputs dg (B, T, 4, H) (zero past a sample's length), dh0, dc0
        (B, H). Dynamic shared memory: 2 * blockDim.y * H elements.
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
        dc_off = R * H + ty * H
        L = 0
        if active:
            L = lengths[b]
            j = tx
            while j < H:
                sm[dh_off + j] = dh_n[b, j]
                sm[dc_off + j] = dc_n[b, j]
                j += TX
        for t in range(T - 1, -1, -1):
            valid = active and t < L
            if valid:
                j = tx
                while j < H:
                    dh = sm[dh_off + j] + dy[b, t, j]
                    og = gates[b, t, 3, j]
                    tc = tanh(c_seq[b, t, j])
                    dc = sm[dc_off + j] + dh * og * (ONE - tc * tc)
                    dg[b, t, 3, j] = dh * tc * og * (ONE - og)
                    cp = c_seq[b, t - 1, j] if t > 0 else c0[b, j]
                    ig = gates[b, t, 0, j]
                    fg = gates[b, t, 1, j]
                    gg = gates[b, t, 2, j]
                    dg[b, t, 0, j] = dc * gg * ig * (ONE - ig)
                    dg[b, t, 1, j] = dc * cp * fg * (ONE - fg)
                    dg[b, t, 2, j] = dc * ig * (ONE - gg * gg)
                    sm[dc_off + j] = dc * fg
                    j += TX
            elif active:
                j = tx
                while j < H:
                    g = 0
                    while g < 4:
                        dg[b, t, g, j] = ZERO
                        g += 1
                    j += TX
            cuda.syncthreads()
            if valid:
                j = tx
                while j < H:
                    s = ZERO
                    g = 0
                    while g < 4:
                        m = 0
                        while m < H:
                            s += dg[b, t, g, m] * w_hh[g * H + m, j]
                            m += 1
                        g += 1
                    sm[dh_off + j] = s
                    j += TX
        if active:
            j = tx
            while j < H:
                dh0[b, j] = sm[dh_off + j]
                dc0[b, j] = sm[dc_off + j]
                j += TX

    return forward, backward
