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
from ..nn.embedding import Embedding
from ..nn.init import as_generator
from ..nn._device import check_device
from ..nn.recurrent import Recurrent


NON_FINITE_OUTPUTS = (
    "the network produced NaN or infinite outputs; the weights or inputs are out of range "
    "(refit with a lower learning_rate or scale X)"
)


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
    vocab_size, embedding_dim : int or None
        Token input: X holds integer ids in ``[0, vocab_size)``, looked up in a trainable
        embedding of ``embedding_dim`` (= ``n_features``) columns that the head owns as its
        last component (see :meth:`Head.initialize`). None for float input.
    padding_idx : int or None
        Id of the padding token (zero row, no gradient).
    device : {"cpu", "cuda", "auto"}
        Where the recurrent components run (see :class:`~tsrnn.nn.recurrent.Recurrent`).
        Not stored in model files: a loaded model runs on the CPU until
        :meth:`Head.set_device` (or a warm-start fit) moves it.
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
    vocab_size: int = None
    embedding_dim: int = None
    padding_idx: int = None
    device: str = "cpu"


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
    embedding = None  # an Embedding when the spec asks for token input

    def __init__(self, **options):
        self.options = options

    def get_options(self):
        return dict(self.options)

    # -- to implement ----------------------------------------------------------------
    def build(self, spec):
        """Create the components for ``spec`` and return them as a list (each with
        ``n_params``, ``flat_params``, ``bind``, ``reset_parameters``)."""
        raise NotImplementedError(f"head {self.name!r} ({type(self).__name__}) must implement build(spec)")

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
        raise NotImplementedError(f"head {self.name!r} ({type(self).__name__}) must implement forward(X, lengths, "
                                  "y=None, training=False)")

    def backward(self, dout):
        """Write the gradient of the loss w.r.t. every parameter into ``flat_grad``.

        Parameters
        ----------
        dout : ndarray, same shape as the last training :meth:`forward`'s output

        Returns
        -------
        dX : ndarray, same shape as the last training forward's X, or None
            Gradient w.r.t. the input, needed only where :attr:`needs_input_grad` (an
            embedding below the head trains on it; a head that returns None cannot take
            token input). The built-in heads return None otherwise: they skip that
            product.
        """
        raise NotImplementedError(f"head {self.name!r} ({type(self).__name__}) must implement backward(dout)")

    @property
    def needs_input_grad(self):
        """Whether :meth:`backward` must return the gradient w.r.t. its input: True with
        token input (the embedding trains on it). A subclass that puts a trainable layer
        of its own before the recurrent network, and chains a built-in head's
        ``backward``, returns True here to get that gradient."""
        return self.embedding is not None

    # -- defaults --------------------------------------------------------------------
    def initialize(self, spec):
        """Build, draw initial weights and bind everything to one flat array.

        With ``spec.embedding_dim`` set, an :class:`~tsrnn.nn.embedding.Embedding` is
        appended as the last component (named ``"embedding"``): its table shares the
        head's flat parameter vector, so optimizers, clipping and model files see it.
        The head itself only ever sees embedded float input of ``embedding_dim`` features;
        callers go through :meth:`embed` and :meth:`backward_embedding`.
        """
        self.spec = spec
        for attr, allowed in (("input_kind", ("sequence", "vector")), ("output_kind", ("sequence", "vector"))):
            if getattr(self, attr) not in allowed:
                raise ValueError(f"head {self.name!r}: {attr}={getattr(self, attr)!r}; it must be one of {allowed}")
        built = self.build(spec)
        try:
            if isinstance(built, (str, bytes, dict)):  # iterable, but not a list of components
                raise TypeError
            self.components = list(built)
        except TypeError:
            raise TypeError(f"head {self.name!r}: build(spec) must return the list of its components, got "
                            f"{type(built).__name__}") from None
        bad = [c for c in self.components if not all(hasattr(c, a) for a in ("n_params", "bind", "reset_parameters"))]
        if bad:
            raise TypeError(f"head {self.name!r}: build(spec) returned {type(bad[0]).__name__}, not a component "
                            "(e.g. tsrnn.nn.Recurrent or Dense, with n_params, bind and reset_parameters)")
        self.embedding = None
        if spec.embedding_dim is not None:
            if self.input_kind != "sequence":
                raise ValueError(f"head {self.name!r} takes vectors: token input (embedding_dim) needs a sequence head")
            if spec.n_features != spec.embedding_dim:
                raise ValueError(f"token input needs n_features == embedding_dim, got {spec.n_features} and {spec.embedding_dim}")
            if not spec.vocab_size:
                raise ValueError("token input (embedding_dim) needs vocab_size")
            self.embedding = Embedding(spec.vocab_size, spec.embedding_dim, spec.padding_idx, spec.dtype)
            self.components.append(self.embedding)
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
        _check_float_dtype(X, self.spec.dtype)
        return self.forward(X, lengths, training=False)

    # True when predict_checked takes target_scaling=(scale, shift) (see LastStepHead)
    fuses_target_scaling = False

    def predict_checked(self, X, limit):
        """Outputs for finite-looking full-length input ``X`` (n, T, F) through a fused
        fast path, or None where the head has none (the default) or ``X`` holds a value
        that is NaN, infinite or beyond ``limit`` (the caller then validates X in full).
        Estimators ask only for batches the head :meth:`predicts_serially`. Raises
        FloatingPointError when the outputs are not finite."""
        return None

    def predicts_serially(self, batch_size):
        """Whether :meth:`predict` on ``batch_size`` samples runs on the calling thread
        only (then estimators skip setting thread counts around it: that costs more
        than a one-sample forward pass)."""
        return False

    def embed(self, X):
        """The head's input for ``X``: token ids (n, T) -> vectors (n, T, embedding_dim)
        when the model has an embedding, else ``X`` unchanged."""
        if self.embedding is None:
            return X
        return self.embedding.forward(X)

    def backward_embedding(self, dX):
        """After :meth:`backward`: push its input gradient ``dX`` into the embedding's
        gradient (no-op without an embedding)."""
        if self.embedding is None:
            return
        if dX is None:
            raise TypeError(f"head {self.name!r} returned no input gradient from backward(); it cannot take token input")
        self.embedding.backward(dX)

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
        n = len(self.components) - (self.embedding is not None)
        names = list(getattr(self, "component_names", [f"c{i}" for i in range(n)]))[:n]
        return names + (["embedding"] if self.embedding is not None else [])

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("flat_grad", None)
        state.pop("_serial_cache", None)  # derived from the weights (see LastStepHead)
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
            nonlinearity=spec.nonlinearity, dtype=spec.dtype, device=getattr(spec, "device", "cpu"),
        )

    def release_device_buffers(self):
        """Free what the recurrent components keep on the GPU between training passes."""
        for component in self.components:
            if isinstance(component, Recurrent):
                component.release_device_buffers()

    def release_training_buffers(self):
        """Free what the recurrent components keep between training passes (see
        :meth:`tsrnn.nn.Recurrent.release_training_buffers`)."""
        for component in self.components:
            if isinstance(component, Recurrent):
                component.release_training_buffers()

    def set_device(self, device):
        """Run every recurrent component on ``device`` ("cpu", "cuda" or "auto") from now
        on; the weights do not move (they live in the host ``flat_params`` either way)."""
        device = check_device(device)
        for component in self.components:
            if isinstance(component, Recurrent):
                component.device = device
        self.spec.device = device
        return self

    def __repr__(self):
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({opts})"


def _check_float_dtype(X, dtype):
    """TypeError naming both dtypes when float input ``X`` is not in the network's dtype
    (the kernels would fail to type it; token ids and vectors of ints are the
    embedding's business)."""
    kind = getattr(getattr(X, "dtype", None), "kind", None)
    if kind == "f" and X.dtype != np.dtype(dtype):
        raise TypeError(f"X is {X.dtype} but the network computes in {np.dtype(dtype).name}; "
                        f"convert it with X.astype({np.dtype(dtype).name!r})")
