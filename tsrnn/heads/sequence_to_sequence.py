"""``"sequence"``: aligned seq2seq. A dense output at every step of the top layer."""

from ..nn.dense import Dense
from .base import Head


class SequenceHead(Head):
    """Sequence in, sequence of the same length out: ``dense(Y[:, t])`` for every t.

    Padded steps (past a sample's length) are left out of the loss.
    """

    name = "sequence"
    input_kind = "sequence"
    output_kind = "sequence"
    aligned = True
    component_names = ["rnn", "out"]

    def build(self, spec):
        if self.options:
            raise ValueError(f"head 'sequence' takes no options, got {sorted(self.options)}")
        self.rnn = self._recurrent(spec, spec.n_features)
        self.out = Dense(spec.hidden_size, spec.n_outputs, spec.dtype)
        return [self.rnn, self.out]

    def forward(self, X, lengths, y=None, training=False, h0=None):
        """As :meth:`Head.forward`; ``h0`` (optional) is the recurrent body's initial state
        (``(h0, c0)`` for an LSTM), e.g. carried over from the previous chunk of a stream
        (truncated BPTT: it is a constant, no gradient flows into it). The final state is
        kept in ``self.h_n``."""
        Y, self.h_n = self.rnn.forward(X, h0, lengths=lengths, check_input=False, training=training)
        return self.out.forward(Y)

    def backward(self, dout):
        dX, _ = self.rnn.backward(self.out.backward(dout), check_input=False,
                                  need_input_grad=self.needs_input_grad)
        return dX
