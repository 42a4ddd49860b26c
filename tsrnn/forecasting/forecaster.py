"""RNNForecaster: global recurrent forecaster over long-format pandas frames."""

import math
import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..estimators import RNNRegressor
from ..exceptions import TrainingDivergedError
from ..nn.recurrent import resolve_dtype
from ..estimators._validation import check_int
from ..kernels.threads import cpu_threads
from ..nn._device import check_device
from ..windows import (SCALERS, WindowBatches, build_panel, expanding_stats, future_timestamps, level_features,
                       window_starts, window_stats)
from ..windows._panel import _listing
from . import _transforms
from ._persistence import ForecasterPersistence
from ._transforms import TARGET_TRANSFORMS

STRATEGIES = ("direct", "recursive")


def _check_levels(level):
    if level is None:
        return []
    levels = [level] if np.isscalar(level) else list(level)
    for lv in levels:
        if isinstance(lv, bool) or not isinstance(lv, numbers.Real) or not 0 < lv < 100:
            raise ValueError(f"level must be percentages in (0, 100), got {lv!r}")
    return levels


def _level_name(lv):
    return f"{lv:g}"


def _check_forecast_size(n_series, h, n_levels, input_size):
    """Refuse a forecast that cannot fit in memory (before computing it)."""
    from .._memory import check_allocation

    # per row: timestamps, id, yhat and the interval columns, plus working copies; and
    # the last input window of every series (positions, values, network input)
    check_allocation(n_series * (h * 8 * (8 + 4 * n_levels) + input_size * 32),
                     f"a forecast of h={h} steps for {n_series} series from windows of {input_size} steps",
                     "forecast fewer steps or fewer series at once")


def _check_training_size(forecaster, batch, input_size, n_features, out_steps):
    """Refuse, before training, a mini-batch of windows whose activations cannot fit."""
    from .._memory import check_allocation
    from ..nn.recurrent import activation_bytes

    dtype = np.dtype(forecaster.dtype)
    nbytes = activation_bytes(forecaster.cell, batch, input_size, forecaster.hidden_size, forecaster.num_layers,
                              dtype, training=True)
    nbytes += batch * (input_size * (32 + n_features * dtype.itemsize) + out_steps * 32)
    check_allocation(nbytes, f"training on batches of {batch} windows of input_size={input_size} "
                             f"(hidden_size={forecaster.hidden_size}, num_layers={forecaster.num_layers})",
                     "lower input_size, batch_size or hidden_size")


