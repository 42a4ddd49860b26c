"""Target transforms applied before windowing and inverted on the forecasts."""

import numpy as np

from ..windows._panel import _MAX_LISTED, _fmt, _listing
from ..windows._windows import clip_gross_outliers
from ._seasonality import SEASONAL_STRENGTH_THRESHOLD, seasonal_strength

TARGET_TRANSFORMS = (None, "log", "log1p")


def _check_log(y, name, low, panel=None):
    """ValueError when ``y`` has values at or below ``low``; with ``panel`` (whose buffer
    ``y`` is) it names the series and their first offending timestamps, and says which
    values ``fill`` inserted at missing timestamps (they are not in the user's data)."""
    bad = y <= low
    if not bad.any():
        return
    head = f"target_transform={name!r} needs y > {low}"
    if panel is None:
        raise ValueError(f"{head}; the target has values down to {float(np.min(y)):g}")
    rows = np.flatnonzero(bad)
    series = np.searchsorted(panel.offsets, rows, side="right") - 1
    times = panel.user_times(panel.ds[rows])
    filled = np.zeros(len(rows), dtype=bool) if panel.filled is None else panel.filled[rows]
    where = {}
    for i, t, v, f in zip(series, times, y[rows], filled):
        where.setdefault(i, []).append(f"{_fmt(t)} ({float(v):g}{', inserted by fill' if f else ''})")
    text = "; ".join(f"series {panel.ids[i]!r} at {_listing(ts, 3)}" for i, ts in list(where.items())[:_MAX_LISTED])
    more = f" (and {len(where) - _MAX_LISTED} more series)" if len(where) > _MAX_LISTED else ""
    if filled.all():
        advice = ("those values are not in the data: fill inserted them at missing timestamps (fill='zero' "
                  "inserts 0); use fill='ffill' or fill='interpolate'")
    else:
        advice = "fix or drop those values, or use target_transform=None"
        if filled.any():
            advice += ("; the ones marked were inserted by fill at missing timestamps (fill='zero' inserts 0; "
                       "fill='ffill' or fill='interpolate' do not)")
    raise ValueError(f"{head}: {text}{more}; {advice}")


LIMIT = 1e300  # forecasts are loc + scale * (network output): stay far from float64 overflow


def _check_range(y):
    y = np.asarray(y, dtype=np.float64)
    if y.size and np.abs(y).max() > LIMIT:
        raise ValueError(
            f"the target has values too large to forecast (largest |y| {np.abs(y).max():.3g} > {LIMIT:g}); "
            "rescale it, e.g. divide it by a constant"
        )
    return y


def forward(y, name, panel=None):
    """Transform the target ``y`` (ndarray) with ``name``.

    Parameters
    ----------
    y : ndarray of float64
    name : {None, "log", "log1p"}
    panel : Panel, optional
        The panel whose buffer ``y`` is: errors then name the series and timestamps.

    Returns
    -------
    ndarray of float64
    """
    if name is None:
        return _check_range(y)
    if name == "log":
        _check_log(y, name, 0, panel)
        return np.log(y)
    if name == "log1p":
        _check_log(y, name, -1, panel)
        return np.log1p(y)
    raise ValueError(f"target_transform={name!r} is not supported; choose one of {list(TARGET_TRANSFORMS)}")


def inverse(z, name):
    """Invert :func:`forward`."""
    if name is None:
        return np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore"):
        if name == "log":
            return np.exp(z)
        if name == "log1p":
            return np.expm1(z)
    raise ValueError(f"target_transform={name!r} is not supported; choose one of {list(TARGET_TRANSFORMS)}")


# ---------------------------------------------------------------- differencing
# Differences are taken inside the window pipeline: the network reads and predicts the
# differenced target, and each forecast is integrated back from its own window's last
# observations. Nothing but the window's history is needed to invert them, so predict,
# backtests and conformal calibration work on levels exactly as without differencing.

