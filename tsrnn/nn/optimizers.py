"""First-order optimizers acting in place on one flat parameter vector.

A model keeps all its parameters in ONE flat, C-contiguous array (layer weights
are views into it) and its gradient in a second flat array of the same shape.
An optimizer updates the parameter array in place from the gradient array::

    >>> import numpy as np
    >>> params = np.array([1.0, -2.0])           # (n_params,), e.g. a model's flat_params
    >>> opt = get_optimizer("adam", lr=0.1)
    >>> for _ in range(3):
    ...     grad = 2 * params                    # the gradient of sum(params ** 2)
    ...     opt.step(params, grad)               # params updated in place
    >>> params.round(4).tolist()
    [0.7016, -1.7006]

The update formulas are those of ``torch.optim`` (``SGD``, ``Adam``,
``AdamW``, ``RMSprop``, single-tensor implementation, ``maximize=False``,
``amsgrad=False``), so a run started from the same parameters and gradients
follows the same trajectory up to floating-point rounding.

State buffers (momentum, moment estimates) are allocated lazily at the first
step, in the parameters' dtype; scratch buffers are reused so that a step
allocates no temporary arrays.  The gradient array is never modified.

``opt.lr`` may be changed between steps (by a learning-rate schedule).
``state_dict()`` returns the mutable state (``lr``, ``step`` and the buffers)
as a dict of plain numbers and numpy arrays, suitable for an ``.npz`` +
JSON checkpoint; hyperparameters other than ``lr`` come from the constructor.
"""

from __future__ import annotations

import inspect
import math
import numbers

import numpy as np

from ..kernels.cpu.optim import adam_update
from ._checks import from_registry
from ._checks import check_number as _check_number

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "OPTIMIZERS",
    "get_optimizer",
]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _check_betas(betas):
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}.") from None
    beta1 = _check_number(beta1, "betas[0]", low=0.0, high=1.0, high_inclusive=False)
    beta2 = _check_number(beta2, "betas[1]", low=0.0, high=1.0, high_inclusive=False)
    return beta1, beta2


def _lerp_(a, b, weight, tmp):
    """``a = a + weight * (b - a)`` in place, as ``torch.Tensor.lerp_``.

    PyTorch switches to ``b - (b - a) * (1 - weight)`` for ``weight >= 0.5``.
    """
    np.subtract(b, a, out=tmp)
    if weight < 0.5:
        tmp *= weight
        a += tmp
    else:
        tmp *= 1.0 - weight
        np.subtract(b, tmp, out=a)


