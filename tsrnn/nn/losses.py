"""Training losses with analytic gradients.

Every loss is a callable object with the signature::

    value, dpred = loss(pred, target, sample_weight=None)

``value`` is a Python float: the mean of the per-element losses over all
elements of ``pred`` (over the non-ignored elements for cross-entropy), each
sample weighted by ``sample_weight`` when given and normalised by the sum of
the weights.  ``dpred`` is the gradient of ``value`` with respect to ``pred``:
an array of ``pred``'s shape and dtype.

All arithmetic on arrays runs in the dtype of ``pred`` (float32 or float64):
float32 predictions give float32 gradients.  Only the scalar ``value`` is
accumulated in float64.

Losses are looked up by name in :data:`LOSSES` through :func:`get_loss`::

    >>> import numpy as np
    >>> loss = get_loss("huber", delta=0.5)
    >>> pred, target = np.array([[0.0, 2.0]]), np.array([[0.5, 0.0]])
    >>> value, dpred = loss(pred, target)
    >>> round(value, 4), dpred.tolist()
    (0.5, [[-0.25, 0.25]])

Conventions follow PyTorch (``torch.nn.functional.mse_loss``, ``l1_loss``,
``huber_loss``, ``cross_entropy`` with ``reduction="mean"``), with two
deliberate differences: the class axis of cross-entropy logits is the *last*
axis (``(n_samples, n_timesteps, n_classes)``, the natural layout of sequence
outputs) rather than axis 1, and a batch whose elements are all ignored gives a
loss of 0 with a zero gradient instead of NaN.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._checks import from_registry
from ._checks import check_number as _check_number

__all__ = [
    "Loss",
    "MSELoss",
    "MAELoss",
    "HuberLoss",
    "PinballLoss",
    "CrossEntropyLoss",
    "LOSSES",
    "get_loss",
    "softmax",
]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


# ----------------------------------------------------------------------------
# Input checking
# ----------------------------------------------------------------------------
def _as_float_array(x, name):
    """Return ``x`` as a float32/float64 ndarray (other numeric dtypes -> float64)."""
    arr = np.asarray(x)
    if arr.dtype not in _FLOAT_DTYPES:
        if arr.dtype.kind not in "biuf":
            raise ValueError(
                f"{name} must be a real numeric array, got dtype {arr.dtype}."
            )
        arr = arr.astype(np.float64)
    return arr


def _check_pred(pred):
    pred = _as_float_array(pred, "pred")
    if pred.ndim < 1:
        raise ValueError(
            "pred must have at least one dimension (n_samples, ...), "
            f"got a {pred.ndim}-d array."
        )
    if pred.shape[0] == 0:
        raise ValueError("pred is empty: n_samples must be at least 1.")
    return pred


def _check_regression_target(target, expected_shape, dtype):
    target = np.asarray(target)
    if target.dtype.kind not in "biuf":
        raise ValueError(
            f"target must be a real numeric array, got dtype {target.dtype}."
        )
    if target.shape != expected_shape:
        raise ValueError(
            f"target has shape {target.shape}, expected {expected_shape}."
        )
    target = target.astype(dtype, copy=False)
    if not np.isfinite(target).all():
        raise ValueError("target contains NaN or infinity.")
    return target


def _check_sample_weight(sample_weight, n_samples, dtype):
    """Validate ``sample_weight`` of shape (n_samples,); returns it in ``dtype``."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "biuf":
        raise ValueError(
            f"sample_weight must be a real numeric array, got dtype {w.dtype}."
        )
    if w.ndim == 0:
        w = np.full(n_samples, w, dtype=dtype)
    if w.shape != (n_samples,):
        raise ValueError(
            f"sample_weight has shape {w.shape}, expected ({n_samples},)."
        )
    w = w.astype(dtype, copy=False)
    if not np.isfinite(w).all():
        raise ValueError("sample_weight contains NaN or infinity.")
    if (w < 0).any():
        raise ValueError("sample_weight must be non-negative.")
    if not w.sum(dtype=np.float64) > 0:
        raise ValueError("sample_weight sums to zero.")
    return w


def _expand_weight(w, ndim):
    """Reshape sample weights (n,) to (n, 1, ..., 1) with ``ndim`` dimensions."""
    return w.reshape((w.shape[0],) + (1,) * (ndim - 1))