def check_differences(value, allow_auto=False):
    """``differences`` parameter -> tuple of lags (empty for None).

    Accepts None, a positive int (one difference at that lag) or a sequence of them,
    applied in order (``[1, 12]``: first differences, then seasonal ones at lag 12);
    and "auto" when ``allow_auto`` (returned as is).
    """
    if value is None:
        return ()
    if isinstance(value, str) and value == "auto" and allow_auto:
        return value
    lags = [value] if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    try:
        lags = tuple(lags)
    except TypeError:
        lags = None
    if not lags or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in lags):
        raise ValueError(f"differences must be None, \"auto\", a positive integer lag or a list of them "
                         f"(e.g. [1, 12]); got {value!r}")
    return tuple(int(v) for v in lags)


def difference(z, offsets, lags):
    """Differenced target buffer, aligned with ``z``.

    Parameters
    ----------
    z : ndarray of float64 of shape (n_obs,)
        Every series' (transformed) target, concatenated.
    offsets : ndarray of int64 of shape (n_series + 1,)
    lags : tuple of int

    Returns
    -------
    ndarray of float64 of shape (n_obs,)
        Position ``t`` holds the differences ending at ``t``; the first ``sum(lags)``
        positions of each series have none and hold NaN.
    """
    out = np.array(z, dtype=np.float64)
    starts = np.asarray(offsets[:-1], dtype=np.int64)
    position = np.arange(out.size) - np.repeat(starts, np.diff(offsets))  # step within its series
    done = 0
    for lag in lags:
        shifted = np.full_like(out, np.nan)
        shifted[lag:] = out[:-lag]
        out = out - shifted
        done += lag
        out[position < done] = np.nan  # never a difference across two series
    return out


def difference_rows(levels, lags):
    """Differences of each row: (n, L + sum(lags)) -> (n, L)."""
    out = np.asarray(levels, dtype=np.float64)
    for lag in lags:
        out = out[:, lag:] - out[:, :-lag]
    return out


def integrate(levels, steps, lags):
    """Undo :func:`difference_rows` on forecasts.

    Parameters
    ----------
    levels : ndarray of shape (n, m)
        Each row's history in level space, ``m >= sum(lags)``.
    steps : ndarray of shape (n, k) or (n, k, q)
        Forecast differences of the ``k`` steps after each row (``q`` quantiles each,
        integrated one by one).
    lags : tuple of int

    Returns
    -------
    ndarray shaped like ``steps``
        Forecasts in level space.
    """
    if steps.ndim == 3:
        n, k, q = steps.shape
        flat = np.moveaxis(steps, 2, 1).reshape(n * q, k)
        out = integrate(np.repeat(levels, q, axis=0), flat, lags)
        return np.moveaxis(out.reshape(n, q, k), 1, 2)
    histories = [np.asarray(levels, dtype=np.float64)]
    for lag in lags[:-1]:
        histories.append(histories[-1][:, lag:] - histories[-1][:, :-lag])
    future = np.asarray(steps, dtype=np.float64)
    for lag, history in zip(lags[::-1], histories[::-1]):
        m = history.shape[1]
        full = np.concatenate([history, np.empty_like(future)], axis=1)
        for j in range(future.shape[1]):
            full[:, m + j] = future[:, j] + full[:, m + j - lag]
        future = full[:, m:]
    return future


KPSS_CRITICAL_5PCT = 0.463  # level stationarity, Kwiatkowski et al. (1992), table 1
KPSS_MIN_LENGTH = 16
KPSS_MAX_SERIES = 500


def kpss_statistic(y):
    """KPSS statistic of level stationarity of one series (Bartlett window, Schwert's lags).

    Large values (above ~0.463 at the 5% level) reject stationarity around a constant:
    a trend or a random walk.
    """
    n = y.size
    if n < 2 or y.min() == y.max():  # a constant series: nothing to difference
        return 0.0
    # scaled by the largest magnitude first: squares of levels near 1e300 would overflow
    top = np.abs(y).max(initial=0.0)
    e = (y - y.mean()) / top if top > 0 else y - y.mean()
    partial = np.cumsum(e)
    lags = min(n - 1, int(12 * (n / 100) ** 0.25))
    long_run = e @ e / n
    for k in range(1, lags + 1):
        long_run += 2 * (1 - k / (lags + 1)) * (e[k:] @ e[:-k]) / n
    if not long_run > 0:
        return 0.0
    return float(partial @ partial / n**2 / long_run)


