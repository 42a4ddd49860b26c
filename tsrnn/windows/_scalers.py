"""Per-window scalers: statistics of each window's input part, applied to inputs and targets."""

import numpy as np

SCALERS = ("standard", "robust", "minmax", None)
_EPS = 1e-8
_TINY = 1e-290  # smallest scale: dividing by less could overflow


def _standard(values):
    with np.errstate(over="ignore", invalid="ignore"):
        loc, scale = values.mean(axis=1), values.std(axis=1)
    bad = ~np.isfinite(scale)
    if bad.any():  # squares overflowed (levels beyond ~1e154): shift and scale by a power of two first
        d = values[bad] - values[bad, :1]
        g = np.ldexp(1.0, np.frexp(np.abs(d).max(axis=1))[1])[:, None]
        scale[bad] = g[:, 0] * (d / g).std(axis=1)
    return loc, scale


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
        ``(values - loc) / scale`` is the scaled window; a constant window gets its
        level as scale (1 at level 0), never a division by zero.
    """
    if scaler not in _STATS:
        if scaler is None:
            n = values.shape[0]
            return np.zeros(n), np.ones(n)
        raise ValueError(f"scaler={scaler!r} is not supported; choose one of {list(SCALERS)}")
    loc, scale = _STATS[scaler](np.asarray(values, dtype=np.float64))
    scale = np.where(scale > _floor(loc), scale, _fallback(loc))
    return loc, scale


def _floor(loc):
    """Scales at or below this are "constant": relative to the level, so series at 1e-150
    keep their own scale (an absolute floor would blow their forecasts up to ~1e-2)."""
    return np.maximum(_EPS * np.abs(loc), _TINY)


def _fallback(loc):
    """Scale of a constant window: its level (1 at level 0)."""
    return np.where(np.abs(loc) > _TINY, np.abs(loc), 1.0)


def scaled(values, loc, scale):
    """``(values - loc) / scale`` per window, where a constant window reads as exactly
    constant.

    A window whose spread is within the floor (1e-8 of its level: noise far below what
    a float32 network resolves) is scaled by its level, and its deviations would reach
    the network as values of ~1e-12. Trained on those, the loss's gradient signs are
    noise and the optimizer's normalised steps move the output by ~the learning rate,
    which the level then multiplies (a near-constant series at 100 forecast 99.3):
    deviations within the floor of such a window are 0, as for an exactly constant one.

    Parameters
    ----------
    values : ndarray of shape (n_windows, steps)
    loc, scale : ndarray of shape (n_windows,)
        From :func:`window_stats` (or the per-series statistics).

    Returns
    -------
    ndarray of float64 of shape (n_windows, steps)
    """
    out = (values - loc[:, None]) / scale[:, None]
    maybe = scale >= np.abs(loc)  # cheap superset of the constant windows (scale |loc|, or 1 at level 0)
    if maybe.any():
        flat = np.flatnonzero(maybe)
        flat = flat[scale[flat] == _fallback(loc[flat])]
        near = np.abs(values[flat] - loc[flat, None]) <= _floor(loc[flat])[:, None]
        out[flat] = np.where(near, 0.0, out[flat])
    return out
