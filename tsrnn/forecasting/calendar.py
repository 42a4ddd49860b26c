"""Calendar features from timestamps: known in advance, so usable as future covariates."""

import numpy as np
import pandas as pd

# feature -> (value from a DatetimeIndex, period of the cycle; None: from the timestamps)
CALENDAR_FEATURES = {
    "minute": (lambda t: t.minute, 60),
    "hour": (lambda t: t.hour, 24),
    "dayofweek": (lambda t: t.day_of_week, 7),
    "day": (lambda t: t.day - 1, None),  # period: days in that month
    "dayofyear": (lambda t: t.day_of_year - 1, None),  # period: days in that year
    "weekofyear": (lambda t: t.isocalendar().week.to_numpy() - 1, 53),
    "month": (lambda t: t.month - 1, 12),
    "quarter": (lambda t: t.quarter - 1, 4),
}


def _periods(name, t):
    if name == "day":
        return np.asarray(t.days_in_month, dtype=np.float64)
    return np.where(np.asarray(t.is_leap_year), 366.0, 365.0)


def calendar_features(df, features=("month", "dayofweek"), time_col="ds", encoding="cyclic"):
    """Add calendar features of ``time_col`` to a frame (a copy).

    Parameters
    ----------
    df : DataFrame
        With a datetime ``time_col`` (e.g. the training frame, or the frame from
        :meth:`RNNForecaster.make_future_frame`).
    features : sequence of str, default=("month", "dayofweek")
        Any of ``minute, hour, dayofweek, day, dayofyear, weekofyear, month, quarter``.
    time_col : str, default="ds"
    encoding : {"cyclic", "ordinal"}, default="cyclic"
        "cyclic": two columns per feature, ``{name}_sin`` and ``{name}_cos`` of the
        position in its cycle (December is next to January). "ordinal": one column
        ``{name}`` scaled to [-0.5, 0.5].

    Returns
    -------
    DataFrame
        ``df`` plus the feature columns (float64).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=3, freq="MS")})
    >>> list(calendar_features(df, ["month"]).columns)
    ['ds', 'month_sin', 'month_cos']
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"calendar_features needs a DataFrame; got {type(df).__name__}")
    if time_col not in df.columns:
        raise ValueError(f"column {time_col!r} not found; the frame has {list(df.columns)}")
    if not pd.api.types.is_datetime64_any_dtype(df[time_col]):
        raise TypeError(f"calendar features need datetime timestamps; column {time_col!r} has dtype "
                        f"{df[time_col].dtype}")
    if isinstance(features, str):
        features = [features]
    unknown = [f for f in features if f not in CALENDAR_FEATURES]
    if unknown:
        raise ValueError(f"unknown calendar feature(s) {unknown}; choose from {list(CALENDAR_FEATURES)}")
    if encoding not in ("cyclic", "ordinal"):
        raise ValueError(f"encoding={encoding!r} is not supported; choose 'cyclic' or 'ordinal'")
    taken = [c for c in calendar_feature_names(features, encoding) if c in df.columns]
    if taken:
        raise ValueError(f"the frame already has column(s) {taken}, which calendar_features would overwrite; "
                         "drop or rename them")
    t = pd.DatetimeIndex(df[time_col])
    out = df.copy()
    for name in features:
        value_of, period = CALENDAR_FEATURES[name]
        value = np.asarray(value_of(t), dtype=np.float64)
        period = _periods(name, t) if period is None else float(period)
        phase = value / period
        if encoding == "cyclic":
            out[f"{name}_sin"] = np.sin(2 * np.pi * phase)
            out[f"{name}_cos"] = np.cos(2 * np.pi * phase)
        else:
            out[name] = phase - 0.5
    return out


def calendar_feature_names(features=("month", "dayofweek"), encoding="cyclic"):
    """Column names :func:`calendar_features` adds, in order."""
    if isinstance(features, str):
        features = [features]
    if encoding == "cyclic":
        return [f"{name}_{part}" for name in features for part in ("sin", "cos")]
    return list(features)


def __getattr__(name):
    # CalendarFeatures subclasses scikit-learn's classes: loaded on first use only.
    if name == "CalendarFeatures":
        from ._calendar_transformer import CalendarFeatures

        return CalendarFeatures
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
