"""The ``Head`` protocol: how a task's inputs become outputs through recurrent cells.

A head owns every parameterised piece of a model (the recurrent body it needs plus its
output layers), all bound to ONE flat parameter array, so the estimators' optimizer,
clipping and checkpoints act on a single vector whatever the task shape.

Writing a head
--------------
Subclass :class:`Head`, set ``input_kind`` / ``output_kind``, implement
:meth:`build`, :meth:`forward` and :meth:`backward` (override :meth:`loss` or
:meth:`predict` when the defaults do not fit), and register it::

    from tsrnn.heads import Head, register

    @register("my_head")
    class MyHead(Head):
        ...

Third-party packages can instead declare an entry point in the ``tsrnn.heads`` group
(``my_head = my_package.heads:MyHead``); ``head="my_head"`` then works in every
estimator.
"""

from dataclasses import dataclass

import numpy as np

from ..nn.dense import bind_components
from ..nn.init import as_generator
from ..nn.recurrent import Recurrent


@dataclass
class ModelSpec:
    """What an estimator tells a head when it builds the model.

    Attributes
    ----------
    cell : {"rnn", "lstm", "gru"}
    hidden_size, num_layers : int
    nonlinearity : {"tanh", "relu"}
    dtype : numpy float dtype
    n_features : int
        Features per input step (sequence input) or per input vector (vector input).
    n_outputs : int
        Regression targets per output (step), or number of classes.
    output_length : int or None
        Output steps for sequence outputs (None for vector outputs).
    task : {"regression", "classification"}
    random_state : int, Generator or None
        Seed for the initial weights.
    """

    cell: str
    hidden_size: int
    num_layers: int
    nonlinearity: str
    dtype: type
    n_features: int
    n_outputs: int
    output_length: int = None
    task: str = "regression"
    random_state: object = None


class Head:
    """Base class of task heads.

    Class attributes
    ----------------
    name : str
        Registry name.
    input_kind : {"sequence", "vector"}
        X of shape (n, T, F) or (n, F).
    output_kind : {"vector", "sequence"}
        Outputs of shape (n, k) or (n, T_out, k) (k classes for classification).
    aligned : bool
        For sequence outputs: True when output step t belongs to input step t (so the
        output length is the input length and padded steps are masked from the loss).

    Parameters are head-specific options, stored as given; they are validated in
    :meth:`build`.
    """

    name = None
    input_kind = "sequence"
    output_kind = "vector"
    aligned = False

    def __init__(self, **options):
        self.options = options

    def get_options(self):
        return dict(self.options)

    # -- to implement ----------------------------------------------------------------
    def build(self, spec):
        """Create the components for ``spec`` and return them as a list (each with
        ``n_params``, ``flat_params``, ``bind``, ``reset_parameters``)."""
        raise NotImplementedError

    def forward(self, X, lengths, y=None, training=False):
        """Outputs for a batch.

        Parameters
        ----------
        X : ndarray of shape (n, T, F) or (n, F)
        lengths : ndarray of shape (n,), int64, or None for vector input
        y : ndarray, optional
            Targets of the batch (training only; used by teacher forcing).
        training : bool
            True when a :meth:`backward` will follow.

        Returns
        -------
        out : ndarray of shape (n, k) or (n, T_out, k)
        """
        raise NotImplementedError

    def backward(self, dout):
        """Write the gradient of the loss w.r.t. every parameter into ``flat_grad``.

        Parameters
        ----------
        dout : ndarray, same shape as the last training :meth:`forward`'s output
        """
        raise NotImplementedError

    # -- defaults --------------------------------------------------------------------
    def initialize(self, spec):
        """Build, draw initial weights and bind everything to one flat array."""
        self.spec = spec
        self.components = self.build(spec)
        rng = as_generator(spec.random_state)
        for component in self.components:
            component.reset_parameters(rng)
        self.flat_params, self.flat_grad = bind_components(self.components, spec.dtype)
        return self

    def loss(self, out, y, sample_weight, lengths, loss_fn):
        """``(value, dout)`` of ``loss_fn`` on a batch; aligned sequence heads mask padded steps."""
        if self.output_kind == "sequence" and self.aligned and lengths is not None and lengths.min() < out.shape[1]:
            mask = np.arange(out.shape[1])[None, :] < lengths[:, None]
            w = None if sample_weight is None else np.broadcast_to(sample_weight[:, None], mask.shape)[mask]
            value, d_valid = loss_fn(out[mask], y[mask], w)
            dout = np.zeros_like(out)
            dout[mask] = d_valid
            return value, dout
        return loss_fn(out, y, sample_weight)

    def predict(self, X, lengths):
        """Outputs for new data (no teacher forcing)."""
        return self.forward(X, lengths, training=False)

    def on_epoch_start(self, epoch, rng):
        """Called by the fit loop before each epoch (e.g. for scheduled teacher forcing)."""

    @property
    def n_params(self):
        return self.flat_params.size

    def named_parameters(self):
        """dict of name -> view, every parameter of every component."""
        out = {}
        for i, component in enumerate(self.components):
            for name, view in component.weights.items():
                out[f"{self._component_names()[i]}.{name}"] = view
        return out

    def _component_names(self):
        return getattr(self, "component_names", [f"c{i}" for i in range(len(self.components))])

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("flat_grad", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "components" in state:  # re-point the components at the (unpickled) flat array
            params = self.flat_params
            self.flat_params, self.flat_grad = bind_components(self.components, params.dtype)
            self.flat_params[...] = params

    def _recurrent(self, spec, input_size):
        return Recurrent(
            spec.cell, input_size, spec.hidden_size, num_layers=spec.num_layers,
            nonlinearity=spec.nonlinearity, dtype=spec.dtype,
        )

    def __repr__(self):
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({opts})"
