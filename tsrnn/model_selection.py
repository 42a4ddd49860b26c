"""Splitting long-format series for scikit-learn's model selection (``GridSearchCV``,
``cross_validate``) with :class:`RNNForecaster` (whose ``score`` forecasts the test rows)."""

import numbers

import numpy as np
import pandas as pd


class SeriesTimeSplit:
    """Rolling-origin splits of a long frame: every series is cut at the same offsets from its end.

    Split ``k`` (oldest first) trains on each series' observations before its cutoff and
    tests on the ``horizon`` observations after it; cutoffs are ``step_size`` apart and
    the last split's test ends at each series' last observation, as in
    :meth:`RNNForecaster.cross_validation`. Steps are counted on each series' time grid
    (its frequency, inferred as the forecaster infers it, or ``freq``): a series with
    missing timestamps (a forecaster with ``fill``) is cut at the same times as its
    filled version, and a test window may hold fewer than ``horizon`` rows. Indices are
    positions in the frame as given (it need not be sorted).

    Parameters
    ----------
    n_splits : int, default=3
    horizon : int, default=1
        Test observations per series in each split (use the forecaster's horizon).
    step_size : int or None, default=None
        Steps between cutoffs (default ``horizon``).
    id_col, time_col : str, default="unique_id", "ds"
    freq : str, DateOffset, int or None, default=None
        The series' frequency (as the forecaster's ``freq``); inferred per series when None.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV  # doctest: +SKIP
    >>> cv = SeriesTimeSplit(n_splits=2, horizon=12)  # doctest: +SKIP
    >>> GridSearchCV(RNNForecaster(horizon=12), {"hidden_size": [32, 64]}, cv=cv).fit(df)  # doctest: +SKIP
    """

    def __init__(self, n_splits=3, horizon=1, step_size=None, id_col="unique_id", time_col="ds", freq=None):
        self.n_splits = n_splits
        self.horizon = horizon
        self.step_size = step_size
        self.id_col = id_col
        self.time_col = time_col
        self.freq = freq

    def get_n_splits(self, X=None, y=None, groups=None):
        self._check()
        return self.n_splits

    def _steps_from_end(self, X):
        """Per row of ``X``: grid steps after it in its series (0 for the last), and the
        length of its series' grid (observations plus missing timestamps)."""
        from .windows import build_panel
        from .windows._panel import FrequencyError

        ids, times = X[self.id_col].reset_index(drop=True), X[self.time_col].reset_index(drop=True)
        target = "target" if "target" not in (self.id_col, self.time_col) else "_target"
        keys = pd.DataFrame({self.id_col: ids, self.time_col: times, target: 0.0})
        # the forecaster's checks (missing ids or times, duplicates, off-grid times) with its messages
        try:
            panel = build_panel(keys, self.id_col, self.time_col, target, freq=self.freq, fill="zero")
        except FrequencyError:  # series too short to show a frequency: count their rows
            from_end = keys.groupby(self.id_col, sort=False)[self.time_col].rank(method="first", ascending=False)
            lengths = keys.groupby(self.id_col, sort=False)[self.time_col].transform("size")
            return from_end.to_numpy() - 1, lengths.to_numpy(), ids
        series = np.repeat(np.arange(panel.n_series), panel.lengths)
        grid = pd.DataFrame({"series": series, "t": panel.ds,
                             "from_end": np.repeat(panel.offsets[1:], panel.lengths) - 1 - np.arange(len(series))})
        index = {uid: i for i, uid in enumerate(panel.ids.tolist())}
        rows = pd.DataFrame({"series": [index[uid] for uid in ids.tolist()], "t": panel.key_times(times)})
        rows = rows.merge(grid, on=["series", "t"], how="left", validate="one_to_one")
        return rows["from_end"].to_numpy(), panel.lengths[rows["series"].to_numpy()], ids

    def _check(self):
        for name in ("n_splits", "horizon") + (("step_size",) if self.step_size is not None else ()):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive int; got {value!r}")

    def split(self, X, y=None, groups=None):
        """Yield ``(train_positions, test_positions)`` for each split.

        Parameters
        ----------
        X : DataFrame
            Long format with ``id_col`` and ``time_col``.
        y, groups : ignored

        Yields
        ------
        train, test : ndarray of int64
        """
        self._check()
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"SeriesTimeSplit splits long DataFrames; got {type(X).__name__}")
        missing = [c for c in (self.id_col, self.time_col) if c not in X.columns]
        if missing:
            raise ValueError(f"column(s) {missing} not found; the frame has {list(X.columns)}")
        step = self.horizon if self.step_size is None else self.step_size
        from_end, lengths, ids = self._steps_from_end(X)
        need = self.horizon + (self.n_splits - 1) * step + 1
        if (lengths < need).any():
            short = pd.unique(ids[lengths < need])
            raise ValueError(f"{len(short)} series are shorter than the {need} time steps {self.n_splits} "
                             f"splits of horizon {self.horizon} need: {', '.join(map(repr, short[:5]))}")
        for k in range(self.n_splits):
            back = self.horizon + (self.n_splits - 1 - k) * step
            train = np.flatnonzero(from_end >= back)
            test = np.flatnonzero((from_end < back) & (from_end >= back - self.horizon))
            yield train.astype(np.int64), test.astype(np.int64)


