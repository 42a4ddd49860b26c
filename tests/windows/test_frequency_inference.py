"""Frequencies of series with gaps or very few timestamps, and missing integer timestamps."""

import numpy as np
import pandas as pd
import pytest

from tsrnn import RNNForecaster
from tsrnn.windows import build_panel, make_windows


def frame(ds, uid="a"):
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.arange(len(ds), dtype=float)})


@pytest.mark.parametrize("holiday", [3, 100, 250])
def test_business_days_with_a_holiday_stay_business_days(holiday):
    """Runs of five business days read as daily: filling that grid invented every weekend."""
    days = pd.bdate_range("2024-01-01", periods=255)
    df = frame(days).drop(index=[holiday])
    panel = build_panel(df, fill="ffill")
    assert panel.freqs[0] == pd.offsets.BDay()
    assert len(panel.y) == 255 and panel.filled.sum() == 1
    with pytest.raises(ValueError, match=f"missing {days[holiday].date()}"):
        build_panel(df)


@pytest.mark.parametrize("freq, expected", [("D", pd.offsets.Day()), ("15min", pd.offsets.Minute(15)),
                                            ("W-WED", pd.offsets.Week(weekday=2)), ("3D", pd.offsets.Day(3))])
def test_a_short_series_with_a_gap_takes_its_smallest_step(freq, expected):
    df = frame(pd.date_range("2000-01-05", periods=6, freq=freq)).drop(index=[2])
    panel = build_panel(df, fill="zero")
    assert panel.freqs[0] == expected and len(panel.y) == 6


def test_two_timestamps_take_the_frequency_of_the_other_series():
    df = pd.concat([frame(pd.date_range("2020-01-01", periods=10)), frame(pd.date_range("2020-01-01", periods=2), "z")])
    panel = build_panel(df)
    assert panel.freqs == [pd.offsets.Day()] * 2
    assert make_windows(df, 1, 1) is not None
    with pytest.raises(ValueError, match=r"shorter than the 5 observations needed: 'z' \(2\)"):
        build_panel(df, min_length=5)
    odd = pd.concat([frame(pd.date_range("2020-01-01", periods=10)),
                     frame([pd.Timestamp("2020-01-01"), pd.Timestamp("2020-01-01 12:00")], "z")])
    with pytest.raises(ValueError, match=r"series 'z' has timestamps off its frequency D: 2020-01-01 12:00"):
        build_panel(odd)  # checked against the frequency it takes
    with pytest.raises(ValueError, match=r"cannot infer the frequency of series 'z': no series has the 3 "
                                         r"timestamps that show one; pass freq="):
        build_panel(frame(pd.date_range("2020-01-01", periods=2), "z"))
    assert build_panel(frame(pd.date_range("2020-01-01", periods=2), "z"), freq="D").freqs == [pd.offsets.Day()]


def test_predict_on_new_short_series_uses_the_training_frequency():
    train = frame(pd.date_range("2020-01-01", periods=30, freq="W-MON"))
    model = RNNForecaster(horizon=2, input_size=1, differences=None, hidden_size=4, max_steps=3, n_models=1,
                          random_state=0).fit(train)
    for n in (1, 2):
        new = frame(pd.date_range("2021-03-01", periods=n, freq="W-MON"), "new")
        out = model.predict(df=new)
        expected = pd.date_range("2021-03-01", periods=n + 2, freq="W-MON")[n:]
        assert list(out["ds"]) == list(expected) and np.isfinite(out["yhat"]).all()


@pytest.mark.parametrize("ids", [["a"] * 4, ["a"] * 3 + ["b"]])
def test_missing_integer_timestamps_are_named(ids):
    df = pd.DataFrame({"unique_id": ids, "ds": pd.array([1, 2, 3, None], dtype="Int64"), "y": [1.0, 2, 3, 4]})
    with pytest.raises(ValueError, match=f"column 'ds' has missing timestamps in series '{ids[-1]}'"):
        build_panel(df)
    complete = df.assign(ds=pd.array([1, 2, 3, 4], dtype="Int64"), unique_id="a")
    np.testing.assert_array_equal(build_panel(complete).ds, [1, 2, 3, 4])


def test_single_observations_need_no_frequency():
    """Only a series of 2+ timestamps needs one (a frame of single observations is fine for
    last-window inputs)."""
    from tsrnn.windows import WindowTransformer

    for ds in (pd.to_datetime(["2020-01-01", "2020-01-05"]), [1, 5]):
        df = pd.DataFrame({"unique_id": ["a", "b"], "ds": ds, "y": [1.0, 2.0]})
        assert WindowTransformer(input_size=1, last_only=True).transform(df).shape == (2, 1, 1)


def test_a_refit_does_not_take_the_frequency_of_the_previous_fit():
    daily = frame(pd.date_range("2020-01-01", periods=30))
    monthly = pd.concat([frame(pd.to_datetime(["2020-01-01", "2020-02-01"]), uid) for uid in ("k", "m")])
    model = RNNForecaster(horizon=1, input_size=1, fill="zero", differences=None, hidden_size=2, max_steps=2,
                          n_models=1).fit(daily)
    with pytest.raises(ValueError, match="cannot infer the frequency of series 'k', 'm'"):
        model.fit(monthly)  # was: filled into 32 daily rows each, the frequency of the earlier fit


@pytest.mark.parametrize("stray", ["2020-01-31 12:00", "2020-01-05 00:00:01"])
def test_a_stray_timestamp_is_named_not_taken_for_a_finer_frequency(stray):
    """The smallest step (12 hours, one second) held every timestamp and inserted the
    fewest steps; fill then made 119 rows of 60, or ~860,000 of 231 (one year hourly hung)."""
    days = list(pd.date_range("2020-01-01", periods=60))
    days[30] = pd.Timestamp(stray) if stray.endswith("12:00") else days[30]
    df = frame(days)
    if not stray.endswith("12:00"):
        hours = list(pd.date_range("2020-01-01", periods=240, freq="h"))
        del hours[100:110]
        hours[50] = pd.Timestamp(stray)
        df = frame(hours)
    with pytest.raises(ValueError, match="has timestamps off its frequency"):
        build_panel(df, fill="ffill")


def test_short_gappy_monthly_series_ask_for_freq():
    df = frame(pd.to_datetime(["2020-01-01", "2020-02-01", "2020-04-01", "2020-05-01"]))
    with pytest.raises(ValueError, match=r"cannot infer the frequency of series 'a' \(4 timestamps\); pass freq="):
        build_panel(df, fill="zero")  # was: "off its frequency 30D", a made-up frequency
    assert len(build_panel(df, fill="zero", freq="MS").y) == 5
