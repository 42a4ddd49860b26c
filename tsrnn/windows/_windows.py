"""Windows as start indices into one contiguous buffer; mini-batches gathered on the fly."""

import numpy as np

from .._memory import SMALL, check_allocation
from ._scalers import _fallback, _floor, scaled, window_stats


def window_starts(offsets, input_size, horizon, stride=1, end_offsets=None):
    """Buffer positions where each training window starts.

    A window starting at ``s`` reads inputs ``buffer[s : s + input_size]`` and targets
    ``buffer[s + input_size : s + input_size + horizon]``, never crossing a series'
    end. Windows are aligned to the end of each series: the latest window always
    ends at the series' last observation, earlier ones every ``stride`` steps.

    Parameters
    ----------
    offsets : ndarray of int64 of shape (n_series + 1,)
        Series ``i`` occupies ``buffer[offsets[i]:offsets[i + 1]]``.
    input_size, horizon, stride : int
    end_offsets : ndarray of int64 of shape (n_series,), optional
        Use only ``buffer[offsets[i]:end_offsets[i]]`` of each series.

    Returns
    -------
    starts : ndarray of int64 of shape (n_windows,)
        Sorted by series, then time.
    series : ndarray of int64 of shape (n_windows,)
        Series index of each window.
    """
    for name, v in (("input_size", input_size), ("horizon", horizon), ("stride", stride)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < (0 if name == "horizon" else 1):
            raise ValueError(f"{name} must be {'an integer >= 0' if name == 'horizon' else 'a positive integer'}, "
                             f"got {v!r}")
    offsets = np.asarray(offsets, dtype=np.int64)
    ends = offsets[1:] if end_offsets is None else np.asarray(end_offsets, dtype=np.int64)
    # sizes beyond the buffer give no window / one window per series: cap them so that
    # huge Python ints never meet int64 arithmetic (OverflowError)
    total = int(offsets[-1]) + 1 if offsets.size else 1
    span = min(int(input_size) + int(horizon), total + 1)
    stride = min(int(stride), total)
    last = ends - span  # last valid start of each series
    counts = np.where(last >= offsets[:-1], (last - offsets[:-1]) // stride + 1, 0)
    series = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    # k-th window from the end of its series: start = last - k * stride, listed oldest first
    first_of = np.concatenate([[0], np.cumsum(counts)[:-1]])
    k = counts[series] - 1 - (np.arange(series.size) - first_of[series])
    starts = last[series] - k * stride
    return starts.astype(np.int64), series


# Values further than this many interquartile ranges beyond a series' quartiles are gross
# outliers (a data-entry error): the history statistics clip them (expanding_stats).
OUTLIER_FENCE = 10.0


def clip_gross_outliers(values):
    """``values`` clipped to ``[q1 - F * iqr, q3 + F * iqr]`` (F = OUTLIER_FENCE), or
    ``values`` itself where nothing lies beyond (or the quartiles coincide)."""
    if values.size < 4:
        return values
    q1, q3 = np.quantile(values, [0.25, 0.75])
    with np.errstate(over="ignore", invalid="ignore"):
        lo, hi = q1 - OUTLIER_FENCE * (q3 - q1), q3 + OUTLIER_FENCE * (q3 - q1)
    if not q3 > q1 or (lo <= values.min() and values.max() <= hi):  # (fences beyond float64: inf)
        return values
    return np.clip(values, lo, hi)


def expanding_stats(target, series_start, end):
    """Mean and std of ``target[series_start[k]:end[k]]`` for every k (all history so far).

    Gross outliers do not count at their value: values more than ``OUTLIER_FENCE``
    interquartile ranges beyond the quartiles of the series (of all the history the
    windows read) are clipped to that fence first. One data-entry error of 1000x the
    level would otherwise set the scale of every later window, and the forecasts of a
    series around 50 went negative (2026-12-08). No series of ``bench_accuracy.py`` has
    such a value (at 5 interquartile ranges seven would).

    Parameters
    ----------
    target : ndarray of float64 of shape (n_obs,)
    series_start, end : ndarray of int64 of shape (n,)

    Returns
    -------
    mean, std : ndarray of float64 of shape (n,)
        ``std`` is floored like the window scales (never zero).
    """
    target = np.asarray(target, dtype=np.float64)
    series_start = np.asarray(series_start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    mean = np.empty(end.shape, dtype=np.float64)
    std = np.empty(end.shape, dtype=np.float64)
    # Prefix sums per series, of values shifted by the series' first value and scaled by a
    # power of two: no cancellation against the sums of earlier series (a series at level
    # 1e-3 after one at 1e10), no overflow of the squares (levels up to 1e300).
    order = np.argsort(series_start, kind="stable")
    bounds, first = np.unique(series_start[order], return_index=True)
    for a, which in zip(bounds, np.split(order, first[1:])):
        k = end[which] - a  # steps of history of each window
        d = clip_gross_outliers(target[a : a + int(k.max())]) - target[a]
        g = np.ldexp(1.0, int(np.frexp(np.abs(d).max(initial=0.0))[1]))
        d = d / g
        c1 = np.concatenate([[0.0], np.cumsum(d)])
        c2 = np.concatenate([[0.0], np.cumsum(d * d)])
        m = c1[k] / k
        mean[which] = target[a] + g * m
        std[which] = g * np.sqrt(np.maximum(c2[k] / k - m * m, 0.0))
    return mean, np.where(std > _floor(mean), std, _fallback(mean))


def level_features(loc, scale, mean, std):
    """Where a window sits in its series' history: ((loc - mean) / std, log(scale / std)).

    Per-window scaling removes the level and spread of each window; these two numbers
    (ndarray of shape (B, 2)) give them back relative to the series' history so far.
    """
    return np.stack([(loc - mean) / std, np.log(scale / std)], axis=1)


def future_layout(inputs, covariates, future, levels, horizon, dtype):
    """Network input of windows: target, historical and known covariates, flags.

    Parameters
    ----------
    inputs : ndarray of shape (B, L)
        Scaled target over the input steps.
    covariates : ndarray of shape (B, L, n_cov) or None
        Historical covariates over the input steps.
    future : ndarray of shape (B, L + horizon, n_future) or None
        Known covariates over the input steps and the ``horizon`` steps after them.
    levels : ndarray of shape (B, 2) or None
        :func:`level_features`, repeated at every step.
    horizon : int
        Future steps the network reads (only with ``future``).
    dtype : numpy dtype

    Returns
    -------
    X : ndarray of shape (B, L [+ horizon], n_features)
        Features: target, historical covariates (both zero on future steps), known
        covariates and a future-step flag (only with ``future``), level features.
    """
    B, L = inputs.shape
    n_cov = 0 if covariates is None else covariates.shape[2]
    n_fut = 0 if future is None else future.shape[2]
    T = L + (horizon if n_fut else 0)
    nf = 1 + n_cov + (n_fut + 1 if n_fut else 0) + (0 if levels is None else 2)
    X = np.zeros((B, T, nf), dtype=dtype)
    X[:, :L, 0] = inputs
    k = 1
    if n_cov:
        X[:, :L, k : k + n_cov] = covariates
        k += n_cov
    if n_fut:
        X[:, :, k : k + n_fut] = future
        X[:, L:, k + n_fut] = 1.0
        k += n_fut + 1
    if levels is not None:
        X[:, :, k:] = levels[:, None, :]
    return X


STATS_CHUNK = 4096  # windows per chunk when computing every window's statistics


class WindowBatches:
    """Mini-batches of windows gathered from one contiguous buffer (memory O(data)).

    Follows the batch-source protocol of the estimators' fit loop: ``n_samples`` and
    ``batch(idx) -> (X, y, lengths, sample_weight)``.

    Parameters
    ----------
    target : ndarray of float64 of shape (n_obs,)
        Target of every series concatenated (after any target transform).
    covariates : ndarray of float64 of shape (n_obs, n_covariates) or None
        Extra input features per step (already scaled), read over the input steps.
    starts : ndarray of int64 of shape (n_windows,)
        Window starts, e.g. from :func:`window_starts`.
    input_size, horizon : int
        ``horizon=0`` gathers inputs only (prediction).
    scaler : {"standard", "robust", "minmax", "series", None}
        Per-window scaling; the statistics of each window's inputs scale its inputs and
        its targets. "series": the mean and std of the window's series up to its last
        input (needs ``series_start``).
    dtype : numpy dtype, default=float32
    sample_weight : ndarray of shape (n_windows,), optional
    series_start : ndarray of int64 of shape (n_windows,), optional
        Buffer offset of each window's series; when given, two more input features
        (:func:`level_features` against the series' history up to the window's last
        input) follow the covariates, constant over the window's steps (unless
        ``level_feats=False``).
    future : ndarray of float64 of shape (n_obs, n_future) or None
        Covariates known in advance (calendar, planned prices, static attributes),
        already scaled. When given, the network reads ``input_size + horizon`` steps
        (see :func:`future_layout`): the target and historical covariates are zero over
        the last ``horizon`` steps, the known covariates run over all of them, and a flag
        feature marks the future steps.
    """

    def __init__(self, target, covariates, starts, input_size, horizon, scaler="robust",
                 dtype=np.float32, sample_weight=None, series_start=None, future=None, level_feats=None):
        self.target = np.ascontiguousarray(target, dtype=np.float64)
        self.covariates = covariates
        self.starts = np.asarray(starts, dtype=np.int64)
        self.input_size, self.horizon = int(input_size), int(horizon)
        self.scaler = scaler
        self.dtype = np.dtype(dtype)
        self.sample_weight = sample_weight
        self.n_samples = self.starts.size
        self.n_cov = 0 if covariates is None else covariates.shape[1]
        self.future = future
        self.n_future = 0 if future is None else future.shape[1]
        self.n_features = 1 + self.n_cov + (self.n_future + 1 if self.n_future else 0) \
            + (2 if (series_start is not None if level_feats is None else level_feats) else 0)
        self.level_feats = series_start is not None if level_feats is None else bool(level_feats)
        if scaler == "series" and series_start is None:
            raise ValueError('scaler="series" needs series_start (the statistics of each series\' history)')
        self.history = None
        if series_start is not None:
            self.history = expanding_stats(self.target, np.asarray(series_start, np.int64),
                                           self.starts + self.input_size)
        self._in = np.arange(self.input_size, dtype=np.int64)
        self._out = np.arange(self.input_size, self.input_size + self.horizon, dtype=np.int64)
        self._steps = np.arange(self.input_size + self.horizon, dtype=np.int64)
        self._window_stats = None  # (loc, scale) of every window, computed on first use

    def raw(self, idx):
        """Unscaled (inputs, targets) of windows ``idx``: shapes (B, input_size), (B, horizon)."""
        s = self.starts[idx][:, None]
        return self.target[s + self._in], self.target[s + self._out]

    def stats(self, idx):
        """(loc, scale) of windows ``idx``, each of shape (B,)."""
        return self._stats(idx)

    def _stats(self, idx):
        if self.scaler == "series":  # each series' history up to the window's last input
            return self.history[0][idx], self.history[1][idx]
        if self._window_stats is None:
            # Training visits each window many times: compute every window's statistics
            # once (two floats per window), in chunks, instead of a median per batch.
            loc = np.empty(self.n_samples)
            scale = np.empty(self.n_samples)
            for a in range(0, self.n_samples, STATS_CHUNK):
                s = self.starts[a : a + STATS_CHUNK, None]
                loc[a : a + STATS_CHUNK], scale[a : a + STATS_CHUNK] = window_stats(self.target[s + self._in],
                                                                                     self.scaler)
            self._window_stats = loc, scale
        return self._window_stats[0][idx], self._window_stats[1][idx]

    def batch(self, idx):
        """Scaled windows ``idx``.

        Returns
        -------
        X : ndarray of shape (B, input_size [+ horizon], n_features), C-contiguous
            Scaled target (feature 0), then covariates (see :func:`future_layout`).
        y : ndarray of shape (B, horizon)
            Scaled targets.
        lengths : ndarray of int64 of shape (B,)
            All ``input_size``.
        sample_weight : ndarray of shape (B,) or None
        """
        idx = np.asarray(idx)
        if idx.size * (self.input_size + self.horizon) * 8 >= SMALL:  # skip the estimate for usual batches
            check_allocation(
                idx.size * (self.input_size * (32 + self.n_features * self.dtype.itemsize)
                            + self.horizon * (24 + self.dtype.itemsize)),
                f"a batch of {idx.size} windows of {self.input_size} input steps and horizon {self.horizon}",
                "lower batch_size or input_size",
            )
        s = self.starts[idx][:, None]
        loc, scale = self._stats(idx)
        # inputs and targets gathered and scaled in one go (a batch is ~15 NumPy calls)
        window = scaled(self.target[s + self._steps], loc, scale)
        levels = None if not self.level_feats else level_features(loc, scale, self.history[0][idx],
                                                                   self.history[1][idx])
        future = None if self.future is None else self.future[s + self._steps]
        X = future_layout(window[:, :self.input_size],
                          None if self.covariates is None else self.covariates[s + self._in],
                          future, levels, self.horizon, self.dtype)
        y = window[:, self.input_size:].astype(self.dtype)
        lengths = np.full(idx.size, X.shape[1], dtype=np.int64)
        sw = None if self.sample_weight is None else self.sample_weight[idx]
        return X, y, lengths, sw

    def largest_scaled(self):
        """The largest magnitude any window's scaled target reaches, over its input and
        target steps, and the buffer position where it does.

        A value that is finite in the data can still be far beyond what the network's
        dtype holds once scaled (a spike of 1e45 among values near 10); the caller
        names it before training, instead of a non-finite loss during it.

        Returns
        -------
        value : float
            The largest ``|(target - loc) / scale|`` (0.0 without windows).
        position : int
            Its offset in ``target`` (-1 without windows).
        """
        best, where = 0.0, -1
        steps = np.arange(self.input_size + self.horizon, dtype=np.int64)
        for a in range(0, self.n_samples, STATS_CHUNK):
            idx = np.arange(a, min(self.n_samples, a + STATS_CHUNK))
            pos = self.starts[idx][:, None] + steps
            loc, scale = self._stats(idx)
            with np.errstate(over="ignore", invalid="ignore"):
                magnitude = np.abs((self.target[pos] - loc[:, None]) / scale[:, None])
            k = int(np.argmax(magnitude))  # NaN does not occur: the target was checked finite
            if magnitude.flat[k] > best:
                best, where = float(magnitude.flat[k]), int(pos.flat[k])
        return best, where
