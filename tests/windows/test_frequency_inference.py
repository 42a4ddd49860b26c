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
    with pytest.raises(ValueError, match=r"cannot infer the frequency of series 'z': every series has fewer than "
                                         r"3 timestamps; pass freq="):
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
