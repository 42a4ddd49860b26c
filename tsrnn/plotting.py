"""Forecast plots on matplotlib, without pyplot: figures are built with
:class:`matplotlib.figure.Figure` directly (no global backend change, no GUI, no
``plt.show()``); save them with ``fig.savefig(path)``.
"""

import math
import warnings

import numpy as np
import pandas as pd

__all__ = ["plot_forecast"]


def _interval_levels(columns, pred_col):
    prefix = f"{pred_col}-lo-"
    return sorted((c[len(prefix):] for c in columns if isinstance(c, str) and c.startswith(prefix)), key=float,
                  reverse=True)


def _parsed_times(values):
    """Text timestamps as datetimes; offsets that differ (a daylight-saving change in a
    CSV of tz-aware times) are read as UTC instants."""
    with warnings.catch_warnings():  # pandas' "could not infer format" before failing
        warnings.simplefilter("ignore", UserWarning)
        try:
            return pd.to_datetime(values)
        except ValueError:
            return pd.to_datetime(values, utc=True)


def _checked_frames(history_df, forecast_df, id_col, time_col):
    """The frames with one kind of time axis (text timestamps parsed as dates), and no
    missing ids (else ValueError naming the column and the frame)."""
    kinds, out = {}, []
    for name, frame in (("history_df", history_df), ("forecast_df", forecast_df)):
        if frame is None:
            out.append(None)
            continue
        if frame[id_col].isna().any():
            raise ValueError(f"{name} has missing (NaN) values in {id_col!r}: every row needs a series id")
        for col in (time_col, "cutoff") if name == "forecast_df" else (time_col,):
            if col in frame.columns and (frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col].dtype)):
                try:  # e.g. a forecast read back from the CSV the CLI wrote
                    frame = frame.assign(**{col: _parsed_times(frame[col])})
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"{name}[{col!r}] holds text that is not a date ({exc})") from None
        times = frame[time_col]
        if pd.api.types.is_datetime64_any_dtype(times.dtype):
            kinds[name] = "datetimes"
        elif pd.api.types.is_numeric_dtype(times.dtype) and not pd.api.types.is_bool_dtype(times.dtype):
            kinds[name] = "numbers"
        else:
            raise ValueError(f"{name}[{time_col!r}] must hold datetimes or numbers, got dtype {times.dtype}")
        out.append(frame)
    if len(set(kinds.values())) > 1:
        raise ValueError(f"history_df[{time_col!r}] holds {kinds['history_df']} but forecast_df[{time_col!r}] "
                         f"holds {kinds['forecast_df']}: plot a forecast with the history it was made from")
    if out[1] is not None and set(kinds.values()) == {"datetimes"}:
        out[1] = _in_time_zone_of(out[0], out[1], time_col)
    return out


def _warn_unmatched_ids(forecast_ids, history_ids):
    """Warn that forecasts of series absent from the history are not drawn (each panel is
    a history series), with a hint when they differ from history ids only in type."""
    known = set(history_ids)
    unmatched = [i for i in pd.unique(forecast_ids) if i not in known]
    if not unmatched:
        return
    as_text = {str(i) for i in history_ids}
    hint = ("; the ids differ only in type (e.g. 1 and '1', as after a CSV round trip): convert one column"
            if any(str(i) in as_text for i in unmatched) else "")
    shown = ", ".join(repr(i) for i in unmatched[:5]) + (f" and {len(unmatched) - 5} more" if len(unmatched) > 5 else "")
    warnings.warn(f"forecast_df has series that history_df does not ({shown}): their forecasts are not drawn{hint}",
                  UserWarning, stacklevel=3)


def _in_time_zone_of(history_df, forecast_df, time_col):
    """``forecast_df`` with its times (and cutoffs) in the history's time zone; naive
    against tz-aware times is an error (they would plot shifted)."""
    tz = history_df[time_col].dt.tz
    for col in (time_col, "cutoff"):
        if col not in forecast_df.columns or not pd.api.types.is_datetime64_any_dtype(forecast_df[col].dtype):
            continue
        other = forecast_df[col].dt.tz
        if (tz is None) != (other is None):
            raise ValueError(f"history_df[{time_col!r}] is {'naive' if tz is None else f'in time zone {tz}'} but "
                             f"forecast_df[{col!r}] is {'naive' if other is None else f'in time zone {other}'}: "
                             "give both the same way (tz_localize or tz_convert them)")
        if tz is not None and str(other) != str(tz):
            forecast_df = forecast_df.assign(**{col: forecast_df[col].dt.tz_convert(tz)})
    return forecast_df


