"""RNNForecaster fit / predict / cross_validation on generated long frames: duplicate and
unsorted timestamps, gaps, mixed frequencies, unicode and mixed-type ids, NaN/inf, huge
values, wrong column types, one-row series. Every case works (finite forecasts, one row
per series and step) or raises a clean ValueError / TypeError naming the problem."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardening._support import HARDENING, assert_clean_message, assert_finite
from tsrnn import RNNForecaster, TrainingDivergedError

import collections
ERRORS = collections.Counter()
IDS = ["a", "é", "日本", "series 1", "", " ", "a,b", "x\ty", "Ω", "😀", "0", "None"]
FREQS = ["D", "MS", "h", "W-SUN", "QS-JAN"]


@st.composite
def frames(draw):
    hostile = draw(st.integers(0, 2)) == 0  # a third of the frames are hostile
    n_series = draw(st.integers(1, 3))
    ids = draw(st.lists(st.sampled_from(IDS), min_size=n_series, max_size=n_series, unique=True))
    if hostile and draw(st.integers(0, 4)) == 0:
        ids = [ids[0], 7, 3.5][:n_series]  # mixed id types
    integer_time = draw(st.booleans())
    parts = []
    for uid in ids:
        n = draw(st.integers(1, 4) if hostile and draw(st.booleans()) else st.integers(8, 20))
        if integer_time:
            step = draw(st.sampled_from([1, 1, 2, 7]))
            start = draw(st.one_of(st.integers(-10**6, 10**6), st.sampled_from([2**63 - 60, -2**63])))
            ds = start + step * np.arange(n, dtype=np.int64)
        else:
            freq = draw(st.sampled_from(FREQS if hostile else FREQS[:2]))
            start = draw(st.sampled_from(["2000-01-01", "1999-12-31", "2020-02-29", "2262-03-25", "1677-09-22"]))
            ds = pd.date_range(start, periods=n, freq=freq)
        level = draw(st.sampled_from([0.0, 1.0, 1e3, -50.0] + ([1e30, 1e200, 1e300, -1e300] if draw(st.integers(0, 3)) == 0 else [])))
        y = level + np.asarray(draw(st.lists(st.floats(-10, 10), min_size=n, max_size=n)))
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y}))
    df = pd.concat(parts, ignore_index=True)
    if hostile:
        faults = draw(st.sets(st.sampled_from(
            ["duplicate", "shuffle", "gap", "nan", "inf", "strings", "object-y", "bool-y", "tz", "string-ds",
             "float-ds", "missing-col", "nan-id", "one-row", "constant"]), min_size=1, max_size=3))
        rng = np.random.default_rng(draw(st.integers(0, 2**16)))
        if "duplicate" in faults:
            df = pd.concat([df, df.iloc[[len(df) // 2]]], ignore_index=True)
        if "shuffle" in faults:
            df = df.iloc[rng.permutation(len(df))].reset_index(drop=True)
        if "gap" in faults and len(df) > 3:
            df = df.drop(index=len(df) // 2).reset_index(drop=True)
        if "nan" in faults:
            df.loc[rng.integers(len(df)), "y"] = np.nan
        if "inf" in faults:
            df.loc[rng.integers(len(df)), "y"] = -np.inf
        if "strings" in faults:
            df["y"] = df["y"].astype(str)
        if "object-y" in faults:
            df["y"] = df["y"].astype(object)
            df.loc[0, "y"] = "n/a"
        if "bool-y" in faults and df["y"].dtype.kind == "f":
            df["y"] = df["y"] > 0
        if "tz" in faults and not integer_time:
            df["ds"] = pd.to_datetime(df["ds"]).dt.tz_localize("Europe/Paris", ambiguous="NaT", nonexistent="NaT")
        if "string-ds" in faults:
            df["ds"] = df["ds"].astype(str)
        if "float-ds" in faults and integer_time:
            df["ds"] = df["ds"].astype(float) + 0.5
        if "missing-col" in faults:
            df = df.drop(columns=[draw(st.sampled_from(["unique_id", "ds", "y"]))])
        if "nan-id" in faults and "unique_id" in df:
            df["unique_id"] = df["unique_id"].astype(object)
            df.loc[0, "unique_id"] = None
        if "one-row" in faults:
            df = df.iloc[:1]
        if "constant" in faults and "y" in df and df["y"].dtype.kind == "f":
            df["y"] = 5.0
    return df


@st.composite
def forecasters(draw):
    return RNNForecaster(
        horizon=draw(st.integers(1, 3)),
        input_size=draw(st.sampled_from([None, 1, 3, 5])),
        cell=draw(st.sampled_from(["gru", "rnn", "lstm"])),
        hidden_size=2,
        strategy=draw(st.sampled_from(["direct", "recursive", "encoder_decoder"])),
        scaler=draw(st.sampled_from(["robust", "standard", "minmax", "series", None])),
        quantile_levels=draw(st.sampled_from([None, None, None, [80]])),
        target_transform=draw(st.sampled_from([None, None, "log1p", "log"])),
        differences=draw(st.sampled_from(["auto", "auto", None, 1, [1, 2]])),
        level_features=draw(st.booleans()),
        max_steps=3,
        random_state=0,
    )


def _quietly(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _check_forecast(out, n_series, h):
    assert len(out) == n_series * h
    assert_finite(out["yhat"], "forecasts")
    for col in out.columns:
        if col.startswith("yhat-"):
            assert_finite(out[col], col)


@HARDENING
@given(df=frames(), model=forecasters(), d=st.data())
def test_fit_predict_cross_validation(df, model, d, cases):
    cases["RNNForecaster fit/predict/cv"] += 1
    try:
        _quietly(model.fit, df)
    except TrainingDivergedError:
        pytest.fail("a tiny forecaster diverged on generated data")
    except (ValueError, TypeError) as exc:
        assert_clean_message(exc)
        ERRORS[str(exc)[:90]] += 1
        return
    cases["RNNForecaster fit/predict/cv (fitted)"] += 1
    n = model.panel_.n_series
    h = d.draw(st.integers(1, 2 * model.horizon))
    try:
        _check_forecast(_quietly(model.predict, h), n, h)
        _check_forecast(_quietly(model.predict, df=df), n, model.horizon)
    except ValueError as exc:  # series that end at the edge of representable timestamps
        assert_clean_message(exc)
        assert re.search("past the last representable|64-bit integer", str(exc)), exc
        return
    try:
        cv = _quietly(model.cross_validation, df, n_windows=d.draw(st.integers(1, 2)))
    except (ValueError, TypeError) as exc:  # series too short for the backtest windows
        assert_clean_message(exc)
        return
    assert_finite(cv["yhat"], "backtest forecasts")


@HARDENING
@given(df=frames(), h=st.one_of(st.integers(-2, 4), st.sampled_from([2**40, 10**18, 1.5, "3", None, True])),
       level=st.one_of(st.none(), st.sampled_from([80, [50, 95], 0, 100, 150, -5, float("nan"), "80", [80, 80]])))
def test_predict_arguments_and_new_frames(fitted_forecaster, df, h, level, cases):
    """predict(h, df, level) on a fitted model: new (hostile) frames and arguments."""
    cases["RNNForecaster.predict hostile arguments"] += 1
    try:
        out = _quietly(fitted_forecaster.predict, h=h, df=df, level=level)
    except (ValueError, TypeError) as exc:
        assert_clean_message(exc)
        return
    _check_forecast(out, out["unique_id"].nunique(), h or fitted_forecaster.horizon)


@pytest.fixture(scope="module")
def fitted_forecaster():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 40),
                       "ds": np.tile(pd.date_range("2000-01-01", periods=40, freq="D"), 2),
                       "y": rng.normal(size=80).cumsum() + 10})
    model = RNNForecaster(horizon=2, input_size=4, cell="gru", hidden_size=2, max_steps=5, random_state=0)
    model.fit(df)
    model.predict(level=80)  # calibrate once
    return model


@HARDENING
@given(n_windows=st.one_of(st.integers(-1, 4), st.sampled_from([10**12, 2.0, "2", None])),
       step_size=st.one_of(st.none(), st.integers(-1, 5), st.sampled_from([10**15, 1.5])),
       refit=st.booleans(), level=st.sampled_from([None, 80, [50, 90], 120]))
def test_cross_validation_arguments(fitted_forecaster, n_windows, step_size, refit, level, cases):
    cases["RNNForecaster.cross_validation hostile arguments"] += 1
    df = fitted_forecaster.panel_.to_frame()
    before = fitted_forecaster.models_[0].network_.flat_params.copy()
    try:
        cv = _quietly(fitted_forecaster.cross_validation, df, n_windows=n_windows, step_size=step_size,
                      refit=refit, level=level)
    except (ValueError, TypeError) as exc:
        assert_clean_message(exc)
    else:
        assert len(cv) == 2 * n_windows * fitted_forecaster.horizon
        assert_finite(cv["yhat"], "backtest forecasts")
    assert np.array_equal(before, fitted_forecaster.models_[0].network_.flat_params)  # never changed
