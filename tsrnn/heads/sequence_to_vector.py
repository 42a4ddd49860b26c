"""``"last"``: seq2vec. Pool the top layer's outputs over time, then a dense layer."""

import numpy as np

from ..kernels.cpu import last_state
from ..nn import _device
from ..nn.dense import Dense
from .base import NON_FINITE_OUTPUTS, Head

POOLINGS = ("last", "mean", "max")

# Up to this many samples, the head predicts through one compiled call per batch
# (tsrnn.kernels.cpu.last_state: matrix-vector products, no Python per layer). Measured
# against the batched kernels (2 cores, T=24): 2-4x faster at B=4, still ahead at B=16
# for H=32..128; from B=32 the batched kernels run chunks on parallel threads.
SERIAL_MAX_BATCH = 16


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
        B = X.shape[0]
        if lengths is None:  # every sample full length (as the serial predict path reads None)
            lengths = np.full(B, X.shape[1], dtype=np.int64)
        # On the GPU, "last" pooling reads the top layer's final states (equal to Y at each
        # sample's last step): the (B, T, H) outputs and their gradient never cross the bus.
        from_states = self.pooling == "last" and _device.use_cuda(self.rnn.device, B)
        self._from_states = from_states  # for backward (which follows a training forward in its thread)
        if from_states:
            _, state = self.rnn.forward(X, lengths=lengths, check_input=False, training=training,
                                        return_sequences=False)
            feats = (state[0] if self.rnn.cell == "lstm" else state)[-1]
            self._shape = (B, X.shape[1], self.rnn.hidden_size)
        else:
            Y, _ = self.rnn.forward(X, lengths=lengths, check_input=False, training=training)
            if self.pooling == "last":
                feats = Y[np.arange(B), lengths - 1]
            elif self.pooling == "mean":
                feats = Y.sum(axis=1) / lengths[:, None].astype(Y.dtype)  # Y is zero past each length
            else:
                valid = np.arange(Y.shape[1])[None, :, None] < lengths[:, None, None]
                self._argmax = np.where(valid, Y, -np.inf).argmax(axis=1)  # (B, H)
                feats = np.take_along_axis(Y, self._argmax[:, None, :], axis=1)[:, 0]
            self._shape = Y.shape
        self._lengths = lengths
        return self.out.forward(np.ascontiguousarray(feats))

    def predicts_serially(self, batch_size):
        # a subclass that changes forward or predict (a plugin head) predicts through them,
        # never the fused kernels
        cls = type(self)
        if (batch_size > SERIAL_MAX_BATCH or cls.forward is not LastStepHead.forward
                or cls.predict is not LastStepHead.predict):
            return False
        device = self.rnn.device
        return device == "cpu" or not _device.use_cuda(device, batch_size)

    def predict(self, X, lengths):
        if not (self.predicts_serially(X.shape[0]) and X.dtype == self.rnn.dtype and X.ndim == 3):
            return super().predict(X, lengths)
        B, T, _ = X.shape
        lengths = np.full(B, T, dtype=np.int64) if lengths is None else np.ascontiguousarray(lengths, dtype=np.int64)
        X = np.ascontiguousarray(X)
        out = np.empty((B, self.out.out_features), dtype=X.dtype)
        last_state.predict_last(self.rnn.cell, self.rnn.nonlinearity, X, lengths, self._serial_weights(),
                                self.out.flat_params, out, self.pooling)
        return out

    # predict_checked also applies a regressor's target scaling inside the compiled call
    fuses_target_scaling = True

    def predict_checked(self, X, limit, target_scaling=None):
        """Outputs for a few full-length samples in one compiled call (see
        :func:`tsrnn.kernels.cpu.last_state.predict_last_checked`), or None where that
        call does not apply (GPU, token input, X not
        C-contiguous in the network's dtype, more than SERIAL_MAX_BATCH samples),
        where a value of X is NaN, infinite or beyond ``limit``, or where the
        parameters hold NaN (never equal to the cached copy's snapshot).

        Parameters
        ----------
        X : ndarray of shape (n, T, F)
        limit : float
        target_scaling : (ndarray, ndarray) of shape (n_outputs,) each, optional
            ``(scale, shift)``, in the regressor's target dtype: the outputs returned are then
            ``out * scale + shift`` in float64, rounded as NumPy rounds it.

        Raises
        ------
        FloatingPointError
            When the network's outputs are not finite.
        """
        rnn = self.rnn
        if (X.dtype != rnn.dtype or X.ndim != 3 or X.shape[2] != rnn.input_size or not X.flags.c_contiguous
                or self.embedding is not None or not self.predicts_serially(X.shape[0])):
            return None  # the full path validates (and explains) what this one cannot take
        out = np.empty((X.shape[0], self.out.out_features), dtype=X.dtype)
        if target_scaling is None:
            scale, shift, dest = last_state.NO_AFFINE[X.dtype]
        else:
            scale, shift = target_scaling
            dest = np.empty(out.shape)
        # (last_state.predict_last_checked, called without its Python layer: ~0.3 us)
        kernel = last_state.CHECKED_KERNELS[rnn.cell]
        nonlinearity, pooling = last_state.NONLINEARITIES[rnn.nonlinearity], last_state.POOLINGS[self.pooling]
        # the cached transposed weights, checked against the parameters inside the call
        weights = self.__dict__.get("_serial_cache") or self._stack_serial_weights()
        status = kernel(X, rnn.flat_params, *weights, nonlinearity, pooling, self.out.flat_params, out, limit, scale,
                        shift, dest)
        if status == last_state.STALE_WEIGHTS:
            status = kernel(X, rnn.flat_params, *self._stack_serial_weights(), nonlinearity, pooling,
                            self.out.flat_params, out, limit, scale, shift, dest)
        if status == last_state.INPUT_OUT_OF_RANGE or status == last_state.STALE_WEIGHTS:
            return None  # (stale right after a rebuild: NaN parameters, which never compare equal)
        if status == last_state.OUTPUT_NOT_FINITE:
            raise FloatingPointError(NON_FINITE_OUTPUTS)
        return out if target_scaling is None else dest

    def _serial_weights(self):
        """The recurrent weights transposed for the serial kernels, rebuilt when they changed.

        Kept with a copy of the parameters they came from: the check is one pass over
        them, the transpose several (weights change in place during training). A rebuild
        makes new arrays, never edits the cached ones, so concurrent predicts are safe.

        Returns
        -------
        (w_t, bias_ih, bias_hh) : see :func:`tsrnn.kernels.cpu.last_state.stack_weights`
        """
        cached = self.__dict__.get("_serial_cache")
        if cached is not None and last_state.same_values(cached[0], self.rnn.flat_params):
            return cached[1:]
        return self._stack_serial_weights()[1:]

    def _stack_serial_weights(self):
        """Transpose the recurrent weights now; cache and return ``(snapshot, w_t,
        bias_ih, bias_hh)``, ``snapshot`` a copy of the parameters they came from."""
        rnn = self.rnn
        snapshot = rnn.flat_params.copy()
        cached = (snapshot, *last_state.stack_weights(snapshot, rnn.input_size, rnn.hidden_size,
                                                     rnn.n_gates * rnn.hidden_size, rnn.num_layers))
        self._serial_cache = cached
        return cached

    def backward(self, dout):
        dfeats = self.out.backward(dout)
        B, T, H = self._shape
        if self.__dict__.get("_from_states"):
            dh_n = np.zeros((self.rnn.num_layers, B, H), dtype=dfeats.dtype)
            dh_n[-1] = dfeats
            dX, _ = self.rnn.backward(None, (dh_n, None) if self.rnn.cell == "lstm" else dh_n, check_input=False,
                                      need_input_grad=self.needs_input_grad)
            return dX
        dY = np.zeros(self._shape, dtype=dfeats.dtype)
        if self.pooling == "last":
            dY[np.arange(B), self._lengths - 1] = dfeats
        elif self.pooling == "mean":
            dY += (dfeats / self._lengths[:, None].astype(dfeats.dtype))[:, None, :]
        else:
            np.put_along_axis(dY, self._argmax[:, None, :], dfeats[:, None, :], axis=1)
        dX, _ = self.rnn.backward(dY, check_input=False, need_input_grad=self.needs_input_grad)
        return dX
