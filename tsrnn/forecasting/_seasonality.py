"""Season length from a series' frequency, and a test of how seasonal a series is."""

import numpy as np
import pandas as pd

# The usual frequencies (pandas offset name prefixes): their seasonal period, the cycle a
# forecaster of such data looks for first (a year of months or quarters, a week of days,
# a day of hours), and the calendar feature that tells where in it a step lies (None:
# no calendar feature has that period).
_SEASONS = {
    **dict.fromkeys(("QS", "QE", "Q", "BQS", "BQE", "BQ"), (4, "quarter")),
    **dict.fromkeys(("MS", "ME", "M", "BMS", "BME", "BM"), (12, "month")),
    **dict.fromkeys(("SMS", "SME"), (24, None)),
    "W": (52, "weekofyear"), "D": (7, "dayofweek"), "B": (5, "dayofweek"), "h": (24, "hour"), "H": (24, "hour"),
}
SEASONAL_STRENGTH_THRESHOLD = 0.64  # as forecast::nsdiffs (Wang, Smith & Hyndman 2006)


def season_length(freq):
    """Seasonal period of a frequency: 12 for months, 4 for quarters, 7 for days, ...

    Parameters
    ----------
    freq : DateOffset, str or int
        A pandas frequency, or the integer step of integer timestamps.

    Returns
    -------
    int
        1 when the frequency has no usual season (years, minutes, integer steps,
        multiples such as "2D").
    """
    if freq is None or isinstance(freq, (int, np.integer)):
        return 1
    offset = pd.tseries.frequencies.to_offset(freq)
    if getattr(offset, "n", 1) != 1:
        return 1
    name = offset.rule_code.split("-")[0]
    return _SEASONS.get(name, (1, None))[0]


def season_feature(freq):
    """The calendar feature (see :func:`tsrnn.forecasting.calendar_features`) of the
    position of a step in the season of :func:`season_length`: "month" for monthly
    data, "quarter", "weekofyear", "dayofweek" (daily and business-daily) or "hour".

    Parameters
    ----------
    freq : DateOffset, str or int

    Returns
    -------
    str or None
        None where :func:`season_length` is 1 or no calendar feature has that period
        (semi-monthly data).
    """
    if season_length(freq) == 1:
        return None
    name = pd.tseries.frequencies.to_offset(freq).rule_code.split("-")[0]
    return _SEASONS.get(name, (1, None))[1]


def seasonal_strength(y, m):
    """Strength of the seasonality of period ``m`` in ``y``, in [0, 1].

    ``max(0, 1 - Var(R) / Var(S + R))`` of a classical additive decomposition (centred
    moving-average trend, seasonal means S, remainder R), as Wang, Smith & Hyndman
    (2006) define it; above :data:`SEASONAL_STRENGTH_THRESHOLD` a series counts as
    seasonal.

    Parameters
    ----------
    y : ndarray of shape (n,)
    m : int
        Season length; series shorter than three seasons, or ``m < 2``, score 0.

    Returns
    -------
    float
    """
    y = np.asarray(y, dtype=np.float64)
    if m < 2 or y.size < 3 * m:
        return 0.0
    largest = np.abs(y).max()
    if np.isfinite(largest) and largest > 0:  # a ratio of variances: scale-free, and no overflow beyond ~1e154
        y = y / np.ldexp(1.0, np.frexp(largest)[1])
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.convolve(y, weights, mode="valid")
    first = (weights.size - 1) // 2  # the position of the first trend value
    detrended = y[first:first + trend.size] - trend
    position = (np.arange(detrended.size) + first) % m
    means = np.bincount(position, weights=detrended, minlength=m) / np.bincount(position, minlength=m)
    seasonal = (means - means.mean())[position]
    total = detrended.var()
    if not total > 0:
        return 0.0
    return float(max(0.0, 1.0 - (detrended - seasonal).var() / total))