class Optimizer:
    """Base class: parameter checks, lazy state, ``state_dict`` round trips.

    Subclasses list their state buffers in ``_buffer_names`` and implement
    ``_update(params, grad)``.
    """

    name = None
    _buffer_names = ()
    _uses_scratch = True  # two parameter-sized scratch arrays for the NumPy updates

    def __init__(self, lr):
        self.lr = _check_number(lr, "lr", low=0.0)
        self.reset()

    # -- public API -----------------------------------------------------------
    def reset(self):
        """Forget all state (step count and buffers); keep the hyperparameters."""
        self.n_steps = 0
        self._state = {}
        self._scratch = None

    def step(self, params, grad):
        """Apply one update to ``params`` in place.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat, C-contiguous, writeable float32 or float64 parameter vector;
            modified in place.
        grad : ndarray of shape (n_params,)
            Gradient of the loss with respect to ``params``, same dtype;
            not modified.
        """
        self._check_arrays(params, grad)
        lr = self.lr
        if isinstance(lr, (bool, np.bool_)) or not (
            isinstance(lr, numbers.Real) and math.isfinite(lr) and lr >= 0
        ):
            raise ValueError(f"lr must be a finite number >= 0, got {lr!r}.")
        self._ensure_state(params)
        self.n_steps += 1
        self._update(params, grad, float(lr))

    def state_dict(self):
        """Return the mutable optimizer state.

        Returns
        -------
        state : dict
            ``{"lr": float, "step": int, <buffer name>: ndarray of shape
            (n_params,), ...}``; buffers appear only once allocated (after the
            first step).  Arrays are copies.
        """
        state = {"lr": float(self.lr), "step": int(self.n_steps)}
        for key, buf in self._state.items():
            state[key] = buf.copy()
        return state

    def load_state_dict(self, state):
        """Restore a state produced by :meth:`state_dict`.

        Parameters
        ----------
        state : dict
            As returned by :meth:`state_dict` of an optimizer of the same class.
            Arrays are copied.
        """
        if not isinstance(state, dict):
            raise ValueError(f"state must be a dict, got {type(state).__name__}.")
        allowed = {"lr", "step", *self._buffer_names}
        unknown = sorted(set(state) - allowed)
        if unknown:
            raise ValueError(
                f"Unknown key(s) {unknown} in {type(self).__name__} state; "
                f"valid keys are {sorted(allowed)}."
            )
        for key in ("lr", "step"):
            if key not in state:
                raise ValueError(f"{type(self).__name__} state lacks {key!r}.")
        lr = _check_number(np.asarray(state["lr"]).item(), "lr", low=0.0)
        step = np.asarray(state["step"]).item()
        if isinstance(step, float) and step.is_integer():
            step = int(step)
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"step must be an integer >= 0, got {state['step']!r}.")
        buffers = {}
        required = self._required_buffers() if step > 0 else ()
        shape = None
        for key in self._buffer_names:
            if key not in state:
                if key in required:
                    raise ValueError(
                        f"{type(self).__name__} state at step {step} lacks the "
                        f"buffer {key!r}."
                    )
                continue
            buf = np.array(state[key], order="C", copy=True)
            if buf.dtype not in _FLOAT_DTYPES or buf.ndim != 1:
                raise ValueError(
                    f"buffer {key!r} must be a 1-d float32/float64 array, got "
                    f"dtype {buf.dtype} and shape {buf.shape}."
                )
            if shape is not None and buf.shape != shape:
                raise ValueError(
                    f"buffer {key!r} has shape {buf.shape}, other buffers {shape}."
                )
            shape = buf.shape
            buffers[key] = buf
        self.lr = lr
        self.n_steps = step
        self._state = buffers
        self._scratch = None

    def get_params(self):
        """Hyperparameters as passed to the constructor (a dict)."""
        params = inspect.signature(type(self).__init__).parameters
        return {p: getattr(self, p) for p in params if p != "self"}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- internals ------------------------------------------------------------
    def _required_buffers(self):
        return self._buffer_names

    @staticmethod
    def _check_arrays(params, grad):
        if not isinstance(params, np.ndarray) or not isinstance(grad, np.ndarray):
            raise ValueError("params and grad must be numpy arrays.")
        if params.dtype not in _FLOAT_DTYPES:
            raise ValueError(
                f"params must be float32 or float64, got dtype {params.dtype}."
            )
        if params.ndim != 1 or not params.flags.c_contiguous:
            raise ValueError(
                "params must be a flat (1-d) C-contiguous array, got shape "
                f"{params.shape}."
            )
        if not params.flags.writeable:
            raise ValueError("params must be writeable (it is updated in place).")
        if grad.shape != params.shape:
            raise ValueError(
                f"grad has shape {grad.shape}, params has shape {params.shape}."
            )
        if grad.dtype != params.dtype:
            raise ValueError(
                f"grad has dtype {grad.dtype}, params has dtype {params.dtype}."
            )

    def _ensure_state(self, params):
        """Allocate (or adopt loaded) state and scratch buffers for ``params``."""
        for key, buf in self._state.items():
            if buf.shape != params.shape:
                raise ValueError(
                    f"optimizer buffer {key!r} has shape {buf.shape} but params "
                    f"have shape {params.shape}; call reset() for new parameters."
                )
            if buf.dtype != params.dtype:
                self._state[key] = buf.astype(params.dtype)
        if not self._uses_scratch:
            return
        if self._scratch is None or self._scratch[0].shape != params.shape \
                or self._scratch[0].dtype != params.dtype:
            self._scratch = (np.empty_like(params), np.empty_like(params))

    def _buffer(self, key, params, init=0.0):
        buf = self._state.get(key)
        if buf is None:
            buf = np.full_like(params, init)
            self._state[key] = buf
        return buf

    def _update(self, params, grad, lr):  # pragma: no cover
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    As ``torch.optim.SGD``::

        g = grad + weight_decay * params
        if momentum:
            buf = g                                  (first step)
            buf = momentum * buf + (1 - dampening) * g   (later steps)
            g = g + momentum * buf if nesterov else buf
        params -= lr * g

    Parameters
    ----------
    lr : float, default=1e-3
        Learning rate, >= 0.
    momentum : float, default=0.0
        Momentum factor, >= 0.
    dampening : float, default=0.0
        Dampening of the momentum.
    nesterov : bool, default=False
        Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
    weight_decay : float, default=0.0
        L2 penalty added to the gradient, >= 0.
    """

    name = "sgd"
    _buffer_names = ("momentum_buffer",)

    def __init__(self, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,
                 weight_decay=0.0):
        self.momentum = _check_number(momentum, "momentum", low=0.0)
        self.dampening = _check_number(dampening, "dampening")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise ValueError(f"nesterov must be a bool, got {nesterov!r}.")
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0.")
        self.weight_decay = _check_number(weight_decay, "weight_decay", low=0.0)
        super().__init__(lr)

    def _required_buffers(self):
        return self._buffer_names if self.momentum != 0 else ()

    def _update(self, params, grad, lr):
        tmp, tmp2 = self._scratch
        g = grad
        if self.weight_decay != 0:
            np.multiply(params, self.weight_decay, out=tmp)
            np.add(grad, tmp, out=tmp)
            g = tmp
        if self.momentum != 0:
            buf = self._state.get("momentum_buffer")
            if buf is None:
                buf = g.copy()
                self._state["momentum_buffer"] = buf
            else:
                buf *= self.momentum
                np.multiply(g, 1.0 - self.dampening, out=tmp2)
                buf += tmp2
            if self.nesterov:
                np.multiply(buf, self.momentum, out=tmp2)
                np.add(g, tmp2, out=tmp)
                g = tmp
            else:
                g = buf
        np.multiply(g, -lr, out=tmp2)
        params += tmp2


class Adam(Optimizer):
    """Adam with bias correction, as ``torch.optim.Adam`` (``amsgrad=False``)::

        g = grad + weight_decay * params            (coupled L2 penalty)
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        params -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Parameters
    ----------
    lr : float, default=1e-3
        Learning rate, >= 0.
    betas : tuple of (float, float), default=(0.9, 0.999)
        Decay rates of the first and second moment estimates, in [0, 1).
    eps : float, default=1e-8
        Added to the denominator, >= 0.
    weight_decay : float, default=0.0
        L2 penalty added to the gradient, >= 0.
    """

    name = "adam"
    _buffer_names = ("exp_avg", "exp_avg_sq")
    _decoupled = False
    _uses_scratch = False  # one compiled pass (tsrnn.kernels.cpu.optim)

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.betas = _check_betas(betas)
        self.eps = _check_number(eps, "eps", low=0.0)
        self.weight_decay = _check_number(weight_decay, "weight_decay", low=0.0)
        super().__init__(lr)

    def _update(self, params, grad, lr):
        beta1, beta2 = self.betas
        exp_avg = self._buffer("exp_avg", params)
        exp_avg_sq = self._buffer("exp_avg_sq", params)
        t = self.n_steps
        bias_correction1 = 1.0 - beta1 ** t
        bias_correction2 = 1.0 - beta2 ** t
        step_size = lr / bias_correction1
        weight = 1.0 - beta1
        adam_update(
            params, grad, exp_avg, exp_avg_sq,
            0.0 if self._decoupled else float(self.weight_decay),
            1.0 - lr * self.weight_decay if self._decoupled else 1.0,
            weight >= 0.5, 1.0 - weight if weight >= 0.5 else weight,
            float(beta2), 1.0 - beta2, bias_correction2 ** 0.5, float(self.eps), -step_size,
        )


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW``::

        params *= 1 - lr * weight_decay
        (then the Adam update without L2 penalty)

    Parameters
    ----------
    lr : float, default=1e-3
        Learning rate, >= 0.
    betas : tuple of (float, float), default=(0.9, 0.999)
        Decay rates of the first and second moment estimates, in [0, 1).
    eps : float, default=1e-8
        Added to the denominator, >= 0.
    weight_decay : float, default=0.01
        Decoupled weight decay coefficient, >= 0.
    """

    name = "adamw"
    _decoupled = True

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``::

        g = grad + weight_decay * params
        v = alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - a * a) + eps   with a = lerp(a, g, 1 - alpha) if centered
        avg = sqrt(v) + eps           otherwise
        buf = momentum * buf + g / avg;  params -= lr * buf   if momentum > 0
        params -= lr * g / avg                                  otherwise

    Parameters
    ----------
    lr : float, default=1e-2
        Learning rate, >= 0.
    alpha : float, default=0.99
        Smoothing constant of the squared-gradient average, in [0, 1].
    eps : float, default=1e-8
        Added to the denominator, >= 0.
    momentum : float, default=0.0
        Momentum factor, >= 0.
    centered : bool, default=False
        Normalise by an estimate of the gradient's variance instead of its
        second moment.
    weight_decay : float, default=0.0
        L2 penalty added to the gradient, >= 0.
    """

    name = "rmsprop"
    _buffer_names = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0, centered=False,
                 weight_decay=0.0):
        self.alpha = _check_number(alpha, "alpha", low=0.0, high=1.0)
        self.eps = _check_number(eps, "eps", low=0.0)
        self.momentum = _check_number(momentum, "momentum", low=0.0)
        if not isinstance(centered, (bool, np.bool_)):
            raise ValueError(f"centered must be a bool, got {centered!r}.")
        self.centered = bool(centered)
        self.weight_decay = _check_number(weight_decay, "weight_decay", low=0.0)
        super().__init__(lr)

    def _required_buffers(self):
        req = ["square_avg"]
        if self.momentum > 0:
            req.append("momentum_buffer")
        if self.centered:
            req.append("grad_avg")
        return tuple(req)

    def _update(self, params, grad, lr):
        tmp, tmp2 = self._scratch
        square_avg = self._buffer("square_avg", params)

        g = grad
        if self.weight_decay != 0:
            np.multiply(params, self.weight_decay, out=tmp)
            np.add(grad, tmp, out=tmp)
            g = tmp

        square_avg *= self.alpha
        np.multiply(g, 1.0 - self.alpha, out=tmp2)
        tmp2 *= g
        square_avg += tmp2

        avg = tmp2
        if self.centered:
            grad_avg = self._buffer("grad_avg", params)
            _lerp_(grad_avg, g, 1.0 - self.alpha, avg)
            np.multiply(grad_avg, grad_avg, out=avg)
            np.subtract(square_avg, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(square_avg, out=avg)
        avg += self.eps

        if self.momentum > 0:
            buf = self._buffer("momentum_buffer", params)
            buf *= self.momentum
            np.divide(g, avg, out=avg)
            buf += avg
            np.multiply(buf, -lr, out=avg)
            params += avg
        else:
            np.divide(g, avg, out=avg)
            avg *= -lr
            params += avg


OPTIMIZERS = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": AdamW,
    "rmsprop": RMSprop,
}
"""Optimizer classes keyed by the names accepted by :func:`get_optimizer`."""


def get_optimizer(name, **kwargs):
    """Build an optimizer by name.

    Parameters
    ----------
    name : str or Optimizer
        One of the keys of :data:`OPTIMIZERS`: ``"sgd"``, ``"adam"``,
        ``"adamw"``, ``"rmsprop"``.  An :class:`Optimizer` instance is returned
        unchanged (no kwargs allowed).
    **kwargs
        Hyperparameters of that optimizer (``lr``, ``momentum``, ``betas``...).

    Returns
    -------
    optimizer : Optimizer

    Raises
    ------
    ValueError
        If ``name`` is not a known optimizer or a hyperparameter is invalid.
    TypeError
        If a keyword argument is not a parameter of that optimizer.
    """
    return from_registry(OPTIMIZERS, Optimizer, name, kwargs, "optimizer", "optimizers")
