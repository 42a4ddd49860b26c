"""Conformal intervals: how calibration errors are normalised and turned into quantiles."""

import math

import numpy as np

# Fewer calibration errors than this per horizon step: neighbouring steps are pooled.
MIN_POOLED_SCORES = 20


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
    if steps.shape[1] == 0:  # input_size 1: no steps, the network's scale alone
        spread = np.full(steps.shape[0], np.nan)
    else:
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


def _pool_half_width(n):
    """Neighbouring steps pooled on each side with ``n`` calibration windows."""
    return max(0, math.ceil((MIN_POOLED_SCORES / n - 1) / 2))


def levels_beyond_scores(n, horizon, levels):
    """The levels a calibration of ``n`` windows x ``horizon`` steps cannot cover.

    With ``m`` scores (the fewest any step pools), split conformal's rank
    ``ceil((m + 1) * level / 100)`` passes ``m`` once ``level > 100 * m / (m + 1)``:
    no finite-sample guarantee is left, the interval is the largest error (the same
    for every such level) and narrower than the level asks. (The levels just below
    that share the largest error too, one rank up, see :func:`conformal_quantiles`,
    and stay covered by the guarantee.)

    Parameters
    ----------
    n, horizon : int
        Calibration windows and forecast steps (the shape of the scores).
    levels : sequence of float
        Coverages in percent.

    Returns
    -------
    beyond : list of float
        Those of ``levels`` beyond ``100 * m / (m + 1)``.
    m : int
        The fewest scores any step pools.
    """
    half = _pool_half_width(n)
    m = n * min(horizon, half + 1)  # the first and last steps have neighbours on one side only
    return [lv for lv in levels if lv / 100 > m / (m + 1)], m


def conformal_quantiles(scores, levels):
    """Split-conformal quantiles of the normalised calibration errors, per horizon step.

    With ``n`` scores at a step, the ``(k + 1)``-th smallest, ``k = ceil((n + 1) *
    level / 100)`` (the largest when that passes ``n``): one rank above textbook split
    conformal, because the forecast windows of a series are not exchangeable (later
    errors run larger). With fewer than :data:`MIN_POOLED_SCORES` calibration windows
    (a short series leaves room for few, down to one), step ``s`` pools the scores of
    steps ``s - w .. s + w`` (clipped to the horizon), ``w`` the fewest that gather
    that many: one window's errors alone made the 80% and 95% intervals the same.

    Measured on two-window backtests of the 21 series of
    ``benchmarks/bench_accuracy.py`` (four seeds), mean distance from nominal coverage
    at 80% / 95%: 0.19 / 0.14 without pooling, 0.16 / 0.09 with it (pooling up to 40:
    no better); at the textbook rank 0.17 / 0.10, the series covering 0.78 / 0.89 on
    average (0.82 / 0.90 one rank up).

    Parameters
    ----------
    scores : ndarray of shape (n, horizon)
        Absolute calibration errors divided by their windows' interval scales.
    levels : sequence of float
        Coverages in percent, in (0, 100).

    Returns
    -------
    dict of float -> ndarray of shape (horizon,)
        The quantiles of each level.
    """
    n, horizon = scores.shape
    half = _pool_half_width(n)
    # one sort for every step and level: row s holds the scores of steps
    # s - half .. s + half, +inf where that runs past the horizon (sorted last)
    pools = np.full((horizon, 2 * half + 1, n), np.inf)
    for shift in range(-half, half + 1):
        lo, hi = max(0, -shift), min(horizon, horizon - shift)
        if lo < hi:
            pools[lo:hi, shift + half] = scores[:, lo + shift:hi + shift].T
    pools = np.sort(pools.reshape(horizon, -1), axis=1)
    steps = np.arange(horizon)
    sizes = n * (np.minimum(horizon - 1, steps + half) - np.maximum(0, steps - half) + 1)
    return {level: pools[steps, np.minimum(sizes - 1, np.ceil((sizes + 1) * level / 100).astype(np.int64))]
            for level in levels}
