"""Per-window scalers: statistics of each window's input part, applied to inputs and targets."""

import numpy as np

SCALERS = ("standard", "robust", "minmax", None)
_EPS = 1e-8


def _standard(values):
    return values.mean(axis=1), values.std(axis=1)


def _robust(values):
    # median and mean absolute deviation around it, as neuralforecast's "robust" scaler
    med = np.median(values, axis=1)
    mad = np.abs(values - med[:, None]).mean(axis=1)
    return med, mad


def _minmax(values):
    lo, hi = values.min(axis=1), values.max(axis=1)
    return lo, hi - lo


_STATS = {"standard": _standard, "robust": _robust, "minmax": _minmax}


def window_stats(values, scaler):
    """Location and scale of each window's inputs.

    Parameters
    ----------
    values : ndarray of shape (n_windows, input_size)
        Input part of each window (transformed target).
    scaler : {"standard", "robust", "minmax", None}

    Returns
    -------
    loc, scale : ndarray of float64 of shape (n_windows,)
        ``(values - loc) / scale`` is the scaled window; a constant window gets
        ``scale = 1`` relative to its level (never a division by zero).
    """
    if scaler not in _STATS:
        if scaler is None:
            n = values.shape[0]
            return np.zeros(n), np.ones(n)
        raise ValueError(f"scaler={scaler!r} is not supported; choose one of {list(SCALERS)}")
    loc, scale = _STATS[scaler](np.asarray(values, dtype=np.float64))
    floor = _EPS * np.maximum(1.0, np.abs(loc))
    fallback = np.maximum(np.abs(loc), 1.0)
    scale = np.where(scale > floor, scale, fallback)
    return loc, scale
