"""RNNForecaster: global recurrent forecaster over long-format pandas frames."""

import math
import numbers
import threading
import warnings
import zlib

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs

from ..estimators import RNNRegressor
from ..estimators._sklearn_base import EstimatorBase, check_is_fitted, check_random_state, clone
from ..exceptions import TrainingDivergedError
from ..nn.recurrent import CELLS, resolve_dtype
from ..estimators._validation import _caller_level, check_int
from ..kernels.threads import cpu_threads, resolve_n_jobs
from ..nn.losses import PinballLoss
from ..nn._device import check_device, use_cuda
from ..windows import (SCALERS, WindowBatches, build_panel, expanding_stats, future_layout, level_features,
                       scaled, window_starts, window_stats)
from ..windows._panel import Panel, _freq_name, _listing
from . import _transforms
from ._intervals import _interval_scale, conformal_quantiles, levels_beyond_scores
from .calendar import CALENDAR_FEATURES, calendar_feature_names, calendar_features
from ._persistence import ForecasterPersistence
from ._seasonality import season_feature, season_length
from ._transforms import TARGET_TRANSFORMS

STRATEGIES = ("direct", "recursive", "encoder_decoder")
# max_steps="auto": AUTO_STEPS_EPOCHS passes over the training windows, at least
# AUTO_STEPS_MIN and at most AUTO_STEPS_MAX optimizer steps, and never more than
# AUTO_STEPS_MAX_EPOCHS passes (see RNNForecaster).
AUTO_STEPS_MIN = 100
AUTO_STEPS_EPOCHS = 5
AUTO_STEPS_MAX = 1000
AUTO_STEPS_MAX_EPOCHS = 25


def quantile_grid(levels):
    """Quantiles a multi-quantile network emits: the median, then (lo, hi) of each level.

    Parameters
    ----------
    levels : list of float
        Interval levels in percent.

    Returns
    -------
    ndarray of float64 of shape (1 + 2 * len(levels),)
    """
    q = [0.5]
    for lv in levels:
        q += [(1 - lv / 100) / 2, (1 + lv / 100) / 2]
    return np.array(q)


class _MultiQuantileLoss:
    """Pinball loss of a network emitting ``steps x n_quantiles`` values per sample.

    Passed as ``loss_fn`` to ``RNNRegressor._fit_from_batches`` (picklable, for joblib).
    """

    def __init__(self, quantiles, steps):
        self.quantiles, self.steps = tuple(quantiles), steps
        self.pinball = PinballLoss(self.quantiles)

    def __call__(self, pred, target, sample_weight=None):
        shaped = pred.reshape(pred.shape[0], self.steps, len(self.quantiles))
        value, grad = self.pinball(shaped, target.reshape(target.shape[0], self.steps), sample_weight)
        return value, grad.reshape(pred.shape)


class _ValidationScore:
    """Negative mean absolute error of the (median) forecasts of the scaled validation
    windows: the forecaster's validation score, defined for a single window too (R^2
    is not, and sklearn warns at every epoch)."""

    def __init__(self, n_quantiles, steps):
        self.n_quantiles, self.steps = n_quantiles, steps

    def __call__(self, out, y, lengths):
        point = out.reshape(out.shape[0], self.steps, -1)[..., 0] if self.n_quantiles else out
        return -float(np.mean(np.abs(point.reshape(y.shape) - y)))


class _SequenceTargets:
    """A window batch source whose targets are shaped (B, horizon, 1) for a sequence head."""

    def __init__(self, windows):
        self.windows = windows
        self.n_samples = windows.n_samples

    def batch(self, idx):
        X, y, lengths, sw = self.windows.batch(idx)
        return X, y[:, :, None], lengths, sw


def series_seeds(random_state, ids):
    """One seed per series from ``random_state`` and the series id alone.

    The same series gets the same seed whatever the other series, their order or the
    partition it lands in, so local models fitted anywhere (threads, processes, Dask
    workers, a retried task) are identical.

    Parameters
    ----------
    random_state : int, RandomState or None
        An int gives reproducible seeds; None or a RandomState draws one base seed.
    ids : array-like of shape (n_series,)

    Returns
    -------
    ndarray of int64 of shape (n_series,)
    """
    if isinstance(random_state, (numbers.Integral, np.integer)):
        base = int(random_state)
    else:
        base = int(check_random_state(random_state).randint(0, 2**31 - 1))
    return np.array([np.random.SeedSequence([base, zlib.crc32(str(i).encode())]).generate_state(1)[0] % (2**31 - 1)
                     for i in ids], dtype=np.int64)


def _fit_member(reg, data, n_features, n_outputs, output_length, val, resume, quantiles, out_steps, cancel=None):
    """Fit one ensemble member on the forecaster's windows (a joblib task).

    Returns ``(reg, None)``, or ``(reg, TrainingDivergedError)`` with ``reg`` holding its
    last finite weights.
    """
    custom = {"score_fn": _ValidationScore(None if quantiles is None else len(quantiles), out_steps)}
    if quantiles is not None:
        custom["loss_fn"] = _MultiQuantileLoss(quantiles, out_steps)
    try:
        reg._fit_from_batches(data, n_features, n_outputs, output_length=output_length, val=val, resume=resume,
                              cancel=cancel, **custom)
    except TrainingDivergedError as exc:
        return reg, exc
    return reg, None


def _blocks(h, out_steps):
    """Future steps the network reads to forecast ``h`` steps in blocks of ``out_steps``."""
    return math.ceil(h / out_steps) * out_steps


def _split_columns(X, hist_idx, known_idx):
    """(historical, known) column blocks of ``X`` (..., n_covariates); None where empty."""
    if X is None:
        return None, None
    return (X[..., hist_idx] if len(hist_idx) else None), (X[..., known_idx] if len(known_idx) else None)


def _fit_copy(template, panel, input_size):
    """A fitted copy of ``template`` on ``panel`` (a joblib task)."""
    model = clone(template)
    model._check_params()
    return model._fit_panel(panel, input_size)


def _fit_local_model(template, panel, input_size, seed):
    """Fit a copy of ``template`` (a global forecaster) on a one-series panel (a joblib task).

    The model keeps its series (``panel_``): its conformal calibration refits on it.
    """
    model = clone(template).set_params(random_state=int(seed))
    return model._fit_panel(panel, input_size)


def _nominal_step(freq):
    """About how long one step of ``freq`` is: days (one step after a first one from a
    fixed date, so anchors do not count), or the integer step of integer timestamps."""
    if freq is None or isinstance(freq, (int, np.integer)):
        return float(freq or 1)
    first = pd.Timestamp("2001-01-01") + freq
    return ((first + freq) - first) / pd.Timedelta(days=1)


def _check_time_kind(trained, panel):
    """Refuse series with dates for a model trained on integer time steps, and the
    reverse (an integer step is not "one day", which the frequency check would take)."""

    def integer(freq):
        return isinstance(freq, (int, np.integer))

    trained_integer = {integer(f) for f in set(trained.freqs) if f is not None}
    if len(trained_integer) != 1:
        return
    was_integer = trained_integer.pop()
    other = [uid for uid, f in zip(panel.ids, panel.freqs) if f is not None and integer(f) != was_integer]
    if other:
        kinds = ("integer time steps", "dates") if was_integer else ("dates", "integer time steps")
        raise ValueError(f"the model was trained on series with {kinds[0]}; series "
                         + _listing([repr(uid) for uid in other]) + f" have {kinds[1]}")


def _check_levels(level):
    if level is None:
        return []
    levels = [level] if np.isscalar(level) else list(level)
    for lv in levels:
        if isinstance(lv, bool) or not isinstance(lv, numbers.Real) or not 0 < lv < 100:
            raise ValueError(f"level must be percentages in (0, 100), got {lv!r}")
        if lv < 1:  # 0.8 for 80%: a 0.8% interval is almost surely not what was meant
            raise ValueError(f"level is in percent: got {lv!r}, which would be a {lv}% interval; for "
                             f"{lv * 100:g}% pass {lv * 100:g}")
    if len(set(float(lv) for lv in levels)) != len(levels):
        raise ValueError(f"level lists a level twice: {levels}")
    return levels


def _level_name(lv):
    """Column-name form of a level, its shortest exact digits: 80 -> "80", 80.5 -> "80.5",
    np.float32(80.1) -> "80.1"; near-equal levels keep apart and 99.99999 is not named
    100 (``:g`` kept six digits)."""
    return np.format_float_positional(lv, trim="-")


def _check_forecast_size(n_series, h, n_levels, input_size):
    """Refuse a forecast that cannot fit in memory (before computing it)."""
    from .._memory import check_allocation

    # per row: timestamps, id, yhat and the interval columns, plus working copies; and
    # the last input window of every series (positions, values, network input)
    check_allocation(n_series * (h * 8 * (8 + 4 * n_levels) + input_size * 32),
                     f"a forecast of h={h} steps for {n_series} series from windows of {input_size} steps",
                     "forecast fewer steps or fewer series at once")


def _series_count(mask):
    """'1 series is' / '3 series are', for messages."""
    n = int(np.sum(mask))
    return f"{n} series {'is' if n == 1 else 'are'}"


def _check_scaled_range(batches, panel, dtype, scaler):
    """Refuse a target value that overflows the network's dtype once its window is
    scaled (float32 holds up to ~3e38; its square root keeps squared errors finite),
    naming the series, the time and the value. Rescaling y does not help (the windows
    are scaled anyway); a wider dtype or a log transform does."""
    dtype = np.dtype(dtype)
    limit = float(np.sqrt(np.finfo(dtype).max))
    value, pos = batches.largest_scaled()
    if value <= limit:
        return
    i = int(np.searchsorted(panel.offsets, pos, side="right")) - 1
    when = panel.user_times(panel.ds[pos : pos + 1])[0]
    if isinstance(when, np.datetime64):
        when = pd.Timestamp(when)
    size = "" if scaler is None else f", {value:.3g} times the spread of the values around it"
    advice = "check it; if it is right, use target_transform='log' (a positive series)"
    if dtype != np.float64:
        advice += " or dtype='float64'"
    raise ValueError(f"series {panel.ids[i]!r} at {when} has y = {panel.y[pos]:.6g}{size}: too large for a "
                     f"{dtype.name} network ({advice})")


