"""``"encoder_decoder"``: sequence in, sequence of an independent length out."""

import numpy as np

from .._memory import check_allocation, nbytes_of
from ..nn.dense import Dense
from .base import Head, _check_float_dtype


class EncoderDecoderHead(Head):
    """An encoder RNN reads X; its final state initialises a decoder RNN that emits
    ``output_length`` steps, each fed the previous step's output.

    During training the decoder is fed the true previous output with probability
    ``teacher_forcing`` (scheduled: it decreases by ``teacher_forcing_decay`` per
    epoch, never below 0); otherwise its own previous prediction, treated as a constant
    (no gradient flows through the feedback). At prediction time it always feeds back
    its own outputs. The first step is fed zeros. For classification the fed-back
    value is the one-hot class (true or predicted argmax).

    Parameters
    ----------
    teacher_forcing : float in [0, 1], default=1.0
    teacher_forcing_decay : float >= 0, default=0.0
    """

    name = "encoder_decoder"
    input_kind = "sequence"
    output_kind = "sequence"
    component_names = ["encoder", "decoder", "out"]

    def build(self, spec):
        opts = {"teacher_forcing": 1.0, "teacher_forcing_decay": 0.0}
        unknown = set(self.options) - set(opts)
        if unknown:
            raise ValueError(f"head 'encoder_decoder' got unknown options {sorted(unknown)}; it accepts {sorted(opts)}")
        opts.update(self.options)
        self.teacher_forcing = float(opts["teacher_forcing"])
        self.teacher_forcing_decay = float(opts["teacher_forcing_decay"])
        if not 0.0 <= self.teacher_forcing <= 1.0:
            raise ValueError(f"teacher_forcing must lie in [0, 1], got {self.teacher_forcing}")
        if self.teacher_forcing_decay < 0:
            raise ValueError(f"teacher_forcing_decay must be >= 0, got {self.teacher_forcing_decay}")
        if not spec.output_length:
            raise ValueError("head 'encoder_decoder' needs output_length (or y of shape (n, output_length[, k]))")
        self.output_length = spec.output_length
        self.classification = spec.task == "classification"
        self.k = spec.n_outputs
        self.encoder = self._recurrent(spec, spec.n_features)
        self.decoder = self._recurrent(spec, self.k)
        self.out = Dense(spec.hidden_size, self.k, spec.dtype)
        self.ratio = self.teacher_forcing
        self._rng = np.random.default_rng(0)
        return [self.encoder, self.decoder, self.out]

    def on_epoch_start(self, epoch, rng):
        self.ratio = max(0.0, self.teacher_forcing - self.teacher_forcing_decay * epoch)
        self._rng = rng

    def _feedback(self, values):
        """What the decoder is fed for outputs ``values`` ((B, k) outputs or (B,) labels)."""
        if not self.classification:
            return values
        labels = values if values.ndim == 1 else values.argmax(axis=-1)
        onehot = np.zeros((labels.shape[0], self.k), dtype=self.out.dtype)
        onehot[np.arange(labels.shape[0]), labels] = 1
        return onehot

    def _generate(self, state, length, B, dtype):
        """Autoregressive decoding; returns outputs (B, length, k) and the inputs it fed."""
        check_allocation(2 * nbytes_of((B, length, self.k), np.dtype(dtype).itemsize),
                         f"decoding {B} sequences of {length} steps ({self.k} outputs per step)",
                         "use a smaller output_length or predict fewer samples at a time")
        outs = np.empty((B, length, self.k), dtype)
        fed = np.zeros((B, length, self.k), dtype)
        inp = np.zeros((B, 1, self.k), dtype)
        for t in range(length):
            fed[:, t] = inp[:, 0]
            Y, state = self.decoder.forward(inp, state, check_input=False, training=False)
            outs[:, t] = self.out.forward(Y[:, 0])
            inp = self._feedback(outs[:, t])[:, None, :]
        return outs, fed

    def forward(self, X, lengths, y=None, training=False, output_length=None):
        B = X.shape[0]
        _, state = self.encoder.forward(X, lengths=lengths, check_input=False, training=training)
        self._enc_shape = (B, X.shape[1], self.encoder.hidden_size)
        if not training or y is None:
            length = self.output_length if output_length is None else output_length
            return self._generate(state, length, B, X.dtype)[0]
        length = y.shape[1]
        truth = np.zeros((B, length, self.k), X.dtype)
        for t in range(1, length):
            truth[:, t] = self._feedback(y[:, t - 1])
        if self.ratio >= 1.0:
            dec_in = truth
        else:  # scheduled sampling: mix true and self-generated inputs, then one full pass
            _, generated = self._generate(state, length, B, X.dtype)
            use_truth = self._rng.random((B, length, 1)) < self.ratio
            dec_in = np.where(use_truth, truth, generated)  # _generate left the encoder cache intact
        Y, _ = self.decoder.forward(np.ascontiguousarray(dec_in), state, check_input=False)
        return self.out.forward(Y)

    def predict(self, X, lengths, output_length=None):
        _check_float_dtype(X, self.spec.dtype)
        return self.forward(X, lengths, output_length=output_length)

    def backward(self, dout):
        # the decoder reads targets or its own outputs (no gradient flows into them)
        _, dstate = self.decoder.backward(self.out.backward(dout), check_input=False, need_input_grad=False)
        dX, _ = self.encoder.backward(np.zeros(self._enc_shape, dout.dtype), dstate, check_input=False,
                                      need_input_grad=self.needs_input_grad)
        return dX