def _sampled_bounds(offsets, min_length):
    """(start, stop) of the series long enough for a test; an even spread of at most
    :data:`KPSS_MAX_SERIES` of them (a vote of those is as good and stays fast)."""
    bounds = [(a, b) for a, b in zip(offsets[:-1], offsets[1:]) if b - a >= min_length]
    if len(bounds) > KPSS_MAX_SERIES:
        bounds = [bounds[i] for i in np.linspace(0, len(bounds) - 1, KPSS_MAX_SERIES).astype(int)]
    return bounds


def _strength(y, m, multiplicative):
    """:func:`seasonal_strength` of ``y``; with ``multiplicative``, the larger of that and
    the strength of ``log(y)`` when every value is positive."""
    strength = seasonal_strength(y, m)
    if multiplicative and y.size and y.min() > 0:
        strength = max(strength, seasonal_strength(np.log(y), m))
    return strength


def auto_differences(z, offsets, season_length=1, multiplicative=True):
    """``differences="auto"``: difference when most series are not level-stationary.

    Gross outliers (a data-entry error, see :func:`tsrnn.windows._windows.clip_gross_outliers`)
    are clipped for the tests: one spike made a random walk look level-stationary.
    Each series of at least :data:`KPSS_MIN_LENGTH` observations takes a KPSS test at
    the 5% level (as ``ndiffs`` does for ARIMA); one global model gets one decision, by
    majority. Trending series that are also seasonal (most series of three seasons or
    more have a :func:`seasonal_strength` above its threshold, as ``nsdiffs`` decides)
    are differenced at the season instead of the step: a seasonal difference removes
    the trend and the seasonal pattern together. A positive series whose seasonal swings
    grow with its level (multiplicative seasonality, common in sales and demand) is
    measured on the log scale too: the additive decomposition counts the growing swings
    as remainder (UKgas: strength 0.59 on its own scale, above the threshold in logs).

    Parameters
    ----------
    z : ndarray of shape (n_obs,)
        The (transformed) targets of every series, end to end.
    offsets : ndarray of int64 of shape (n_series + 1,)
    season_length : int, default=1
        The season of the data's frequency (:func:`season_length`); 1: none.
    multiplicative : bool, default=True
        Also measure the seasonality of positive series on the log scale (off when the
        targets are already log-transformed).

    Returns
    -------
    tuple of int
        ``()``, ``(1,)`` or ``(season_length,)``.
    """
    votes = [kpss_statistic(clip_gross_outliers(z[a:b])) > KPSS_CRITICAL_5PCT
             for a, b in _sampled_bounds(offsets, KPSS_MIN_LENGTH)]
    if not (votes and 2 * sum(votes) > len(votes)):
        return ()
    if mostly_seasonal(z, offsets, season_length, multiplicative):
        return (season_length,)
    return (1,)


def mostly_seasonal(z, offsets, season_length, multiplicative=True):
    """Whether most series of three seasons or more have a :func:`seasonal_strength`
    above its threshold (measured on the log scale too with ``multiplicative``, as in
    :func:`auto_differences`); False for ``season_length < 2`` or when no series is
    that long.

    Parameters
    ----------
    z : ndarray of shape (n_obs,)
    offsets : ndarray of int64 of shape (n_series + 1,)
    season_length : int
    multiplicative : bool, default=True

    Returns
    -------
    bool
    """
    if season_length < 2:
        return False
    seasonal = [_strength(clip_gross_outliers(z[a:b]), season_length, multiplicative) > SEASONAL_STRENGTH_THRESHOLD
                for a, b in _sampled_bounds(offsets, 3 * season_length)]
    return bool(seasonal) and 2 * sum(seasonal) > len(seasonal)