def forecast_score(forecaster, X):
    """Negative mean MASE of ``forecaster`` on the test rows ``X`` (greater is better).

    The forecaster (fitted on the rows before ``X``) forecasts each series from the end
    of its training data; forecasts are matched to ``X`` by id and timestamp and scaled
    per series by the mean absolute one-step change of its training data.
    """
    id_col, time_col, target_col = forecaster.id_col, forecaster.time_col, forecaster.target_col
    missing = [c for c in (id_col, time_col, target_col) if c not in X.columns]
    if missing:
        raise ValueError(f"score needs the test rows with column(s) {missing}")
    actual = X[target_col]
    if not pd.api.types.is_numeric_dtype(actual) or not np.isfinite(actual.to_numpy(np.float64)).all():
        raise ValueError(f"score needs finite numeric {target_col!r} values in the test rows (NaN, infinite or "
                         "non-numeric values found)")
    if len(X) == 0:
        raise ValueError("score needs test rows; the test frame is empty")
    panel = forecaster.panel_
    steps = _steps_after_training(panel, X, id_col, time_col)
    future = X if forecaster.future_covariates else None
    if future is not None:
        from .forecasting.forecaster import _blocks

        block = _blocks(steps, forecaster._out_steps())
        if block > steps:  # the test rows are the only future covariate values there are
            raise ValueError(
                f"the test rows cover {steps} step(s) per series, but this forecaster reads future covariates in "
                f"blocks of {forecaster._out_steps()} steps (its horizon): split with "
                f"SeriesTimeSplit(..., horizon={forecaster.horizon}) or a multiple of it")
    pred = forecaster.predict(steps, X_future=future)
    from .forecasting.forecaster import _to_key_frame

    truth = _to_key_frame(X[[id_col, time_col, target_col]], id_col, time_col, panel)
    pred = _to_key_frame(pred[[id_col, time_col, "yhat"]], id_col, time_col, panel)
    merged = truth.merge(pred, on=[id_col, time_col], how="left")
    if merged["yhat"].isna().any():
        raise ValueError("test rows do not follow the training data of their series (no forecast for "
                         f"{int(merged['yhat'].isna().sum())} rows); split with SeriesTimeSplit")
    scale = {uid: np.mean(np.abs(np.diff(panel.y[a:b]))) for uid, a, b in
             zip(panel.ids.tolist(), panel.offsets[:-1], panel.offsets[1:])}
    mae = (merged[target_col] - merged["yhat"]).abs().groupby(merged[id_col]).mean()
    per_series = (mae / pd.Series(scale).reindex(mae.index)).replace([np.inf], np.nan)  # flat history: skipped
    if per_series.isna().all():
        raise ValueError("MASE is undefined here: every test series has a constant training history "
                         "(no one-step change to scale the errors by)")
    return -float(per_series.mean())


def _steps_after_training(panel, X, id_col, time_col):
    """Forecast steps that reach every test row of ``X`` (at least 1): per series, the
    steps of its frequency from its last training timestamp to its last test row
    (more than its rows when the series has missing timestamps)."""
    ends = panel.ds[panel.offsets[1:] - 1].view(np.int64)  # integer steps, or nanoseconds
    last = {uid: (int(end), f) for uid, end, f in zip(panel.ids.tolist(), ends, panel.freqs)}
    times = pd.Series(panel.key_times(X[time_col]).view(np.int64), index=X.index)
    steps = 1
    for uid, t in times.groupby(X[id_col], sort=False).max().items():
        if uid not in last or not t > last[uid][0]:
            continue  # the forecasts' merge below names rows no forecast reaches
        end, freq = last[uid]
        if isinstance(freq, (int, np.integer)):
            n = -(-(int(t) - end) // int(freq))
        elif isinstance(freq, pd.offsets.Tick):
            n = -(-(int(t) - end) // int(freq.nanos))
        else:
            n = len(pd.date_range(pd.Timestamp(end), pd.Timestamp(int(t)), freq=freq)) - 1
        steps = max(steps, int(n))
    return steps
