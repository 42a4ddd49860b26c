"""Conformal interval scale: how each forecast window's calibration errors are normalised."""

import numpy as np


def _interval_scale(levels, network_scale):
    """Scale of each forecast window for conformal intervals.

    The geometric mean of two spreads, both in ``target_transform`` units: the mean
    absolute deviation of the first differences of the window's levels (how much the
    series moves from step to step, whatever the network reads: the spread of
    differences at a seasonal lag says little about the risk of a change of growth),
    and the network's own input scale (what its errors are proportional to). Either
    alone calibrated worse: over the 21 series of ``benchmarks/bench_accuracy.py``
    (two seeds, two backtest windows) the step spread alone over-covered airline (97%
    of its 80% interval) and the network's scale alone under-covered it (81% of the
    95% interval). Where one of the two is zero or not finite, the other is used.

    Parameters
    ----------
    levels : ndarray of shape (n, input_size)
    network_scale : ndarray of shape (n,)

    Returns
    -------
    ndarray of shape (n,)
    """
    steps = np.diff(levels, axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        spread = np.abs(steps - np.median(steps, axis=1)[:, None]).mean(axis=1)
    network_scale = np.asarray(network_scale, dtype=np.float64)
    spread_ok = np.isfinite(spread) & (spread > 0)
    network_ok = np.isfinite(network_scale) & (network_scale > 0)
    with np.errstate(invalid="ignore"):
        both = np.sqrt(spread) * np.sqrt(network_scale)  # no overflow of the product
    return np.where(spread_ok & network_ok, both, np.where(spread_ok, spread, network_scale))


# How conformal scores are normalised (see _interval_scale); stored in model files, whose
# scores are recomputed when they were normalised another way.
INTERVAL_SCALE = "sqrt(step spread * network scale)"
