"""Fixes from a review of the data side (splitter, transformer, plots, metrics, fit's y)."""

import io

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import cross_val_score

from tsrnn import RNNForecaster
from tsrnn.metrics import evaluate
from tsrnn.model_selection import SeriesTimeSplit
from tsrnn.plotting import plot_forecast
from tsrnn.windows import WindowTransformer

SMALL = dict(hidden_size=4, max_steps=3, n_models=1, n_jobs=1, random_state=0)


def daily(n=40, uid="a", seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2020-01-01", periods=n), "y": rng.normal(size=n)})


def test_splits_count_time_steps_not_rows():
    """A missing day (forecaster with fill): the split cuts at the filled grid's times, and
    the score forecasts up to the last test row (counting rows left one without a forecast)."""
    df = daily().drop(index=[36])  # 2020-02-06
    splits = list(SeriesTimeSplit(2, horizon=3).split(df))
    tests = [sorted(df["ds"].iloc[test].dt.strftime("%m-%d")) for _, test in splits]
    assert tests == [["02-04", "02-05"], ["02-07", "02-08", "02-09"]]  # 02-03 and 02-06 are the cutoffs
    for train, test in splits:
        assert df["ds"].iloc[train].max() < df["ds"].iloc[test].min()
    model = RNNForecaster(horizon=3, input_size=6, fill="ffill", **SMALL)
    scores = cross_val_score(model, df, cv=SeriesTimeSplit(2, horizon=3), error_score="raise")
    assert np.isfinite(scores).all()
    cutoffs = model.cross_validation(df, n_windows=2)["cutoff"].unique()
    assert [str(c.date()) for c in cutoffs] == ["2020-02-03", "2020-02-06"]


def test_splitter_checks_ids_and_its_parameters():
    df = daily()
    with pytest.raises(ValueError, match="column 'unique_id' contains missing ids"):
        list(SeriesTimeSplit(2, horizon=3).split(df.assign(unique_id=[None] + ["a"] * 39)))
    with pytest.raises(ValueError, match="duplicate timestamps"):
        list(SeriesTimeSplit(2, horizon=3).split(pd.concat([df, df.iloc[[5]]])))
    with pytest.raises(ValueError, match="n_splits must be a positive int; got 0"):
        SeriesTimeSplit(0).get_n_splits()


def test_fit_accepts_scikit_learns_y_only_when_it_is_the_target():
    df = daily()
    model = RNNForecaster(horizon=2, input_size=4, **SMALL)
    scores = cross_val_score(model, df, df["y"], cv=SeriesTimeSplit(2, horizon=2), error_score="raise")
    assert np.isfinite(scores).all()
    reference = model.fit(df).predict()
    pd.testing.assert_frame_equal(model.fit(df, df["y"].to_numpy()).predict(), reference)
    for wrong in (df["y"] + 1, [1.0, 2.0], "abc"):
        with pytest.raises(ValueError, match=r"reads the target from df\['y'\]; y is not used"):
            model.fit(df, wrong)
    with pytest.raises(TypeError, match="resume must be True or False"):
        model.fit(df, resume="yes")
    with pytest.raises(ValueError, match=r"resume is keyword-only: fit\(df, resume=True\)"):
        model.fit(df, True)


def test_auto_covariates_are_the_numeric_columns():
    df = daily(30).assign(x=np.sin(np.arange(30.0)), store="s1", promo=True)
    transformer = WindowTransformer(3, covariates="auto").fit(df)
    assert transformer.covariate_names_ == ["x"] and transformer.transform(df).shape == (28, 3, 2)
    model = RNNForecaster(horizon=2, input_size=4, covariates="auto", **SMALL).fit(df)
    assert model.covariate_names_ == ["x"]


def test_future_rows_predict_does_not_read_are_not_checked():
    df = daily(40).assign(x=np.cos(np.arange(40.0)))
    model = RNNForecaster(horizon=3, input_size=4, future_covariates=["x"], **SMALL).fit(df)
    future = model.make_future_frame().assign(x=0.5)
    later = model.make_future_frame(6).iloc[3:].assign(x=0.1)
    extended = pd.concat([future, later, later.iloc[:1]], ignore_index=True)  # a duplicate beyond the horizon
    pd.testing.assert_frame_equal(model.predict(X_future=extended), model.predict(X_future=future))
    with pytest.raises(ValueError, match="several rows"):
        model.predict(X_future=pd.concat([future, future.iloc[:1]]))
    numbered = daily(40).assign(unique_id=7, x=np.cos(np.arange(40.0)))
    model = RNNForecaster(horizon=3, input_size=4, future_covariates=["x"], **SMALL).fit(numbered)
    with pytest.raises(ValueError, match=r"X_future\['unique_id'\] holds text ids but the series ids are numbers"):
        model.predict(X_future=model.make_future_frame().assign(x=0.5, unique_id="7"))
    as_objects = numbered.astype({"unique_id": object})  # integer ids kept as Python objects
    model = RNNForecaster(horizon=3, input_size=4, future_covariates=["x"], **SMALL).fit(as_objects)
    future = model.make_future_frame().assign(x=0.5).astype({"unique_id": "int64"})
    assert len(model.predict(X_future=future)) == 3  # was refused: "not numbers (object)"
    categorical = daily(40).assign(unique_id=pd.Categorical(["s"] * 40), x=np.cos(np.arange(40.0)))
    model = RNNForecaster(horizon=3, input_size=4, future_covariates=["x"], **SMALL).fit(categorical)
    future = model.make_future_frame().assign(x=0.5)
    expected = model.predict(X_future=future)
    future["unique_id"] = pd.Categorical(future["unique_id"])  # categorical ids match by their values
    pd.testing.assert_frame_equal(model.predict(X_future=future), expected)


def test_plot_reads_a_tz_aware_csv_across_a_daylight_saving_change():
    history = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2021-03-20", periods=6, tz="Europe/Paris"),
                            "y": np.arange(6.0)})
    forecast = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2021-03-26", periods=5, tz="Europe/Paris"),
                             "yhat": np.arange(5.0)})
    fig = plot_forecast(history, pd.read_csv(io.StringIO(forecast.to_csv(index=False))))  # +01:00 and +02:00
    line = fig.axes[0].get_lines()[1]
    assert len(line.get_xdata()) == 5
    with pytest.raises(ValueError, match="history_df\\['ds'\\] is naive but forecast_df\\['ds'\\] is in time zone"):
        plot_forecast(history.assign(ds=history["ds"].dt.tz_localize(None)), forecast)
    numbered = history.assign(unique_id=2)
    assert len(plot_forecast(numbered, forecast.assign(unique_id=2), ids=2).axes) == 1
    both = pd.concat([history.assign(unique_id=0), history.assign(unique_id=1)])
    for ids in (range(2), {0, 1}, (i for i in (0, 1)), [0, 1]):
        assert len(plot_forecast(both, ids=ids).axes) == 2


