"""Found by the new-user review of 2026-12-07 (sixth session): a finite spike too large
for a float32 network, interval levels beyond what the calibration resolves, dates
against integer time steps, coverage asked of a frame without intervals, and estimator
input messages that name the problem."""

import warnings

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn import RNNForecaster, RNNRegressor
from tsrnn.forecasting._intervals import conformal_quantiles, levels_beyond_scores
from tsrnn.metrics import evaluate

FAST = dict(max_steps=3, n_models=1, hidden_size=4, random_state=0)


@pytest.fixture
def daily():
    t = pd.date_range("2021-01-01", periods=60, freq="D")
    return pd.DataFrame({"unique_id": "a", "ds": t, "y": 10 + np.sin(np.arange(60) / 3)})


def test_spike_beyond_float32_is_named_before_training(daily):
    spiked = daily.copy()
    spiked.loc[30, "y"] = 1e45  # finite in float64, ~1e45 window spreads once scaled
    with pytest.raises(ValueError, match=r"series 'a' at 2021-01-31 00:00:00 has y = 1e\+45.*float32.*"
                                         r"dtype='float64'"):
        RNNForecaster(horizon=3, **FAST).fit(spiked)
    forecast = RNNForecaster(horizon=3, dtype="float64", **FAST).fit(spiked).predict()
    assert np.isfinite(forecast["yhat"]).all()
    with pytest.raises(ValueError, match=r"has y = 1e\+45: too large for a float32 network"):
        RNNForecaster(horizon=3, scaler=None, differences=None, **FAST).fit(spiked)  # no spread to speak of
    spiked.loc[30, "y"] = 1e6  # large, but float32 holds it scaled: trains
    assert np.isfinite(RNNForecaster(horizon=3, **FAST).fit(spiked).predict()["yhat"]).all()


def test_levels_beyond_the_calibration_warn_and_name_the_limit():
    scores = np.random.default_rng(0).random((24, 6))
    beyond, m = levels_beyond_scores(24, 6, [80, 95, 99])
    assert m == 24 and beyond == [99]  # 24 errors resolve levels up to 96%
    q = conformal_quantiles(scores, [99, 99.9])
    assert np.array_equal(q[99], q[99.9])  # both the largest error: what the warning is about
    # pooling: 5 windows pool neighbouring steps up to 20 errors; the edge steps have fewer
    assert levels_beyond_scores(5, 8, [90, 95])[1] == 15


def test_forecaster_warns_at_the_users_line_for_unresolved_levels():
    forecaster = RNNForecaster(horizon=12, **FAST).fit(tsrnn.datasets.load_airline())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forecaster.predict(level=[80, 95])
    assert not [w for w in caught if "calibration has" in str(w.message)]
    with pytest.warns(UserWarning, match=r"level\(s\) 99%, 99.9%: the calibration has \d+ errors") as record:
        forecaster.predict(level=[80, 99, 99.9])
    assert record[0].filename == __file__


def test_dates_and_integer_steps_are_not_mixed(daily):
    model = RNNForecaster(horizon=3, **FAST).fit(daily)
    with pytest.raises(ValueError, match="trained on series with dates; series 'a' have integer time steps"):
        model.predict(df=daily.assign(ds=np.arange(60)))
    integer = daily.assign(ds=np.arange(60))
    model = RNNForecaster(horizon=3, **FAST).fit(integer)
    with pytest.raises(ValueError, match="trained on series with integer time steps; series 'a' have dates"):
        model.predict(df=daily)
    assert len(model.predict(df=integer)) == 3


def test_coverage_of_a_frame_without_intervals_is_an_error(daily):
    cv = RNNForecaster(horizon=3, **FAST).cross_validation(daily, n_windows=2)
    with pytest.raises(ValueError, match=r"\['coverage'\] need interval columns yhat-lo-LEVEL"):
        evaluate(cv, metrics=["mae", "coverage"])
    assert "mae" in evaluate(cv, metrics=["mae"]).columns


def test_estimator_input_messages_name_the_problem(tmp_path):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"X has no features per step \(shape \(10, 5, 0\)\)"):
        RNNRegressor(max_epochs=1).fit(np.zeros((10, 5, 0)), np.zeros(10))
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": ["x", "y", "z", "w"]})
    with pytest.raises(ValueError, match=r"non-numeric column\(s\) \['b'\]"):
        RNNRegressor(max_epochs=1).fit(frame, np.zeros(4))
    X = rng.random((4, 3, 2))
    X[2, 1, 1] = np.inf
    with pytest.raises(ValueError, match=r"infinity .*\(sample 2, step 1, feature 1\)"):
        RNNRegressor(max_epochs=1).fit(X, np.zeros(4))
    model = RNNRegressor(max_epochs=1, hidden_size=3).fit(rng.random((8, 4)), rng.random(8))
    with pytest.raises(ValueError, match=r"infinity .*\(sample 0, step 2\)"):
        model.predict(np.array([[0.1, 0.2, np.inf, 0.3]]))