class RNNForecaster(ForecasterPersistence, BaseEstimator):
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
    cell : {"lstm", "gru", "rnn"}, default="lstm"
    hidden_size : int, default=64
    num_layers : int, default=1
    strategy : {"direct", "recursive"}, default="direct"
        "direct": one network emits ``horizon`` steps. "recursive": a one-step network
        is trained and its forecasts are fed back ``horizon`` times.
    scaler : {"robust", "standard", "minmax", None}, default="robust"
        Per-window scaling: the statistics of each window's inputs (median and mean
        absolute deviation for "robust") scale its inputs and targets, and forecasts are
        scaled back. It makes one network fit series of any level and scale, and it
        follows trends.
    level_features : bool, default=False
        Also feed each window's level and spread relative to its series' history so far
        (two inputs, :func:`tsrnn.windows.level_features`), which per-window scaling
        otherwise hides.
    target_transform : {None, "log", "log1p"}, default=None
        Applied to ``y`` before windowing, inverted on forecasts and intervals.
    covariates : list of str, "auto" or None, default=None
        Extra numeric columns read as inputs over the past ``input_size`` steps
        (historical covariates; no future values are needed). "auto": every column
        besides id, time and target. Standardised with the training mean and std.
    stride : int, default=1
        Steps between consecutive training windows of a series.
    max_steps : int, default=500
        Optimizer steps (mini-batches); converted to whole epochs over the windows.
    batch_size : int, default=32
    learning_rate : float, default=1e-2
        Adam step size (1e-2 fits small series in a few hundred steps; gradients are
        clipped to ``clip_norm``).
    loss : {"mae", "mse", "huber"}, default="mae"
        Training loss on scaled targets.
    lr_schedule : {"constant", "cosine", "step", "reduce_on_plateau"}, default="constant"
        Learning-rate schedule over the epochs (see RNNRegressor).
    clip_norm : float or None, default=1.0
    early_stopping : bool, default=False
        Hold out the last ``horizon`` steps of every series as validation windows, stop
        when their loss stalls for ``patience`` epochs and keep the best weights.
    patience : int, default=20
    n_models : int, default=1
        Ensemble size: networks trained from different seeds, forecasts averaged.
    conformal_windows : int or None, default=None
        Calibration windows per series for prediction intervals (None: about 200
        calibration forecasts in all, at most ``2 * horizon`` per series, fewer when the
        series are short).
    freq : str, DateOffset, int or None, default=None
        Time step of the series; None infers it per series (``pd.infer_freq``, or the
        step of integer ``ds``).
    fill : {None, "ffill", "interpolate", "zero"}, default=None
        Missing timestamps (gaps): None raises an error naming the series.
    id_col, time_col, target_col : str, default="unique_id", "ds", "y"
    random_state : int, RandomState or None, default=None
    n_jobs : int or None, default=None
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where the networks' recurrent layers run (see ``RNNRegressor``); saved
        forecasters load onto the CPU.
    dtype : {"float32", "float64"}, default="float32"
    verbose : int, default=0
    checkpoint : str or None, default=None
        File the networks' training state is written to after every epoch (with
        ``n_models > 1``, one file per network: ``{checkpoint}.{i}``). After an
        interruption, ``fit(df, resume=True)`` with the same data and parameters ends
        with the weights an uninterrupted fit would have, bit for bit.

    Attributes
    ----------
    models_ : list of RNNRegressor
        The fitted networks (``n_models`` of them), each with ``network_``.
    panel_ : Panel
        The training series (validated, sorted), used by ``predict`` without ``df``.
    input_size_ : int
    n_windows_ : int
        Training windows.
    max_epochs_ : int
        Epochs run for ``max_steps`` optimizer steps.
    conformal_scores_ : ndarray of shape (n_calibration, horizon)
        Absolute calibration errors divided by each window's scale (computed on the
        first ``predict`` with ``level``).

    Notes
    -----
    Prediction intervals are split-conformal: a copy of the model is fitted without the
    last ``horizon + conformal_windows - 1`` steps of every series and forecasts the
    ``conformal_windows`` last windows; the per-horizon-step quantile of the absolute
    errors, normalised by each window's scale, times the forecast window's scale gives
    the interval half-width. Intervals are symmetric in the (transformed) target space.

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
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        strategy="direct",
        scaler="robust",
        level_features=False,
        target_transform=None,
        covariates=None,
        stride=1,
        max_steps=500,
        batch_size=32,
        learning_rate=1e-2,
        loss="mae",
        lr_schedule="constant",
        clip_norm=1.0,
        early_stopping=False,
        patience=20,
        n_models=1,
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
        self.covariates = covariates
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

    # ------------------------------------------------------------------ validation
    def _check_params(self):
        check_int("horizon", self.horizon)
        check_int("input_size", self.input_size, allow_none=True)
        for name in ("stride", "max_steps", "batch_size", "patience", "n_models"):
            check_int(name, getattr(self, name))
        check_int("conformal_windows", self.conformal_windows, allow_none=True)
        resolve_dtype(self.dtype)  # float32 or float64, before any array is built with it
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy={self.strategy!r} is not supported; choose one of {list(STRATEGIES)}")
        if self.scaler not in SCALERS:
            raise ValueError(f"scaler={self.scaler!r} is not supported; choose one of {list(SCALERS)}")
        if self.target_transform not in TARGET_TRANSFORMS:
            raise ValueError(
                f"target_transform={self.target_transform!r} is not supported; choose one of {list(TARGET_TRANSFORMS)}"
            )
        check_device(self.device)
        return self.input_size if self.input_size is not None else 2 * self.horizon

    def _out_steps(self):
        return self.horizon if self.strategy == "direct" else 1

    def _panel(self, df, min_length):
        covariates = self.covariates if not hasattr(self, "covariate_names_") else self.covariate_names_
        return build_panel(df, self.id_col, self.time_col, self.target_col, covariates=covariates,
                           freq=self.freq, fill=self.fill, min_length=min_length)

    def _check_df_length(self, panel, need, what):
        short = panel.lengths < need
        if short.any():
            raise ValueError(
                f"{int(short.sum())} series are too short for {what} (need {need} observations): "
                + _listing([f"{i!r} ({n})" for i, n in zip(panel.ids[short], panel.lengths[short])])
            )

    # ------------------------------------------------------------------ fitting
    def fit(self, df, resume=False):
        """Fit one network (or ``n_models``) on every window of every series.

        Parameters
        ----------
        df : DataFrame or Series
            Long format ``id_col, time_col, target_col`` (+ covariates), or a Series /
            DataFrame with a DatetimeIndex (see :func:`tsrnn.windows.build_panel`).
            Every series needs at least ``input_size + horizon`` observations.
        resume : bool, default=False
            Continue an interrupted fit from the ``checkpoint`` file(s).

        Returns
        -------
        self
        """
        input_size = self._check_params()
        if resume and self.checkpoint is None:
            raise ValueError("resume=True needs the checkpoint parameter (a file path)")
        for attr in ("covariate_names_", "conformal_scores_"):
            if hasattr(self, attr):
                delattr(self, attr)
        panel = build_panel(df, self.id_col, self.time_col, self.target_col, covariates=self.covariates,
                            freq=self.freq, fill=self.fill, min_length=1)
        return self._fit_panel(panel, input_size, resume=resume)

    def _checkpoint_path(self, i):
        if self.checkpoint is None:
            return None
        return str(self.checkpoint) if self.n_models == 1 else f"{self.checkpoint}.{i}"

    def _fit_panel(self, panel, input_size, resume=False):
        out_steps = self._out_steps()
        val_steps = self.horizon if self.early_stopping else 0
        self._check_df_length(panel, input_size + out_steps + val_steps, "training")
        z = _transforms.forward(panel.y, self.target_transform)
        self.covariate_names_ = list(panel.covariate_names)
        if panel.X is not None:
            self.cov_mean_ = panel.X.mean(axis=0)
            std = panel.X.std(axis=0)
            self.cov_scale_ = np.where(std > 0, std, 1.0)
            cov = (panel.X - self.cov_mean_) / self.cov_scale_
        else:
            cov = None
        ends = panel.offsets[1:] - val_steps
        starts, sid = window_starts(panel.offsets, input_size, out_steps, self.stride, end_offsets=ends)
        dtype = np.dtype(self.dtype)
        lf = self.level_features
        data = WindowBatches(z, cov, starts, input_size, out_steps, self.scaler, dtype,
                             series_start=panel.offsets[sid] if lf else None)
        val = None
        if val_steps:
            # windows whose targets lie in the held-out last `horizon` steps of each series
            last = panel.offsets[1:] - input_size - out_steps
            k = self.horizon - out_steps + 1
            vstarts = (last[:, None] - np.arange(k)[::-1][None, :]).ravel()
            val = WindowBatches(z, cov, vstarts, input_size, out_steps, self.scaler, dtype,
                                series_start=np.repeat(panel.offsets[:-1], k) if lf else None)
        n = data.n_samples
        _check_training_size(self, min(self.batch_size, n), input_size, data.n_features, out_steps)
        per_epoch = math.ceil(n / min(self.batch_size, n))
        epochs = max(1, math.ceil(self.max_steps / per_epoch))
        rs = check_random_state(self.random_state)
        seeds = rs.randint(0, 2**31 - 1, size=self.n_models)
        self.models_ = []
        for i, seed in enumerate(seeds):
            reg = RNNRegressor(
                cell=self.cell, hidden_size=self.hidden_size, num_layers=self.num_layers, head="last",
                loss=self.loss, max_epochs=epochs, batch_size=self.batch_size,
                learning_rate=self.learning_rate, lr_schedule=self.lr_schedule, clip_norm=self.clip_norm,
                early_stopping=self.early_stopping, patience=self.patience if self.early_stopping else epochs + 1,
                tol=0.0, random_state=int(seed), n_jobs=self.n_jobs, dtype=self.dtype, verbose=self.verbose,
                device=self.device,
                checkpoint=self._checkpoint_path(i),
            )
            try:
                reg._fit_from_batches(data, data.n_features, out_steps, val=val, resume=resume)
            except TrainingDivergedError:
                # stay usable, as the estimators do: this network keeps its last finite weights
                reg.set_params(checkpoint=None)
                self.models_.append(reg)
                self.panel_, self.input_size_, self.n_windows_, self.max_epochs_ = panel, input_size, n, epochs
                raise
            reg.set_params(checkpoint=None)  # where training checkpoints went is not part of the model
            self.models_.append(reg)
        self.panel_ = panel
        self.input_size_ = input_size
        self.n_windows_ = n
        self.max_epochs_ = epochs
        return self

    # ------------------------------------------------------------------ forecasting core
    def _cov(self, panel):
        if not self.covariate_names_:
            return None
        return (panel.X - self.cov_mean_) / self.cov_scale_

    def _network_out(self, X):
        lengths = np.full(X.shape[0], X.shape[1], dtype=np.int64)
        with cpu_threads(self.n_jobs), np.errstate(over="ignore", invalid="ignore"):
            outs = [m._forward_batches(X, lengths).astype(np.float64) for m in self.models_]
        return np.mean(outs, axis=0)

    def _forecast(self, hist, cov_hist, h, history=None):
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

        Returns
        -------
        yhat : ndarray of shape (n, h)
        scale : ndarray of shape (n,)
            Scale of the first block's input window (interval widths).
        """
        out_steps = self._out_steps()
        if cov_hist is not None and h > out_steps:
            raise ValueError(
                f"h={h} needs forecasts fed back past {out_steps} step(s), which covariates do not allow "
                "(their future values are unknown); use h <= horizon with strategy='direct'"
            )
        dtype = np.dtype(self.dtype)
        parts, first_scale = [], None
        hist = np.array(hist, dtype=np.float64)
        done = 0
        while done < h:
            loc, scale = window_stats(hist, self.scaler)
            n_cov = 0 if cov_hist is None else cov_hist.shape[2]
            X = np.empty(hist.shape + (1 + n_cov + (2 if self.level_features else 0),), dtype=dtype)
            X[:, :, 0] = (hist - loc[:, None]) / scale[:, None]
            if cov_hist is not None:
                X[:, :, 1 : 1 + n_cov] = cov_hist
            if self.level_features:
                X[:, :, 1 + n_cov :] = level_features(loc, scale, *history)[:, None, :]
            block = self._network_out(X) * scale[:, None] + loc[:, None]
            if first_scale is None:
                first_scale = scale
            parts.append(block)
            done += block.shape[1]
            hist = np.concatenate([hist, block], axis=1)[:, -hist.shape[1]:]
        return np.concatenate(parts, axis=1)[:, :h], first_scale

    def _last_windows(self, panel):
        L = self.input_size_
        ends = panel.offsets[1:]
        pos = ends[:, None] - L + np.arange(L)
        z = _transforms.forward(panel.y, self.target_transform)
        cov = self._cov(panel)
        history = expanding_stats(z, panel.offsets[:-1], ends)
        return z[pos], None if cov is None else cov[pos], history

    # ------------------------------------------------------------------ prediction
    def predict(self, h=None, df=None, level=None):
        """Forecast the ``h`` steps after the end of every series.

        Parameters
        ----------
        h : int, optional
            Steps to forecast (default ``horizon``). Beyond ``horizon`` the forecasts are
            fed back as inputs (recursively, block by block).
        df : DataFrame, optional
            History to forecast from (default: the training frame). New series are
            fine: the model is global. Each series needs ``input_size`` observations.
        level : float or list of float, optional
            Prediction-interval levels in percent, e.g. ``[80, 95]`` (``h <= horizon``).

        Returns
        -------
        DataFrame
            ``h`` rows per series: ``id_col``, ``time_col``, ``yhat`` and, per level,
            ``yhat-lo-{level}`` / ``yhat-hi-{level}``. Future timestamps follow each
            series' frequency (or integer step).
        """
        check_is_fitted(self, "models_")
        h = self.horizon if h is None else h
        check_int("h", h)
        levels = _check_levels(level)
        if levels and h > self.horizon:
            raise ValueError(f"prediction intervals are calibrated for h <= horizon={self.horizon}; got h={h}")
        if df is None:
            panel = self.panel_
        else:
            panel = self._panel(df, 1)
            self._check_df_length(panel, self.input_size_, "prediction")
        _check_forecast_size(panel.n_series, h, len(levels), self.input_size_)
        hist, cov_hist, history = self._last_windows(panel)
        yhat_t, scale = self._forecast(hist, cov_hist, h, history)
        return self._frame(panel, yhat_t, scale, levels)

    def _frame(self, panel, yhat_t, scale, levels, ds=None):
        """Long frame of forecasts ``yhat_t`` (n_series, h) in transformed space.

        ``ds``: timestamps of the rows (default: the ``h`` steps after each series' end).
        """
        n, h = yhat_t.shape
        ids = np.repeat(panel.ids, h)
        if ds is None:
            ds = np.concatenate([future_timestamps(panel.ds[e - 1], f, h) for e, f in zip(panel.offsets[1:], panel.freqs)])
        out = pd.DataFrame({self.id_col: ids, self.time_col: ds,
                            "yhat": _transforms.inverse(yhat_t, self.target_transform).ravel()})
        if levels:
            q = self._conformal_quantiles(levels)
            for lv in levels:
                half = q[lv][None, :h] * scale[:, None]
                name = _level_name(lv)
                out[f"yhat-lo-{name}"] = _transforms.inverse(yhat_t - half, self.target_transform).ravel()
                out[f"yhat-hi-{name}"] = _transforms.inverse(yhat_t + half, self.target_transform).ravel()
        return out

    # ------------------------------------------------------------------ conformal intervals
    def _n_calibration_windows(self, panel):
        if self.conformal_windows is not None:
            return self.conformal_windows
        # about 200 calibration forecasts, at most 2 * horizon per series, and the
        # calibration model keeps at least `horizon` training windows in every series
        want = min(2 * self.horizon, math.ceil(200 / panel.n_series))
        val_steps = self.horizon if self.early_stopping else 0
        room = int(panel.lengths.min()) - (self.input_size_ + self._out_steps() + val_steps) - 2 * self.horizon + 1
        return int(max(1, min(want, room)))

    def _calibrate(self):
        """Conformal scores: errors of a copy fitted without the last windows."""
        panel = self.panel_
        K = self._n_calibration_windows(panel)
        held = self.horizon + K - 1
        need = self.input_size_ + self._out_steps() + (self.horizon if self.early_stopping else 0) + held
        short = panel.lengths < need
        if short.any():
            raise ValueError(
                f"prediction intervals need {need} observations per series ({K} calibration windows of "
                f"horizon {self.horizon} after {need - held} for training); too short: "
                + _listing([f"{i!r} ({n})" for i, n in zip(panel.ids[short], panel.lengths[short])])
                + ". Lower conformal_windows or input_size."
            )
        cal = clone(self).set_params(checkpoint=None)
        cal._check_params()
        cal._fit_panel(panel.truncate(held), self.input_size_)
        starts = (panel.offsets[1:, None] - self.input_size_ - self.horizon - np.arange(K)[None, :]).ravel()
        z = _transforms.forward(panel.y, self.target_transform)
        cov = cal._cov(panel)
        pos = starts[:, None] + np.arange(self.input_size_)
        history = expanding_stats(z, np.repeat(panel.offsets[:-1], K), starts + self.input_size_)
        yhat, scale = cal._forecast(z[pos], None if cov is None else cov[pos], self.horizon, history)
        actual = z[starts[:, None] + self.input_size_ + np.arange(self.horizon)]
        self.conformal_scores_ = np.abs(actual - yhat) / scale[:, None]
        return self.conformal_scores_

    def _conformal_quantiles(self, levels):
        scores = self.conformal_scores_ if hasattr(self, "conformal_scores_") else self._calibrate()
        n = scores.shape[0]
        out = {}
        for lv in levels:
            rank = min(1.0, math.ceil((n + 1) * lv / 100) / n)
            out[lv] = np.quantile(scores, rank, axis=0, method="higher")
        return out

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
            ``y`` (actual), ``yhat`` and the interval columns. ``attrs["coverage"]``
            maps each level to the empirical coverage of its intervals.
        """
        input_size = self._check_params()
        check_int("n_windows", n_windows)
        step = self.horizon if step_size is None else step_size
        check_int("step_size", step)
        levels = _check_levels(level)
        panel = self._panel_for_cv(df)
        H = self.horizon
        held = H + (n_windows - 1) * step
        self._check_df_length(panel, held + input_size + self._out_steps(), f"{n_windows} backtest windows")
        frames = []
        model = None
        z = _transforms.forward(panel.y, self.target_transform)
        for k in range(n_windows):
            back = held - k * step  # observations after the cutoff of window k
            if model is None or refit:
                model = clone(self).set_params(checkpoint=None)
                model._check_params()
                model._fit_panel(panel.truncate(back), input_size)
            ends = panel.offsets[1:] - back  # buffer positions just after each cutoff
            pos = ends[:, None] - input_size + np.arange(input_size)
            cov = model._cov(panel)
            history = expanding_stats(z, panel.offsets[:-1], ends)
            yhat, scale = model._forecast(z[pos], None if cov is None else cov[pos], H, history)
            tpos = (ends[:, None] + np.arange(H)).ravel()
            frame = model._frame(panel, yhat, scale, levels, ds=panel.ds[tpos])
            frame.insert(2, "cutoff", np.repeat(panel.ds[ends - 1], H))
            frame.insert(3, self.target_col, panel.y[tpos])
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True)
        out = out.sort_values([self.id_col, "cutoff", self.time_col], kind="stable").reset_index(drop=True)
        if levels:
            out.attrs["coverage"] = {
                lv: float(((out[self.target_col] >= out[f"yhat-lo-{_level_name(lv)}"])
                           & (out[self.target_col] <= out[f"yhat-hi-{_level_name(lv)}"])).mean())
                for lv in levels
            }
        return out

    def _panel_for_cv(self, df):
        return build_panel(df, self.id_col, self.time_col, self.target_col, covariates=self.covariates,
                           freq=self.freq, fill=self.fill, min_length=1)