def _check_training_size(forecaster, batch, input_size, n_features, out_steps):
    """Refuse, before training, a mini-batch of windows whose activations cannot fit."""
    from .._memory import check_allocation
    from ..nn.recurrent import activation_bytes

    dtype = np.dtype(forecaster.dtype)
    nbytes = activation_bytes(forecaster.cell, batch, input_size, forecaster.hidden_size, forecaster.num_layers,
                              dtype, training=True)
    nbytes += batch * (input_size * (32 + n_features * dtype.itemsize) + out_steps * 32)
    nbytes += _networks_bytes(forecaster, n_features)
    check_allocation(nbytes, f"training {forecaster.n_models} network(s) on batches of {batch} windows of "
                             f"input_size={input_size} (hidden_size={forecaster.hidden_size}, "
                             f"num_layers={forecaster.num_layers})",
                     "lower input_size, batch_size, hidden_size or n_models")


def _networks_bytes(forecaster, n_features):
    """Bytes of the ``n_models`` networks (weights, gradients, optimizer state, copies)."""
    H, L = forecaster.hidden_size, forecaster.num_layers
    params = 4 * H * (n_features + H + 2) + (L - 1) * 4 * H * (2 * H + 2) + (H + 1) * forecaster.horizon
    return forecaster.n_models * params * np.dtype(forecaster.dtype).itemsize * 8


def _to_key_frame(frame, id_col, time_col, panel):
    """``frame`` with its time column in ``panel``'s representation (for joins)."""
    out = frame.copy()
    out[time_col] = panel.key_times(out[time_col])
    return out


def _check_future_values(X_future, names, id_col, time_col):
    """X_future's covariates: numeric or boolean (as in training), one row per (id, time).

    ``X_future`` holds the rows predict reads (``_future_values`` selects them): values
    and duplicates elsewhere, e.g. beyond the horizon, do not matter."""
    for col in names:
        values = X_future[col]
        if not pd.api.types.is_numeric_dtype(values):  # booleans read as 0/1, as in training
            raise TypeError(f"X_future column {col!r} must be numeric or boolean, as in training; got dtype "
                            f"{values.dtype}")
    dup = X_future.duplicated([id_col, time_col])
    if dup.any():
        rows = X_future.loc[dup, [id_col, time_col]].astype(str).agg(" ".join, axis=1)
        raise ValueError(f"X_future has several rows for {int(dup.sum())} (id, time) pair(s): {_listing(list(rows))}")


FORECAST_LOSSES = ("mae", "mse", "huber")


def _ids_kind(ids):
    """"numbers" or "text" (or "mixed ...") by the values, whatever the column's dtype
    (ids kept as Python objects are often integers)."""
    if isinstance(ids.dtype, pd.CategoricalDtype):  # by its categories' values
        ids = ids.astype(object)
    kind = pd.api.types.infer_dtype(ids, skipna=True)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return "numbers"
    return "text" if kind == "string" else f"mixed ({kind})"


def _check_finite_forecasts(columns, ids):
    """Forecasts must be finite; interval bounds beyond float64 (the exp of a wide
    interval of log targets) are capped at its largest value, with a warning naming
    the series.

    ``columns``: "yhat" and the interval bounds (arrays, capped in place); ``ids``: the
    series id of each row.
    """
    yhat = columns["yhat"]
    if not np.isfinite(yhat).all():
        raise FloatingPointError(f"the forecasts of series {_series_listing(ids[~np.isfinite(yhat)])} are not "
                                 "finite (NaN, or beyond float64's range); check the data (a spike?) or the "
                                 "target_transform")
    bounds = [values for name, values in columns.items() if name != "yhat"]
    if not bounds or all(np.isfinite(values).all() for values in bounds):
        return
    for values in bounds:
        if np.isnan(values).any():
            raise FloatingPointError(f"the interval bounds of series {_series_listing(ids[np.isnan(values)])} are "
                                     "NaN; check the data or the calibration")
    top = np.finfo(np.float64).max
    wide = np.zeros(len(ids), dtype=bool)
    for values in bounds:
        wide |= ~np.isfinite(values)
        np.clip(values, -top, top, out=values)
    warnings.warn(f"interval bounds of series {_series_listing(ids[wide])} are beyond float64's range "
                  f"({int(wide.sum())} row(s), capped at +-{top:.3g}): the interval is too wide to be useful there "
                  "(a spike in the data, or a high level with target_transform)", UserWarning,
                  stacklevel=_caller_level())


def _series_listing(ids):
    return _listing([repr(v) for v in pd.unique(ids).tolist()])