def test_evaluate_and_plot_ignore_columns_that_are_not_names():
    cv = pd.DataFrame({"unique_id": ["a", "a"], "ds": [1, 2], "y": [1.0, 2.0], "yhat": [1.0, 1.0]})
    cv[0] = 1  # e.g. a column added by position
    table = evaluate(cv)
    assert table.loc["a", "mae"] == pytest.approx(0.5)
    assert len(plot_forecast(cv[["unique_id", "ds", "y"]], cv).axes) == 1


def test_evaluate_names_the_rows_with_missing_forecasts():
    cv = pd.DataFrame({"unique_id": ["a", "b"], "ds": pd.to_datetime(["2020-01-01", "2020-01-02"]),
                       "y": [1.0, 2.0], "yhat": [1.0, np.nan]})
    with pytest.raises(ValueError, match=r"1 row\(s\) have NaN or infinite forecasts in \['yhat'\]: series b at "
                                         r"2020-01-02"):
        evaluate(cv)
    with pytest.raises(TypeError, match=r"column\(s\) \['yhat'\] must be numeric"):
        evaluate(cv.assign(yhat=["x", "y"]))


def test_splits_of_series_too_short_to_show_a_frequency_count_rows():
    df = pd.DataFrame({"unique_id": ["a", "a", "b", "b"], "ds": pd.to_datetime(["2020-01-01", "2020-02-01"] * 2),
                       "y": [1.0, 2.0, 3.0, 4.0]})
    ((train, test),) = SeriesTimeSplit(1, horizon=1).split(df)
    assert sorted(train.tolist()) == [0, 2] and sorted(test.tolist()) == [1, 3]
