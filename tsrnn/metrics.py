"""Forecast accuracy metrics: point errors, scaled errors, quantile loss, interval coverage.

Every metric takes arrays (``y_true``, ``y_pred`` of the same shape) and returns a
float. :func:`evaluate` applies them per series to a long frame such as the one
:meth:`tsrnn.RNNForecaster.cross_validation` returns, and aggregates them.
"""

import warnings

import numpy as np
import pandas as pd

__all__ = ["mae", "rmse", "mape", "smape", "mase", "pinball_loss", "coverage", "evaluate"]


def _pair(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("metrics need at least one value")
    for name, a in (("y_true", y_true), ("y_pred", y_pred)):
        bad = ~np.isfinite(a)
        if bad.any():  # a NaN step would count as a miss, a perfect forecast or poison the mean
            raise ValueError(f"{name} has {int(bad.sum())} NaN or infinite value(s), e.g. at position "
                             f"{int(np.flatnonzero(bad.ravel())[0])}; drop those steps first")
    return y_true, y_pred


def mae(y_true, y_pred):
    """Mean absolute error, ``mean(|y - yhat|)``."""
    y, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y - p)))


def rmse(y_true, y_pred):
    """Root mean squared error, ``sqrt(mean((y - yhat)^2))``."""
    y, p = _pair(y_true, y_pred)
    e = np.abs(y - p)
    top = e.max(initial=0.0)
    if not 0 < top < np.inf:  # 0, or inf / NaN errors: as they are
        return float(np.sqrt(np.mean(e**2)))
    return float(top * np.sqrt(np.mean((e / top) ** 2)))  # squares of errors near 1e200 overflowed


def mape(y_true, y_pred):
    """Mean absolute percentage error in percent, ``100 * mean(|y - yhat| / |y|)``.

    Steps where ``y == 0`` are skipped (NaN when all are zero).
    """
    y, p = _pair(y_true, y_pred)
    ok = y != 0
    if not ok.any():
        return float("nan")
    return float(100 * np.mean(np.abs(y[ok] - p[ok]) / np.abs(y[ok])))


def smape(y_true, y_pred):
    """Symmetric MAPE in percent (0-200), ``100 * mean(2 |y - yhat| / (|y| + |yhat|))``.

    Steps where both are zero count as zero error.
    """
    y, p = _pair(y_true, y_pred)
    den = np.abs(y) + np.abs(p)
    ratio = np.divide(2 * np.abs(y - p), den, out=np.zeros_like(den), where=den > 0)
    return float(100 * np.mean(ratio))


def mase(y_true, y_pred, y_train, season_length=1):
    """Mean absolute scaled error.

    ``mae(y, yhat) / mean(|y_train[t] - y_train[t - m]|)``: below 1 beats the in-sample
    seasonal naive forecast of season ``m = season_length``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (h,)
    y_train : array-like of shape (n_train,)
        The training series (``n_train > season_length``).
    season_length : int, default=1
    """
    y, p = _pair(y_true, y_pred)
    train = np.asarray(y_train, dtype=np.float64)
    if train.ndim != 1 or not np.isfinite(train).all():
        raise ValueError(f"y_train must be one finite series (1-D), got shape {train.shape}"
                         + ("" if train.ndim != 1 else " with NaN or infinite values"))
    if isinstance(season_length, bool) or not isinstance(season_length, (int, np.integer)):
        raise ValueError(f"season_length must be a positive integer, got {season_length!r}")
    m = int(season_length)
    if m < 1 or train.size <= m:
        raise ValueError(f"mase needs a training series longer than season_length={m}, got {train.size} values")
    scale = np.mean(np.abs(train[m:] - train[:-m]))
    if scale == 0:
        return float("inf") if np.any(y != p) else 0.0
    return float(np.mean(np.abs(y - p)) / scale)


def pinball_loss(y_true, y_quantile, quantile):
    """Quantile (pinball) loss of a forecast of the ``quantile`` (in (0, 1)).

    ``mean(max(q (y - yq), (q - 1) (y - yq)))``.
    """
    y, p = _pair(y_true, y_quantile)
    if isinstance(quantile, (bool, str)) or not isinstance(quantile, (int, float, np.number)) or not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    d = y - p
    return float(np.mean(np.maximum(quantile * d, (quantile - 1) * d)))


def coverage(y_true, lower, upper):
    """Fraction of ``y_true`` inside ``[lower, upper]`` (bounds included). An interval
    whose lower bound is above its upper one covers nothing (a warning counts them:
    crossed quantiles, or the bounds swapped)."""
    y, lo = _pair(y_true, lower)
    _, hi = _pair(y_true, upper)
    crossed = int(np.count_nonzero(lo > hi))
    if crossed:
        warnings.warn(f"{crossed} of {lo.size} intervals have their lower bound above the upper one: they cover "
                      "nothing (crossed quantiles, or the bounds swapped?)", UserWarning, stacklevel=2)
    return float(np.mean((y >= lo) & (y <= hi)))


_POINT = {"mae": mae, "rmse": rmse, "mape": mape, "smape": smape}


