"""Forecaster messages and inputs found wanting by a review: log-transform errors name
the series and timestamps (and the values ``fill`` inserted), the fed-back-forecast
advice with historical covariates, boolean covariates, ``datetime.date`` time columns,
and MASE's training length named per series in ``evaluate``."""

import numpy as np
import pandas as pd
import pytest

from tsrnn import RNNForecaster, metrics
from tsrnn.windows import build_panel

TINY = dict(horizon=3, input_size=6, hidden_size=4, max_steps=5, n_models=1, random_state=0)


def ramp(uid="ok", n=40):
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2020-01-01", periods=n, freq="D"),
                         "y": np.arange(1, n + 1.0)})


def test_log_transform_error_names_series_and_timestamp():
    bad = ramp("bad")
    bad.loc[7, "y"] = -3.0
    with pytest.raises(ValueError, match=r"needs y > 0: series 'bad' at 2020-01-08 \(-3\); fix or drop") as err:
        RNNForecaster(target_transform="log", **TINY).fit(pd.concat([ramp(), bad]))
    assert "'ok'" not in str(err.value)


def test_log_transform_error_blames_fill_not_the_data():
    gappy = ramp().drop(index=[10])  # every y >= 1; 2020-01-11 is missing
    expected = (r"series 'ok' at 2020-01-11 \(0, inserted by fill\); those values are not in the data: fill "
                r"inserted them .*fill='ffill' or fill='interpolate'")
    with pytest.raises(ValueError, match=expected):
        RNNForecaster(target_transform="log", fill="zero", **TINY).fit(gappy)
    model = RNNForecaster(target_transform="log", fill="zero", **TINY).fit(ramp())
    with pytest.raises(ValueError, match=expected):
        model.predict(df=gappy)
    with pytest.raises(ValueError, match=expected):
        model.cross_validation(gappy, n_windows=2)
    # ffill keeps the series positive
    assert (RNNForecaster(target_transform="log", fill="ffill", **TINY).fit(gappy).predict()["yhat"] > 0).all()


@pytest.mark.parametrize("strategy, horizon, h, refit", [
    ("encoder_decoder", 4, 9, "fit a model with horizon >= 9"),
    ("direct", 4, 9, "fit a model with horizon >= 9"),
    ("recursive", 1, 3, "fit a model with strategy='direct' or 'encoder_decoder' and horizon >= 3"),
])
def test_feedback_with_historical_covariates_gives_correct_advice(strategy, horizon, h, refit):
    df = ramp(n=40).assign(t=np.cos(np.arange(40.0)))
    model = RNNForecaster(**{**TINY, "horizon": horizon}, strategy=strategy, covariates=["t"]).fit(df)
    with pytest.raises(ValueError) as err:
        model.predict(h=h)
    message = str(err.value)
    assert "historical covariates ['t']" in message and f"forecast h <= {horizon}, {refit}" in message
    assert "future_covariates" in message
    assert "use h <= horizon with strategy='direct'" not in message  # 'direct' has the same limit


def test_boolean_covariates_read_as_zero_one():
    df = ramp(n=40)
    flags = np.arange(40) % 7 == 0
    as_float = RNNForecaster(covariates=["hol"], **TINY).fit(df.assign(hol=flags.astype(float))).predict()
    for column in (flags, pd.array(flags, dtype="boolean")):
        got = RNNForecaster(covariates=["hol"], **TINY).fit(df.assign(hol=column)).predict()
        pd.testing.assert_frame_equal(got, as_float)
    np.testing.assert_array_equal(build_panel(df.assign(hol=flags), covariates=["hol"]).X[:, 0], flags)
    missing = pd.array(flags, dtype="boolean")
    missing[5] = pd.NA
    with pytest.raises(ValueError, match=r"NaN or infinite values in \['hol'\]: series 'ok' at 2020-01-06"):
        RNNForecaster(covariates=["hol"], **TINY).fit(df.assign(hol=missing))
    with pytest.raises(TypeError, match="'hol' must be numeric or boolean, got dtype"):
        RNNForecaster(covariates=["hol"], **TINY).fit(df.assign(hol="x"))
    with pytest.raises(TypeError, match="'y' must be numeric"):  # the target stays numeric
        build_panel(df.assign(y=flags))