class RNNForecaster(ForecasterPersistence, EstimatorBase):
    """Global recurrent forecaster for many series in long format (``unique_id, ds, y``).

    One network is trained on windows of every series (``input_size`` past steps ->
    ``horizon`` future steps); windows are indices into one contiguous buffer and are
    gathered and scaled per mini-batch, so memory stays O(data).

    Parameters
    ----------
    horizon : int, default=1
        Steps forecast by one pass of the network (the "direct" strategy emits them all
        at once from a seq2vec head).
    input_size : int or None, default=None
        Past steps the network reads; None means ``2 * horizon``. Two or three seasons
        are a good choice for seasonal data.
    cell : {"gru", "lstm", "rnn"}, default="gru"
        The recurrent cell. GRU by default: on the 21 series of
        ``benchmarks/bench_accuracy.py`` (two origins, six seeds) it forecast 8% better
        than an LSTM of the same width on the shipped nine (yearly sunspots 0.64
        against 0.975 MASE) and 1.5% worse on the twelve R series added as a hold-out, with a
        quarter fewer weights to fit.
    hidden_size : int, default=32
    num_layers : int, default=1
    strategy : {"direct", "recursive", "encoder_decoder"}, default="direct"
        "direct": one network emits ``horizon`` steps. "recursive": a one-step network
        is trained and its forecasts are fed back ``horizon`` times. "encoder_decoder":
        an encoder reads the window, a decoder RNN started from its state emits the
        ``horizon`` steps one by one, each fed the previous value (the true one while
        training: teacher forcing).
    scaler : {"auto", "robust", "standard", "minmax", "series", None}, default="auto"
        "robust", "standard", "minmax": per-window scaling: the statistics of each
        window's inputs (median and mean absolute deviation for "robust") scale its
        inputs and targets, and forecasts are scaled back. It makes one network fit
        series of any level and scale, and it follows trends. "series": per-series
        scaling instead, by the mean and std of each series' history up to the
        window's end; it keeps the level of a window relative to its series, which
        per-window scaling hides and which mean-reverting series need. "auto":
        "series" when the series are not differenced (``differences_`` empty: they
        passed the stationarity test of ``differences="auto"``), "robust" when they
        are. The choice is ``scaler_``.
    level_features : bool, default=False
        Also feed each window's level and spread relative to its series' history so far
        (two inputs, :func:`tsrnn.windows.level_features`), which per-window scaling
        otherwise hides.
    target_transform : {None, "log", "log1p"}, default=None
        Applied to ``y`` before windowing, inverted on forecasts and intervals.
    differences : "auto", int, list of int or None, default="auto"
        Difference the (transformed) target at these lags, in order, before scaling:
        ``1`` for first differences, ``12`` for seasonal differences of monthly data,
        ``[1, 12]`` for both, None for none. "auto": difference when most series fail
        a KPSS test of level stationarity at the 5% level (trends, random walks; as
        ``ndiffs`` decides for ARIMA), at the season of the frequency (12 for monthly,
        4 for quarterly, 7 for daily, 24 for hourly data, ...) when most series are
        also strongly seasonal (seasonal strength above 0.64, as ``nsdiffs`` decides;
        positive series are measured on the log scale too, so multiplicative
        seasons count), else at lag 1; and only when every series is long enough to spare the
        observations. The choice is ``differences_``. The network
        reads and forecasts differences; forecasts are integrated back from each
        window's own last observations, so intervals, backtests and
        ``predict(df=...)`` work on levels unchanged. Every window reads
        ``sum(differences)`` extra past observations. Quantile forecasts
        (``quantile_levels``) are integrated quantile by quantile, which widens them
        with the step ahead (conservatively).
    covariates : list of str, "auto" or None, default=None
        Extra numeric columns read as inputs over the past ``input_size`` steps
        (historical covariates; no future values are needed). "auto": every numeric
        (not boolean) column besides id, time and target (and the known covariates below).
        Listed boolean columns (holiday flags) read as 0/1, here and in the lists below.
        Standardised with the training mean and std.
    future_covariates : list of str or None, default=None
        Numeric columns known in advance over the forecast horizon (calendar features,
        see :func:`calendar_features`; planned prices, holidays). The network reads them
        over the ``input_size`` past steps and the ``horizon`` steps ahead;
        ``predict`` needs their future values (``X_future``).
    static_covariates : list of str or None, default=None
        Numeric columns constant within each series (store size, region code); read at
        every step, like known covariates, and taken from the history at ``predict``.
    calendar : list of str, "auto" or None, default="auto"
        Calendar features the model computes itself from the timestamps and reads as
        future covariates, e.g. ``["month"]`` or ``["hour", "dayofweek"]`` (any of
        ``minute, hour, dayofweek, day, dayofyear, weekofyear, month, quarter``; each
        becomes the ``{name}_sin`` and ``{name}_cos`` columns of
        :func:`calendar_features`, in local time for tz-aware data). Unlike columns
        listed in ``future_covariates``, they need no ``X_future`` and no columns in
        the frames passed to ``fit``, ``predict(df=...)`` or ``cross_validation``.
        A list needs datetime timestamps. "auto": the position in the season of the
        frequency (``month`` for monthly, ``quarter`` for quarterly, ``dayofweek`` for
        daily, ``hour`` for hourly, ``weekofyear`` for weekly data) when most series
        are strongly seasonal (as ``differences="auto"`` measures it) and the chosen
        ``differences_`` do not include the season, which would remove the seasonal
        pattern itself; else none (also for integer timestamps). The choice is
        ``calendar_``.
    stride : int, default=1
        Steps between consecutive training windows of a series.
    max_steps : int or "auto", default="auto"
        Optimizer steps (mini-batches); converted to whole epochs over the windows.
        When the windows fill more than ``max_steps`` batches (long or many series), a
        random subset of ``max_steps * batch_size`` windows is used: one epoch of
        exactly ``max_steps`` steps. "auto": five epochs over the training windows, at
        least 100 and at most 1000 steps, and never more than 25 epochs (a series of
        a few dozen windows, one or two batches, gets 25-50 steps). Small data
        overfits quickly: on 21 series (the shipped ones and 12 classic R series held
        out from tuning) 100-150 steps forecast 10% better than 500, and the 25-epoch
        cap another 6% better on the 12 short R series
        (``benchmarks/results/accuracy.md``); large panels get up to 1000.
    batch_size : int, default=32
    learning_rate : float, default=1e-2
        Adam step size (1e-2 fits small series in a few hundred steps; gradients are
        clipped to ``clip_norm``).
    loss : {"mae", "mse", "huber"}, default="mae"
        Training loss on scaled targets.
    lr_schedule : {"cosine", "constant", "step", "reduce_on_plateau"}, default="cosine"
        Learning-rate schedule over the epochs (see RNNRegressor). The cosine decay
        to zero settles the weights at the end of training, so forecasts vary less
        from seed to seed.
    clip_norm : float or None, default=1.0
    early_stopping : bool, default=False
        Hold out the last ``horizon`` steps of every series as validation windows, stop
        when their loss stalls for ``patience`` epochs and keep the best weights.
    patience : int, default=20
    n_models : int, default=2
        Ensemble size: networks trained from different seeds, forecasts averaged.
        Two small networks forecast better than one twice their size, at the same
        training cost: averaging cancels much of the seed-to-seed variance of a
        network fitted to a few hundred windows. The members are fitted side by side
        in threads, up to ``n_jobs`` at a time (all cores by default), sharing the
        kernel threads and one window buffer; the result does not depend on it. With
        ``checkpoint``, or on a GPU, they are fitted one after the other.
    local : bool, default=False
        False: one global network for all series. True: one model per series (the
        same parameters, trained on that series' windows only), fitted in parallel
        through joblib with ``n_jobs`` workers, so ``joblib.parallel_backend("dask")``
        runs them on a Dask cluster. Each series' seed depends only on
        ``random_state`` and its id (:func:`series_seeds`), so results do not depend
        on where or in which order the models were fitted. Each model also chooses
        ``differences`` and ``scaler`` ("auto") and calibrates its conformal
        intervals on its own series, so a series' forecast does not depend on the
        other series in the frame. ``predict(df=...)`` accepts only the series seen
        in ``fit``.
    quantile_levels : list of float or None, default=None
        Interval levels in percent (e.g. ``[80, 95]``) the networks learn directly:
        they emit the median and the two quantiles of each level, trained with the
        pinball loss (``loss`` is then unused), and the median is the point forecast.
        ``predict(level=...)`` and ``cross_validation(level=...)`` then accept these
        levels only, for ``h <= horizon``. Not with ``strategy="encoder_decoder"``, nor
        ``"recursive"`` with ``horizon > 1`` (the quantiles of fed-back steps would not
        widen). None: intervals are conformal (below).
    conformal_windows : int or None, default=None
        Calibration windows per series for prediction intervals (None: about 200
        calibration forecasts in all, at most ``2 * horizon`` per series, or up to a
        tenth of the shortest series where that gives fewer than 100 errors per step
        (one or a few series); fewer when the series are short).
    freq : str, DateOffset, int or None, default=None
        Time step of the series; None infers it per series (``pd.infer_freq``, or the
        step of integer ``ds``).
    fill : {None, "ffill", "interpolate", "zero"}, default=None
        Missing timestamps (gaps): None raises an error naming the series.
    id_col, time_col, target_col : str, default="unique_id", "ds", "y"
    random_state : int, RandomState or None, default=None
    n_jobs : int or None, default=None
        Threads of the recurrent kernels and of the ensemble members fitted side by
        side (None: all cores); with ``local=True`` or
        ``cross_validation(refit=True)``, the joblib workers fitting independent
        models instead (None: one, unless a ``joblib.parallel_backend`` context says
        otherwise), each running single-threaded kernels.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where the networks' recurrent layers run (see ``RNNRegressor``); saved
        forecasters load onto the CPU.
    dtype : {"float32", "float64"}, default="float32"
    verbose : int, default=0
    checkpoint : str or None, default=None
        File the networks' training state is written to after an epoch, at most once a
        second (with
        ``n_models > 1``, one file per network: ``{checkpoint}.{i}``). After an
        interruption, ``fit(df, resume=True)`` with the same data and parameters ends
        with the weights an uninterrupted fit would have, bit for bit; other data,
        windows or scaling are refused (each file records what it was trained on). The
        files stay after the fit; delete them when done.

    Attributes
    ----------
    models_ : list of RNNRegressor
        The fitted networks (``n_models`` of them), each with ``network_`` (global
        models only).
    local_models_ : list of RNNForecaster
        With ``local=True``: the per-series forecasters, in the order of ``panel_.ids``;
        each holds its own ``differences_``, ``scaler_`` and ``conformal_scores_``
        (the local parent has none of these).
    panel_ : Panel
        The training series (validated, sorted), used by ``predict`` without ``df``.
    input_size_ : int
    differences_ : list of int
        The differencing lags used (empty: none); ``differences="auto"`` chooses them.
    calendar_ : list of str
        The calendar features the networks read (empty: none); ``calendar="auto"``
        chooses them.
    scaler_ : str or None
        The scaling used; ``scaler="auto"`` chooses it.
    n_windows_ : int
        Training windows used (at most the optimizer steps times ``batch_size``).
    max_steps_ : int
        Optimizer steps the networks were trained for: ``max_steps``, or the count
        "auto" chose from the training windows. The conformal calibration copy trains
        for as many (per series with ``local=True``). Backtest copies of
        :meth:`cross_validation` choose for their own windows, as a fit on that data
        would.
    max_epochs_ : int
        Epochs run for the optimizer steps.
    conformal_scores_ : ndarray of shape (n_calibration, horizon)
        Absolute calibration errors divided by each window's interval scale (computed
        on the first ``predict`` with ``level``).

    Notes
    -----
    Prediction intervals are split-conformal: a copy of the model is fitted without the
    last ``horizon + conformal_windows - 1`` steps of every series and forecasts the
    ``conformal_windows`` last windows; the per-horizon-step quantile of the absolute
    errors, normalised by each window's interval scale, times the forecast window's
    scale gives the interval half-width. Where fewer than 20 windows calibrate (short
    series), each step's quantile pools the errors of its neighbouring steps up to 20
    values (see :func:`conformal_quantiles`). A global model calibrates on the series long
    enough for it; the others (too short to spare the windows) take those errors, with a
    warning naming them. The interval scale is the geometric mean of the
    spread of the window's step-to-step changes (levels, whatever the network reads: so
    seasonally differenced series get intervals that reflect their monthly swings, not
    only a calm year's growth) and the network's own input scale. Intervals are
    symmetric in the (transformed) target space.

    Examples
    --------
    >>> from tsrnn.datasets import load_airline
    >>> df = load_airline()
    >>> f = RNNForecaster(horizon=12, input_size=36, random_state=0).fit(df)  # doctest: +SKIP
    >>> f.predict(level=[80, 95]).head()  # doctest: +SKIP
    """

    def __init__(
        self,
        horizon=1,
        input_size=None,
        cell="gru",
        hidden_size=32,
        num_layers=1,
        strategy="direct",
        scaler="auto",
        level_features=False,
        target_transform=None,
        differences="auto",
        covariates=None,
        future_covariates=None,
        static_covariates=None,
        calendar="auto",
        stride=1,
        max_steps="auto",
        batch_size=32,
        learning_rate=1e-2,
        loss="mae",
        lr_schedule="cosine",
        clip_norm=1.0,
        early_stopping=False,
        patience=20,
        n_models=2,
        local=False,
        quantile_levels=None,
        conformal_windows=None,
        freq=None,
        fill=None,
        id_col="unique_id",
        time_col="ds",
        target_col="y",
        random_state=None,
        n_jobs=None,
        device="cpu",
        dtype="float32",
        verbose=0,
        checkpoint=None,
    ):
        self.horizon = horizon
        self.input_size = input_size
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.strategy = strategy
        self.scaler = scaler
        self.level_features = level_features
        self.target_transform = target_transform
        self.differences = differences
        self.covariates = covariates
        self.future_covariates = future_covariates
        self.static_covariates = static_covariates
        self.calendar = calendar
        self.stride = stride
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.loss = loss
        self.lr_schedule = lr_schedule
        self.clip_norm = clip_norm
        self.early_stopping = early_stopping
        self.patience = patience
        self.n_models = n_models
        self.local = local
        self.quantile_levels = quantile_levels
        self.conformal_windows = conformal_windows
        self.freq = freq
        self.fill = fill
        self.id_col = id_col
        self.time_col = time_col
        self.target_col = target_col
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.device = device
        self.dtype = dtype
        self.verbose = verbose
        self.checkpoint = checkpoint

    def _training_steps(self, n_windows):
        """Optimizer steps for ``n_windows`` training windows (``max_steps="auto"``: see the class doc)."""
        if self.max_steps != "auto":
            return self.max_steps
        batches = math.ceil(n_windows / self.batch_size)
        return int(min(AUTO_STEPS_MAX, max(AUTO_STEPS_MIN, AUTO_STEPS_EPOCHS * batches),
                       AUTO_STEPS_MAX_EPOCHS * batches))

    # ------------------------------------------------------------------ validation
    def _check_params(self):
        check_int("horizon", self.horizon)
        check_int("input_size", self.input_size, allow_none=True)
        for name in ("stride", "batch_size", "patience", "n_models"):
            check_int(name, getattr(self, name))
        if self.max_steps != "auto":
            check_int("max_steps", self.max_steps)
        check_int("conformal_windows", self.conformal_windows, allow_none=True)
        resolve_dtype(self.dtype)  # float32 or float64, before any array is built with it
        check_int("hidden_size", self.hidden_size)
        check_int("num_layers", self.num_layers)
        if not isinstance(self.cell, str) or self.cell not in CELLS:
            raise ValueError(f"cell={self.cell!r} is not supported; choose one of {sorted(CELLS)}")
        from .._memory import check_allocation

        check_allocation(_networks_bytes(self, 1), f"{self.n_models} network(s) of hidden_size={self.hidden_size} "
                                                   f"and num_layers={self.num_layers}", "lower n_models or hidden_size")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy={self.strategy!r} is not supported; choose one of {list(STRATEGIES)}")
        if self.scaler not in SCALERS + ("series", "auto"):
            raise ValueError(f"scaler={self.scaler!r} is not supported; "
                             f"choose one of {list(SCALERS + ('series', 'auto'))}")
        for name in ("local", "early_stopping", "level_features"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False; got {getattr(self, name)!r}")
        if not (isinstance(self.verbose, (bool, np.bool_))
                or (isinstance(self.verbose, numbers.Integral) and self.verbose >= 0)):
            raise ValueError(f"verbose must be True, False or an integer >= 0; got {self.verbose!r}")
        if self.loss not in FORECAST_LOSSES:
            raise ValueError(f"loss={self.loss!r} is not supported; choose one of {list(FORECAST_LOSSES)}")
        if self.local and self.checkpoint is not None:
            raise ValueError("checkpoint is not supported with local=True (each local model fits in seconds)")
        if self.target_transform not in TARGET_TRANSFORMS:
            raise ValueError(
                f"target_transform={self.target_transform!r} is not supported; choose one of {list(TARGET_TRANSFORMS)}"
            )
        _transforms.check_differences(self.differences, allow_auto=True)
        check_device(self.device)
        if self.quantile_levels is not None:
            if not _check_levels(self.quantile_levels):
                raise ValueError("quantile_levels must list at least one level (or be None)")
            if self.strategy == "encoder_decoder":
                raise ValueError("quantile_levels is not supported with strategy='encoder_decoder'")
        known = self._known_names()
        if isinstance(self.covariates, str) and self.covariates != "auto":
            raise ValueError(f"covariates must be 'auto', None or a list of column names, got {self.covariates!r} "
                             f"(a single column: [{self.covariates!r}])")
        listed = list(known) + (list(self.covariates) if isinstance(self.covariates, (list, tuple)) else [])
        if self.target_col in listed:
            raise ValueError(f"the target column {self.target_col!r} cannot also be a covariate (as a future "
                             "covariate it would hand the network the values it forecasts)")
        if (self.strategy == "recursive" and self.horizon > 1 and self.covariates not in (None, "auto")
                and len(self.covariates)):
            raise ValueError("strategy='recursive' cannot use historical covariates: their values past the first "
                             "forecast step are unknown; use strategy='direct' or 'encoder_decoder', or give "
                             "them as future_covariates when they are known ahead")
        if len(set(known)) != len(known):
            raise ValueError(f"a column is listed twice in future_covariates/static_covariates: {known}")
        if isinstance(self.covariates, (list, tuple)) and set(self.covariates) & set(known):
            raise ValueError(f"columns {sorted(set(self.covariates) & set(known))} are listed both as historical "
                             "covariates and as future/static covariates")
        return self.input_size if self.input_size is not None else 2 * self.horizon

    def _known_names(self):
        """Future-known (listed, then calendar) then static covariate names (validated lists of str)."""
        names = []
        for param in ("future_covariates", "static_covariates"):
            value = getattr(self, param)
            if value is None:
                continue
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{param} must be a list of column names or None; got {value!r}")
            if param == "static_covariates":
                names += self._calendar_names()
            names += list(value)
        if self.static_covariates is None:
            names += self._calendar_names()
        return names

    def _calendar_list(self):
        """The calendar features the model reads: after fit ``calendar_``; before, the
        parameter's list (validated; none for None and for "auto", which fit resolves)."""
        if "calendar_" in self.__dict__:
            return list(self.calendar_)
        calendar = self.calendar
        if calendar is None or (isinstance(calendar, str) and calendar == "auto"):
            return []
        if isinstance(calendar, str) or not isinstance(calendar, (list, tuple)):
            raise ValueError(f"calendar must be 'auto', None or a list of calendar feature names; got {calendar!r}"
                             + (f" (one feature: [{calendar!r}])" if isinstance(calendar, str)
                                and calendar in CALENDAR_FEATURES else ""))
        unknown = [f for f in calendar if f not in CALENDAR_FEATURES]
        if unknown:
            raise ValueError(f"unknown calendar feature(s) {unknown}; choose from {list(CALENDAR_FEATURES)}")
        if len(set(calendar)) != len(calendar):
            raise ValueError(f"a calendar feature is listed twice: {list(calendar)}")
        return list(calendar)

    def _calendar_names(self):
        """The columns the calendar features add."""
        return calendar_feature_names(self._calendar_list())

    def _choose_calendar(self, panel, z, lags):
        """Resolve ``calendar`` into ``calendar_`` (a list) on the training data.

        "auto" reads the season's position (:func:`season_feature`) when most series are
        strongly seasonal and the season is not differenced out. Where a short seasonal
        series leaves the network few windows to learn its seasonal shape from, knowing
        the month helps (USAccDeaths, 72 months: MASE 1.18-1.19 -> 0.99; nottem
        0.66-0.68 -> 0.61-0.64; two origins, seeds 0-2 and 3-5); after a seasonal
        difference the pattern is gone and the extra inputs cost accuracy (airline
        0.37 -> 0.73; benchmarks/results/accuracy.md).
        """
        if not (isinstance(self.calendar, str) and self.calendar == "auto"):
            return self._calendar_list()
        if not panel.is_datetime:
            return []
        m = self._season_length(panel)
        features = {season_feature(f) for f in set(panel.freqs)}  # a few distinct frequencies
        feature = features.pop() if len(features) == 1 else None
        if feature is None or m in lags or set(calendar_feature_names([feature])) & set(panel.covariate_names):
            return []
        if not _transforms.mostly_seasonal(z, panel.offsets, m, multiplicative=self.target_transform is None):
            return []
        return [feature]

    def _covariate_request(self):
        """The covariate columns build_panel must read: historical + known (or "auto"),
        without the calendar features, which the model computes (see :meth:`_with_calendar`)."""
        computed = set(self._calendar_names())
        if hasattr(self, "covariate_names_"):
            return [c for c in self.covariate_names_ if c not in computed]
        if self.covariates == "auto":
            return "auto"
        return list(self.covariates or []) + [c for c in self._known_names() if c not in computed]

    def _with_calendar(self, panel, from_frame=True):
        """``panel`` with the calendar feature columns appended to its covariates.

        ``from_frame``: the panel was just read from a user's frame, which must not hold
        those columns itself. False: a panel of the model's own data (or read for
        another copy of it, as in ``cross_validation``): only missing columns are added.
        """
        features = self._calendar_list()
        names = calendar_feature_names(features)
        if not names:
            return panel
        if not panel.is_datetime:
            raise TypeError(f"calendar={features} needs datetime timestamps; column "
                            f"{panel.time_col!r} holds integers")
        taken = [c for c in names if c in panel.covariate_names]
        if taken and from_frame:
            raise ValueError(f"the frame already has column(s) {taken}, which calendar={features} "
                             "computes; drop them from the frame, or drop calendar")
        add = [c for c in names if c not in taken]
        if not add:
            return panel
        values = self._calendar_values(panel, panel.ds)[:, [names.index(c) for c in add]]
        X = values if panel.X is None else np.concatenate([panel.X, values], axis=1)
        return Panel(panel.ids, panel.offsets, panel.y, X, panel.ds, list(panel.freqs),
                     list(panel.covariate_names) + add, panel.id_col, panel.time_col, panel.target_col,
                     panel.tz, panel.tz_wall, panel.filled)

    def _calendar_values(self, panel, ds):
        """Calendar features (n, 2 * len(calendar_)) of the panel's timestamps ``ds``, in the user's time zone."""
        frame = calendar_features(pd.DataFrame({"ds": panel.user_times(ds)}), self._calendar_list(), "ds")
        return frame[self._calendar_names()].to_numpy(np.float64)

    def _covariate_split(self):
        """Column indices of the historical and of the known (future + static) covariates."""
        names = self.covariate_names_
        known = self._known_names()
        missing = [c for c in known if c not in names]
        if missing:
            raise ValueError(f"future/static covariate column(s) {missing} are not in the frame")
        pos = {c: i for i, c in enumerate(names)}
        hist = np.array([i for i, c in enumerate(names) if c not in known], dtype=np.int64)
        return hist, np.array([pos[c] for c in known], dtype=np.int64)

    def _check_static(self, panel):
        for name in self.static_covariates or []:
            col = panel.X[:, panel.covariate_names.index(name)]
            lo = np.minimum.reduceat(col, panel.offsets[:-1])
            hi = np.maximum.reduceat(col, panel.offsets[:-1])
            varying = lo != hi
            if varying.any():
                raise ValueError(f"static covariate {name!r} changes within series {_listing(panel.ids[varying])}")

    def _check_frequencies(self, panel):
        """New series must step like the training series when those share one frequency
        (a network trained on months reads days as months without a word)."""
        trained = self.__dict__.get("panel_")
        if trained is None:  # shipped without its training series (tsrnn.distributed): nothing to compare
            return
        _check_time_kind(trained, panel)
        steps = {_nominal_step(f) for f in set(trained.freqs)}  # few distinct offsets, many series
        if len(steps) != 1:
            return
        step = steps.pop()
        fits = {f: step * 0.8 <= _nominal_step(f) <= step * 1.25 for f in set(panel.freqs)}  # W-SUN ~ W-MON
        other = [(uid, f) for uid, f in zip(panel.ids, panel.freqs) if not fits[f]]
        if other:
            raise ValueError(f"the model was trained on series of frequency {_freq_name(trained.freqs[0])}; "
                             "series " + _listing([f"{uid!r} ({_freq_name(f)})" for uid, f in other])
                             + " step otherwise")

    def _check_quantile_strategy(self):
        """Refuse (in fit and cross_validation, not at load: files of older versions hold
        such models) learned quantiles that feed back their median: one-step quantiles
        around it do not widen with the step (a recursive AR(1) model's 80% interval
        covered 57%)."""
        if self.quantile_levels is not None and self.strategy == "recursive" and self.horizon > 1:
            raise ValueError("quantile_levels is not supported with strategy='recursive' and horizon > 1 (its "
                             "one-step quantiles would not widen over the fed-back steps); use strategy='direct', "
                             "or conformal intervals (quantile_levels=None, predict(level=...))")

    def _check_learned_levels(self, levels):
        if self.quantile_levels is None or not levels:
            return
        learned = [float(v) for v in _check_levels(self.quantile_levels)]
        other = [lv for lv in levels if float(lv) not in learned]
        if other:
            raise ValueError(f"level {other} was not learned: this model emits the quantile_levels {learned}")

    def _quantiles(self):
        """Quantiles the networks emit (see :func:`quantile_grid`), or None for point networks."""
        return None if self.quantile_levels is None else quantile_grid(_check_levels(self.quantile_levels))

    def _out_steps(self):
        return 1 if self.strategy == "recursive" else self.horizon

    def _lags(self):
        """Differencing lags (a tuple, empty without differencing).

        After fit, the lags chosen (``differences_``); before, the parameter's lags, and
        none for "auto" (fitted copies decide on their own data).
        """
        if hasattr(self, "differences_"):
            return _transforms.check_differences(list(self.differences_) or None)
        lags = _transforms.check_differences(self.differences, allow_auto=True)
        return () if lags == "auto" else lags

    def _choose_differences(self, panel, z, need):
        """Resolve ``differences`` on the training data into ``differences_`` (a list)."""
        lags = _transforms.check_differences(self.differences, allow_auto=True)
        if lags == "auto":
            # never difference series too short to spare an observation
            lags = _transforms.auto_differences(z, panel.offsets, self._season_length(panel),
                                                multiplicative=self.target_transform is None)
            if lags and panel.lengths.min() < need + lags[0]:  # too short to spare a season
                lags = (1,)
            if lags and panel.lengths.min() < need + lags[0]:
                lags = ()
        self.differences_ = list(lags)
        return lags

    def _choose_scaler(self, lags):
        """Resolve ``scaler`` into ``scaler_``: "auto" is "series" without differencing."""
        if self.scaler != "auto":
            return self.scaler
        return "robust" if lags else "series"

    @staticmethod
    def _season_length(panel):
        """The season of the panel's frequency when every series shares it, else 1."""
        lengths = {season_length(f) for f in set(panel.freqs)}  # a few distinct frequencies
        return lengths.pop() if len(lengths) == 1 else 1

    def _network_target(self, panel, z):
        """What the network windows read: ``z``, or its differences (aligned with ``z``)."""
        lags = self._lags()
        return _transforms.difference(z, panel.offsets, lags) if lags else z

    def _panel(self, df, min_length, for_predict=False):
        # at predict, new series too short to show their frequency take the training data's
        # (never at fit: a refit must not depend on what an earlier fit saw)
        fitted = self.__dict__.get("panel_") if for_predict else None
        default_freq = fitted.freqs[0] if fitted is not None and fitted.n_series else None
        return self._with_calendar(build_panel(df, self.id_col, self.time_col, self.target_col,
                                               covariates=self._covariate_request(), freq=self.freq,
                                               fill=self.fill, min_length=min_length, default_freq=default_freq))

    def _check_df_length(self, panel, need, what, why=None):
        """``need``: observations per series, an int or one per series (local models);
        ``why``: what they are made of, for the message."""
        short = panel.lengths < need
        if short.any():
            if np.ndim(need):
                raise ValueError(
                    f"{_series_count(short)} too short for {what} (series (observations, needed)): "
                    + _listing([f"{i!r} ({n}, {k})" for i, n, k in zip(panel.ids[short].tolist(), panel.lengths[short],
                                                                      np.asarray(need)[short])])
                )
            raise ValueError(
                f"{_series_count(short)} too short for {what} (need {need} observations"
                + (f": {why}" if why else "") + "): "
                + _listing([f"{i!r} ({n})" for i, n in zip(panel.ids[short].tolist(), panel.lengths[short])])
            )

    # ------------------------------------------------------------------ fitting
    def fit(self, df, y=None, *, resume=False):
        """Fit one network (or ``n_models``) on every window of every series.

        Parameters
        ----------
        df : DataFrame or Series
            Long format ``id_col, time_col, target_col`` (+ covariates), or a Series /
            DataFrame with a DatetimeIndex (see :func:`tsrnn.windows.build_panel`).
            Every series needs at least ``input_size + horizon`` observations.
        y : None or array-like of shape (n_rows,), optional
            Not used: the target is ``df[target_col]``. Accepted for scikit-learn's
            ``fit(X, y)`` calls (``cross_val_score(model, df, df["y"])``) when it holds
            the same values; other values are an error, not silently ignored.
        resume : bool, default=False
            Continue an interrupted fit from the ``checkpoint`` file(s); a network
            without a checkpoint file starts from scratch (so a script can always pass
            ``resume=True``, as the estimators allow; ``tsrnn fit --resume`` refuses a
            missing checkpoint instead).

        Returns
        -------
        self
        """
        input_size = self._check_params()
        self._check_quantile_strategy()
        if not isinstance(resume, (bool, np.bool_)):
            raise TypeError(f"resume must be True or False, got {type(resume).__name__}")
        if resume and self.checkpoint is None:
            raise ValueError("resume=True needs the checkpoint parameter (a file path)")
        if y is not None:
            self._check_y_is_target(df, y)
        for attr in ("covariate_names_", "conformal_scores_", "differences_", "scaler_", "calendar_"):
            if hasattr(self, attr):
                delattr(self, attr)
        return self._fit_panel(self._panel(df, 1), input_size, resume=resume)

    def _check_y_is_target(self, df, y):
        """``fit(df, y)``: y may only repeat ``df[target_col]`` (scikit-learn passes it along)."""
        target = df[self.target_col] if isinstance(df, pd.DataFrame) and self.target_col in df.columns else None
        if target is not None:
            try:
                target = target.to_numpy(np.float64, na_value=np.nan)
            except (TypeError, ValueError):
                return  # a non-numeric target column: build_panel names it
        try:
            values = np.asarray(y, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            values = None
        if (target is None or values is None or values.shape != target.shape
                or not np.array_equal(values, target, equal_nan=True)):
            hint = " (resume is keyword-only: fit(df, resume=True))" if isinstance(y, (bool, np.bool_)) else ""
            raise ValueError(f"RNNForecaster.fit reads the target from df[{self.target_col!r}]; y is not used and "
                             f"must be None or the same values (call fit(df)){hint}")

    def _checkpoint_path(self, i):
        if self.checkpoint is None:
            return None
        return str(self.checkpoint) if self.n_models == 1 else f"{self.checkpoint}.{i}"

    def _fit_panel(self, panel, input_size, resume=False):
        out_steps = self._out_steps()
        val_steps = self.horizon if self.early_stopping else 0
        z = _transforms.forward(panel.y, self.target_transform, panel)
        if self.local:  # each local model decides differences and scaler on its own series
            lags = _transforms.check_differences(self.differences, allow_auto=True)
            lags = () if lags == "auto" else lags
        else:
            lags = self._choose_differences(panel, z, input_size + out_steps + val_steps)
            self.scaler_ = self._choose_scaler(lags)
            self.calendar_ = self._choose_calendar(panel, z, lags)
            panel = self._with_calendar(panel, from_frame=False)
        lag_total = sum(lags)  # the first observations of a series have no differences
        parts = [f"input_size {input_size}", f"{out_steps} target step{'s' if out_steps > 1 else ''}"]
        parts += [f"{val_steps} validation steps"] * bool(val_steps)
        parts += [f"{lag_total} for differencing at lag(s) {list(lags)}"] * bool(lag_total)
        self._check_df_length(panel, input_size + out_steps + val_steps + lag_total, "training",
                              why=" + ".join(parts) + "; a smaller input_size needs fewer")
        if self.strategy == "recursive" and self.horizon > 1 and self.covariates == "auto":
            historical = [c for c in panel.covariate_names if c not in self._known_names()]
            if historical:
                raise ValueError(
                    f"covariates='auto' found historical covariate column(s) {historical}, which "
                    "strategy='recursive' cannot use: their values past the first forecast step are unknown. "
                    "Drop them, use strategy='direct' or 'encoder_decoder', or give them as future_covariates "
                    "when they are known ahead")
        self.covariate_names_ = list(panel.covariate_names)
        hist_idx, known_idx = self._covariate_split()
        if len(known_idx):
            self._check_static(panel)
        if self.local:
            return self._fit_local(panel, input_size)
        z = self._network_target(panel, z)
        if panel.X is not None:
            self.cov_mean_ = panel.X.mean(axis=0)
            std = panel.X.std(axis=0)
            self.cov_scale_ = np.where(std > 0, std, 1.0)
            cov = (panel.X - self.cov_mean_) / self.cov_scale_
        else:
            cov = None
        ends = panel.offsets[1:] - val_steps
        firsts = panel.offsets.copy()
        firsts[:-1] += lag_total  # windows start where the differences do
        starts, sid = window_starts(firsts, input_size, out_steps, self.stride, end_offsets=ends)
        rs = check_random_state(self.random_state)
        seeds = rs.randint(0, 2**31 - 1, size=self.n_models)
        steps = self._training_steps(starts.size)
        cap = steps * self.batch_size
        if starts.size > cap:
            # more windows than max_steps batches can visit: train on a random subset (one epoch)
            keep = np.sort(np.random.default_rng(int(seeds[0])).choice(starts.size, size=cap, replace=False))
            starts, sid = starts[keep], sid[keep]
        dtype = np.dtype(self.dtype)
        lf = self.level_features
        cov, known = _split_columns(cov, hist_idx, known_idx)
        need_history = lf or self.scaler_ == "series"
        data = WindowBatches(z, cov, starts, input_size, out_steps, self.scaler_, dtype,
                             series_start=firsts[sid] if need_history else None, future=known, level_feats=lf)
        val = None
        if val_steps:
            # windows whose targets lie in the held-out last `horizon` steps of each series
            last = panel.offsets[1:] - input_size - out_steps
            k = self.horizon - out_steps + 1
            vstarts = (last[:, None] - np.arange(k)[::-1][None, :]).ravel()
            val = WindowBatches(z, cov, vstarts, input_size, out_steps, self.scaler_, dtype,
                                series_start=np.repeat(firsts[:-1], k) if need_history else None,
                                future=known, level_feats=lf)
        for batches in (data, val):
            if batches is not None:
                _check_scaled_range(batches, panel, self.dtype, self.scaler_)
        n = data.n_samples
        _check_training_size(self, min(self.batch_size, n), input_size, data.n_features, out_steps)
        per_epoch = math.ceil(n / min(self.batch_size, n))
        epochs = max(1, math.ceil(steps / per_epoch))
        self.models_ = []
        seq2seq = self.strategy == "encoder_decoder"
        if seq2seq:
            data = _SequenceTargets(data)
            val = None if val is None else _SequenceTargets(val)
        n_features = data.windows.n_features if seq2seq else data.n_features
        quantiles = self._quantiles()
        n_outputs = 1 if seq2seq else out_steps * (1 if quantiles is None else len(quantiles))
        # Ensemble members are independent: fitted side by side in threads (the CPU kernels
        # release the GIL, a batch of 32 windows keeps one core busy, and threads share
        # the window buffer, which processes or a cluster would each need a copy of), each
        # with its share of the kernel threads. A GPU runs one member's kernels at a time.
        threads = resolve_n_jobs(self.n_jobs)
        side_by_side = self.checkpoint is None and not use_cuda(self.device, self.batch_size)
        n_parallel = min(self.n_models, threads) if side_by_side else 1
        member_jobs = self.n_jobs if n_parallel == 1 else max(1, threads // n_parallel)
        cancel = threading.Event()
        members = []
        for i, seed in enumerate(seeds):
            reg = RNNRegressor(
                cell=self.cell, hidden_size=self.hidden_size, num_layers=self.num_layers,
                head="encoder_decoder" if seq2seq else "last", output_length=out_steps if seq2seq else None,
                head_params=None if seq2seq else {"pooling": "last"},  # the forecast reads the last state
                loss=self.loss, max_epochs=epochs, batch_size=self.batch_size,
                learning_rate=self.learning_rate, lr_schedule=self.lr_schedule, clip_norm=self.clip_norm,
                early_stopping=self.early_stopping, patience=self.patience if self.early_stopping else epochs + 1,
                tol=0.0, random_state=int(seed), n_jobs=member_jobs, dtype=self.dtype,
                verbose=self.verbose if i == 0 or n_parallel == 1 else 0,  # one bar for members side by side
                device=self.device, checkpoint=self._checkpoint_path(i),
            )
            members.append(delayed(_fit_member)(reg, data, n_features, n_outputs, out_steps if seq2seq else None,
                                                val, resume, quantiles, out_steps, cancel))
        try:
            # The BLAS cap is process-wide: held here for the whole block, the members'
            # own (reference-counted) caps never set or reset it while another member's
            # BLAS call runs, which changed that call's result.
            with cpu_threads(member_jobs if n_parallel > 1 else None):
                fitted = Parallel(n_jobs=n_parallel, backend="threading")(members)
        except BaseException:
            cancel.set()  # e.g. Ctrl-C: members still running in threads stop at their next batch
            raise
        for reg, error in fitted:
            # where checkpoints went and how the members were run are not part of the model
            reg.set_params(checkpoint=None, n_jobs=self.n_jobs, verbose=self.verbose)
            self.models_.append(reg)
            if error is not None:
                # stay usable, as the estimators do: this network keeps its last finite weights
                self._set_fitted(panel, input_size, n, steps, epochs)
                raise error
        self._set_fitted(panel, input_size, n, steps, epochs)
        return self

    def _set_fitted(self, panel, input_size, n_windows, steps, epochs):
        self.panel_ = panel
        self.input_size_ = input_size
        self.n_windows_ = n_windows
        self.max_steps_ = int(steps)
        self.max_epochs_ = epochs

    def _fit_local(self, panel, input_size):
        """One forecaster per series, fitted by joblib tasks (any backend).

        Each is a global forecaster of one series: it chooses ``differences`` and
        ``scaler`` ("auto") and calibrates its intervals on that series alone, so a
        series' forecast does not depend on the other series fitted with it.
        """
        template = clone(self).set_params(local=False, n_jobs=1, checkpoint=None, verbose=0)
        seeds = series_seeds(self.random_state, panel.ids)
        tasks = (delayed(_fit_local_model)(template, panel.select([i]), input_size, seed)
                 for i, seed in enumerate(seeds))
        self.local_models_ = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(tasks)
        self.covariate_names_ = list(panel.covariate_names)
        self._set_fitted(panel, input_size, int(sum(m.n_windows_ for m in self.local_models_)),
                         max(m.max_steps_ for m in self.local_models_),
                         int(max(m.max_epochs_ for m in self.local_models_)))
        return self

    # ------------------------------------------------------------------ forecasting core
    def _cov(self, panel):
        if not self.covariate_names_:
            return None
        return (panel.X - self.cov_mean_) / self.cov_scale_

    def _series_index(self, panel):
        """Position of each of ``panel``'s series among the fitted local models (None if global)."""
        if not self.local:
            return None
        known = {uid: i for i, uid in enumerate(self.panel_.ids.tolist())}
        unknown = [uid for uid in panel.ids.tolist() if uid not in known]
        if unknown:
            raise ValueError(f"local models forecast only the series seen in fit; unknown: {_listing(unknown)}")
        return np.array([known[uid] for uid in panel.ids.tolist()], dtype=np.int64)

    def _network_out(self, X):
        if self.device == "cpu":  # set_params(device="cpu") on a forecaster trained on "cuda"
            for m in self.models_:
                if m.device != "cpu":
                    m.set_params(device="cpu")
                m._network_on_cpu_if_asked()
        lengths = np.full(X.shape[0], X.shape[1], dtype=np.int64)
        with cpu_threads(self.n_jobs), np.errstate(over="ignore", invalid="ignore"):
            outs = [m._forward_batches(X, lengths, m.output_length).astype(np.float64).reshape(X.shape[0], -1)
                    for m in self.models_]
        out = np.mean(outs, axis=0)
        quantiles = self._quantiles()
        if quantiles is None:
            return out
        # (B, steps, n_quantiles), rearranged so quantiles never cross (sorted values to sorted levels)
        out = out.reshape(X.shape[0], -1, len(quantiles))
        order = np.argsort(quantiles)
        ranked = np.empty_like(out)
        ranked[..., order] = np.sort(out, axis=-1)
        return ranked

    def _forecast(self, hist, cov_hist, h, history=None, future=None):
        """Forecasts in transformed space from input windows.

        Parameters
        ----------
        hist : ndarray of shape (n, input_size)
            Transformed target over each window's inputs.
        cov_hist : ndarray of shape (n, input_size, n_covariates) or None
        h : int
            Steps to forecast (past ``horizon`` / one step, forecasts are fed back).
        history : (ndarray, ndarray) of shape (n,) each, optional
            Mean and std of each series' transformed history up to the window's end
            (needed with ``level_features``).
        future : ndarray of shape (n, input_size + h, n_known) or None
            Known (future + static) covariates over the input window and the ``h``
            steps ahead.

        Returns
        -------
        yhat : ndarray of shape (n, h), or (n, h, n_quantiles) with ``quantile_levels``
            (median first, see :func:`quantile_grid`).
        scale : ndarray of shape (n,)
            Interval scale of each input window (see :func:`_interval_scale`).
        """
        out_steps = self._out_steps()
        if cov_hist is not None and h > out_steps:
            names = [self.covariate_names_[i] for i in self._covariate_split()[0]]
            # every strategy feeds forecasts back past out_steps, and needs the covariates there
            refit = (f"fit a model with strategy='direct' or 'encoder_decoder' and horizon >= {h}"
                     if self.strategy == "recursive" else f"fit a model with horizon >= {h}")
            raise ValueError(
                f"h={h} needs forecasts fed back past {out_steps} step(s), which the historical covariates "
                f"{names} do not allow (their values after each series' end are unknown); forecast "
                f"h <= {out_steps}, {refit}, or drop those covariates (give them as future_covariates when "
                "they are known ahead)"
            )
        dtype = np.dtype(self.dtype)
        parts, first_scale = [], None
        hist = start = np.array(hist, dtype=np.float64)  # start: the levels before any fed-back step
        lags = self._lags()
        L = hist.shape[1] - sum(lags)
        if future is not None and future.shape[1] < L + _blocks(h, out_steps):
            raise ValueError(f"known covariates cover {future.shape[1] - L} future steps; "
                             f"h={h} needs {_blocks(h, out_steps)}")
        done = 0
        while done < h:
            inputs = _transforms.difference_rows(hist, lags) if lags else hist
            loc, scale = history if self.scaler_ == "series" else window_stats(inputs, self.scaler_)
            levels = level_features(loc, scale, *history) if self.level_features else None
            fut = None if future is None else future[:, done : done + L + out_steps]
            X = future_layout(scaled(inputs, loc, scale), cov_hist, fut, levels, out_steps, dtype)
            out = self._network_out(X)
            block = out * scale.reshape((-1,) + (1,) * (out.ndim - 1)) + loc.reshape((-1,) + (1,) * (out.ndim - 1))
            if lags:
                block = _transforms.integrate(hist, block, lags)
            if first_scale is None:
                first_scale = scale
            parts.append(block)
            done += block.shape[1]
            point = block if block.ndim == 2 else block[..., 0]  # multi-quantile networks: the median
            hist = np.concatenate([hist, point], axis=1)[:, -hist.shape[1]:]
        return np.concatenate(parts, axis=1)[:, :h], _interval_scale(start[:, -L:], first_scale)

    def _windows_at(self, panel, z, cov, ends, series_start, ahead):
        """Inputs of the windows ending just before buffer positions ``ends``.

        Returns the target (n, L + sum(differences)), historical covariates
        (n, L, n_hist) or None, known covariates over the window and ``ahead`` steps
        after it (n, L + ahead, n_known) or None (``ahead`` steps must exist in the
        buffer), and the history statistics (None unless ``scaler="series"`` or
        ``level_features`` read them).
        """
        L = self.input_size_
        lags = self._lags()
        D = sum(lags)
        pos = ends[:, None] - L + np.arange(L)
        hist_idx, known_idx = self._covariate_split()
        cov_hist, _ = _split_columns(None if cov is None else cov[pos], hist_idx, known_idx)
        _, known = _split_columns(None if cov is None else cov[ends[:, None] - L + np.arange(L + ahead)],
                                  hist_idx, known_idx)
        need_history = self.scaler_ == "series" or self.level_features
        if not lags:
            return z[pos], cov_hist, known, expanding_stats(z, series_start, ends) if need_history else None
        # levels over the input window and the sum(lags) steps before it; history
        # statistics of the differences, as in training
        levels = z[ends[:, None] - L - D + np.arange(L + D)]
        history = expanding_stats(self._network_target(panel, z), series_start + D, ends) if need_history else None
        return levels, cov_hist, known, history

    def _last_windows(self, panel, X_future, h):
        """Inputs of the last window of every series; known covariates extended by ``X_future``."""
        z = _transforms.forward(panel.y, self.target_transform, panel)
        cov = self._cov(panel)
        hist, cov_hist, known, history = self._windows_at(panel, z, cov, panel.offsets[1:], panel.offsets[:-1], 0)
        if X_future is not None and not self.future_covariates:
            # calendar and static covariates are known ahead without it: X_future would be ignored
            raise ValueError("X_future was given but the model has no future_covariates")
        _, known_idx = self._covariate_split()
        if len(known_idx):
            ahead = self._future_values(panel, X_future, _blocks(h, self._out_steps()))
            ahead = (ahead - self.cov_mean_[known_idx]) / self.cov_scale_[known_idx]
            known = np.concatenate([known, ahead], axis=1)
        return hist, cov_hist, known, history

    def _future_values(self, panel, X_future, steps):
        """Known covariates (raw) of the ``steps`` steps after each series' end: (n, steps, n_known).

        Future covariates come from ``X_future`` (rows ``id, ds`` for exactly those
        timestamps); static ones repeat each series' last value.
        """
        future_names = list(self.future_covariates or [])
        out = np.empty((panel.n_series, steps, len(self._known_names())))
        if future_names:
            if X_future is None:
                raise ValueError(f"predict needs X_future: a frame with {self.id_col!r}, {self.time_col!r} and the "
                                 f"future covariates {future_names} for the {steps} steps after each series' end "
                                 "(make_future_frame(h) lists the rows)")
            expected = _to_key_frame(self.make_future_frame(steps, panel), self.id_col, self.time_col,
                                     panel)  # steps is a whole number of blocks
            if not isinstance(X_future, pd.DataFrame):
                raise TypeError(f"X_future must be a pandas DataFrame with columns {self.id_col!r}, "
                                f"{self.time_col!r} and {future_names}; got {type(X_future).__name__}")
            missing = [c for c in [self.id_col, self.time_col] + future_names if c not in X_future.columns]
            if missing:
                raise ValueError(f"X_future lacks column(s) {missing}")
            got = _to_key_frame(X_future, self.id_col, self.time_col, panel)
            kinds = [_ids_kind(f[self.id_col]) for f in (expected, got)]
            if len(got) and kinds[0] != kinds[1]:
                raise ValueError(f"X_future[{self.id_col!r}] holds {kinds[1]} ids but the series ids are {kinds[0]}: "
                                 "give X_future the ids of the data")
            keys = expected[[self.id_col, self.time_col]]
            got = got.merge(keys, on=[self.id_col, self.time_col], how="inner")  # the rows predict reads
            _check_future_values(got, future_names, self.id_col, self.time_col)
            merged = expected.merge(got, on=[self.id_col, self.time_col], how="left", validate="one_to_one")
            absent = merged[future_names].isna().any(axis=1).to_numpy()
            if absent.any():
                rows = merged.loc[absent, [self.id_col, self.time_col]].astype(str).agg(" ".join, axis=1)
                raise ValueError(f"X_future has no (or NaN) future covariate values for {int(absent.sum())} "
                                 f"required step(s): {_listing(list(rows))}")
            infinite = np.isinf(merged[future_names].to_numpy(np.float64)).any(axis=1)
            if infinite.any():
                rows = merged.loc[infinite, [self.id_col, self.time_col]].astype(str).agg(" ".join, axis=1)
                raise ValueError(f"X_future has infinite future covariate values at {int(infinite.sum())} "
                                 f"required step(s): {_listing(list(rows))}")
            out[:, :, :len(future_names)] = merged[future_names].to_numpy(np.float64).reshape(panel.n_series, steps, -1)
        calendar = self._calendar_names()
        if calendar:
            values = self._calendar_values(panel, panel.future_timestamps(steps))
            out[:, :, len(future_names):len(future_names) + len(calendar)] = values.reshape(panel.n_series, steps, -1)
        if self.static_covariates:
            idx = [panel.covariate_names.index(c) for c in self.static_covariates]
            out[:, :, len(future_names) + len(calendar):] = panel.X[panel.offsets[1:] - 1][:, idx][:, None, :]
        return out

    def make_future_frame(self, h=None, panel=None):
        """The ``id, ds`` rows whose future covariates ``predict(h)`` needs (fill them in, pass as X_future).

        Parameters
        ----------
        h : int, optional
            Steps to forecast (default ``horizon``). With the direct strategy the
            network reads whole blocks of ``horizon`` steps, so the frame covers ``h``
            rounded up to a multiple of ``horizon``.
        panel : Panel, optional
            Series to extend (default: the training series).

        Returns
        -------
        DataFrame
            The future rows per series, columns ``id_col`` and ``time_col``.
        """
        check_is_fitted(self, "input_size_")
        h = self.horizon if h is None else h
        check_int("h", h)
        h = _blocks(h, self._out_steps())
        panel = self.panel_ if panel is None else panel
        return pd.DataFrame({self.id_col: np.repeat(panel.ids, h),
                             self.time_col: panel.user_times(panel.future_timestamps(h))})

    # ------------------------------------------------------------------ prediction
    def predict(self, h=None, df=None, X_future=None, level=None):
        """Forecast the ``h`` steps after the end of every series.

        Parameters
        ----------
        h : int or DataFrame, optional
            Steps to forecast (default ``horizon``). Beyond ``horizon`` the forecasts are
            fed back as inputs (recursively, block by block). A DataFrame here is taken
            as ``df`` (so ``Pipeline.predict(df)`` works with the forecaster last).
        df : DataFrame, optional
            History to forecast from (default: the training frame). New series are
            fine: the model is global. Each series needs ``input_size`` observations.
        X_future : DataFrame, optional
            With ``future_covariates``: their values over the forecast steps, rows
            ``id_col, time_col`` + covariates for the steps after each series' end (at
            least ``horizon`` steps with the direct strategy: the network reads whole
            blocks). :meth:`make_future_frame` lists the rows needed.
        level : float or list of float, optional
            Prediction-interval levels in percent, e.g. ``[80, 95]`` (``h <= horizon``).

        Returns
        -------
        DataFrame
            ``h`` rows per series: ``id_col``, ``time_col``, ``yhat`` and, per level,
            ``yhat-lo-{level}`` / ``yhat-hi-{level}``. Future timestamps follow each
            series' frequency (or integer step).
        """
        check_is_fitted(self, "input_size_")
        if isinstance(h, (pd.DataFrame, pd.Series)):  # predict(df): the last step of a Pipeline
            if df is not None:
                raise ValueError("pass the history either as the first argument or as df, not both")
            h, df = None, h
        h = self.horizon if h is None else h
        check_int("h", h)
        levels = _check_levels(level)
        self._check_learned_levels(levels)
        if levels:
            self._check_quantile_strategy()  # (a model file of an older version)
        if levels and h > self.horizon:  # learned quantiles too: only the median is fed back, they would not widen
            raise ValueError(f"prediction intervals are calibrated for h <= horizon={self.horizon}; got h={h}")
        if df is None:
            panel = self.panel_
        else:
            panel = self._panel(df, 1, for_predict=True)
            self._check_df_length(panel, self._history_needed(panel), "prediction")
            self._check_static(panel)
            self._check_frequencies(panel)
        _check_forecast_size(panel.n_series, h, len(levels), self.input_size_)
        panel.future_timestamps(h)  # memoised for _frame; timestamps past year 2262 fail before the network runs
        if self.local:
            return self._predict_local(panel, X_future, h, levels)
        hist, cov_hist, known, history = self._last_windows(panel, X_future, h)
        yhat_t, scale = self._forecast(hist, cov_hist, h, history, known)
        return self._frame(panel, yhat_t, scale, levels)

    def _history_needed(self, panel):
        """Observations each series of ``panel`` needs to be forecast from: int, or per
        series (n_series,) with local models, whose differencing differs."""
        if not self.local:
            return self.input_size_ + sum(self._lags())
        return np.array([self.input_size_ + sum(self.local_models_[m]._lags()) for m in self._series_index(panel)])

    def _predict_local(self, panel, X_future, h, levels):
        """``predict`` with local models: each series forecast by its own model."""
        futures = {}
        if X_future is not None and isinstance(X_future, pd.DataFrame) and self.id_col in X_future.columns:
            futures = dict(iter(X_future.groupby(self.id_col, sort=False, dropna=False)))
        parts = []
        for i, m in enumerate(self._series_index(panel)):
            sub = self.local_models_[m]
            one = sub._with_calendar(panel.select([i]), from_frame=False)  # its own calendar choice
            future = futures.get(panel.ids[i], X_future.iloc[:0] if futures else X_future)
            hist, cov_hist, known, history = sub._last_windows(one, future, h)
            parts.append(sub._forecast(hist, cov_hist, h, history, known))
        return self._local_frame(panel, parts, levels)

    def _local_frame(self, panel, parts, levels, ds=None, models=None):
        """``_frame`` of local forecasts: ``parts`` holds each series' ``(yhat_t, scale)``;
        its conformal quantiles come from its own model (``models``: default the fitted ones,
        in ``panel``'s order)."""
        yhat_t = np.concatenate([p[0] for p in parts])
        scale = np.concatenate([p[1] for p in parts])
        quantiles = None
        if levels and self.quantile_levels is None:
            subs = models if models is not None else [self.local_models_[m] for m in self._series_index(panel)]
            h = yhat_t.shape[1]
            per = [sub._conformal_quantiles(levels) for sub in subs]
            quantiles = {lv: np.stack([q[lv][:h] for q in per]) for lv in levels}
        return self._frame(panel, yhat_t, scale, levels, ds=ds, quantiles=quantiles)

    def score(self, X, y=None):
        """Negative mean MASE of the forecasts of the test rows ``X`` (greater is better).

        For scikit-learn model selection with :class:`tsrnn.model_selection.SeriesTimeSplit`:
        the forecaster, fitted on the rows before ``X``, forecasts every series from the
        end of its training data; errors are scaled per series by the mean absolute
        one-step change of its training data (see :func:`tsrnn.model_selection.forecast_score`).

        Parameters
        ----------
        X : DataFrame
            Test rows (``id_col, time_col, target_col`` and any future covariates) that
            directly follow the training rows of their series.
        y : ignored

        Returns
        -------
        float
        """
        from ..model_selection import forecast_score

        check_is_fitted(self, "panel_")
        return forecast_score(self, X)

    def _frame(self, panel, yhat_t, scale, levels, ds=None, quantiles=None):
        """Long frame of forecasts ``yhat_t`` (n_series, h[, n_quantiles]) in transformed space.

        ``ds``: timestamps of the rows (default: the ``h`` steps after each series' end).
        ``quantiles``: conformal quantiles per level, of shape (n_series, h) (local
        models); default this model's, shared by every series.
        """
        quantile_out = yhat_t if yhat_t.ndim == 3 else None
        if quantile_out is not None:
            yhat_t = quantile_out[..., 0]
        n, h = yhat_t.shape
        ids = np.repeat(panel.ids, h)
        if ds is None:
            ds = panel.future_timestamps(h)
        out = {"yhat": _transforms.inverse(yhat_t, self.target_transform).ravel()}  # columns, checked as arrays
        if levels and quantile_out is not None:
            learned = [float(v) for v in _check_levels(self.quantile_levels)]
            for lv in levels:
                k = learned.index(float(lv))
                name = _level_name(lv)
                out[f"yhat-lo-{name}"] = _transforms.inverse(quantile_out[..., 1 + 2 * k], self.target_transform).ravel()
                out[f"yhat-hi-{name}"] = _transforms.inverse(quantile_out[..., 2 + 2 * k], self.target_transform).ravel()
        elif levels:
            if quantiles is None:
                q = self._conformal_quantiles(levels)
                quantiles = {lv: q[lv][None, :h] for lv in levels}
            for lv in levels:
                half = quantiles[lv] * scale[:, None]
                name = _level_name(lv)
                out[f"yhat-lo-{name}"] = _transforms.inverse(yhat_t - half, self.target_transform).ravel()
                out[f"yhat-hi-{name}"] = _transforms.inverse(yhat_t + half, self.target_transform).ravel()
        _check_finite_forecasts(out, ids)
        return pd.DataFrame({self.id_col: ids, self.time_col: panel.user_times(ds), **out})

    # ------------------------------------------------------------------ conformal intervals
    def _n_calibration_windows(self, panel):
        if self.conformal_windows is not None:
            return self.conformal_windows
        # about 200 calibration forecasts, at most 2 * horizon per series, and the
        # calibration model keeps at least `horizon` training windows in every series.
        # Where that gives fewer than 100 errors per step (a few series), up to a tenth of
        # the shortest series: one long AR(1) series calibrated on 8 windows covered 55-96%
        # with its 80% intervals over six draws (sd 0.13), on 50 windows 71-89% (sd 0.06).
        per_series = 2 * self.horizon
        if panel.n_series * per_series < 100:
            per_series = max(per_series, min(int(panel.lengths.min()) // 10, math.ceil(100 / panel.n_series)))
        want = min(per_series, math.ceil(200 / panel.n_series))
        val_steps = self.horizon if self.early_stopping else 0
        room = (int(panel.lengths.min()) - (self.input_size_ + self._out_steps() + val_steps + sum(self._lags()))
                - 2 * self.horizon + 1)
        return int(max(1, min(want, room)))

    def _calibrate(self):
        """Conformal scores: errors of a copy fitted without the last windows (local
        models calibrate each on its own series; a local parent has no scores)."""
        panel = self.panel_
        before = self.input_size_ + self._out_steps() + (self.horizon if self.early_stopping else 0) + sum(self._lags())
        fewest = before + self.horizon + (self.conformal_windows or 1) - 1
        short = panel.lengths < fewest
        if short.any() and not short.all():
            # one global model: the normalised errors of the series long enough stand for all of them
            warnings.warn(
                f"{_series_count(short)} too short to calibrate prediction intervals on (need {fewest} observations): "
                + _listing([f"{i!r} ({n})" for i, n in zip(panel.ids[short].tolist(), panel.lengths[short])])
                + f"; their intervals use the calibration errors of the other {int((~short).sum())} series",
                UserWarning, stacklevel=_caller_level())
            panel = panel.select(np.flatnonzero(~short))
        K = self._n_calibration_windows(panel)
        held = self.horizon + K - 1
        need = before + held
        short = panel.lengths < need
        if short.any():
            raise ValueError(
                f"prediction intervals need {need} observations per series ({K} calibration windows of "
                f"horizon {self.horizon} after {need - held} for training); too short: "
                + _listing([f"{i!r} ({n})" for i, n in zip(panel.ids[short].tolist(), panel.lengths[short])])
                + (". Lower conformal_windows or input_size." if K > 1 else
                   ". Lower input_size, or use quantile_levels (learned intervals need no calibration windows).")
            )
        cal = clone(self).set_params(checkpoint=None, differences=list(self._lags()) or None, scaler=self.scaler_,
                                     calendar=self._calendar_list() or None)
        # The copy trains as long as this model did. Left to choose for its fewer windows,
        # "auto" trained it less (at most 25 epochs of fewer batches), its errors overstated
        # the model's and the intervals over-covered: over 21 series and four seeds the mean
        # distance from nominal coverage was 0.21 / 0.16 (80% / 95%) that way, 0.19 / 0.14 this one.
        cal.set_params(max_steps=getattr(self, "max_steps_", self.max_steps))  # older model files lack it
        cal._check_params()
        cal._fit_panel(panel.truncate(held), self.input_size_)
        starts = (panel.offsets[1:, None] - self.input_size_ - self.horizon - np.arange(K)[None, :]).ravel()
        z = _transforms.forward(panel.y, self.target_transform, panel)
        hist, cov_hist, known, history = cal._windows_at(panel, z, cal._cov(panel), starts + self.input_size_,
                                                         np.repeat(panel.offsets[:-1], K), self.horizon)
        yhat, scale = cal._forecast(hist, cov_hist, self.horizon, history, known)
        actual = z[starts[:, None] + self.input_size_ + np.arange(self.horizon)]
        self.conformal_scores_ = np.abs(actual - yhat) / scale[:, None]
        return self.conformal_scores_

    def _conformal_quantiles(self, levels):
        scores = self.conformal_scores_ if hasattr(self, "conformal_scores_") else self._calibrate()
        beyond, m = levels_beyond_scores(*scores.shape, levels)
        if beyond:
            names = ", ".join(f"{_level_name(lv)}%" for lv in beyond)
            warnings.warn(
                f"level(s) {names}: the calibration has {m} errors per forecast step, which cover levels up to "
                f"{100 * m / (m + 1):.3g}% (split conformal); the interval is the largest error, narrower than "
                "asked. More calibration windows (conformal_windows, longer series) cover higher levels", UserWarning,
                stacklevel=_caller_level())
        return conformal_quantiles(scores, levels)

    # ------------------------------------------------------------------ backtesting
    def cross_validation(self, df, n_windows=1, step_size=None, refit=False, level=None):
        """Rolling-origin backtest: forecasts of the last ``n_windows`` windows.

        Window ``k`` (oldest first) forecasts ``horizon`` steps after its cutoff; cutoffs
        are ``step_size`` apart and the last window ends at each series' last
        observation. The estimator itself is left untouched (copies are fitted).

        Parameters
        ----------
        df : DataFrame
            Long format, as in :meth:`fit`.
        n_windows : int, default=1
        step_size : int, optional
            Steps between cutoffs (default ``horizon``).
        refit : bool, default=False
            False: fit once on the data before the first cutoff and forecast every
            window from its actual history. True: refit on the data before each cutoff.
        level : float or list of float, optional
            Conformal interval levels in percent (calibrated inside each training part).

        Returns
        -------
        DataFrame
            ``n_windows * horizon`` rows per series: ``id_col``, ``time_col``, ``cutoff``,
            ``y`` (actual; NaN at timestamps that ``fill`` inserted), ``yhat`` and the
            interval columns. ``attrs["coverage"]`` maps each level to the empirical
            coverage of its intervals (over the rows with an actual value).
        """
        input_size = self._check_params()
        self._check_quantile_strategy()
        check_int("n_windows", n_windows)
        if not isinstance(refit, (bool, np.bool_)):
            raise ValueError(f"refit must be True or False, got {refit!r}")
        step = self.horizon if step_size is None else step_size
        check_int("step_size", step)
        levels = _check_levels(level)
        self._check_learned_levels(levels)
        panel = self._panel_for_cv(df)
        H = self.horizon
        held = H + (n_windows - 1) * step
        self._check_df_length(panel, held + input_size + self._out_steps() + sum(self._lags()),
                              f"{n_windows} backtest windows")
        z = _transforms.forward(panel.y, self.target_transform, panel)
        backs = [held - k * step for k in range(n_windows)]  # observations after each cutoff
        models = self._fit_copies(panel, input_size, backs if refit else backs[:1])
        with warnings.catch_warnings(record=True) as caught:  # each window's: shown once below
            warnings.simplefilter("always")
            frames = self._backtest_frames(panel, z, models, backs, refit, levels)
        seen = set()
        for w in caught:  # each once, from where it was raised (so the user's filters still apply)
            key = (w.category, str(w.message))
            if key not in seen:
                seen.add(key)
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
        out = pd.concat(frames, ignore_index=True)
        out = out.sort_values([self.id_col, "cutoff", self.time_col], kind="stable").reset_index(drop=True)
        if levels:
            observed = out[self.target_col].notna()
            out.attrs["coverage"] = {
                lv: float(((out[self.target_col] >= out[f"yhat-lo-{_level_name(lv)}"])
                           & (out[self.target_col] <= out[f"yhat-hi-{_level_name(lv)}"]))[observed].mean())
                for lv in levels
            }
        return out

    def _backtest_frames(self, panel, z, models, backs, refit, levels):
        """cross_validation's forecast frame of each window (``backs``: observations after
        each cutoff; ``models``: the fitted copies, one or one per window)."""
        H = self.horizon
        frames = []
        for k, back in enumerate(backs):
            model = models[k if refit else 0]
            ends = panel.offsets[1:] - back  # buffer positions just after each cutoff
            tpos = (ends[:, None] + np.arange(H)).ravel()
            if self.local:  # each series forecast by its own model, from its own windows
                parts = []
                for i, sub in enumerate(model.local_models_):
                    one, a = sub._with_calendar(panel.select([i]), from_frame=False), panel.offsets[i]
                    hist, cov_hist, known, history = sub._windows_at(one, z[a:panel.offsets[i + 1]], sub._cov(one),
                                                                     ends[i:i + 1] - a, one.offsets[:1], H)
                    parts.append(sub._forecast(hist, cov_hist, H, history, known))
                frame = model._local_frame(panel, parts, levels, ds=panel.ds[tpos], models=model.local_models_)
            else:
                if k == 0 or refit:  # the copy's calendar choice (one copy unless refit)
                    own = model._with_calendar(panel, from_frame=False)
                hist, cov_hist, known, history = model._windows_at(own, z, model._cov(own), ends,
                                                                   panel.offsets[:-1], H)
                yhat, scale = model._forecast(hist, cov_hist, H, history, known)
                frame = model._frame(panel, yhat, scale, levels, ds=panel.ds[tpos])
            frame.insert(2, "cutoff", panel.user_times(np.repeat(panel.ds[ends - 1], H)))
            actual = panel.y[tpos]
            if panel.filled is not None:  # fill= inserted these: no data to compare with
                actual = np.where(panel.filled[tpos], np.nan, actual)
            frame.insert(3, self.target_col, actual)
            frames.append(frame)
        return frames

    def _fit_copies(self, panel, input_size, backs):
        """Copies of this forecaster fitted without the last ``back`` steps, for each of ``backs``.

        Global refits are independent joblib tasks (``n_jobs`` workers, single-threaded
        kernels); local models parallelise over their series instead.
        """
        template = clone(self).set_params(checkpoint=None)
        if len(backs) == 1 or self.local:
            return [_fit_copy(template, panel.truncate(b), input_size) for b in backs]
        if effective_n_jobs(self.n_jobs) > 1:  # a joblib context may ask for workers with n_jobs=None
            template.set_params(n_jobs=1)
        return Parallel(n_jobs=self.n_jobs)(delayed(_fit_copy)(template, panel.truncate(b), input_size)
                                            for b in backs)

    def _panel_for_cv(self, df):
        """The backtest's panel as an unfitted copy reads it: each fitted copy chooses its
        own calendar features (``calendar="auto"``), which a fitted model's ``calendar_``
        columns must not pre-empt (the copies would read them as historical covariates)."""
        return clone(self)._panel(df, 1)
