"""``"vec2seq"``: one vector in, a sequence out (captioning-style generation)."""

import numpy as np

from ..nn.dense import Dense
from .base import Head, _check_float_dtype


class Vec2SeqHead(Head):
    """Vector in, sequence of ``output_length`` steps out.

    The vector sets the initial hidden state of every layer
    (``h0 = tanh(W x + b)``, when ``init_state``) and is fed at every step together
    with the step's position ``t / output_length``; a dense layer reads every step.

    Parameters
    ----------
    init_state : bool, default=True
        Derive the initial hidden state from the vector (else zeros).
    """

    name = "vec2seq"
    input_kind = "vector"
    output_kind = "sequence"

    def build(self, spec):
        self.init_state = bool(self.options.get("init_state", True))
        unknown = set(self.options) - {"init_state"}
        if unknown:
            raise ValueError(f"head 'vec2seq' got unknown options {sorted(unknown)}; it accepts ['init_state']")
        if not spec.output_length:
            raise ValueError("head 'vec2seq' needs output_length (or y of shape (n, output_length[, k]))")
        self.output_length = spec.output_length
        self.rnn = self._recurrent(spec, spec.n_features + 1)
        self.out = Dense(spec.hidden_size, spec.n_outputs, spec.dtype)
        components = [self.rnn, self.out]
        self.component_names = ["rnn", "out"]
        if self.init_state:
            self.init = Dense(spec.n_features, spec.num_layers * spec.hidden_size, spec.dtype)
            components.append(self.init)
            self.component_names.append("init")
        return components

    def _inputs(self, X, length):
        B, F = X.shape
        steps = np.empty((B, length, F + 1), dtype=X.dtype)
        steps[:, :, :F] = X[:, None, :]
        steps[:, :, F] = np.arange(length, dtype=X.dtype) / X.dtype.type(self.output_length)
        return steps

    def forward(self, X, lengths=None, y=None, training=False, output_length=None):
        length = self.output_length if output_length is None else output_length
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
            raise ValueError(f"output_length must be a positive integer, got {length!r}")
        B = X.shape[0]
        L, H = self.rnn.num_layers, self.rnn.hidden_size
        if self.init_state:
            h0 = np.tanh(self.init.forward(X))  # (B, L*H)
            self._h0 = h0
            state = np.ascontiguousarray(h0.reshape(B, L, H).transpose(1, 0, 2))
        else:
            state = np.zeros((L, B, H), X.dtype)
        if self.rnn.cell == "lstm":
            state = (state, np.zeros_like(state))
        Y, _ = self.rnn.forward(self._inputs(X, length), state, check_input=False, training=training)
        return self.out.forward(Y)

    def predict(self, X, lengths=None, output_length=None):
        _check_float_dtype(X, self.spec.dtype)
        return self.forward(X, output_length=output_length)

    def backward(self, dout):
        # the inputs are the data vector (fed at each step) or zeros: nothing to train below
        _, dstate = self.rnn.backward(self.out.backward(dout), check_input=False, need_input_grad=False)
        if self.init_state:
            dh0 = dstate[0] if self.rnn.cell == "lstm" else dstate
            B = dh0.shape[1]
            dh0 = dh0.transpose(1, 0, 2).reshape(B, -1)
            self.init.backward(dh0 * (1 - self._h0 * self._h0))