def _interval_levels(df, pred_col):
    """Levels of the ``{pred_col}-lo-{level}`` / ``-hi-`` column pairs of ``df``, sorted."""
    lo = {c[len(pred_col) + 4:] for c in df.columns if isinstance(c, str) and c.startswith(f"{pred_col}-lo-")}
    hi = {c[len(pred_col) + 4:] for c in df.columns if isinstance(c, str) and c.startswith(f"{pred_col}-hi-")}
    if lo != hi:
        raise ValueError(f"interval columns come in pairs {pred_col}-lo-LEVEL / {pred_col}-hi-LEVEL; unpaired "
                         f"level(s) {sorted(lo ^ hi)}")
    bad = [lv for lv in lo if not _is_number(lv)]
    if bad:
        raise ValueError(f"interval column levels must be numbers, got {sorted(bad)}")
    return sorted(lo, key=float)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_mase_training(df, train, season_length, id_col, time_col):
    """Every series in ``train`` (and, with a ``cutoff`` column, its training part up to
    each cutoff) must be longer than ``season_length``: one error naming them all."""
    if isinstance(season_length, bool) or not isinstance(season_length, (int, np.integer)) or season_length < 1:
        raise ValueError(f"season_length must be a positive integer, got {season_length!r}")
    short = []
    for uid, g in df.groupby(id_col, sort=True):
        if uid not in train:
            raise ValueError(f"series {uid!r} is not in train_df")
        times = train[uid][time_col]
        if "cutoff" in g.columns:
            for c in g["cutoff"].drop_duplicates():
                n = int((times <= c).sum())
                if n <= season_length:
                    when = str(c.date()) if isinstance(c, pd.Timestamp) and c == c.normalize() else str(c)
                    short.append(f"{uid!r} ({n} up to cutoff {when})")
        elif len(times) <= season_length:
            short.append(f"{uid!r} ({len(times)})")
    if short:
        listed = ", ".join(short[:5]) + (f" and {len(short) - 5} more" if len(short) > 5 else "")
        raise ValueError(f"mase needs training series longer than season_length={int(season_length)} values; "
                         f"too short: {listed}")


def _comparable_with_cutoffs(train_df, cutoffs, time_col):
    """``train_df`` with its times comparable with the backtest's cutoffs: ``datetime.date``
    objects as datetimes (as the forecaster takes them), text as text on both sides (a
    backtest and its data read back from CSV, ISO dates: compared as before); a mix of
    datetimes and numbers, or naive and time-zone-aware times, is a TypeError naming both."""
    from .windows._panel import _as_times

    times = _as_times(train_df[time_col], time_col)
    train_df = train_df.assign(**{time_col: times})
    kinds = []
    for values in (times, cutoffs):
        if pd.api.types.is_datetime64_any_dtype(values):
            kinds.append("aware datetimes" if getattr(values.dt, "tz", None) is not None else "naive datetimes")
        elif pd.api.types.is_numeric_dtype(values):
            kinds.append("numbers")
        else:
            kinds.append("text")
    if kinds[0] != kinds[1]:
        raise TypeError(f"train_df's {time_col!r} holds {kinds[0]} (dtype {times.dtype}) but the cutoffs hold "
                        f"{kinds[1]} (dtype {cutoffs.dtype}): give both the same way (e.g. pd.to_datetime, "
                        "tz_localize)")
    return train_df


def _row_listing(index, most=5):
    shown = ", ".join(str(i) for i in index[:most])
    return shown + (f" and {len(index) - most} more" if len(index) > most else "")