def test_loaded_feature_names_are_objects_as_sklearn_keeps_them(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((12, 3)), columns=["a", "b", "c"])
    model = RNNRegressor(max_epochs=1, hidden_size=3).fit(X, rng.random(12))
    model.save(tmp_path / "m.tsrnn")
    loaded = tsrnn.load(tmp_path / "m.tsrnn")
    assert loaded.feature_names_in_.dtype == object
    assert list(loaded.feature_names_in_) == ["a", "b", "c"]
    assert np.array_equal(loaded.predict(X), model.predict(X))


def test_subpackages_are_attributes_of_a_plain_import(tmp_path):
    import subprocess
    import sys

    code = ("import sys, tsrnn\n"
            "assert 'pandas' not in sys.modules  # still a cheap import\n"
            "print(tsrnn.datasets.load_airline().shape, callable(tsrnn.metrics.mase), tsrnn.nn.Recurrent.__name__)\n"
            "assert 'datasets' in dir(tsrnn)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["(144,", "3)", "True", "Recurrent"]


def _seasonal_monthly():
    t = np.arange(60)
    return pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000-01-01", periods=60, freq="MS"),
                         "y": 10 + 3 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 0.3, 60)})


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
def test_cross_validation_of_a_fitted_model_equals_an_unfitted_ones(strategy):
    df = _seasonal_monthly()
    params = dict(horizon=3, input_size=6, strategy=strategy, n_jobs=1, **FAST)
    before = RNNForecaster(**params).cross_validation(df, n_windows=2, level=[80])
    model = RNNForecaster(**params).fit(df)
    assert model.calendar_ == ["month"]  # what the backtest copies must choose for themselves
    after = model.cross_validation(df, n_windows=2, level=[80])
    pd.testing.assert_frame_equal(before, after)


def test_future_covariates_with_other_time_zone_handling_are_refused():
    ds = pd.date_range("2021-06-01", periods=120, freq="h", tz="Europe/Paris")
    df = pd.DataFrame({"unique_id": "s0", "ds": ds, "y": np.sin(np.arange(120) / 4), "f": ds.hour.astype(float)})
    model = RNNForecaster(horizon=3, input_size=6, future_covariates=["f"], calendar=None, **FAST).fit(df)
    naive = pd.DataFrame({"unique_id": "s0", "ds": pd.date_range("2021-06-06", periods=72, freq="h")})
    naive["f"] = naive["ds"].dt.hour.astype(float)
    with pytest.raises(ValueError, match="are naive, the series' times are in time zone Europe/Paris"):
        model.predict(X_future=naive)
    aware = naive.assign(ds=naive["ds"].dt.tz_localize("Europe/Paris"))
    assert len(model.predict(X_future=aware)) == 3


def test_x_future_for_a_model_without_future_covariates_is_refused():
    model = RNNForecaster(horizon=3, input_size=6, **FAST).fit(_seasonal_monthly())
    assert model.calendar_ == ["month"]  # known ahead, but not from X_future
    with pytest.raises(ValueError, match="X_future was given but the model has no future_covariates"):
        model.predict(X_future=model.make_future_frame())


def test_scoring_an_empty_test_frame_says_so():
    from tsrnn.model_selection import forecast_score

    df = _seasonal_monthly()
    model = RNNForecaster(horizon=3, input_size=6, **FAST).fit(df)
    with pytest.raises(ValueError, match="the test frame is empty"):
        forecast_score(model, df.iloc[:0])


@pytest.mark.parametrize("fill", ["zero", "interpolate"])
def test_backtest_reports_no_actual_where_fill_inserted_a_timestamp(fill):
    df = _seasonal_monthly().drop(index=[58])  # 2004-11-01 is missing
    cv = RNNForecaster(horizon=3, input_size=6, fill=fill, calendar=None, **FAST).cross_validation(
        df, n_windows=1, level=[80])
    inserted = cv["ds"] == pd.Timestamp("2004-11-01")
    assert inserted.sum() == 1 and cv.loc[inserted, "y"].isna().all()
    assert cv.loc[~inserted, "y"].tolist() == df.set_index("ds").loc[cv.loc[~inserted, "ds"], "y"].tolist()
    observed = cv[~inserted]
    manual = ((observed["y"] >= observed["yhat-lo-80"]) & (observed["y"] <= observed["yhat-hi-80"])).mean()
    assert cv.attrs["coverage"][80] == manual
    with pytest.raises(ValueError, match=r"1 row\(s\) have no actual value .*dropna"):
        evaluate(cv, metrics=["mae"])
    table = evaluate(cv.dropna(subset=["y"]), metrics=["mae", "coverage"])
    assert table.loc["a", "mae"] == pytest.approx((observed["y"] - observed["yhat"]).abs().mean())


def test_score_names_a_split_shorter_than_the_covariate_blocks():
    from tsrnn.model_selection import forecast_score

    df = _seasonal_monthly().assign(f=lambda d: np.cos(np.arange(len(d)) / 3.0))
    model = RNNForecaster(horizon=3, input_size=6, future_covariates=["f"], calendar=None, **FAST).fit(df.iloc[:-2])
    with pytest.raises(ValueError, match=r"cover 2 step\(s\) per series, but .* blocks of 3 steps .*horizon=3"):
        forecast_score(model, df.iloc[-2:])
    model = RNNForecaster(horizon=3, input_size=6, future_covariates=["f"], calendar=None, **FAST).fit(df.iloc[:-3])
    assert np.isfinite(forecast_score(model, df.iloc[-3:]))