def test_boolean_future_covariates_and_x_future():
    df = ramp(n=40).assign(hol=np.arange(40) % 7 == 0)
    model = RNNForecaster(future_covariates=["hol"], **TINY).fit(df)
    future = model.make_future_frame().assign(hol=[True, False, False])
    expected = model.predict(X_future=future.assign(hol=[1.0, 0.0, 0.0]))
    pd.testing.assert_frame_equal(model.predict(X_future=future), expected)


def test_date_objects_as_time_column():
    df = ramp(n=40)
    dates = df.assign(ds=df["ds"].dt.date)
    assert dates["ds"].dtype == object
    model = RNNForecaster(**TINY).fit(dates)
    expected = RNNForecaster(**TINY).fit(df).predict()
    pd.testing.assert_frame_equal(model.predict(), expected)
    pd.testing.assert_frame_equal(model.predict(df=dates), expected)
    assert (model.cross_validation(dates, n_windows=2)["cutoff"] == pd.Timestamp("2020-02-03")).any()


def test_future_covariates_with_datetime_objects():
    ds = pd.date_range("2020-01-01", periods=40, freq="D", tz="UTC")
    as_objects = pd.Series([t.to_pydatetime() for t in ds], dtype=object)
    df = pd.DataFrame({"unique_id": "a", "ds": as_objects, "y": np.arange(1, 41.0),
                       "hol": (np.arange(40) % 7 == 0).astype(float)})
    model = RNNForecaster(future_covariates=["hol"], **TINY).fit(df)
    future = model.make_future_frame().assign(hol=[1.0, 0, 0])
    objects = future.assign(ds=pd.Series([t.to_pydatetime() for t in future["ds"]], dtype=object))
    # "the times in column 'ds' are naive" before: they were time-zone aware, as objects
    pd.testing.assert_frame_equal(model.predict(X_future=objects), model.predict(X_future=future))


def test_time_column_hints():
    df = ramp(n=40)
    with pytest.raises(TypeError, match=r"dtype object; convert it with pd.to_datetime\(df\['ds'\]\)"):
        build_panel(df.assign(ds=df["ds"].astype(str).astype(object)))
    with pytest.raises(TypeError, match=r"holds periods \(dtype period\[D\]\).*\.dt\.to_timestamp\(\)"):
        build_panel(df.assign(ds=df["ds"].dt.to_period("D")))


def test_evaluate_mase_names_series_too_short_for_season_length():
    train = pd.concat([ramp("long", 40), ramp("short", 12)])
    cv = pd.DataFrame({"unique_id": ["long", "short"], "ds": pd.Timestamp("2020-03-01"),
                       "cutoff": [pd.Timestamp("2020-02-09"), pd.Timestamp("2020-01-10")], "y": 1.0, "yhat": 1.5})
    with pytest.raises(ValueError, match=r"longer than season_length=12 values; too short: 'short' \(10 up to "
                                         r"cutoff 2020-01-10\)$"):
        metrics.evaluate(cv, metrics=["mase"], train_df=train, season_length=12)
    table = metrics.evaluate(cv, metrics=["mase"], train_df=train, season_length=7)
    assert np.isfinite(table["mase"]).all()


def test_evaluate_mase_takes_training_dates_as_date_objects():
    df = ramp(n=40)
    dates = df.assign(ds=df["ds"].dt.date)
    cv = RNNForecaster(**TINY).cross_validation(dates, n_windows=2)
    expected = metrics.evaluate(cv, metrics=["mase"], train_df=df)
    pd.testing.assert_frame_equal(metrics.evaluate(cv, metrics=["mase"], train_df=dates), expected)