def plot_forecast(history_df, forecast_df=None, ids=None, max_series=16, ncols=None, max_history=None,
                  id_col="unique_id", time_col="ds", target_col="y", pred_col="yhat",
                  figsize=None, title=None):
    """Plot history, forecasts, prediction intervals and cutoffs, one panel per series.

    Parameters
    ----------
    history_df : DataFrame
        Long frame ``id_col, time_col, target_col`` (the observed series).
    forecast_df : DataFrame, optional
        Output of ``RNNForecaster.predict`` or ``cross_validation``: ``pred_col`` and
        optional ``{pred_col}-lo-{level}`` / ``{pred_col}-hi-{level}`` columns; a
        ``cutoff`` column draws one dashed vertical line per cutoff (and one forecast
        line per window).
    ids : list, optional
        Series to plot (default: the first ``max_series`` ids of ``history_df``).
    max_series : int, default=16
    ncols : int, optional
        Grid columns (default: up to 4).
    max_history : int, optional
        Plot only the last ``max_history`` observations of each series.
    id_col, time_col, target_col, pred_col : str
    figsize : (float, float), optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes per plotted series (``fig.axes``; unused grid cells are removed).
    """
    from matplotlib.figure import Figure

    for name, value in (("max_series", max_series), ("ncols", ncols), ("max_history", max_history)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1):
            raise ValueError(f"{name} must be a positive integer{' or None' if name != 'max_series' else ''}, "
                             f"got {value!r}")
    for name, frame in (("history_df", history_df), ("forecast_df", forecast_df)):
        if (frame is not None or name == "history_df") and not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name} must be a long DataFrame ({id_col}, {time_col}, ...), got {type(frame).__name__}"
                            + (" (the observed series the forecast continues)" if frame is None else ""))
    for name, frame, cols in (("history_df", history_df, (id_col, time_col, target_col)),
                              ("forecast_df", forecast_df, (id_col, time_col, pred_col))):
        if frame is None:
            continue
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} is missing column(s) {missing} (columns: {list(frame.columns)})")
    history_df, forecast_df = _checked_frames(history_df, forecast_df, id_col, time_col)
    all_ids = list(pd.unique(history_df[id_col]))
    if ids is None:
        ids = all_ids[:max_series]
    else:
        ids = [ids] if isinstance(ids, (str, bytes)) or np.isscalar(ids) else list(ids)
        unknown = [i for i in ids if i not in set(all_ids)]
        if unknown:
            raise ValueError(f"ids not in history_df: {unknown}")
    if not ids:
        raise ValueError("nothing to plot: history_df has no series")
    n = len(ids)
    ncols = ncols or min(4, n)
    nrows = math.ceil(n / ncols)
    figsize = figsize or (4.5 * ncols, 3.0 * nrows)
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    levels = [] if forecast_df is None else _interval_levels(forecast_df.columns, pred_col)
    unpaired = [f"{pred_col}-hi-{lv}" for lv in levels if f"{pred_col}-hi-{lv}" not in forecast_df.columns]
    if unpaired:
        raise ValueError(f"forecast_df has the lower bounds but not the upper bound column(s) {unpaired}")
    if forecast_df is not None:
        _warn_unmatched_ids(forecast_df[id_col], all_ids)
    hist_groups = dict(tuple(history_df.groupby(id_col, sort=False)))
    fc_groups = {} if forecast_df is None else dict(tuple(forecast_df.groupby(id_col, sort=False)))
    for k, uid in enumerate(ids):
        ax = axes[k // ncols][k % ncols]
        h = hist_groups[uid].sort_values(time_col)
        if max_history is not None:
            h = h.iloc[-max_history:]
        ax.plot(h[time_col], h[target_col], color="black", lw=1.0, label=target_col)
        f = fc_groups.get(uid)
        if f is not None:
            windows = f.groupby("cutoff", sort=True) if "cutoff" in f.columns else [(None, f)]
            for w, (cutoff, g) in enumerate(windows):
                g = g.sort_values(time_col)
                for j, lv in enumerate(levels):
                    ax.fill_between(g[time_col], g[f"{pred_col}-lo-{lv}"], g[f"{pred_col}-hi-{lv}"],
                                    color="C0", alpha=0.15 + 0.15 * j, lw=0,
                                    label=f"{lv}% interval" if w == 0 else None)
                ax.plot(g[time_col], g[pred_col], color="C0", lw=1.3, label=pred_col if w == 0 else None)
                if cutoff is not None:
                    ax.axvline(cutoff, color="gray", ls="--", lw=0.8, label="cutoff" if w == 0 else None)
        if pd.api.types.is_datetime64_any_dtype(h[time_col].dtype):  # short labels that do not overlap
            from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

            locator = AutoDateLocator(minticks=3, maxticks=6)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.set_title(str(uid), fontsize=10)
        ax.tick_params(labelsize=8)
        if k == 0:
            ax.legend(fontsize=7, loc="upper left")
    for k in range(n, nrows * ncols):
        fig.delaxes(axes[k // ncols][k % ncols])
    if title:
        fig.suptitle(title)
    return fig

