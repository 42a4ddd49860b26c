"""``Recurrent``: a stack of RNN / LSTM / GRU layers with one flat parameter array."""

import warnings

import numpy as np

from .._memory import SMALL, check_allocation, check_parameters
from ..kernels.cpu._denormals import flushed_denormals
from ..kernels.cpu.layers import LAYERS, Workspace
from . import _device
from .init import as_generator, init_layer

CELLS = ("rnn", "lstm", "gru")
NONLINEARITIES = ("tanh", "relu")
DTYPES = {"float32": np.float32, "float64": np.float64}
PARAM_KINDS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _check_option(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not supported; choose one of {sorted(allowed)}")


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def resolve_dtype(dtype):
    """``np.float32`` or ``np.float64`` from any NumPy spelling of them ("float32", "f4",
    np.float64, "double", ...); anything else is an error."""
    try:
        key = np.dtype(dtype).name if dtype is not None else None
    except (TypeError, ValueError):
        key = None
    if key not in DTYPES:
        raise ValueError(f"dtype={dtype!r} is not supported; choose 'float32' or 'float64'")
    return DTYPES[key]


def activation_bytes(cell, batch, steps, hidden_size, num_layers=1, dtype="float32", training=True, input_size=None):
    """Estimated bytes of the buffers a forward pass (and the backward pass after it, when
    ``training``) of a ``cell`` stack allocates for ``batch`` sequences of ``steps`` steps.
    ``input_size``: the first layer's input width, which a GRU's weight gradients copy
    (with a column of ones); None leaves that copy out."""
    G = {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    itemsize = np.dtype(dtype).itemsize
    per_step = int(batch) * int(steps) * int(hidden_size) * itemsize
    if training:  # every layer's cache, plus the backward pass's gate gradients and input copies
        inputs = 0 if input_size is None else int(batch) * int(steps) * (int(input_size) + 1) * itemsize
        return per_step * ((2 + 2 * G) * int(num_layers) + G + 2 + int(num_layers) - 1) + inputs
    return per_step * (G + 3)


class Recurrent:
    """A stack of recurrent layers, batch first, weights laid out like PyTorch.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
        Recurrent cell. LSTM gates are ordered i, f, g, o and GRU gates r, z, n,
        exactly as in ``torch.nn.LSTM`` / ``torch.nn.GRU``.
    input_size : int
        Features per time step.
    hidden_size : int
        Hidden units per layer.
    num_layers : int, default=1
        Stacked layers; layer k > 0 reads the outputs of layer k - 1.
    nonlinearity : {"tanh", "relu"}, default="tanh"
        Activation of the Elman RNN (ignored by LSTM and GRU).
    dtype : {"float32", "float64"}, default="float32"
    random_state : None, int, Generator or RandomState
        Seed for the initial weights.
    recurrent_init : {"orthogonal", "identity"}, default="orthogonal"
        "identity" gives the IRNN initialisation (use with ``nonlinearity="relu"``).
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where forward/backward run. "cuda" needs a usable NVIDIA GPU (or numba's CUDA
        simulator) and raises :class:`~tsrnn.exceptions.DeviceUnavailableError` naming
        the reason otherwise; "auto" uses the GPU when one is usable and the batch is
        large enough (``tsrnn.nn._device.CUDA_AUTO_MIN_BATCH``). Weights and results
        stay host numpy arrays either way (see ``tsrnn.nn._device`` for the copies).

    Attributes
    ----------
    flat_params : ndarray of shape (n_params,)
        Every weight of every layer in one array; ``weights`` holds views into it.
    flat_grad : ndarray of shape (n_params,)
        Gradients, same layout; ``grads`` holds views into it.
    weights, grads : dict of str -> ndarray
        Views keyed like PyTorch: ``weight_ih_l0`` of shape (G*H, input_size),
        ``weight_hh_l0`` (G*H, H), ``bias_ih_l0`` and ``bias_hh_l0`` (G*H,), with
        G = 4 (LSTM), 3 (GRU), 1 (RNN).

    Notes
    -----
    A training ``forward`` keeps its cache for the next :meth:`backward` in scratch
    arrays reused by later passes (they grow to the largest batch seen); the arrays it
    returns are always new. :meth:`release_training_buffers` frees the scratch arrays
    (the estimators' fit loops call it when they end). A network is not meant to be
    trained from two threads at once; inference (``training=False``) keeps nothing
    and may run from several.

    Examples
    --------
    >>> net = Recurrent("lstm", input_size=3, hidden_size=8, random_state=0)
    >>> Y, (h_n, c_n) = net.forward(np.zeros((2, 5, 3), np.float32))
    >>> Y.shape, h_n.shape
    ((2, 5, 8), (1, 2, 8))
    """

    def __init__(
        self,
        cell,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        dtype="float32",
        random_state=None,
        recurrent_init="orthogonal",
        device="cpu",
    ):
        _check_option("cell", cell, CELLS)
        _check_option("nonlinearity", nonlinearity, NONLINEARITIES)
        _check_option("recurrent_init", recurrent_init, ("orthogonal", "identity"))
        self.cell = cell
        self.input_size = _check_positive_int("input_size", input_size)
        self.hidden_size = _check_positive_int("hidden_size", hidden_size)
        self.num_layers = _check_positive_int("num_layers", num_layers)
        self.nonlinearity = nonlinearity
        self.dtype = resolve_dtype(dtype)
        self.recurrent_init = recurrent_init
        self.device = _device.check_device(device)
        self._ops = LAYERS[cell]
        G, H, L = self.n_gates, self.hidden_size, self.num_layers  # before the layout: num_layers may be absurd
        check_parameters(G * H * (self.input_size + H + 2) + (L - 1) * G * H * (2 * H + 2), self.dtype,
                         f"a {cell.upper()} network")
        self._layout = self._param_layout()
        self.n_params = sum(int(np.prod(shape)) for _, shape in self._layout)
        self.bind(np.zeros(self.n_params, self.dtype), np.zeros(self.n_params, self.dtype))
        self.reset_parameters(random_state)
        self._cache = None

    # ------------------------------------------------------------------ parameters
    @property
    def n_gates(self):
        return self._ops.n_gates

    def _param_layout(self):
        G, H = self.n_gates, self.hidden_size
        layout = []
        for k in range(self.num_layers):
            in_k = self.input_size if k == 0 else H
            layout += [
                (f"weight_ih_l{k}", (G * H, in_k)),
                (f"weight_hh_l{k}", (G * H, H)),
                (f"bias_ih_l{k}", (G * H,)),
                (f"bias_hh_l{k}", (G * H,)),
            ]
        return layout

    def _views(self, flat):
        views, offset = {}, 0
        for name, shape in self._layout:
            size = int(np.prod(shape))
            views[name] = flat[offset : offset + size].reshape(shape)
            offset += size
        return views

    def bind(self, flat_params, flat_grad):
        """Make ``flat_params`` / ``flat_grad`` (views into a larger model vector, say) this
        network's storage. Current weights are not copied: fill them afterwards.

        Parameters
        ----------
        flat_params, flat_grad : ndarray of shape (n_params,)
            C-contiguous, this network's dtype.
        """
        for name, arr in (("flat_params", flat_params), ("flat_grad", flat_grad)):
            if arr.shape != (self.n_params,) or arr.dtype != self.dtype or not arr.flags.c_contiguous:
                raise ValueError(
                    f"{name} must be a C-contiguous {np.dtype(self.dtype).name} array of shape "
                    f"({self.n_params},); got {arr.dtype} {arr.shape}"
                )
        self.flat_params = flat_params
        self.flat_grad = flat_grad
        self.weights = self._views(flat_params)
        self.grads = self._views(flat_grad)

    def reset_parameters(self, random_state=None):
        """Draw fresh weights (Glorot input, orthogonal/identity recurrent, forget bias 1)."""
        rng = as_generator(random_state)
        forget_gate = 1 if self.cell == "lstm" else None
        for k in range(self.num_layers):
            in_k = self.input_size if k == 0 else self.hidden_size
            values = init_layer(rng, self.n_gates, in_k, self.hidden_size, self.recurrent_init, forget_gate)
            for kind, value in zip(PARAM_KINDS, values):
                self.weights[f"{kind}_l{k}"][...] = value

    def _layer(self, k, source):
        return tuple(source[f"{kind}_l{k}"] for kind in PARAM_KINDS)

    def state_dict(self):
        """Copies of the weights keyed like PyTorch's ``state_dict()``."""
        return {name: view.copy() for name, view in self.weights.items()}

    def load_state_dict(self, state):
        """Copy weights in from a dict keyed like PyTorch (numpy arrays or torch tensors).

        Missing keys, unexpected keys, shape mismatches and non-finite values are
        errors, found before anything is copied: on an error the weights are unchanged.
        """
        missing = sorted(set(self.weights) - set(state))
        unexpected = sorted(set(state) - set(self.weights))
        if missing or unexpected:
            raise KeyError(f"state dict does not match: missing {missing}, unexpected {unexpected}")
        values = {}
        for name, value in state.items():
            if hasattr(value, "detach"):  # a torch tensor, converted without importing torch
                value = value.detach().cpu().numpy()
            value = np.asarray(value)
            if value.shape != self.weights[name].shape:
                raise ValueError(f"{name}: expected shape {self.weights[name].shape}, got {value.shape}")
            if value.dtype.kind not in "fiu" or not np.isfinite(value).all():
                raise ValueError(f"{name} must hold finite numbers")
            values[name] = value
        for name, value in values.items():
            self.weights[name][...] = value

    # ------------------------------------------------------------------ validation
    def _check_array(self, name, value, shape, finite=True):
        if not isinstance(value, np.ndarray):
            value = np.asarray(value)
        if value.dtype != self.dtype:
            if value.dtype.kind not in "fiub":
                raise TypeError(f"{name} must hold numbers, got dtype {value.dtype}")
            raise TypeError(
                f"{name} has dtype {value.dtype} but the network is {np.dtype(self.dtype).name}; "
                f"convert it with .astype(np.{np.dtype(self.dtype).name})"
            )
        if value.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
        if finite and not np.isfinite(value).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        return np.ascontiguousarray(value)

    def _check_X(self, X):
        X = X if isinstance(X, np.ndarray) else np.asarray(X)
        if X.ndim != 3:
            raise ValueError(f"X must be 3-D (batch, time, features), got {X.ndim}-D with shape {X.shape}")
        B, T, F = X.shape
        if B == 0 or T == 0:
            raise ValueError(f"X must have at least one sample and one time step, got shape {X.shape}")
        if F != self.input_size:
            raise ValueError(f"X has {F} features per step but the network expects input_size={self.input_size}")
        X = self._check_array("X", X, X.shape, finite=False)
        self._check_range(X)
        return X

    def _check_range(self, X):
        """ValueError when X holds NaN/inf, or is so large that the first layer's gate
        pre-activations could overflow (inf - inf = NaN outputs). One reduction over X
        (it replaces the finiteness check) unless X is near the dtype's limit."""
        xmax = float(np.abs(X).max())
        if not np.isfinite(xmax):
            raise ValueError("X contains NaN or infinite values")
        big = float(np.finfo(self.dtype).max)
        if xmax <= big * 2.0**-40:
            return
        w = self.weights["weight_ih_l0"].astype(np.float64)
        bias = np.abs(self.weights["bias_ih_l0"]).max() + np.abs(self.weights["bias_hh_l0"]).max()
        bound = xmax * float(np.abs(w).sum(axis=1).max()) + float(bias) + self.hidden_size * float(
            np.abs(self.weights["weight_hh_l0"]).max())
        if bound > big:
            raise ValueError(
                f"X has values too large for {np.dtype(self.dtype).name} arithmetic (largest |X| {xmax:.3g}): "
                f"the gate pre-activations would overflow; scale X down"
                + (" or use dtype='float64'" if self.dtype == np.float32 else "")
            )

    def _check_lengths(self, lengths, B, T):
        if lengths is None:
            return np.full(B, T, dtype=np.int64)
        lengths = np.asarray(lengths)
        if lengths.shape != (B,):
            raise ValueError(f"lengths must have shape ({B},), got {lengths.shape}")
        if lengths.dtype.kind not in "iu":
            if lengths.dtype.kind == "f" and np.all(np.isfinite(lengths)) and np.all(lengths == np.round(lengths)):
                lengths = lengths.astype(np.int64)
            else:
                raise TypeError(f"lengths must be integers, got dtype {lengths.dtype}")
        if lengths.min() < 1 or lengths.max() > T:
            raise ValueError(f"lengths must lie in [1, {T}] (the number of time steps); got min {lengths.min()}, max {lengths.max()}")
        return np.ascontiguousarray(lengths, dtype=np.int64)

    def _states(self, state, B, name):
        shape = (self.num_layers, B, self.hidden_size)
        if self.cell == "lstm":
            if state is None:
                return np.zeros(shape, self.dtype), np.zeros(shape, self.dtype)
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                pair = "(h0, c0)" if name == "h0" else f"({name}, {name.replace('h', 'c', 1)})"
                raise TypeError(f"for an LSTM, {name} must be a tuple {pair} of arrays {shape}")
            h, c = state
            h = np.zeros(shape, self.dtype) if h is None else self._check_array(f"{name}[0]", h, shape)
            c = np.zeros(shape, self.dtype) if c is None else self._check_array(f"{name}[1]", c, shape)
            return h, c
        if state is None:
            return np.zeros(shape, self.dtype), None
        if isinstance(state, tuple):
            raise TypeError(f"{name} must be one array of shape {shape} for a {self.cell.upper()}, not a tuple")
        return self._check_array(name, state, shape), None

    def activation_bytes(self, batch, steps, training=True):
        """Estimated bytes of the buffers one forward (+ backward when ``training``) allocates."""
        return activation_bytes(self.cell, batch, steps, self.hidden_size, self.num_layers, self.dtype, training,
                                self.input_size)

    def _check_memory(self, batch, steps, training):
        # the usual case costs a few integer operations: no message, no system figures
        if batch * steps * self.hidden_size * self.num_layers * 128 < SMALL:  # 128 >= bytes per unit
            return
        nbytes = self.activation_bytes(batch, steps, training)
        check_allocation(
            nbytes,
            f"a {self.cell.upper()} {'training' if training else 'inference'} pass over {batch} sequences of "
            f"{steps} steps (hidden_size={self.hidden_size}, num_layers={self.num_layers})",
            "use smaller batches, shorter sequences or a smaller network",
        )

    # ------------------------------------------------------------------ compute
    def forward(self, X, h0=None, lengths=None, *, check_input=True, training=True, return_sequences=True):
        """Run the stack over whole sequences.

        Parameters
        ----------
        X : ndarray of shape (batch, time, input_size)
            In the network's dtype.
        h0 : ndarray of shape (num_layers, batch, hidden_size), optional
            Initial hidden state, zeros if None. For an LSTM, a tuple ``(h0, c0)``.
        lengths : array-like of int of shape (batch,), optional
            Valid steps per sample (1..time). Steps past a sample's length leave its
            state unchanged and output zeros, like PyTorch's packed sequences.
        check_input : bool, default=True
            False: skip the shape/dtype/finiteness checks when the caller already made
            them, and the copies that keep a training pass's cache apart from the
            caller's arrays (``X``, ``h0`` and the returned ``Y``): the caller then must
            not modify them before :meth:`backward`, as tsrnn's own heads do not.
        training : bool, default=True
            False for inference: faster kernels that keep no cache, so no
            :meth:`backward` can follow this call.
        return_sequences : bool, default=True
            False when only the final states are needed: ``Y`` is returned as None
            (on "cuda" it then stays on the device instead of crossing the bus).

        Returns
        -------
        Y : ndarray of shape (batch, time, hidden_size), or None
            Outputs of the top layer (None when ``return_sequences=False``).
        h_n : ndarray of shape (num_layers, batch, hidden_size)
            Final states after each sample's last valid step; ``(h_n, c_n)`` for an LSTM.
        """
        if getattr(X, "ndim", None) == 3:  # before the input checks, which copy X
            self._check_memory(X.shape[0], X.shape[1], training)
        given = X
        if check_input:
            X = self._check_X(X)
        B, T, _ = X.shape
        lengths = self._check_lengths(lengths, B, T) if check_input or lengths is None else lengths
        given_states = h0
        h0, c0 = self._states(h0, B, "h0")
        private = check_input and training  # a public training pass: the cache must not see the caller's edits
        if private:
            X = X.copy() if np.may_share_memory(X, given) else X
            h0 = h0.copy() if given_states is not None else h0
            c0 = c0.copy() if c0 is not None and given_states is not None else c0
        if _device.use_cuda(getattr(self, "device", "cpu"), B):
            Y, h_n, c_n, caches = _device.forward_cuda(self, X, h0, c0, lengths, training, return_sequences)
            self._cache = (caches, X.shape) if training else None
            return Y, ((h_n, c_n) if self.cell == "lstm" else h_n)
        h_n = np.empty((self.num_layers, B, self.hidden_size), self.dtype)
        c_n = np.empty_like(h_n) if c0 is not None else None
        caches = []
        x = X
        with flushed_denormals():  # subnormals cost x86 ~100x (see kernels/cpu/_denormals.py)
            for k in range(self.num_layers):
                w_ih, w_hh, b_ih, b_hh = self._layer(k, self.weights)
                x, h_n[k], c_k, cache = self._ops.forward(
                    x, w_ih, w_hh, b_ih, b_hh, h0[k], None if c0 is None else c0[k], lengths, self.nonlinearity,
                    need_cache=training, ws=self._workspace(k) if training else None,
                )
                if c_n is not None:
                    c_n[k] = c_k
                caches.append(cache)
        self._cache = (caches, X.shape) if training else None
        if private and return_sequences:
            x = x.copy()  # the cache keeps the top layer's outputs: the caller gets its own
        return (x if return_sequences else None), ((h_n, c_n) if self.cell == "lstm" else h_n)

    def backward(self, dY, dh_n=None, *, check_input=True, need_input_grad=True):
        """Backpropagate through the last :meth:`forward`.

        Parameters
        ----------
        dY : ndarray of shape (batch, time, hidden_size), or None
            Gradient of the loss w.r.t. ``Y``; entries past a sample's length are ignored.
            None = zeros (the loss depends on the final states only).
        dh_n : ndarray of shape (num_layers, batch, hidden_size), optional
            Gradient w.r.t. ``h_n`` (a tuple ``(dh_n, dc_n)`` for an LSTM; None = zeros).
        need_input_grad : bool, default=True
            False when nothing consumes ``dX`` (the input is data, not an embedding):
            the input-gradient product is skipped and ``dX`` is None.

        Returns
        -------
        dX : ndarray of shape (batch, time, input_size), or None
        dh0 : ndarray of shape (num_layers, batch, hidden_size)
            ``(dh0, dc0)`` for an LSTM.

        check_input : bool, default=True
            Skip the shape/dtype/finiteness checks of ``dY`` (the fit loop checks the
            gradient norm itself and reports divergence).

        Parameter gradients are written (not accumulated) into ``grads`` / ``flat_grad``.
        """
        if self._cache is None:
            raise RuntimeError("backward() needs a forward() first (with training=True, the default)")
        caches, (B, T, _) = self._cache
        if check_input and dY is not None:
            dY = self._check_array("dY", dY, (B, T, self.hidden_size))
        dh_n, dc_n = self._states(dh_n, B, "dh_n")
        if isinstance(caches, _device.CudaCaches):
            dX, dh0, dc0 = _device.backward_cuda(self, caches, dY, dh_n, dc_n, need_input_grad, steps=T)
            return dX, ((dh0, dc0) if self.cell == "lstm" else dh0)
        dh0 = np.empty_like(dh_n)
        dc0 = np.empty_like(dc_n) if dc_n is not None else None
        dy = np.zeros((B, T, self.hidden_size), self.dtype) if dY is None else dY
        with flushed_denormals():
            for k in range(self.num_layers - 1, -1, -1):
                w_ih, w_hh, _, _ = self._layer(k, self.weights)
                dy, dh0[k], dc_k = self._ops.backward(
                    dy,
                    np.ascontiguousarray(dh_n[k]),
                    None if dc_n is None else np.ascontiguousarray(dc_n[k]),
                    caches[k],
                    w_ih,
                    w_hh,
                    self._layer(k, self.grads),
                    self.nonlinearity,
                    need_dx=k > 0 or need_input_grad,
                    ws=self._workspace(k),
                )
                if dc0 is not None:
                    dc0[k] = dc_k
        return dy, ((dh0, dc0) if self.cell == "lstm" else dh0)

    def _workspace(self, layer):
        """Layer ``layer``'s scratch arrays for training passes (see :class:`Workspace`)."""
        spaces = self.__dict__.get("_cpu_ws")
        if spaces is None:
            spaces = self._cpu_ws = [Workspace() for _ in range(self.num_layers)]
        return spaces[layer]

    def release_device_buffers(self):
        """Free the device buffers kept between training passes on "cuda" (the weights
        uploaded for inference stay). A no-op on the CPU."""
        _device.release_buffers(self)

    def release_training_buffers(self):
        """Free what training passes keep between them: the last forward's cache, the
        CPU scratch arrays reused from pass to pass and, on "cuda", the device buffers
        (the weights uploaded for inference stay). A following :meth:`backward` needs
        a new :meth:`forward`."""
        self._cache = None
        self.__dict__.pop("_cpu_ws", None)
        _device.release_buffers(self)

    def __getstate__(self):
        # Views and the forward cache are rebuilt, not pickled: views would unpickle as copies.
        dropped = ("weights", "grads", "_cache", "_ops", "_dev_weights", "_cuda_ws", "_cpu_ws")  # buffers too
        state = {k: v for k, v in self.__dict__.items() if k not in dropped}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._ops = LAYERS[self.cell]
        self._cache = None
        self.bind(self.flat_params, self.flat_grad)
        if self.__dict__.get("device") == "cuda":  # pickled on a GPU machine: unpickled where there is none?
            from ..kernels.cuda.device import cuda_status

            usable, why = cuda_status()
            if not usable:
                self.device = "cpu"
                warnings.warn(f"this network ran on 'cuda', which is not usable here ({why}); it runs on the CPU "
                              "(set device='cpu' on its estimator to train it further here)", UserWarning,
                              stacklevel=2)

    def __repr__(self):
        extra = f", nonlinearity={self.nonlinearity!r}" if self.cell == "rnn" else ""
        return (
            f"Recurrent({self.cell!r}, input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"num_layers={self.num_layers}{extra}, dtype={np.dtype(self.dtype).name!r})"
        )
