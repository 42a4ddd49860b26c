"""Forecaster inputs found wanting by a new-user review: time zones come back as given,
X_future is checked like the training data, score never returns NaN, and a few
options and shapes get clear messages."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn import RNNForecaster

SMALL = dict(horizon=3, input_size=6, max_steps=3, hidden_size=4, random_state=0)


def series(n=40, freq="D", tz=None, **covariates):
    ds = pd.date_range("2000-01-01", periods=n, freq=freq, tz=tz)
    return pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.sin(np.arange(n) / 3) + 0.05 * np.arange(n),
                         **covariates})


@pytest.mark.parametrize("tz, freq", [("Asia/Tokyo", "D"), ("US/Eastern", "h"), ("UTC", "MS")])
def test_time_zones_come_back_as_given(tmp_path, tz, freq):
    df = series(freq=freq, tz=tz)
    f = RNNForecaster(**SMALL).fit(df)
    fc = f.predict()
    expected = pd.date_range(df["ds"].iloc[-1], periods=4, freq=freq)[1:]
    assert str(fc["ds"].dt.tz) == tz and (fc["ds"].to_numpy() == expected.to_numpy()).all()
    assert (f.make_future_frame()["ds"].to_numpy() == expected.to_numpy()).all()
    cv = f.cross_validation(df, n_windows=2)
    assert str(cv["ds"].dt.tz) == tz and str(cv["cutoff"].dt.tz) == tz
    assert set(cv["ds"]) <= set(df["ds"])  # backtest rows join back to the input
    f.save(tmp_path / "m.tsrnn")
    again = tsrnn.load(tmp_path / "m.tsrnn").predict()
    pd.testing.assert_frame_equal(again, fc)
    test = series(n=43, freq=freq, tz=tz).iloc[-3:]
    assert np.isfinite(f.score(test))


@pytest.mark.parametrize("freq", ["D", "MS", "W-MON"])
def test_calendar_data_across_daylight_saving_changes(tmp_path, freq):
    """Local midnights are one calendar step apart even when the day has 23 or 25 hours."""
    df = series(n=60, freq=freq, tz="US/Eastern")
    f = RNNForecaster(**SMALL).fit(df)
    fc = f.predict()
    expected = pd.date_range(df["ds"].iloc[-1], periods=4, freq=freq)[1:]
    assert (fc["ds"] == expected).all() and (fc["ds"].dt.hour == 0).all()
    cv = f.cross_validation(df, n_windows=2)
    assert set(cv["ds"]) <= set(df["ds"])
    f.save(tmp_path / "m.tsrnn")
    pd.testing.assert_frame_equal(tsrnn.load(tmp_path / "m.tsrnn").predict(), fc)


def test_times_of_day_uneven_in_utc_get_a_hint():
    ds = pd.date_range("2000-03-01", periods=80, freq="12h", tz="US/Eastern")  # 00:00 and 12:00, local
    df = pd.DataFrame({"unique_id": "a", "ds": ds.tz_localize(None).tz_localize("US/Eastern"), "y": np.arange(80.0)})
    df = df.assign(ds=pd.DatetimeIndex([t.replace(hour=0 if i % 2 == 0 else 12) for i, t in enumerate(df["ds"])]))
    with pytest.raises(ValueError, match="times of day differ"):
        RNNForecaster(**SMALL).fit(df)


def test_future_covariates_are_checked_like_training_data():
    df = series(n=40, x=np.cos(np.arange(40.0)))
    f = RNNForecaster(future_covariates=["x"], **SMALL).fit(df)
    future = f.make_future_frame().assign(x=0.5)
    assert np.isfinite(f.predict(X_future=future)["yhat"]).all()
    with pytest.raises(ValueError, match="infinite future covariate values at 3 required step"):
        f.predict(X_future=future.assign(x=np.inf))
    # rows predict does not read may hold anything missing, NaN or inf alike
    beyond = f.make_future_frame(2 * f.horizon).iloc[f.horizon:]
    for value in (np.nan, np.inf):
        extended = pd.concat([future, beyond.assign(x=value)], ignore_index=True)
        pd.testing.assert_frame_equal(f.predict(X_future=extended), f.predict(X_future=future))
    with pytest.raises(TypeError, match="must be numeric"):
        f.predict(X_future=future.assign(x="abc"))
    assert np.isfinite(f.predict(X_future=future.assign(x=True))["yhat"]).all()  # booleans read as 0/1
    with pytest.raises(ValueError, match="several rows"):
        f.predict(X_future=pd.concat([future, future.iloc[:1]]))
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        f.predict(X_future=future.to_numpy())


def test_score_refuses_missing_actuals():
    df = series(n=43)
    f = RNNForecaster(**SMALL).fit(df.iloc[:40])
    assert np.isfinite(f.score(df.iloc[40:]))
    with pytest.raises(ValueError, match="finite numeric 'y'"):
        f.score(df.iloc[40:].assign(y=np.nan))


def test_option_and_shape_messages():
    df = series()
    with pytest.raises(ValueError, match="refit must be True or False"):
        RNNForecaster(**SMALL).cross_validation(df, refit="yes")
    with pytest.raises(ValueError, match="is not a pandas frequency"):
        RNNForecaster(freq="Z", **SMALL).fit(df)
    with pytest.raises(ValueError, match="a single column: \\['x'\\]"):
        tsrnn.windows.build_panel(df.assign(x=1.0), covariates="x")
    # a long frame with the times as its index is read as long
    fc_index = RNNForecaster(**SMALL).fit(df.set_index("ds")).predict()
    pd.testing.assert_frame_equal(fc_index, RNNForecaster(**SMALL).fit(df).predict())


def test_ragged_wide_frame_is_trimmed():
    t = pd.date_range("2000-01-01", periods=30, freq="D")
    wide = pd.DataFrame({"a": np.arange(30.0), "b": np.r_[[np.nan] * 4, np.arange(26.0)]}, index=t)
    fc = RNNForecaster(**SMALL).fit(wide).predict()
    assert sorted(fc["unique_id"].unique()) == ["a", "b"]


def test_the_target_is_never_a_covariate():
    df = series(x=np.arange(40.0))
    for params in (dict(future_covariates=["y"]), dict(covariates=["y"]), dict(static_covariates=["y"])):
        with pytest.raises(ValueError, match="target column 'y' cannot also be a covariate"):
            RNNForecaster(**SMALL, **params).fit(df)
    with pytest.raises(ValueError, match="must not include the id, time or target"):
        tsrnn.windows.build_panel(df, covariates=["y"])


def test_recursive_strategy_refuses_historical_covariates_at_fit():
    df = series(x=np.cos(np.arange(40.0)))
    with pytest.raises(ValueError, match="recursive' cannot use historical covariates"):
        RNNForecaster(strategy="recursive", covariates=["x"], **SMALL).fit(df)
    RNNForecaster(strategy="recursive", future_covariates=["x"], **SMALL).fit(df)  # known ahead: fine


def test_predict_on_new_data_checks_static_covariates():
    df = series(s=1.0)
    f = RNNForecaster(static_covariates=["s"], **SMALL).fit(df)
    with pytest.raises(ValueError, match="static covariate 's' changes within series"):
        f.predict(df=df.assign(s=np.arange(40.0)))


def test_new_series_must_step_like_the_training_series():
    f = RNNForecaster(**SMALL).fit(series(freq="MS"))
    daily = series(freq="D").assign(unique_id="b")
    with pytest.raises(ValueError, match="trained on series of frequency MS; series 'b' \\(D\\) step otherwise"):
        f.predict(df=daily)
    assert len(f.predict(df=series(freq="MS").assign(unique_id="c"))) == 3


def test_levels_in_percent():
    f = RNNForecaster(**SMALL).fit(series())
    with pytest.raises(ValueError, match="for 80% pass 80"):
        f.predict(level=[0.8])
    with pytest.raises(ValueError, match="twice"):
        f.predict(level=[80, 80.0])


def test_other_anchors_of_one_frequency_are_accepted():
    f = RNNForecaster(**SMALL).fit(series(freq="W-SUN"))
    assert len(f.predict(df=series(freq="W-MON").assign(unique_id="b"))) == 3
    g = RNNForecaster(**SMALL).fit(series(freq="MS"))
    assert len(g.predict(df=series(freq="ME").assign(unique_id="b"))) == 3


def test_recursive_strategy_refuses_historical_covariates_found_by_auto():
    """covariates='auto' resolves its columns from the frame: the recursive strategy is
    refused at fit (and in cross_validation), not left to fail at every predict."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000", periods=40, freq="D"),
                       "y": rng.normal(size=40), "x": rng.normal(size=40)})
    model = RNNForecaster(horizon=4, input_size=8, strategy="recursive", covariates="auto", hidden_size=4,
                          max_steps=2, n_models=1)
    with pytest.raises(ValueError, match=r"covariates='auto' found historical covariate column\(s\) \['x'\]"):
        model.fit(df)
    assert not hasattr(model, "covariate_names_")
    with pytest.raises(ValueError, match="found historical covariate"):
        model.cross_validation(df, n_windows=2)
    model.fit(df[["unique_id", "ds", "y"]])  # without the column it fits