def _weighted_mean(elem_loss, grad, sample_weight):
    """Reduce element losses to the weighted mean and scale ``grad`` in place.

    Parameters
    ----------
    elem_loss : ndarray of shape (n_samples, ...)
        Per-element losses; same shape as ``grad``.
    grad : ndarray of shape (n_samples, ...)
        Per-element derivatives ``d elem_loss / d pred``; scaled in place to the
        derivative of the reduced value.
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    value : float
    """
    if sample_weight is None:
        denom = float(elem_loss.size)
        value = float(elem_loss.sum(dtype=np.float64)) / denom
        grad *= grad.dtype.type(1.0 / denom)
        return value
    per_sample = elem_loss.size // elem_loss.shape[0]
    denom = float(sample_weight.sum(dtype=np.float64)) * per_sample
    value = float(np.sum(elem_loss * _expand_weight(sample_weight, elem_loss.ndim), dtype=np.float64)) / denom
    # each element's share of the mean, at most 1: 1 / denom alone overflows float32
    # for weights below its normal range (~1e-38)
    grad *= _expand_weight(sample_weight.astype(np.float64) / denom, grad.ndim).astype(grad.dtype)
    return value


# ----------------------------------------------------------------------------
# Softmax
# ----------------------------------------------------------------------------
def softmax(logits, axis=-1):
    """Numerically stable softmax.

    Parameters
    ----------
    logits : array-like of shape (..., n_classes, ...)
        Unnormalised log-probabilities.  float32 stays float32; other numeric
        dtypes are computed in float64.
    axis : int, default=-1
        Axis along which the probabilities sum to one.

    Returns
    -------
    probs : ndarray of the same shape and dtype as ``logits``
        ``exp(logits - logsumexp(logits, axis))``.
    """
    x = _as_float_array(logits, "logits")
    m = np.max(x, axis=axis, keepdims=True)
    # A row of -inf would give nan via (-inf) - (-inf); keep finite shift there.
    m = np.where(np.isfinite(m), m, x.dtype.type(0))
    e = np.subtract(x, m)
    np.exp(e, out=e)
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


# ----------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------
class Loss:
    """Base class of the losses.

    Subclasses implement ``_compute(pred, target, sample_weight)`` on validated
    arrays.  Hyperparameters are validated in ``__init__`` so that a bad
    setting fails where it is written.
    """

    name = None

    def __call__(self, pred, target, sample_weight=None):
        """Compute the loss value and its gradient with respect to ``pred``.

        Parameters
        ----------
        pred : array-like of shape (n_samples, ...)
            Model outputs (see the subclass for the expected trailing axes).
        target : array-like
            Targets (see the subclass for the expected shape).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample, broadcast along the trailing
            axes.  ``None`` weighs all samples equally.

        Returns
        -------
        value : float
            Weighted mean loss.
        dpred : ndarray of the same shape and dtype as ``pred``
            Gradient of ``value`` with respect to ``pred``.
        """
        pred = _check_pred(pred)
        w = _check_sample_weight(sample_weight, pred.shape[0], pred.dtype)
        return self._compute(pred, target, w)

    def _compute(self, pred, target, sample_weight):  # pragma: no cover
        raise NotImplementedError

    def _params(self):
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"


class MSELoss(Loss):
    """Mean squared error, ``mean((pred - target) ** 2)``.

    ``pred`` and ``target`` have the same shape ``(n_samples, ...)``.
    Matches ``torch.nn.functional.mse_loss(pred, target)``.
    """

    name = "mse"

    def _compute(self, pred, target, sample_weight):
        target = _check_regression_target(target, pred.shape, pred.dtype)
        diff = pred - target
        elem = diff * diff
        diff *= pred.dtype.type(2.0)
        value = _weighted_mean(elem, diff, sample_weight)
        return value, diff


class MAELoss(Loss):
    """Mean absolute error, ``mean(|pred - target|)``.

    ``pred`` and ``target`` have the same shape ``(n_samples, ...)``.  The
    subgradient at ``pred == target`` is 0.  Matches
    ``torch.nn.functional.l1_loss(pred, target)``.
    """

    name = "mae"

    def _compute(self, pred, target, sample_weight):
        target = _check_regression_target(target, pred.shape, pred.dtype)
        diff = pred - target
        elem = np.abs(diff)
        grad = np.sign(diff, out=diff)
        value = _weighted_mean(elem, grad, sample_weight)
        return value, grad


