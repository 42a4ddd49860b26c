"""Future-known and static covariates, calendar features, Pipeline use of RNNForecaster."""

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

import tsrnn
from tsrnn import RNNForecaster
from tsrnn.forecasting import CalendarFeatures, calendar_feature_names, calendar_features
from tsrnn.windows import WindowBatches

KW = dict(horizon=4, input_size=8, hidden_size=16, max_steps=300, batch_size=32, random_state=0)


def _driven_panel(n_series=3, length=150, seed=0):
    """y_t = 3 * x_t + small noise with x a random known driver: unforecastable without x."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        x = rng.choice([-1.0, 1.0], size=length)
        y = 10 + 3 * x + 0.05 * rng.normal(size=length)
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": np.arange(length), "y": y, "x": x,
                                    "size": float(i + 1)}))
    return pd.concat(frames, ignore_index=True)


def test_window_layout_matches_a_naive_loop():
    rng = np.random.default_rng(1)
    z, hist, fut = rng.normal(size=30), rng.normal(size=(30, 2)), rng.normal(size=(30, 3))
    starts = np.array([0, 5, 17])
    L, H = 6, 3
    X, y, lengths, _ = WindowBatches(z, hist, starts, L, H, scaler=None, dtype=np.float64, future=fut).batch([0, 1, 2])
    assert X.shape == (3, L + H, 1 + 2 + 3 + 1) and (lengths == L + H).all()
    for b, s in enumerate(starts):
        for t in range(L + H):
            past = t < L
            expect = [z[s + t] if past else 0.0, *(hist[s + t] if past else [0.0, 0.0]), *fut[s + t],
                      0.0 if past else 1.0]
            np.testing.assert_array_equal(X[b, t], expect)
        np.testing.assert_array_equal(y[b], z[s + L : s + L + H])


def test_future_covariates_make_a_driven_series_forecastable():
    df = _driven_panel()
    train = df.groupby("unique_id").head(146)
    test = df.groupby("unique_id").tail(4)
    blind = RNNForecaster(**KW).fit(train[["unique_id", "ds", "y"]]).predict()
    model = RNNForecaster(future_covariates=["x"], **KW).fit(train)
    future = model.make_future_frame().merge(test[["unique_id", "ds", "x"]], on=["unique_id", "ds"])
    seen = model.predict(X_future=future)
    err_blind = np.abs(blind["yhat"].to_numpy() - test["y"].to_numpy()).mean()
    err_seen = np.abs(seen["yhat"].to_numpy() - test["y"].to_numpy()).mean()
    assert err_seen < 0.5 < err_blind  # the driver's amplitude is 3


def test_backtest_reads_the_actual_future_covariates():
    df = _driven_panel()
    cv = RNNForecaster(future_covariates=["x"], **KW).cross_validation(df, n_windows=2, level=[80])
    assert np.abs(cv["yhat"] - cv["y"]).mean() < 0.5
    assert set(cv.attrs["coverage"]) == {80}


def test_static_covariates_come_from_the_history_and_must_be_constant():
    df = _driven_panel()
    model = RNNForecaster(static_covariates=["size"], future_covariates=["x"], **dict(KW, max_steps=20)).fit(df)
    future = model.make_future_frame().assign(x=1.0)
    assert len(model.predict(X_future=future)) == 3 * 4
    bad = df.copy()
    bad.loc[5, "size"] = 9.0
    with pytest.raises(ValueError, match="static covariate 'size' changes within series s0"):
        RNNForecaster(static_covariates=["size"], **KW).fit(bad)


def test_future_values_are_required_and_checked():
    df = _driven_panel()
    model = RNNForecaster(future_covariates=["x"], **dict(KW, max_steps=10)).fit(df)
    with pytest.raises(ValueError, match="predict needs X_future"):
        model.predict()
    future = model.make_future_frame().assign(x=1.0)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['x'\]"):
        model.predict(X_future=future.drop(columns="x"))
    with pytest.raises(ValueError, match="for 3 required step"):
        model.predict(X_future=future.groupby("unique_id").head(3))  # last step of each series missing
    with pytest.raises(ValueError, match="no future_covariates"):
        RNNForecaster(**dict(KW, max_steps=10)).fit(df[["unique_id", "ds", "y"]]).predict(X_future=future)
    with pytest.raises(ValueError, match="listed both"):
        RNNForecaster(covariates=["x"], future_covariates=["x"], **KW).fit(df)
    with pytest.raises(ValueError, match="future_covariates must be a list"):
        RNNForecaster(future_covariates="x", **KW).fit(df)


def test_recursive_local_and_saved_models_with_future_covariates(tmp_path):
    df = _driven_panel(n_series=2)
    for params in (dict(strategy="recursive"), dict(local=True)):
        model = RNNForecaster(future_covariates=["x"], **dict(KW, max_steps=30), **params).fit(df)
        future = model.make_future_frame(6).assign(x=-1.0)
        pred = model.predict(6, X_future=future)
        assert len(pred) == 2 * 6 and np.isfinite(pred["yhat"]).all()
        path = tmp_path / f"{len(params)}-{params}.tsrnn"
        model.save(path)
        pd.testing.assert_frame_equal(tsrnn.load(path).predict(6, X_future=future), pred)


def test_calendar_features_values_and_errors():
    df = pd.DataFrame({"ds": pd.to_datetime(["2024-01-01 00:00", "2024-04-01 00:00", "2024-12-31 18:00"])})
    out = calendar_features(df, ["month", "hour", "dayofweek"])
    assert list(out.columns) == ["ds"] + calendar_feature_names(["month", "hour", "dayofweek"])
    np.testing.assert_allclose(out["month_sin"], np.sin(2 * np.pi * np.array([0, 3, 11]) / 12))
    np.testing.assert_allclose(out["hour_cos"], np.cos(2 * np.pi * np.array([0, 0, 18]) / 24))
    assert out["dayofweek_sin"].iloc[0] == 0.0  # 2024-01-01 is a Monday
    ordinal = calendar_features(df, "quarter", encoding="ordinal")
    np.testing.assert_allclose(ordinal["quarter"], [-0.5, -0.25, 0.25])
    with pytest.raises(ValueError, match="unknown calendar feature"):
        calendar_features(df, ["fortnight"])
    with pytest.raises(TypeError, match="datetime"):
        calendar_features(pd.DataFrame({"ds": [1, 2]}), ["month"])


def test_forecaster_is_the_last_step_of_a_pipeline():
    rng = np.random.default_rng(0)
    ds = pd.date_range("2020-01-01", periods=120, freq="D")
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 5 + np.sin(np.arange(120)) + 0.1 * rng.normal(size=120)})
    pipe = Pipeline([("calendar", CalendarFeatures(["dayofweek"])),
                     ("model", RNNForecaster(covariates="auto", **dict(KW, max_steps=20)))]).fit(df)
    assert pipe.named_steps["model"].covariate_names_ == ["dayofweek_sin", "dayofweek_cos"]
    pred = pipe.predict(df)
    assert len(pred) == 4 and pred["ds"].iloc[0] == ds[-1] + pd.Timedelta(days=1)
    assert list(CalendarFeatures(["month"]).fit(df).get_feature_names_out()) == [
        "unique_id", "ds", "y", "month_sin", "month_cos"]


def test_calendar_features_never_overwrite_a_column():
    import pandas as pd

    from tsrnn.forecasting.calendar import calendar_features

    df = pd.DataFrame({"ds": pd.date_range("2000-01-01", periods=3, freq="MS"), "month_sin": [7.0, 8.0, 9.0]})
    with pytest.raises(ValueError, match="already has column\\(s\\) \\['month_sin'\\]"):
        calendar_features(df, ["month"])


def _daily_panel(length=120):
    rng = np.random.default_rng(3)
    frames = []
    for uid in ("a", "b"):
        ds = pd.date_range("2023-01-02", periods=length, freq="D")
        weekly = np.where(ds.day_of_week >= 5, 5.0, 0.0)  # weekends are high
        frames.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": 10 + weekly + 0.3 * rng.normal(size=length),
                                    "promo": rng.integers(0, 2, length).astype(float)}))
    return pd.concat(frames, ignore_index=True)


def test_calendar_parameter_equals_the_same_features_given_as_future_covariates():
    """calendar=[...] computes exactly the columns a user would pass with X_future."""
    df = _daily_panel()
    kw = dict(horizon=7, input_size=14, hidden_size=8, max_steps=30, n_models=1, random_state=0)
    auto = RNNForecaster(calendar=["dayofweek"], **kw).fit(df[["unique_id", "ds", "y"]])
    names = calendar_feature_names(["dayofweek"])
    manual = RNNForecaster(future_covariates=names, **kw).fit(calendar_features(df, ["dayofweek"]))
    future = calendar_features(manual.make_future_frame(), ["dayofweek"])
    pd.testing.assert_frame_equal(auto.predict(level=[80]), manual.predict(X_future=future, level=[80]))
    cv_auto = auto.cross_validation(df[["unique_id", "ds", "y"]], n_windows=2)
    cv_manual = manual.cross_validation(calendar_features(df, ["dayofweek"]), n_windows=2)
    pd.testing.assert_frame_equal(cv_auto, cv_manual)
    # with a listed future covariate too: X_future carries only the listed one
    both = RNNForecaster(calendar=["dayofweek"], future_covariates=["promo"], **kw).fit(df)
    fut = both.make_future_frame().assign(promo=1.0)
    assert both._known_names() == ["promo", "dayofweek_sin", "dayofweek_cos"]
    assert len(both.predict(X_future=fut)) == 14


def test_calendar_features_are_local_time_for_tz_aware_data():
    ds = pd.date_range("2024-03-30", periods=96, freq="h", tz="Europe/Berlin")
    df = pd.DataFrame({"unique_id": "s", "ds": ds, "y": np.sin(2 * np.pi * ds.hour / 24)})
    model = RNNForecaster(horizon=6, input_size=12, calendar=["hour"], hidden_size=4, max_steps=2, n_models=1,
                          random_state=0).fit(df)
    hours = np.asarray(pd.DatetimeIndex(df["ds"]).hour)
    X = model.panel_.X[:, model.panel_.covariate_names.index("hour_sin")]
    np.testing.assert_allclose(X, np.sin(2 * np.pi * hours / 24), atol=1e-12)


@pytest.mark.parametrize("calendar, match", [
    ("month", r"calendar must be 'auto', None or a list .*one feature: \['month'\]"),
    ("yes", r"calendar must be 'auto', None or a list of calendar feature names; got 'yes'$"),
    ({"month"}, r"calendar must be 'auto', None or a list of calendar feature names; got \{'month'\}$"),
    (["moon"], r"unknown calendar feature\(s\) \['moon'\]"),
    (["month", "month"], "listed twice"),
])
def test_bad_calendar_parameters_are_named(calendar, match):
    with pytest.raises(ValueError, match=match):
        RNNForecaster(horizon=2, calendar=calendar).fit(_daily_panel())


def test_calendar_needs_datetimes_and_its_own_columns():
    df = _daily_panel()
    with pytest.raises(TypeError, match="needs datetime timestamps"):
        RNNForecaster(horizon=2, calendar=["month"]).fit(df.assign(ds=df.groupby("unique_id").cumcount()))
    with pytest.raises(ValueError, match=r"already has column\(s\) \['month_sin', 'month_cos'\]"):
        RNNForecaster(horizon=2, calendar=["month"], covariates="auto").fit(calendar_features(df, ["month"]))
