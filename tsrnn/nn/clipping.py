"""Gradient clipping on one flat gradient array, in place.

Both functions act on the model's single flat gradient vector, so "global
norm" clipping is one pass over one array.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["clip_grad_norm", "clip_grad_value"]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _check_grad(grad):
    if not isinstance(grad, np.ndarray):
        raise ValueError(
            f"grad must be a numpy array (it is clipped in place), got {type(grad).__name__}."
        )
    if grad.dtype not in _FLOAT_DTYPES:
        raise ValueError(f"grad must be float32 or float64, got dtype {grad.dtype}.")
    if not grad.flags.writeable:
        raise ValueError("grad must be writeable (it is clipped in place).")


def _check_positive(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}.")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}.")
    return value


def _l2_norm(grad):
    """Global L2 norm of ``grad`` as a Python float, robust to overflow."""
    flat = grad.reshape(-1)
    if flat.size == 0:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        sq = float(np.dot(flat, flat))
    if math.isfinite(sq):
        return math.sqrt(sq)
    # The sum of squares overflowed, or grad holds inf/NaN.
    scale = float(np.max(np.abs(flat)))  # NaN if any NaN, inf if any inf
    if not math.isfinite(scale):
        return scale
    scaled = flat / scale  # stays in grad's dtype; |scaled| <= 1
    return scale * math.sqrt(float(np.dot(scaled, scaled)))


def clip_grad_norm(grad, max_norm):
    """Scale ``grad`` in place so that its global L2 norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_`` (``norm_type=2``): with
    ``total_norm = ||grad||_2`` the gradient is multiplied by
    ``max_norm / (total_norm + 1e-6)`` when that factor is below 1.

    Parameters
    ----------
    grad : ndarray of any shape, float32 or float64
        The flat gradient vector, modified in place.
    max_norm : float
        Largest allowed norm, > 0.

    Returns
    -------
    total_norm : float
        The norm **before** clipping.  If it is not finite (NaN or inf in
        ``grad``), ``grad`` is left untouched so that the caller can detect
        divergence.
    """
    _check_grad(grad)
    max_norm = _check_positive(max_norm, "max_norm")
    total_norm = _l2_norm(grad)
    if not math.isfinite(total_norm):
        return total_norm
    clip_coef = max_norm / (total_norm + 1e-6)
    if clip_coef < 1.0:
        grad *= clip_coef
    return total_norm


def clip_grad_value(grad, clip_value):
    """Clip every element of ``grad`` to ``[-clip_value, clip_value]`` in place.

    As ``torch.nn.utils.clip_grad_value_``; NaN elements stay NaN.

    Parameters
    ----------
    grad : ndarray of any shape, float32 or float64
        The flat gradient vector, modified in place.
    clip_value : float
        Largest allowed absolute value, > 0.
    """
    _check_grad(grad)
    clip_value = _check_positive(clip_value, "clip_value")
    np.clip(grad, -clip_value, clip_value, out=grad)
