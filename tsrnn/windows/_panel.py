"""Validated panel of time series in one contiguous buffer (long format in, arrays out)."""

import datetime
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

FILL_POLICIES = (None, "ffill", "interpolate", "zero")
_MAX_LISTED = 5


def _fmt(v):
    """A timestamp as text: the date alone at midnight, else the full time."""
    if isinstance(v, (np.datetime64, pd.Timestamp)):
        t = pd.Timestamp(v)
        return str(t.date()) if t == t.normalize() else str(t)
    return str(v)


def _listing(items, max_items=_MAX_LISTED):
    items = [_fmt(i) for i in items]
    more = len(items) - max_items
    text = ", ".join(items[:max_items])
    return text + (f" and {more} more" if more > 0 else "")


@dataclass
class Panel:
    """Many series concatenated in one buffer, sorted by id then time.

    Attributes
    ----------
    ids : ndarray of shape (n_series,)
        Series identifiers, in buffer order (sorted).
    offsets : ndarray of int64 of shape (n_series + 1,)
        Series ``i`` occupies ``y[offsets[i]:offsets[i + 1]]``.
    y : ndarray of float64 of shape (n_obs,)
        Target values of all series, concatenated.
    X : ndarray of float64 of shape (n_obs, n_covariates) or None
        Covariates at each observation (aligned with ``y``).
    ds : ndarray of shape (n_obs,)
        Timestamps (datetime64[ns]) or integers.
    freqs : list of (pandas.DateOffset or int)
        Step between consecutive timestamps of each series.
    covariate_names : list of str
    id_col, time_col, target_col : str
        Column names of the input frame, reused for outputs.
    filled : ndarray of bool of shape (n_obs,) or None
        Observations that ``fill`` inserted at missing timestamps (they are no data:
        backtests report no actual value there); None when there are none.
    """

    ids: np.ndarray
    offsets: np.ndarray
    y: np.ndarray
    X: np.ndarray
    ds: np.ndarray
    freqs: list
    covariate_names: list = field(default_factory=list)
    id_col: str = "unique_id"
    time_col: str = "ds"
    target_col: str = "y"
    tz: object = None  # time zone of tz-aware input (see user_times)
    tz_wall: bool = False  # with tz: ds holds local wall times (calendar data), else UTC instants
    filled: np.ndarray = None  # bool per observation: inserted by build_panel's fill (None: none were)
    _future: dict = field(default_factory=dict, repr=False, compare=False)  # h -> future_timestamps(h)

    @property
    def n_series(self):
        return len(self.ids)

    @property
    def lengths(self):
        """Observations per series, ndarray of int64 of shape (n_series,)."""
        return np.diff(self.offsets)

    @property
    def is_datetime(self):
        return np.issubdtype(self.ds.dtype, np.datetime64)

    def series(self, i):
        """(ds, y) of series ``i`` as views into the buffer."""
        a, b = self.offsets[i], self.offsets[i + 1]
        return self.ds[a:b], self.y[a:b]

    def truncate(self, n_last):
        """A new panel without the last ``n_last`` observations of every series (copies)."""
        if n_last <= 0:
            return self
        lengths = self.lengths - n_last
        if (lengths <= 0).any():
            raise ValueError(f"cannot drop the last {n_last} observations: series {_listing(self.ids[lengths <= 0])} would be empty")
        keep = np.concatenate([np.arange(a, a + n) for a, n in zip(self.offsets[:-1], lengths)])
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return Panel(self.ids, offsets, self.y[keep], None if self.X is None else self.X[keep], self.ds[keep],
                     list(self.freqs), list(self.covariate_names), self.id_col, self.time_col, self.target_col,
                     self.tz, self.tz_wall, None if self.filled is None else self.filled[keep])

    def select(self, indices):
        """A new panel with the series at positions ``indices`` (in that order; copies)."""
        indices = np.asarray(indices, dtype=np.int64)
        lengths = self.lengths[indices]
        keep = np.concatenate([np.arange(self.offsets[i], self.offsets[i + 1]) for i in indices]) \
            if len(indices) else np.zeros(0, dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return Panel(self.ids[indices], offsets, self.y[keep], None if self.X is None else self.X[keep],
                     self.ds[keep], [self.freqs[i] for i in indices], list(self.covariate_names),
                     self.id_col, self.time_col, self.target_col, self.tz, self.tz_wall,
                     None if self.filled is None else self.filled[keep])

    def future_timestamps(self, h):
        """The ``h`` timestamps after every series' end: ndarray of shape (n_series * h,).

        Memoised per ``h`` (a panel is never modified): repeated ``predict()`` calls on
        the training series skip pandas' calendar arithmetic.
        """
        if h not in self._future:
            if len(self._future) > 8:
                self._future.clear()
            self._future[h] = future_timestamps_many(self.ds[self.offsets[1:] - 1], self.freqs, h)
            self._future[h].flags.writeable = False
        return self._future[h]

    def future_ds(self, i, h, start=None):
        """The ``h`` timestamps following series ``i`` (or following ``start``)."""
        ds, _ = self.series(i)
        last = ds[-1] if start is None else start
        return future_timestamps(last, self.freqs[i], h)

    def user_times(self, ds):
        """Timestamps of this panel's representation (e.g. ``ds``, forecast times) as the
        user gave them: back in their time zone when the input was tz-aware.

        Tz-aware input is held as naive UTC instants, or as naive local wall times when
        every timestamp falls at one local time of day (daily or longer steps: a day
        across a daylight-saving change is 23 or 25 hours in UTC but one step on the
        calendar)."""
        if self.tz is None or not np.issubdtype(np.asarray(ds).dtype, np.datetime64):
            return ds
        index = pd.DatetimeIndex(ds)
        if self.tz_wall:  # an hour that repeats is taken in standard time, one that is skipped moves on
            return index.tz_localize(self.tz, ambiguous=np.zeros(len(index), dtype=bool),
                                     nonexistent="shift_forward")
        return index.tz_localize("UTC").tz_convert(self.tz)

    def key_times(self, times):
        """A user's time column (Series) in this panel's representation, for joins."""
        if not self.is_datetime:
            return times.to_numpy().astype(np.int64)
        if isinstance(times, pd.Series):  # datetime.date / datetime objects, as fit takes them
            times = _as_times(times, times.name or self.time_col)
        aware = getattr(getattr(times, "dt", None), "tz", None) is not None
        if aware != (self.tz is not None):  # a naive time is no instant in a zone (nor the reverse)
            name = getattr(times, "name", None) or self.time_col
            raise ValueError(
                f"the times in column {name!r} are {'time-zone aware' if aware else 'naive'}, the series' times "
                + (f"are in time zone {self.tz}" if self.tz is not None else "are naive")
                + ": give both the same way (e.g. tz_localize or tz_convert them)")
        if aware:
            times = times.dt.tz_convert(self.tz).dt.tz_localize(None) if self.tz_wall else times.dt.tz_convert(None)
        return pd.to_datetime(times).to_numpy().astype("datetime64[ns]")

    def to_frame(self):
        """The panel as a long DataFrame (id, ds, y[, covariates])."""
        out = pd.DataFrame({
            self.id_col: np.repeat(self.ids, self.lengths),
            self.time_col: self.user_times(self.ds),
            self.target_col: self.y,
        })
        for k, name in enumerate(self.covariate_names):
            out[name] = self.X[:, k]
        return out


def future_timestamps(last, freq, h):
    """``h`` timestamps after ``last`` spaced by ``freq`` (a DateOffset or an int step)."""
    if isinstance(freq, (int, np.integer)):
        end = int(last) + int(freq) * int(h)  # Python ints: no silent int64 wrap-around
        if not np.iinfo(np.int64).min <= end <= np.iinfo(np.int64).max:
            raise ValueError(f"the {h} steps of {freq} after timestamp {int(last)} overflow 64-bit integer timestamps")
        return np.asarray(last) + freq * np.arange(1, h + 1, dtype=np.int64)
    past = (f"the {h} steps of {_freq_name(freq)} after {_fmt(last)} go past the last representable "
            f"timestamp ({pd.Timestamp.max}); forecast fewer steps")
    try:
        out = pd.date_range(pd.Timestamp(last), periods=h + 1, freq=freq)[1:].to_numpy()
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        raise ValueError(past) from None
    steps = np.diff(np.r_[np.datetime64(pd.Timestamp(last), "ns"), out.astype("datetime64[ns]")].view(np.int64))
    if h and (out.shape[0] != h or (steps <= 0).any()):  # pandas wraps around silently past year 2262
        raise ValueError(past)
    return out


def _fixed_step_ns(freq):
    """The step of ``freq`` in nanoseconds when it is a fixed duration (ticks, days), else None."""
    if isinstance(freq, (pd.offsets.Tick, pd.offsets.Day)):
        return int(pd.Timedelta(freq).value)
    return None


def _check_no_wrap(lasts, steps, h, limit):
    """ValueError when ``lasts + steps * h`` leaves int64 (numpy would wrap around silently)."""
    info = np.iinfo(np.int64)
    for last, step in ((int(np.max(lasts)), int(np.max(steps))), (int(np.min(lasts)), int(np.min(steps)))):
        if not info.min <= last + step * int(h) <= info.max:
            raise ValueError(f"forecasting {h} steps goes past {limit}; forecast fewer steps")


def future_timestamps_many(lasts, freqs, h):
    """``h`` timestamps after each of ``lasts`` (one freq per series): ndarray (n_series * h,).

    Vectorised for integer steps and fixed-duration frequencies; calendar offsets
    (months, weeks, business days) go through ``pd.date_range`` per series.
    """
    lasts = np.asarray(lasts)
    if len(lasts) == 0:
        return lasts[:0]
    steps = np.arange(1, h + 1, dtype=np.int64)
    if np.issubdtype(lasts.dtype, np.integer):
        _check_no_wrap(lasts, freqs, h, "64-bit integer timestamps")
        return (lasts[:, None] + np.asarray(freqs, dtype=np.int64)[:, None] * steps).ravel()
    fixed = [_fixed_step_ns(f) for f in freqs]
    if all(d is not None for d in fixed):
        base = lasts.astype("datetime64[ns]").view(np.int64)
        _check_no_wrap(base, fixed, h, f"the last representable timestamp ({pd.Timestamp.max})")
        return (base[:, None] + np.asarray(fixed, dtype=np.int64)[:, None] * steps).ravel().view("datetime64[ns]")
    return np.concatenate([future_timestamps(last, f, h) for last, f in zip(lasts, freqs)])


def _as_long(data, id_col, time_col, target_col):
    """Accept a long frame, or a Series / DataFrame with a DatetimeIndex (one series or wide)."""
    if isinstance(data, pd.Series):
        if not isinstance(data.index, (pd.DatetimeIndex, pd.RangeIndex)) and not pd.api.types.is_integer_dtype(data.index):
            raise TypeError("a pandas Series needs a DatetimeIndex (or an integer index) as its time axis")
        name = data.name if data.name is not None else "series_0"
        return pd.DataFrame({id_col: str(name), time_col: data.index.to_numpy(), target_col: data.to_numpy()})
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame or Series, got {type(data).__name__}")
    if isinstance(data.index, pd.DatetimeIndex) and time_col not in data.columns:
        if target_col in data.columns and id_col in data.columns:  # long, with the times as the index
            return data.reset_index(names=time_col)
        if target_col in data.columns:  # one series, the other columns are covariates
            out = data.reset_index(names=time_col)
            out.insert(0, id_col, "series_0")
            return out
        wide = data.reset_index(names=time_col)  # wide: one series per column
        long = wide.melt(id_vars=time_col, var_name=id_col, value_name=target_col)[[id_col, time_col, target_col]]
        return trim_wide_padding(long, id_col, time_col, target_col)
    return data


def trim_wide_padding(long, id_col, time_col, target_col):
    """Drop the NaN rows before each series' first value and after its last: a wide table
    pads series that start or end on other dates than the rest with NaN. NaN between a
    series' values stays (and is reported as missing data)."""
    long = long.sort_values([id_col, time_col], kind="stable")
    valid = long[target_col].notna()
    empty = ~valid.groupby(long[id_col], sort=False).any()
    if empty.any():
        raise ValueError(f"series {_listing(list(empty.index[empty]))} of the wide table have no values")
    started = valid.groupby(long[id_col], sort=False).cummax()
    not_ended = valid[::-1].groupby(long[id_col][::-1], sort=False).cummax()[::-1]
    return long[started & not_ended].reset_index(drop=True)


def _pd_infer_freq(index):
    """pd.infer_freq as a DateOffset (or None), whatever the pandas version returns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        freq = pd.infer_freq(index)
    if freq is None:
        return None
    return freq if isinstance(freq, pd.DateOffset) else pd.tseries.frequencies.to_offset(freq)


MIN_INFER = 3  # timestamps pandas needs to infer a calendar frequency


class FrequencyError(ValueError):
    """A series' frequency cannot be inferred (pass ``freq=``)."""


def _infer_freq(ds, uid):
    """Frequency of one series' sorted timestamps: a DateOffset, or an int step."""
    if np.issubdtype(ds.dtype, np.integer):
        if len(ds) < 2:
            raise ValueError(f"series {uid!r} has a single observation: its time step cannot be inferred")
        diffs = np.diff(ds)
        return int(diffs.min())
    index = pd.DatetimeIndex(ds)
    if len(index) >= MIN_INFER:
        freq = _pd_infer_freq(index)
        if freq is not None:
            return freq
        freq = _freq_despite_gaps(index)
        if freq is not None:
            return freq
    raise FrequencyError(
        f"cannot infer the frequency of series {uid!r} ({len(index)} timestamps); pass freq= explicitly"
    )


def _freq_despite_gaps(index):
    """The frequency of a series with gaps: candidates from short runs of its timestamps,
    then the one whose grid holds every timestamp and inserts the fewest steps.

    Runs of seven see a week (five business days alone read as daily, and filling that
    grid would invent every weekend); runs of five when gaps leave no clean run of seven.
    """
    found = {}
    for run in (7, 5):
        for s in range(0, max(1, len(index) - run + 1), max(1, (len(index) - run) // 50)):
            f = _pd_infer_freq(index[s : s + run]) if len(index[s : s + run]) >= MIN_INFER else None
            if f is not None:
                found[f.freqstr] = found.get(f.freqstr, 0) + 1
        if found:
            break
    if not found:  # a short series without a clean run: its smallest step, as days, weeks or a fixed step
        found[_fixed_step_name(index)] = 0
    best = None
    ds = index.to_numpy()
    for name, count in found.items():
        f = pd.tseries.frequencies.to_offset(name)
        if _grid_length(ds, f) > MAX_FILL_RATIO * len(ds):
            continue  # a step far finer than the series (a stray timestamp's): not its frequency
        grid = _expected_grid(ds, f)
        if not np.isin(ds, grid).all():
            continue
        rank = (len(grid), -count)  # fewest inserted steps, then the most common among the runs
        if best is None or rank < best[0]:
            best = (rank, f)
    if best is None and max(found.values()) > 0:  # no grid holds them all: the runs' most common frequency,
        return pd.tseries.frequencies.to_offset(max(found, key=found.get))  # whose check names the strays
    return None if best is None else best[1]


MAX_FILL_RATIO = 10  # a frequency whose grid is this many times longer than the series is not considered


def _grid_length(ds, freq):
    """Steps of ``freq`` from the first to the last timestamp (estimated for calendar offsets)."""
    span = (ds[-1] - ds[0]) / np.timedelta64(1, "ns")
    nanos = getattr(freq, "nanos", None) if isinstance(freq, pd.offsets.Tick) else None
    if nanos is None:  # months, business days, ...: at least a day a step
        nanos = 86_400 * 10**9
    return span / nanos + 1


_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def _fixed_step_name(index):
    """The series' smallest step as a frequency name: "3D", "2W-SUN", "15min", ..."""
    step = int(np.diff(index.asi8).min())
    if step % _DAY_NS == 0:
        days = step // _DAY_NS
        if days % 7 == 0:
            return f"{days // 7}W-{_WEEKDAYS[index[0].day_of_week]}"
        return f"{days}D"
    return pd.tseries.frequencies.to_offset(pd.Timedelta(step)).freqstr


def _expected_grid(ds, freq):
    if isinstance(freq, (int, np.integer)):
        return np.arange(ds[0], ds[-1] + 1, freq, dtype=ds.dtype)
    return pd.date_range(pd.Timestamp(ds[0]), pd.Timestamp(ds[-1]), freq=freq).to_numpy()


def build_panel(data, id_col="unique_id", time_col="ds", target_col="y", covariates=None,
                freq=None, fill=None, min_length=1, default_freq=None):
    """Validate a long frame and pack it into a :class:`Panel`.

    Parameters
    ----------
    data : DataFrame or Series
        Long format with columns ``id_col``, ``time_col``, ``target_col`` (and covariates),
        or a Series / DataFrame with a DatetimeIndex: a frame with a ``target_col`` column is
        one series whose other columns are covariates; otherwise each column is a series.
    id_col, time_col, target_col : str
        The time column holds datetimes (``datetime.date`` objects too) or integers;
        periods are refused (convert them with ``.dt.to_timestamp()``).
    covariates : list of str, "auto" or None
        Covariate columns (numeric, observed at every step; boolean columns read as
        0/1). "auto": every other numeric (not boolean) column.
        None: none.
    freq : str, DateOffset, int or None
        Step between timestamps; inferred per series when None.
    fill : {None, "ffill", "interpolate", "zero"}
        What to do with missing timestamps (gaps): None raises an error; the others
        insert the missing steps and fill ``y`` (and covariates) accordingly.
    min_length : int
        Series shorter than this raise an error naming them.
    default_freq : DateOffset, int or None
        Frequency of series too short to infer theirs (fewer than 3 timestamps) when no
        other series of the frame shows one (a fitted model passes its own).

    Returns
    -------
    Panel
    """
    if fill not in FILL_POLICIES:
        raise ValueError(f"fill={fill!r} is not supported; choose one of {list(FILL_POLICIES)}")
    if len({id_col, time_col, target_col}) < 3:
        raise ValueError(f"id_col, time_col and target_col must be three different columns, got {id_col!r}, "
                         f"{time_col!r} and {target_col!r}")
    df = _as_long(data, id_col, time_col, target_col)
    missing = [c for c in (id_col, time_col, target_col) if c not in df.columns]
    if missing:
        raise ValueError(
            f"missing required column(s) {missing}; the frame has {list(df.columns)}. "
            f"Pass id_col/time_col/target_col to name yours."
        )
    auto = isinstance(covariates, str) and covariates == "auto"
    if auto:  # numeric columns only: ids, names, flags stay out
        covariates = [c for c in df.columns if c not in (id_col, time_col, target_col)
                      and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    if isinstance(covariates, str):
        raise ValueError(f"covariates must be 'auto' or a list of column names, got {covariates!r} "
                         f"(a single column: [{covariates!r}])")
    covariates = list(covariates or [])
    if target_col in covariates or id_col in covariates or time_col in covariates:
        raise ValueError(f"covariates {covariates} must not include the id, time or target column")
    absent = [c for c in covariates if c not in df.columns]
    if absent:
        raise ValueError(f"covariate column(s) {absent} are not in the frame (columns: {list(df.columns)})")
    used = [id_col, time_col, target_col] + covariates
    # ("auto" would read a numeric column named twice: df[name] is then a frame, not numeric)
    twice = [c for c in dict.fromkeys(df.columns[df.columns.duplicated()]) if c in used or auto]
    if twice:  # df[name] would be a frame of both
        raise ValueError(f"column name(s) {twice} appear more than once in the frame; rename or drop the copies")
    if len(df) == 0:
        raise ValueError("the frame has no rows")
    if not (pd.api.types.is_numeric_dtype(df[target_col]) and not pd.api.types.is_bool_dtype(df[target_col])):
        raise TypeError(f"column {target_col!r} must be numeric, got dtype {df[target_col].dtype}")
    for col in covariates:  # flags (bool, or nullable boolean: <NA> is reported as missing below) read as 0/1
        if not pd.api.types.is_numeric_dtype(df[col]):
            raise TypeError(f"column {col!r} must be numeric or boolean, got dtype {df[col].dtype}")
    t = _as_times(df[time_col], time_col)
    missing_t = t.isna().to_numpy()  # NaT, or <NA> of a nullable integer column
    tz, tz_wall = None, False
    if pd.api.types.is_datetime64_any_dtype(t):
        tz = getattr(t.dt, "tz", None)
        if tz is not None:  # naive wall times or UTC instants (outputs go back to tz: Panel.user_times)
            wall = t.dt.tz_localize(None)
            tz_wall = (wall - wall.dt.normalize()).nunique() == 1
            t = wall if tz_wall else t.dt.tz_convert(None)
        times = _as_ns(t.to_numpy(), time_col)
    elif pd.api.types.is_integer_dtype(t):
        times = t.to_numpy(dtype=np.int64, na_value=0)  # missing ones are reported below
    else:
        text = t.dtype == object or pd.api.types.is_string_dtype(t)
        hint = f"; convert it with pd.to_datetime(df[{time_col!r}])" if text else ""
        raise TypeError(f"column {time_col!r} must hold datetimes or integers, got dtype {t.dtype}{hint}")
    if df[id_col].isna().any():
        raise ValueError(f"column {id_col!r} contains missing ids")

    codes, uniques = _factorize_ids(df[id_col])
    vals = np.empty((len(df), 1 + len(covariates)))
    vals[:, 0] = df[target_col].to_numpy(dtype=np.float64)
    for k, c in enumerate(covariates):
        vals[:, 1 + k] = df[c].to_numpy(dtype=np.float64)
    if missing_t.any():
        bad = pd.unique(uniques[codes[missing_t]])
        raise ValueError(f"column {time_col!r} has missing timestamps in series {_listing([repr(v) for v in bad])}")
    # sort by (series, time) on integer codes: much faster than sorting a frame of strings
    order = np.lexsort((times.view(np.int64), codes))
    codes, times, vals = codes[order], times[order], vals[order]
    dup = np.flatnonzero((codes[1:] == codes[:-1]) & (times[1:] == times[:-1]))
    if dup.size:
        pairs = list(dict.fromkeys(f"{uniques[codes[r]]!r} at {_fmt(times[r])}" for r in dup))
        raise ValueError(f"duplicate timestamps: series {_listing(pairs)} (aggregate them first)")
    bad = ~np.isfinite(vals)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        cols = [target_col] + covariates
        bad_cols = [cols[j] for j in np.flatnonzero(bad.any(axis=0))]
        where = {}
        for r in rows:
            where.setdefault(uniques[codes[r]], []).append(times[r])
        text = "; ".join(f"series {uid!r} at {_listing(ts, 3)}" for uid, ts in list(where.items())[:_MAX_LISTED])
        raise ValueError(f"NaN or infinite values in {bad_cols}: {text}" + (
            f" (and {len(where) - _MAX_LISTED} more series)" if len(where) > _MAX_LISTED else "")
            + "; drop or impute them (fill= fills missing timestamps only)")

    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    ids = uniques[codes[starts]]
    t_all = times
    user_freq = None
    if freq is not None:
        if np.issubdtype(t_all.dtype, np.integer):
            if not isinstance(freq, (int, np.integer)) or freq <= 0:
                raise ValueError(f"integer timestamps need an integer freq > 0, got {freq!r}")
            user_freq = int(freq)
        else:
            try:
                user_freq = pd.tseries.frequencies.to_offset(freq)
            except (ValueError, TypeError):
                raise ValueError(f"freq={freq!r} is not a pandas frequency (e.g. 'D', 'MS', 'h', '15min')") from None

    step_min, step_max = _step_range(t_all, starts, ends)
    is_int = np.issubdtype(t_all.dtype, np.integer)
    memo = {}  # (step, weekday) -> frequency inferred once for all regular series with that step

    ys, xs, dss, freqs, gaps = [], [], [], [], []
    inserted = {}  # series -> bool mask of the observations fill inserted

    def on_grid(i, uid, ds, y, f):
        try:
            given = ds
            ds, y = _on_grid(ds, y, f, uid, fill, gaps)
            if len(ds) != len(given):
                inserted[i] = ~np.isin(ds, given)
            return ds, y
        except ValueError as exc:
            if tz is None or tz_wall:
                raise
            raise ValueError(f"{exc} (timestamps compared in UTC: the {time_col!r} column is in time zone "
                             f"{tz} and its times of day differ, so daylight-saving changes make steps "
                             "uneven; for calendar data pass one time of day, or local times: "
                             f"df[{time_col!r}].dt.tz_localize(None))") from None

    for i, (uid, a, b) in enumerate(zip(ids, starts, ends)):
        ds = t_all[a:b]
        y = vals[a:b]
        key = None if user_freq is not None or b - a < 3 or step_min[i] != step_max[i] else \
            _regular_key(int(step_min[i]), ds[0], is_int)
        if key is not None:  # evenly spaced: no gaps, nothing off the grid
            if key not in memo:
                memo[key] = _infer_freq(ds, uid)
            f = memo[key]
        else:
            f = user_freq if user_freq is not None else (
                _infer_freq(ds, uid) if b - a >= (2 if is_int else MIN_INFER) else None)
            if f is not None and b - a >= 2:
                ds, y = on_grid(i, uid, ds, y, f)
        ys.append(y[:, 0])
        xs.append(y[:, 1:])
        dss.append(ds)
        freqs.append(f)
    # series too short to show their frequency take the frame's (or the caller's) and are checked against it
    known = [f for f in freqs if f is not None]
    fallback = known[0] if known else default_freq
    for i in [i for i, f in enumerate(freqs) if f is None]:
        if fallback is None:
            if len(dss[i]) < 2:
                continue  # a single observation needs no frequency until something forecasts it
            _check_lengths(ids, np.array([len(v) for v in ys]), min_length)
            short = [repr(v) for v, f, d in zip(ids, freqs, dss) if f is None and len(d) >= 2]
            raise FrequencyError(f"cannot infer the frequency of series {_listing(short)}: no series has the "
                                 f"{MIN_INFER} timestamps that show one; pass freq= explicitly")
        freqs[i] = fallback
        if len(dss[i]) >= 2:
            ds, y = on_grid(i, ids[i], dss[i], np.column_stack([ys[i], xs[i]]), fallback)
            ys[i], xs[i], dss[i] = y[:, 0], y[:, 1:], ds
    if gaps:
        raise ValueError(
            "irregular time steps (gaps) in series " + "; ".join(gaps[:_MAX_LISTED])
            + (f" and {len(gaps) - _MAX_LISTED} more" if len(gaps) > _MAX_LISTED else "")
            + ". Pass fill='ffill', 'interpolate' or 'zero' to fill them."
        )
    lengths = np.array([len(v) for v in ys], dtype=np.int64)
    _check_lengths(ids, lengths, min_length)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    X = np.ascontiguousarray(np.concatenate(xs)) if covariates else None
    filled = None
    if inserted:
        filled = np.concatenate([inserted.get(i, np.zeros(n, dtype=bool)) for i, n in enumerate(lengths)])
    return Panel(ids=ids, offsets=offsets, y=np.ascontiguousarray(np.concatenate(ys)), X=X,
                 ds=np.concatenate(dss), freqs=freqs, covariate_names=covariates,
                 id_col=id_col, time_col=time_col, target_col=target_col, tz=tz, tz_wall=tz_wall, filled=filled)


_DAY_NS = 86_400 * 10**9


def _check_lengths(ids, lengths, min_length):
    short = lengths < min_length
    if short.any():
        raise ValueError(
            f"{int(short.sum())} series are shorter than the {min_length} observations needed: "
            + _listing([f"{i!r} ({n})" for i, n in zip(ids[short].tolist(), lengths[short])])
        )


def _step_range(t_all, starts, ends):
    """Smallest and largest step between consecutive timestamps of each series (0 for one observation)."""
    t = t_all.view(np.int64) if not np.issubdtype(t_all.dtype, np.integer) else t_all.astype(np.int64)
    n = len(t)
    lo = np.full(n, np.iinfo(np.int64).max)
    hi = np.full(n, np.iinfo(np.int64).min)
    if n > 1:
        d = np.diff(t)
        lo[:-1] = d
        hi[:-1] = d
    lo[ends - 1] = np.iinfo(np.int64).max  # no step after a series' last observation
    hi[ends - 1] = np.iinfo(np.int64).min
    return np.minimum.reduceat(lo, starts), np.maximum.reduceat(hi, starts)


def _regular_key(step, first, is_int):
    """Memo key of an evenly spaced series whose frequency depends on its step alone
    (plus the weekday for whole weeks), or None when the calendar matters (months, years)."""
    if step <= 0:
        return None
    if is_int:
        return ("int", step)
    if step < _DAY_NS:
        return ("tick", step) if _DAY_NS % step == 0 else None
    if step % (7 * _DAY_NS) == 0:
        return ("week", step, int(pd.Timestamp(first).day_of_week))
    return ("day", step) if step % _DAY_NS == 0 and step < 7 * _DAY_NS else None


def _on_grid(ds, y, freq, uid, fill, gaps):
    """Check one series' timestamps against its frequency; fill gaps (or record them in ``gaps``)."""
    grid = _expected_grid(ds, freq)
    on_grid = np.isin(ds, grid)
    if not on_grid.all():
        raise ValueError(
            f"series {uid!r} has timestamps off its frequency {_freq_name(freq)}: "
            f"{_listing(ds[~on_grid], 3)}; pass freq= or resample the series"
        )
    if len(grid) == len(ds):
        return ds, y
    if fill is None:
        lost = np.setdiff1d(grid, ds)
        gaps.append(f"{uid!r} (frequency {_freq_name(freq)}, missing {_listing(lost, 3)})")
        return ds, y
    frame = pd.DataFrame(y, index=ds).reindex(grid)
    if fill == "ffill":
        frame = frame.ffill()
    elif fill == "interpolate":
        frame = frame.interpolate(method="linear")
    else:
        frame = frame.fillna(0.0)
    return grid, frame.to_numpy()


def _as_times(t, time_col):
    """The time column, with Python ``datetime.date`` / ``datetime.datetime`` objects (an
    object column, as SQL drivers and Parquet date columns give them) converted to datetimes.

    Periods are refused with a hint: converted, the forecasts' times would come back as
    timestamps that no longer join with the user's period columns.
    """
    if isinstance(t.dtype, pd.PeriodDtype):
        raise TypeError(f"column {time_col!r} holds periods (dtype {t.dtype}); convert them to timestamps, "
                        f"e.g. df[{time_col!r}] = df[{time_col!r}].dt.to_timestamp()")
    if t.dtype != object:
        return t
    values = t.dropna()
    if len(values) and all(isinstance(v, datetime.date) for v in values):
        try:
            return pd.to_datetime(t)
        except (ValueError, TypeError) as exc:  # e.g. time zones that differ from row to row
            raise TypeError(f"column {time_col!r} holds datetime objects pandas cannot convert ({exc}); convert "
                            f"them with pd.to_datetime(df[{time_col!r}], utc=True) or give one time zone") from None
    return t


# whole days safely inside what datetime64[ns] holds (1677-09-21 00:12 .. 2262-04-11 23:47)
_NS_DAYS = (np.datetime64("1677-09-22", "D"), np.datetime64("2262-04-10", "D"))


def _as_ns(values, time_col):
    """Datetimes as datetime64[ns]; ones nanoseconds cannot hold (before 1677, after 2262) are an error."""
    valid = values[~np.isnat(values)]
    if valid.size and values.dtype != np.dtype("datetime64[ns]"):
        lo, hi = valid.min(), valid.max()
        # compare in days: converting to a finer unit is what overflows
        if lo.astype("datetime64[D]") < _NS_DAYS[0] or hi.astype("datetime64[D]") > _NS_DAYS[1]:
            raise ValueError(f"column {time_col!r} has timestamps outside 1677-09-22 .. 2262-04-10 ({lo} .. {hi}), "
                             "which nanosecond timestamps cannot hold; use integer time steps instead")
    return values.astype("datetime64[ns]")


def _factorize_ids(ids):
    """Integer codes of ``ids`` in sorted id order, and the ids: (ndarray of int64, ndarray)."""
    try:
        codes, uniques = pd.factorize(ids, sort=True)
    except TypeError:  # ids of mixed types cannot be sorted: keep their order of appearance
        codes, uniques = pd.factorize(ids, sort=False)
    uniques = np.asarray(uniques.to_numpy() if hasattr(uniques, "to_numpy") else uniques)
    if uniques.dtype.kind in "USTO" or uniques.dtype == object:
        uniques = uniques.astype(object)
    return codes.astype(np.int64), uniques


def _freq_name(f):
    return str(f) if isinstance(f, (int, np.integer)) else f.freqstr
