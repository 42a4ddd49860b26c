"""The "last" head's training passes in two compiled calls, for small batches.

See :mod:`tsrnn.kernels.cpu.train_step`. Which path a batch takes depends on its
shape and the network only, never on the thread count, so a fit gives the same bits
whatever ``n_jobs``.
"""

import numpy as np

from ..kernels.cpu import train_step
from ..kernels.cpu._blas import single_threaded_blas
from ..kernels.cpu._denormals import flushed_denormals
from ..kernels.cpu.last_state import POOLINGS
from ..kernels.cpu.layers import RNNLayer, Workspace, batch_chunk

# The largest product of a pass that takes the fused calls (a layer's weight gradients,
# 2 * B * T * G * (H + I + 1) flops). The fused calls run on the calling thread; larger
# products are split over the kernel threads by the layered path, where a step's
# Python also weighs less.
FUSED_MAX_FLOPS = 32_000_000


def fused_training_applies(rnn, X):
    """Whether a CPU training pass of ``rnn`` on ``X`` (B, T, I) takes the fused calls:
    ``X`` C-contiguous in the network's dtype with its input size, the batch one chunk
    (at most 32 samples), small products."""
    if X.ndim != 3 or X.dtype != rnn.dtype or not X.flags.c_contiguous or X.shape[2] != rnn.input_size:
        return False
    B, T, n_in = X.shape
    if batch_chunk(B) != B:
        return False
    H = rnn.hidden_size
    return 2 * B * T * rnn.n_gates * H * (H + max(n_in, H) + 1) <= FUSED_MAX_FLOPS


class FusedTraining:
    """Scratch arrays and the two compiled calls of a fused training pass.

    Parameters
    ----------
    rnn : tsrnn.nn.Recurrent
    dense : tsrnn.nn.Dense
        The output layer, on the pooled top-layer outputs.
    pooling : {"last", "mean", "max"}
    """

    def __init__(self, rnn, dense, pooling):
        self.rnn, self.dense = rnn, dense
        self.pooling = POOLINGS[pooling]
        self._ws = Workspace()
        self._pass = None  # the forward's arrays the backward reads

    def forward(self, X, lengths):
        """Outputs (B, O) of a training pass on ``X`` (B, T, I); ``lengths`` (B,) int64."""
        rnn, dense, ws = self.rnn, self.dense, self._ws
        B, T, _ = X.shape
        L, H, dt = rnn.num_layers, rnn.hidden_size, X.dtype
        ys = ws.buffer("ys", (L, B, T, H), dt)
        feats = np.empty((B, H), dt)
        out = np.empty((B, dense.out_features), dt)
        pool = (self.pooling, ws.buffer("argmax", (B, H), np.int64))
        with flushed_denormals(), single_threaded_blas():
            if rnn.cell == "lstm":
                cache = (ws.buffer("c_seqs", (L, B, T, H), dt), ws.buffer("gates", (L, B, T, 4, H), dt))
                train_step.lstm_train_forward(X, lengths, rnn.flat_params, L, ys, *cache, *pool, dense.weight,
                                              dense.bias, feats, out)
            elif rnn.cell == "gru":
                cache = (ws.buffer("gates", (L, B, T, 3, H), dt), ws.buffer("ghn", (L, B, T, H), dt))
                train_step.gru_train_forward(X, lengths, rnn.flat_params, L, ys, *cache,
                                             ws.buffer("gx", (B, T, 3, H), dt), *pool, dense.weight, dense.bias,
                                             feats, out)
            else:
                cache = ()
                train_step.rnn_train_forward(X, lengths, rnn.flat_params, L, RNNLayer.NONLINEARITIES[rnn.nonlinearity],
                                             ys, *pool, dense.weight, dense.bias, feats, out)
        self._pass = (X, lengths, ys, cache, pool, feats)
        return out

    def backward(self, dout):
        """Write every parameter's gradient for ``dout`` (B, O), the loss gradient
        w.r.t. the outputs of the last :meth:`forward`."""
        rnn, dense, ws = self.rnn, self.dense, self._ws
        X, lengths, ys, cache, pool, feats = self._pass
        B, T, n_in = X.shape
        L, H, dt = rnn.num_layers, rnn.hidden_size, X.dtype
        dout = np.ascontiguousarray(dout, dtype=dt).reshape(B, dense.out_features)
        dense_grads = (dense.weight_grad, dense.bias_grad, ws.buffer("dy", (B, T, H), dt))
        scratch = ws.buffer("scratch", (B * T * (H + max(n_in, H) + 2),), dt)
        head = (X, lengths, rnn.flat_params, rnn.flat_grad, L)
        tail = (*pool, dense.weight, feats, dout, *dense_grads)
        with flushed_denormals(), single_threaded_blas():
            if rnn.cell == "lstm":
                train_step.lstm_train_backward(*head, ys, *cache, *tail, ws.buffer("dg", (B, T, 4, H), dt), scratch)
            elif rnn.cell == "gru":
                train_step.gru_train_backward(*head, ys, *cache, *tail, ws.buffer("dgx", (B, T, 3, H), dt),
                                              ws.buffer("dgh", (B, T, 3, H), dt), scratch)
            else:
                train_step.rnn_train_backward(*head, RNNLayer.NONLINEARITIES[rnn.nonlinearity], ys, *tail,
                                              ws.buffer("dg", (B, T, H), dt), scratch)
