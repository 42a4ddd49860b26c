"""RNNForecaster: shapes and dates of forecasts, backtests, intervals, transforms, errors."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from tsrnn import RNNForecaster
from tsrnn.windows import build_panel
from tsrnn.forecasting import _transforms

FAST = dict(hidden_size=8, max_steps=15, batch_size=16, random_state=0)


def _panel(lengths, freq="MS", start="2000-01-01", seed=0, integer=False):
    rng = np.random.default_rng(seed)
    frames = []
    for k, n in enumerate(lengths):
        t = np.arange(n)
        ds = np.arange(100, 100 + 2 * n, 2) if integer else pd.date_range(start, periods=n, freq=freq)
        frames.append(pd.DataFrame({
            "unique_id": f"s{k}", "ds": ds,
            "y": 50 + 10 * k + 5 * np.sin(2 * np.pi * t / 12) + 0.2 * t + rng.normal(0, 0.5, n),
        }))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("freq", ["MS", "D", "QS", "h"])
def test_predict_rows_and_future_dates(freq):
    df = _panel([40, 30], freq=freq)
    f = RNNForecaster(horizon=5, input_size=8, **FAST).fit(df)
    out = f.predict()
    assert list(out.columns) == ["unique_id", "ds", "yhat"]
    assert out.groupby("unique_id").size().to_dict() == {"s0": 5, "s1": 5}
    for uid, g in out.groupby("unique_id"):
        last = df.loc[df.unique_id == uid, "ds"].max()
        expected = pd.date_range(last, periods=6, freq=freq)[1:]
        np.testing.assert_array_equal(g["ds"].to_numpy(), expected.to_numpy())
    assert np.isfinite(out["yhat"]).all()


def test_predict_integer_ds():
    df = _panel([30, 25], integer=True)
    f = RNNForecaster(horizon=3, input_size=6, **FAST).fit(df)
    out = f.predict()
    assert out["ds"].dtype.kind == "i"
    np.testing.assert_array_equal(out.loc[out.unique_id == "s1", "ds"], [150, 152, 154])


def test_predict_longer_than_horizon_and_new_series():
    df = _panel([40, 30])
    f = RNNForecaster(horizon=4, input_size=8, **FAST).fit(df)
    out = f.predict(h=10)
    assert out.groupby("unique_id").size().tolist() == [10, 10]
    # the first block equals the horizon forecast
    np.testing.assert_allclose(out.groupby("unique_id").head(4)["yhat"].to_numpy(), f.predict()["yhat"].to_numpy())
    new = _panel([12], seed=3).assign(unique_id="fresh")
    out = f.predict(df=new)
    assert out["unique_id"].unique().tolist() == ["fresh"] and len(out) == 4
    with pytest.raises(ValueError, match=r"too short for prediction.*'fresh' \(5\)"):
        f.predict(df=new.iloc[:5])


def test_recursive_strategy():
    df = _panel([40])
    f = RNNForecaster(horizon=6, input_size=8, strategy="recursive", **FAST).fit(df)
    assert f.models_[0].network_.predict(np.zeros((1, 8, 1), np.float32), np.array([8])).shape == (1, 1)
    assert len(f.predict()) == 6


def test_same_seed_same_forecast_and_ensemble():
    df = _panel([40, 30])
    a = RNNForecaster(horizon=3, input_size=6, **FAST).fit(df).predict()
    b = RNNForecaster(horizon=3, input_size=6, **FAST).fit(df).predict()
    pd.testing.assert_frame_equal(a, b)
    e = RNNForecaster(horizon=3, input_size=6, n_models=2, **FAST).fit(df)
    assert len(e.models_) == 2


def test_cross_validation_cutoffs():
    df = _panel([40, 33])
    H, n_windows, step = 4, 3, 2
    f = RNNForecaster(horizon=H, input_size=6, **FAST)
    cv = f.cross_validation(df, n_windows=n_windows, step_size=step)
    assert not hasattr(f, "models_")  # the estimator itself is untouched
    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "y", "yhat"]
    for uid, g in cv.groupby("unique_id"):
        s = df[df.unique_id == uid].reset_index(drop=True)
        n = len(s)
        held = H + (n_windows - 1) * step
        cutoffs = [s.ds[n - held + k * step - 1] for k in range(n_windows)]
        assert sorted(g["cutoff"].unique()) == cutoffs
        for c, w in g.groupby("cutoff"):
            i = s.index[s.ds == c][0]
            np.testing.assert_array_equal(w["ds"], s.ds[i + 1 : i + 1 + H])
            np.testing.assert_array_equal(w["y"], s.y[i + 1 : i + 1 + H])
    assert cv.groupby("unique_id").size().tolist() == [n_windows * H] * 2
    # refit=True fits one model per window and gives the same frame layout
    cv2 = f.cross_validation(df, n_windows=2, refit=True)
    assert len(cv2) == 2 * 2 * H and cv2["cutoff"].nunique() == 4


def test_cross_validation_too_short_names_series():
    df = _panel([40, 15])
    with pytest.raises(ValueError, match=r"too short for 3 backtest windows.*'s1' \(15\)"):
        RNNForecaster(horizon=4, input_size=6, **FAST).cross_validation(df, n_windows=3)


def test_conformal_intervals():
    df = _panel([60, 50, 55])
    f = RNNForecaster(horizon=4, input_size=8, conformal_windows=6, **FAST).fit(df)
    out = f.predict(level=[80, 95])
    assert list(out.columns) == ["unique_id", "ds", "yhat", "yhat-lo-80", "yhat-hi-80", "yhat-lo-95", "yhat-hi-95"]
    assert f.conformal_scores_.shape == (3 * 6, 4)
    assert (out["yhat-lo-95"] <= out["yhat-lo-80"]).all() and (out["yhat-lo-80"] <= out["yhat"]).all()
    assert (out["yhat"] <= out["yhat-hi-80"]).all() and (out["yhat-hi-80"] <= out["yhat-hi-95"]).all()
    # point forecasts do not depend on the calibration
    np.testing.assert_allclose(out["yhat"], f.predict()["yhat"])
    with pytest.raises(ValueError, match="h <= horizon"):
        f.predict(h=5, level=80)
    with pytest.raises(ValueError, match="level"):
        f.predict(level=120)


def test_cross_validation_intervals_report_coverage():
    df = _panel([60, 60])
    cv = RNNForecaster(horizon=3, input_size=6, conformal_windows=4, **FAST).cross_validation(
        df, n_windows=2, level=[90])
    assert {"yhat-lo-90", "yhat-hi-90"} <= set(cv.columns)
    cov = cv.attrs["coverage"][90]
    inside = ((cv.y >= cv["yhat-lo-90"]) & (cv.y <= cv["yhat-hi-90"])).mean()
    assert cov == pytest.approx(inside)


def test_intervals_need_enough_history():
    df = _panel([20])
    f = RNNForecaster(horizon=4, input_size=8, conformal_windows=10, **FAST).fit(df)
    with pytest.raises(ValueError, match=r"prediction intervals need .*'s0' \(20\)"):
        f.predict(level=80)


def test_a_short_series_takes_the_calibration_of_the_others():
    """A global model calibrates on the series long enough; one short series used to
    refuse intervals for every series."""
    df = _panel([60, 50, 14])
    f = RNNForecaster(horizon=4, input_size=8, **FAST).fit(df)
    with pytest.warns(UserWarning, match=r"1 series is too short to calibrate .*'s2' \(14\); their intervals use "
                                         r"the calibration errors of the other 2 series"):
        out = f.predict(level=[80, 95])
    assert len(out) == 12 and np.isfinite(out.filter(like="yhat").to_numpy()).all()
    assert (out["yhat-lo-95"] < out["yhat-lo-80"]).all() and (out["yhat-hi-80"] < out["yhat-hi-95"]).all()
    # the same scores as a calibration on the two long series alone
    alone = RNNForecaster(horizon=4, input_size=8, **FAST).fit(df)
    alone.panel_ = alone.panel_.select([0, 1])
    np.testing.assert_array_equal(f.conformal_scores_, alone._calibrate())


@pytest.mark.parametrize("name", ["log", "log1p", None])
def test_target_transforms_round_trip(name):
    y = np.array([0.5, 1.0, 10.0, 1234.5])
    np.testing.assert_allclose(_transforms.inverse(_transforms.forward(y, name), name), y, rtol=1e-12)


def test_log_transform_forecasts_are_positive_and_scaler_none_works():
    df = _panel([40])
    out = RNNForecaster(horizon=3, input_size=6, target_transform="log", **FAST).fit(df).predict(level=None)
    assert (out["yhat"] > 0).all()
    bad = df.assign(y=df.y - 100)
    with pytest.raises(ValueError, match="needs y > 0"):
        RNNForecaster(horizon=3, input_size=6, target_transform="log", **FAST).fit(bad)
    out = RNNForecaster(horizon=3, input_size=6, scaler=None, **FAST).fit(df).predict()
    assert np.isfinite(out["yhat"]).all()


def test_covariates_are_inputs():
    df = _panel([40, 30])
    df["temp"] = np.cos(np.arange(len(df)))
    f = RNNForecaster(horizon=3, input_size=6, covariates=["temp"], calendar=None, **FAST).fit(df)
    assert f.models_[0].n_features_in_ == 2
    assert len(f.predict()) == 6
    with pytest.raises(ValueError, match="covariates"):
        f.predict(h=5)
    with pytest.raises(ValueError, match="covariate column"):
        f.predict(df=df.drop(columns="temp"))


def test_custom_column_names():
    df = _panel([30]).rename(columns={"unique_id": "store", "ds": "date", "y": "sales"})
    f = RNNForecaster(horizon=2, input_size=4, id_col="store", time_col="date", target_col="sales", **FAST)
    out = f.fit(df).predict()
    assert list(out.columns) == ["store", "date", "yhat"]


def test_early_stopping_holds_out_last_horizon():
    df = _panel([50, 40])
    f = RNNForecaster(horizon=3, input_size=6, early_stopping=True, patience=2, **FAST).fit(df)
    assert len(f.models_[0].validation_loss_curve_) == f.models_[0].n_iter_


@pytest.mark.parametrize("n_windows,steps", [
    (10, 25), (32, 25), (33, 50), (96, 75), (97, 100), (33 * 32, 165), (10**6, 1000),
])
def test_auto_max_steps_is_five_epochs_between_100_and_1000_and_at_most_25_epochs(n_windows, steps):
    assert RNNForecaster(horizon=2)._training_steps(n_windows) == steps
    assert RNNForecaster(horizon=2, max_steps=7)._training_steps(n_windows) == 7


def test_auto_max_steps_in_a_fit():
    df = _panel([60])  # 60 - 6 - 3 + 1 = 52 windows: two batches of 32, capped at 25 epochs = 50 steps
    f = RNNForecaster(horizon=3, input_size=6, hidden_size=4, n_models=1, differences=None, random_state=0).fit(df)
    assert f.get_params()["max_steps"] == "auto"
    assert f.n_windows_ == 52 and f.max_epochs_ == 25 and f.models_[0].t_ == 50
    long = RNNForecaster(horizon=3, input_size=6, hidden_size=4, n_models=1, differences=None,
                         random_state=0).fit(_panel([300]))  # 292 windows, 10 batches: 100 steps
    assert long.max_epochs_ == 10 and long.models_[0].t_ == 100


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("params,match", [
    ({"horizon": 0}, "horizon must be a positive integer"),
    ({"horizon": -2}, "horizon"),
    ({"horizon": 2, "input_size": 0}, "input_size"),
    ({"horizon": 2, "scaler": "zscore"}, "scaler"),
    ({"horizon": 2, "strategy": "mimo"}, "strategy"),
    ({"horizon": 2, "target_transform": "sqrt"}, "target_transform"),
    ({"horizon": 2, "n_models": 0}, "n_models"),
    ({"horizon": 2, "max_steps": "many"}, "max_steps"),
    ({"horizon": 2, "max_steps": 0}, "max_steps"),
])
def test_bad_params(params, match):
    with pytest.raises(ValueError, match=match):
        RNNForecaster(**params).fit(_panel([30]))


def test_bad_frames():
    f = RNNForecaster(horizon=3, input_size=6, **FAST)
    with pytest.raises(ValueError, match="missing required column"):
        f.fit(_panel([30]).drop(columns="ds"))
    with pytest.raises(TypeError, match="must be numeric"):
        f.fit(_panel([30]).assign(y="a"))
    df = _panel([30, 30])
    df.loc[40, "y"] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinite values in \['y'\]: series 's1' at 2000-11-01; drop or impute"):
        f.fit(df)
    with pytest.raises(ValueError, match="duplicate timestamps"):
        f.fit(pd.concat([_panel([30]), _panel([30]).iloc[[3]]]))
    with pytest.raises(ValueError, match=r"too short for training.*'s1' \(7\).*'s2' \(5\)"):
        f.fit(_panel([30, 7, 5]))
    with pytest.raises(TypeError, match="DataFrame"):
        f.fit(np.zeros((10, 3)))


def test_predict_before_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RNNForecaster(horizon=2).predict()


def test_get_params_set_params_clone():
    f = RNNForecaster(horizon=6, input_size=12, cell="gru", scaler="standard")
    params = f.get_params()
    assert params["horizon"] == 6 and params["cell"] == "gru" and params["input_size"] == 12
    f.set_params(hidden_size=16, cell="rnn")
    assert f.hidden_size == 16 and f.cell == "rnn"
    c = clone(f)
    assert c.get_params() == f.get_params() and c is not f
    assert "RNNForecaster(" in repr(f)


@pytest.mark.slow
def test_learns_a_seasonal_pattern():
    t = np.arange(160)
    df = pd.DataFrame({"unique_id": "sine", "ds": pd.date_range("2000-01-01", periods=160, freq="MS"),
                       "y": 100 + 10 * np.sin(2 * np.pi * t / 12) + 0.3 * t})
    train, test = df.iloc[:-12], df.iloc[-12:]
    f = RNNForecaster(horizon=12, input_size=24, hidden_size=32, max_steps=300, learning_rate=1e-2,
                      random_state=0).fit(train)
    err = np.abs(f.predict()["yhat"].to_numpy() - test["y"].to_numpy()).mean()
    naive = np.abs(train["y"].to_numpy()[-12:] - test["y"].to_numpy()).mean()  # seasonal naive
    assert err < naive


def test_level_features_option():
    df = _panel([40, 30])
    f = RNNForecaster(horizon=3, input_size=6, level_features=True, conformal_windows=3, calendar=None,
                      **FAST).fit(df)
    assert f.models_[0].n_features_in_ == 3
    out = f.predict(level=80)
    assert len(out) == 6 and np.isfinite(out["yhat-hi-80"]).all()
    cv = RNNForecaster(horizon=3, input_size=6, level_features=True, **FAST).cross_validation(df, n_windows=2)
    assert len(cv) == 12


def test_repeated_predictions_share_memoised_dates_but_not_frames():
    from tsrnn.windows._panel import future_timestamps_many

    df = _panel([40, 30])
    f = RNNForecaster(horizon=3, input_size=6, **FAST).fit(df)
    first = f.predict(h=5)
    first.loc[0, "ds"] = pd.Timestamp("1999-01-01")  # the caller's frame is theirs to change
    second = f.predict(h=5)
    panel = f.panel_
    expected = future_timestamps_many(panel.ds[panel.offsets[1:] - 1], panel.freqs, 5)
    np.testing.assert_array_equal(second["ds"].to_numpy(), expected)
    assert not panel.future_timestamps(5).flags.writeable


@pytest.mark.parametrize("quantile_levels", [None, [80]])
def test_early_stopping_on_one_series_scores_without_warnings(quantile_levels):
    import warnings

    df = _panel([40])  # one series: one validation window per epoch
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = RNNForecaster(horizon=3, input_size=6, early_stopping=True, patience=3,
                          quantile_levels=quantile_levels, **FAST).fit(df)
    scores = f.models_[0].validation_scores_
    assert len(scores) == f.models_[0].n_iter_ and all(np.isfinite(scores)) and max(scores) <= 0


def test_level_columns_keep_every_digit_and_backtest_warnings_show_once():
    df = _panel([40])
    f = RNNForecaster(horizon=2, input_size=6, **FAST).fit(df)
    out = f.predict(level=[80, 80.0000001, np.float32(80.5)])
    assert [c for c in out.columns if c.startswith("yhat-lo")] == ["yhat-lo-80", "yhat-lo-80.0000001", "yhat-lo-80.5"]
    with pytest.warns(UserWarning) as record:
        cv = f.cross_validation(df, n_windows=6, step_size=1, level=[99.99999])
    assert "yhat-hi-99.99999" in cv.columns  # was named 100 (six digits)
    beyond = [w for w in record if "cover levels up to" in str(w.message)]
    assert len(beyond) == 1, [str(w.message) for w in record]  # once, not once per window


def test_few_long_series_calibrate_on_more_windows():
    one = RNNForecaster(horizon=4, input_size=8, **FAST)
    one.input_size_ = 8
    long_panel = build_panel(_panel([500]))
    assert one._n_calibration_windows(long_panel) == 50  # a tenth of the series, not 2 * horizon = 8
    assert one._n_calibration_windows(build_panel(_panel([60]))) == 8  # short: 2 * horizon
    assert one._n_calibration_windows(build_panel(_panel([200] * 12))) == 9  # 12 x 9 >= 100 errors per step
    assert one._n_calibration_windows(build_panel(_panel([200] * 30))) == 7  # about 200 in all