class HuberLoss(Loss):
    """Huber loss, quadratic within ``delta`` of the target and linear beyond.

    Per element, with ``d = pred - target``: ``0.5 * d**2`` if ``|d| <= delta``,
    else ``delta * (|d| - 0.5 * delta)``.  ``pred`` and ``target`` have the
    same shape ``(n_samples, ...)``.  Matches ``torch.nn.HuberLoss(delta=delta)``.

    Parameters
    ----------
    delta : float, default=1.0
        Threshold between the quadratic and linear regimes; must be > 0.
    """

    name = "huber"

    def __init__(self, delta=1.0):
        self.delta = _check_number(delta, "delta", low=0.0, low_inclusive=False)

    def _params(self):
        return {"delta": self.delta}

    def _compute(self, pred, target, sample_weight):
        target = _check_regression_target(target, pred.shape, pred.dtype)
        delta = pred.dtype.type(self.delta)
        diff = pred - target
        absd = np.abs(diff)
        elem = np.where(
            absd < delta,
            pred.dtype.type(0.5) * diff * diff,
            delta * (absd - pred.dtype.type(0.5) * delta),
        )
        grad = np.clip(diff, -delta, delta, out=diff)
        value = _weighted_mean(elem, grad, sample_weight)
        return value, grad


class PinballLoss(Loss):
    """Pinball (quantile) loss for several quantiles at once.

    Per element, with ``u = target - pred`` and quantile ``q``:
    ``max(q * u, (q - 1) * u)``.  The value is the mean over all elements of
    ``pred``, i.e. also over the quantile axis.  The subgradient at
    ``pred == target`` is 0.

    Shapes: ``pred`` is ``(n_samples, ..., n_quantiles)`` and ``target`` is
    ``(n_samples, ...)`` (``pred.shape[:-1]``).

    Parameters
    ----------
    quantiles : sequence of float, default=(0.1, 0.5, 0.9)
        Quantile levels, each strictly between 0 and 1; ``pred[..., k]`` is the
        forecast of quantile ``quantiles[k]``.
    """

    name = "pinball"

    def __init__(self, quantiles=(0.1, 0.5, 0.9)):
        if isinstance(quantiles, numbers.Real):
            quantiles = (quantiles,)
        try:
            q = np.asarray(quantiles, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"quantiles must be a sequence of floats, got {quantiles!r}."
            ) from None
        if q.ndim != 1 or q.size == 0:
            raise ValueError(
                f"quantiles must be a non-empty 1-d sequence, got {quantiles!r}."
            )
        if not (np.isfinite(q).all() and (q > 0).all() and (q < 1).all()):
            raise ValueError(
                f"quantiles must lie strictly between 0 and 1, got {q.tolist()}."
            )
        self.quantiles = tuple(float(v) for v in q)

    def _params(self):
        return {"quantiles": self.quantiles}

    def _compute(self, pred, target, sample_weight):
        n_q = len(self.quantiles)
        if pred.ndim < 2 or pred.shape[-1] != n_q:
            raise ValueError(
                f"pred has shape {pred.shape}; the pinball loss expects a trailing "
                f"axis of len(quantiles)={n_q}: (n_samples, ..., {n_q})."
            )
        target = _check_regression_target(target, pred.shape[:-1], pred.dtype)
        q = np.asarray(self.quantiles, dtype=pred.dtype)
        u = target[..., None] - pred
        elem = np.maximum(q * u, (q - pred.dtype.type(1.0)) * u)
        # d/dpred: -q where target > pred, 1 - q where target < pred, 0 at ties.
        grad = np.where(u > 0, -q, pred.dtype.type(1.0) - q)
        grad[u == 0] = 0
        value = _weighted_mean(elem, grad, sample_weight)
        return value, grad


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy on logits with integer class targets.

    Per element: ``logsumexp(logits) - logits[target]``, computed with the
    log-sum-exp shift for stability.  The value is the (weighted) mean over the
    elements whose target is not ``ignore_index``.

    Shapes: ``pred`` (logits) is ``(n_samples, n_classes)`` or
    ``(n_samples, n_timesteps, n_classes)`` (any number of middle axes works);
    the class axis is the **last** axis.  ``target`` is ``pred.shape[:-1]``
    with integer class indices in ``[0, n_classes)`` (or ``ignore_index``).
    Matches ``torch.nn.functional.cross_entropy`` on logits moved to axis 1.

    Parameters
    ----------
    ignore_index : int or None, default=None
        Target value marking elements (e.g. padded tokens) that contribute
        neither to the loss nor to the mean.  If every element is ignored the
        loss is 0 and the gradient is zero (PyTorch returns NaN).
    """

    name = "cross_entropy"

    def __init__(self, ignore_index=None):
        if ignore_index is not None and (
            isinstance(ignore_index, (bool, np.bool_))
            or not isinstance(ignore_index, numbers.Integral)
        ):
            raise ValueError(
                f"ignore_index must be an integer or None, got {ignore_index!r}."
            )
        self.ignore_index = None if ignore_index is None else int(ignore_index)

    def _params(self):
        return {"ignore_index": self.ignore_index}

    def _check_target(self, target, expected_shape, n_classes):
        target = np.asarray(target)
        if target.shape != expected_shape:
            raise ValueError(
                f"target has shape {target.shape}, expected {expected_shape} "
                "(the logits' shape without the trailing class axis)."
            )
        if target.dtype.kind == "f":
            if not np.isfinite(target).all():
                raise ValueError("target contains NaN or infinity.")
            as_int = target.astype(np.int64)
            if not np.array_equal(as_int, target):
                raise ValueError(
                    "cross_entropy targets must be integer class indices; got "
                    "non-integral floats."
                )
            target = as_int
        elif target.dtype.kind not in "iub":
            raise ValueError(
                "cross_entropy targets must be integer class indices, got dtype "
                f"{target.dtype}."
            )
        target = target.astype(np.intp, copy=False)
        if self.ignore_index is None:
            mask = None
            valid = target
        else:
            mask = target != self.ignore_index
            valid = target[mask]
        if valid.size and (valid.min() < 0 or valid.max() >= n_classes):
            raise ValueError(
                f"cross_entropy targets must lie in [0, {n_classes}) "
                f"(n_classes={n_classes}) or equal ignore_index="
                f"{self.ignore_index}; got values in [{valid.min()}, {valid.max()}]."
            )
        if mask is not None:
            target = np.where(mask, target, 0)
        return target, mask

    def _compute(self, pred, target, sample_weight):
        if pred.ndim < 2:
            raise ValueError(
                f"logits have shape {pred.shape}; cross_entropy expects "
                "(n_samples, n_classes) or (n_samples, n_timesteps, n_classes)."
            )
        n_classes = pred.shape[-1]
        target, mask = self._check_target(target, pred.shape[:-1], n_classes)
        dtype = pred.dtype

        m = np.max(pred, axis=-1, keepdims=True)
        z = np.subtract(pred, m)
        probs = np.exp(z)
        sums = np.sum(probs, axis=-1, keepdims=True)
        probs /= sums
        picked = np.take_along_axis(z, target[..., None], axis=-1)[..., 0]
        elem = np.log(sums[..., 0]) - picked  # (n_samples, ...)

        # Gradient of each element loss: softmax - one_hot(target).
        grad = probs
        flat = grad.reshape(-1, n_classes)
        flat[np.arange(flat.shape[0]), target.reshape(-1)] -= dtype.type(1.0)

        if mask is None and sample_weight is None:
            denom = float(elem.size)
            value = float(elem.sum(dtype=np.float64)) / denom
            grad *= dtype.type(1.0 / denom)
            return value, grad

        # Effective weight of each element: sample weight times the keep-mask.
        if sample_weight is None:
            eff = mask.astype(dtype)
        else:
            eff = np.broadcast_to(_expand_weight(sample_weight, elem.ndim), elem.shape)
            eff = eff * mask if mask is not None else np.array(eff)
        denom = float(eff.sum(dtype=np.float64))
        if denom == 0.0:
            grad.fill(0)
            return 0.0, grad
        value = float(np.sum(np.where(eff != 0, elem * eff, 0), dtype=np.float64))
        value /= denom
        # each element's share of the mean, at most 1: 1 / denom alone overflows float32
        # for weights below its normal range (~1e-38)
        grad *= (eff.astype(np.float64) / denom).astype(dtype)[..., None]
        return value, grad


# ----------------------------------------------------------------------------
# Registry
# ----------------------------------------------------------------------------
LOSSES = {
    "mse": MSELoss,
    "mae": MAELoss,
    "huber": HuberLoss,
    "pinball": PinballLoss,
    "quantile": PinballLoss,
    "cross_entropy": CrossEntropyLoss,
}
"""Loss classes keyed by the names accepted by :func:`get_loss`."""


def get_loss(name, **kwargs):
    """Build a loss by name.

    Parameters
    ----------
    name : str or Loss
        One of the keys of :data:`LOSSES`: ``"mse"``, ``"mae"``, ``"huber"``,
        ``"pinball"`` (alias ``"quantile"``), ``"cross_entropy"``.  A
        :class:`Loss` instance is returned unchanged (no kwargs allowed).
    **kwargs
        Hyperparameters of the loss (``delta`` for huber, ``quantiles`` for
        pinball, ``ignore_index`` for cross_entropy).

    Returns
    -------
    loss : Loss
        Callable ``loss(pred, target, sample_weight=None) -> (value, dpred)``.

    Raises
    ------
    ValueError
        If ``name`` is not a known loss or a hyperparameter is invalid.
    TypeError
        If a keyword argument is not a parameter of that loss.
    """
    return from_registry(LOSSES, Loss, name, kwargs, "loss", "losses")