def evaluate(df, metrics=("mae", "rmse", "smape"), train_df=None, season_length=1,
             id_col="unique_id", time_col="ds", target_col="y", pred_col="yhat", agg="mean"):
    """Metrics per series (and aggregated) of a forecast frame with actuals.

    Parameters
    ----------
    df : DataFrame
        Long frame with ``id_col``, ``target_col`` (actuals), ``pred_col`` and optional
        interval columns ``{pred_col}-lo-{level}`` / ``{pred_col}-hi-{level}`` (as
        returned by ``cross_validation``, or a forecast merged with the actuals). A NaN
        actual (e.g. at a timestamp a backtest's ``fill`` inserted) is an error: drop
        those rows first.
    metrics : sequence of str
        Any of "mae", "rmse", "mape", "smape", "mase", "coverage", "pinball".
        "coverage" and "pinball" are computed for every interval level found
        (pinball on both bounds, quantiles ``(1 -/+ level/100) / 2``).
    train_df : DataFrame, optional
        Training series (``id_col``, ``time_col``, ``target_col``); required by "mase".
        When ``df`` has a ``cutoff`` column, MASE scales each window by the series'
        training values up to its cutoff (``datetime.date`` objects in ``time_col`` are
        converted to datetimes for that comparison).
    season_length : int, default=1
    agg : {"mean", None}, default="mean"
        None: one row per series; "mean": also a last row ``"(mean)"`` averaging them.

    Raises
    ------
    ValueError
        Unknown metrics, missing columns, "mase" without ``train_df``, or "coverage" /
        "pinball" asked of a frame without interval columns.

    Returns
    -------
    DataFrame
        One row per series (index ``id_col``), one column per metric.
    """
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    known = set(_POINT) | {"mase", "coverage", "pinball"}
    unknown = [m for m in metrics if m not in known]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; choose from {sorted(known)}")
    missing = [c for c in (id_col, target_col, pred_col) if c not in df.columns]
    if missing:
        raise ValueError(f"missing column(s) {missing} in the forecast frame (columns: {list(df.columns)})")
    if "mase" in metrics and train_df is None:
        raise ValueError("mase needs train_df (the training series)")
    if len(df) == 0:
        raise ValueError("the forecast frame has no rows")
    no_id = df[id_col].isna()
    if no_id.any():  # groupby would drop them: their errors would silently not count
        raise ValueError(f"{int(no_id.sum())} row(s) of the forecast frame have no {id_col!r} (rows "
                         f"{_row_listing(df.index[no_id])}): give every row its series")
    if train_df is not None:
        absent = [c for c in (id_col, time_col, target_col) if c not in train_df.columns]
        if absent:
            raise ValueError(f"missing column(s) {absent} in train_df (columns: {list(train_df.columns)})")
    missing_actual = int(df[target_col].isna().sum())
    if missing_actual:  # explicit: a NaN actual may be a data error, and would skew every metric
        raise ValueError(f"{missing_actual} row(s) have no actual value (NaN {target_col!r}; in a backtest, the "
                         f"timestamps that fill= inserted): drop them first, df.dropna(subset=[{target_col!r}])")
    forecast_cols = [pred_col] + [c for c in df.columns if isinstance(c, str) and c.startswith(f"{pred_col}-")]
    text = [c for c in forecast_cols + [target_col] if not pd.api.types.is_numeric_dtype(df[c])]
    if text:
        raise TypeError(f"column(s) {text} must be numeric, got dtype(s) {[str(df[c].dtype) for c in text]}")
    bad = ~np.isfinite(df[forecast_cols].to_numpy(np.float64)).all(axis=1)
    if bad.any():
        where = df.loc[bad, [id_col] + ([time_col] if time_col in df.columns else [])].astype(str)
        rows = ", ".join(where.agg(" at ".join, axis=1).head(5))
        raise ValueError(f"{int(bad.sum())} row(s) have NaN or infinite forecasts in {forecast_cols}: series {rows}"
                         + (" and more" if bad.sum() > 5 else ""))
    levels = _interval_levels(df, pred_col)
    interval_metrics = [m for m in metrics if m in ("coverage", "pinball")]
    if interval_metrics and not levels:
        raise ValueError(f"{interval_metrics} need interval columns {pred_col}-lo-LEVEL / {pred_col}-hi-LEVEL, which "
                         f"the forecast frame lacks (columns: {list(df.columns)}); forecast with level=[...]")
    if "mase" in metrics and "cutoff" in df.columns:
        train_df = _comparable_with_cutoffs(train_df, df["cutoff"], time_col)
    train = None if train_df is None else {k: g.sort_values(time_col) for k, g in train_df.groupby(id_col, sort=False)}
    if "mase" in metrics:
        _check_mase_training(df, train, season_length, id_col, time_col)
    rows = {}
    for uid, g in df.groupby(id_col, sort=True):
        y, p = g[target_col].to_numpy(), g[pred_col].to_numpy()
        row = {}
        for m in metrics:
            if m in _POINT:
                row[m] = _POINT[m](y, p)
            elif m == "mase":  # (_check_mase_training found every series in train)
                tr = train[uid]
                if "cutoff" in g.columns:
                    vals = [mase(w[target_col], w[pred_col], tr.loc[tr[time_col] <= c, target_col], season_length)
                            * len(w) for c, w in g.groupby("cutoff")]
                    row[m] = float(np.sum(vals) / len(g))
                else:
                    row[m] = mase(y, p, tr[target_col], season_length)
            elif m == "coverage":
                for lv in levels:
                    row[f"coverage-{lv}"] = coverage(y, g[f"{pred_col}-lo-{lv}"], g[f"{pred_col}-hi-{lv}"])
            elif m == "pinball":
                for lv in levels:
                    a = (1 - float(lv) / 100) / 2
                    row[f"pinball-{lv}"] = 0.5 * (pinball_loss(y, g[f"{pred_col}-lo-{lv}"], a)
                                                  + pinball_loss(y, g[f"{pred_col}-hi-{lv}"], 1 - a))
        rows[uid] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = id_col
    if agg == "mean":
        if "(mean)" in out.index:
            raise ValueError("a series is named '(mean)', the name of the aggregate row; pass agg=None")
        undefined = out.columns[out.isna().any()].tolist()
        if undefined:  # e.g. MAPE of a series whose actuals are all zero
            warnings.warn(f"metric(s) {undefined} are undefined (NaN) for some series; the '(mean)' row averages "
                          "the series where they are defined", UserWarning, stacklevel=2)
        out.loc["(mean)"] = out.mean(axis=0)
    elif agg is not None:
        raise ValueError(f"agg must be 'mean' or None, got {agg!r}")
    return out