@pytest.mark.parametrize("ids", [[1, 2], [1.5, 2.5], ["a", "b"], [1, "b"], [1, "1", 2.5]])
def test_object_ids_round_trip_through_model_files(tmp_path, ids):
    rng = np.random.default_rng(0)
    df = pd.concat([pd.DataFrame({"unique_id": [uid] * 30, "ds": pd.date_range("2000", periods=30, freq="D"),
                                  "y": 10 + rng.normal(size=30)}) for uid in ids], ignore_index=True)
    df["unique_id"] = df["unique_id"].astype(object)
    model = RNNForecaster(horizon=3, input_size=6, local=True, hidden_size=4, max_steps=2, n_models=1,
                          random_state=0).fit(df)
    path = tmp_path / "m.tsrnn"
    model.save(path)
    loaded = tsrnn.load(path)
    restored = loaded.predict()["unique_id"].unique().tolist()
    fitted = model.predict()["unique_id"].unique().tolist()
    assert sorted(map(repr, fitted)) == sorted(map(repr, ids))  # 1 and "1" stay two series
    assert restored == fitted and [type(v) for v in restored] == [type(v) for v in fitted]
    pd.testing.assert_frame_equal(loaded.predict(df=df), model.predict(df=df))


def test_ids_of_other_types_are_stored_as_strings_and_colliding_ones_refused(tmp_path):
    rng = np.random.default_rng(0)
    ids = [pd.Timestamp("2020-01-01"), "x"]
    df = pd.concat([pd.DataFrame({"unique_id": [uid] * 30, "ds": pd.date_range("2000", periods=30, freq="D"),
                                  "y": 10 + rng.normal(size=30)}) for uid in ids], ignore_index=True)
    df["unique_id"] = df["unique_id"].astype(object)
    model = RNNForecaster(horizon=3, input_size=6, hidden_size=4, max_steps=2, n_models=1, random_state=0).fit(df)
    with pytest.warns(UserWarning, match="stored as strings"):
        model.save(tmp_path / "m.tsrnn")
    assert tsrnn.load(tmp_path / "m.tsrnn").predict()["unique_id"].unique().tolist() == ["2020-01-01 00:00:00", "x"]
    df.loc[df["unique_id"] == "x", "unique_id"] = "2020-01-01 00:00:00"
    model = RNNForecaster(horizon=3, input_size=6, hidden_size=4, max_steps=2, n_models=1, random_state=0).fit(df)
    with pytest.raises(ValueError, match="differ only in type"):
        model.save(tmp_path / "m2.tsrnn")
    assert not (tmp_path / "m2.tsrnn").exists()


def test_too_short_for_training_says_what_the_observations_are_for():
    """16 yearly observations (longley) at horizon 6: the default input_size (12) does not fit."""
    df = pd.DataFrame({"unique_id": "longley", "ds": pd.date_range("1947", periods=16, freq="YS"),
                       "y": np.linspace(60, 70, 16)})
    with pytest.raises(ValueError, match=r"need 18 observations: input_size 12 \+ 6 target steps; a smaller "
                                         r"input_size needs fewer\): 'longley' \(16\)"):
        RNNForecaster(horizon=6, differences=None).fit(df)
    with pytest.raises(ValueError, match=r"need 17 observations: input_size 8 \+ 6 target steps \+ 3 for "
                                         r"differencing at lag\(s\) \[3\]"):
        RNNForecaster(horizon=6, input_size=8, differences=[3]).fit(df)
    model = RNNForecaster(horizon=6, input_size=8, hidden_size=4, max_steps=2, random_state=0).fit(df)
    assert len(model.predict()) == 6
