"""``"last"``: seq2vec. Pool the top layer's outputs over time, then a dense layer."""

import numpy as np

from ..nn.dense import Dense
from .base import Head

POOLINGS = ("last", "mean", "max")


class LastStepHead(Head):
    """Sequence in, one vector out: ``dense(pool(Y))``.

    Parameters
    ----------
    pooling : {"last", "mean", "max"}, default="last"
        "last" takes each sample's last valid step, "mean" and "max" pool over its valid
        steps.
    """

    name = "last"
    input_kind = "sequence"
    output_kind = "vector"
    component_names = ["rnn", "out"]

    def build(self, spec):
        self.pooling = self.options.get("pooling", "last")
        unknown = set(self.options) - {"pooling"}
        if unknown:
            raise ValueError(f"head 'last' got unknown options {sorted(unknown)}; it accepts ['pooling']")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling={self.pooling!r} is not supported; choose one of {list(POOLINGS)}")
        self.rnn = self._recurrent(spec, spec.n_features)
        self.out = Dense(spec.hidden_size, spec.n_outputs, spec.dtype)
        return [self.rnn, self.out]

    def forward(self, X, lengths, y=None, training=False):
        Y, _ = self.rnn.forward(X, lengths=lengths, check_input=False, training=training)
        B = X.shape[0]
        if self.pooling == "last":
            feats = Y[np.arange(B), lengths - 1]
        elif self.pooling == "mean":
            feats = Y.sum(axis=1) / lengths[:, None].astype(Y.dtype)  # Y is zero past each length
        else:
            valid = np.arange(Y.shape[1])[None, :, None] < lengths[:, None, None]
            self._argmax = np.where(valid, Y, -np.inf).argmax(axis=1)  # (B, H)
            feats = np.take_along_axis(Y, self._argmax[:, None, :], axis=1)[:, 0]
        self._shape, self._lengths = Y.shape, lengths
        return self.out.forward(np.ascontiguousarray(feats))

    def backward(self, dout):
        dfeats = self.out.backward(dout)
        B, T, H = self._shape
        dY = np.zeros(self._shape, dtype=dfeats.dtype)
        if self.pooling == "last":
            dY[np.arange(B), self._lengths - 1] = dfeats
        elif self.pooling == "mean":
            dY += (dfeats / self._lengths[:, None].astype(dfeats.dtype))[:, None, :]
        else:
            np.put_along_axis(dY, self._argmax[:, None, :], dfeats[:, None, :], axis=1)
        dX, _ = self.rnn.backward(dY, check_input=False)
        return dX
