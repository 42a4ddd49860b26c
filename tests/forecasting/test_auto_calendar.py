"""calendar="auto": the season's position as a computed future covariate, chosen at fit."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn import RNNForecaster
from tsrnn.forecasting import calendar_features
from tsrnn.forecasting._seasonality import season_feature

FAST = dict(hidden_size=8, max_steps=30, batch_size=16, random_state=0)


def _seasonal(n_series=2, length=96, freq="MS", period=12, trend=0.0, amplitude=10.0, seed=0):
    """Level-stationary series with a strong season (plus an optional trend)."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    ds = pd.date_range("2000-01-03", periods=length, freq=freq)
    return pd.concat([pd.DataFrame({
        "unique_id": f"s{k}", "ds": ds,
        "y": 50 + amplitude * np.sin(2 * np.pi * t / period) + trend * t + rng.normal(0, 1, length),
    }) for k in range(n_series)], ignore_index=True)


@pytest.mark.parametrize("freq, period, feature", [("MS", 12, "month"), ("QS", 4, "quarter"),
                                                   ("D", 7, "dayofweek"), ("h", 24, "hour")])
def test_stationary_seasonal_series_read_their_season_position(freq, period, feature):
    df = _seasonal(freq=freq, period=period, length=max(96, 6 * period))
    f = RNNForecaster(horizon=period, input_size=2 * period, **FAST).fit(df)
    assert f.differences_ == [] and f.calendar_ == [feature]
    assert f.covariate_names_ == [f"{feature}_sin", f"{feature}_cos"]
    assert f.models_[0].n_features_in_ == 1 + 2 + 1  # target, calendar, future-step flag
    out = f.predict()  # no X_future needed: the model computes the features
    assert len(out) == 2 * period and np.isfinite(out["yhat"]).all()


def test_the_choice_equals_the_same_features_given_as_a_list():
    df = _seasonal()
    auto = RNNForecaster(horizon=12, input_size=24, **FAST).fit(df)
    listed = RNNForecaster(horizon=12, input_size=24, calendar=["month"], **FAST).fit(df)
    assert listed.calendar_ == ["month"]
    pd.testing.assert_frame_equal(auto.predict(), listed.predict())


@pytest.mark.parametrize("case", ["seasonal differences", "not seasonal", "integer steps", "yearly", "off"])
def test_no_calendar_where_the_season_is_gone_or_absent(case):
    df, params = _seasonal(), {}
    if case == "seasonal differences":  # a trend: differenced at the season, which removes the pattern
        df = _seasonal(trend=1.0)
    elif case == "not seasonal":
        df = _seasonal(amplitude=0.0)
    elif case == "integer steps":
        df["ds"] = np.tile(np.arange(96), 2)
    elif case == "yearly":
        df["ds"] = np.tile(pd.date_range("1900-01-01", periods=96, freq="YS"), 2)
    else:
        params = {"calendar": None}
    f = RNNForecaster(horizon=12, input_size=24, **FAST, **params).fit(df)
    assert f.calendar_ == [] and f.covariate_names_ == []
    if case == "seasonal differences":
        assert f.differences_ == [12]


def test_user_columns_of_the_same_name_are_kept_not_duplicated():
    df = calendar_features(_seasonal(), ["month"])  # the user's own month_sin / month_cos
    f = RNNForecaster(horizon=12, input_size=24, covariates="auto", **FAST).fit(df)
    assert f.calendar_ == [] and f.covariate_names_ == ["month_sin", "month_cos"]
    assert np.isfinite(f.predict()["yhat"]).all()


def test_intervals_backtests_and_new_series_use_the_chosen_features():
    df = _seasonal()
    f = RNNForecaster(horizon=12, input_size=24, conformal_windows=4, **FAST).fit(df)
    assert f.calendar_ == ["month"]
    out = f.predict(level=80)
    assert (out["yhat-lo-80"] < out["yhat"]).all()
    new = df.assign(unique_id=df["unique_id"] + "-new")
    np.testing.assert_allclose(f.predict(df=new)["yhat"], out["yhat"])  # same histories, same forecasts
    cv = f.cross_validation(df, n_windows=2, level=80)
    assert len(cv) == 2 * 2 * 12 and 0 <= cv.attrs["coverage"][80] <= 1
    refit = f.cross_validation(df, n_windows=2, refit=True)  # a copy per window, each choosing
    pd.testing.assert_frame_equal(refit[refit["cutoff"] == refit["cutoff"].min()].reset_index(drop=True),
                                  cv.loc[cv["cutoff"] == cv["cutoff"].min(), refit.columns].reset_index(drop=True))


def test_the_calibration_copy_reads_the_same_calendar(monkeypatch):
    seen = []
    original = RNNForecaster._fit_panel

    def spy(self, panel, input_size, resume=False):
        seen.append((self.calendar, list(panel.covariate_names)))
        return original(self, panel, input_size, resume)

    monkeypatch.setattr(RNNForecaster, "_fit_panel", spy)
    f = RNNForecaster(horizon=12, input_size=24, conformal_windows=4, **FAST).fit(_seasonal())
    f.predict(level=80)
    assert seen[0] == ("auto", [])
    assert seen[1] == (["month"], ["month_sin", "month_cos"])  # its panel already holds them


def test_saved_models_keep_the_choice(tmp_path):
    df = _seasonal()
    f = RNNForecaster(horizon=12, input_size=24, **FAST).fit(df)
    f.save(tmp_path / "m.tsrnn")
    g = tsrnn.load(tmp_path / "m.tsrnn")
    assert g.calendar_ == ["month"] and g.calendar == "auto"
    pd.testing.assert_frame_equal(g.predict(level=80), f.predict(level=80))


def test_files_without_the_choice_load_with_the_parameter(tmp_path):
    """A model file from before calendar="auto" (its calendar parameter: None or a list)."""
    f = RNNForecaster(horizon=12, input_size=24, calendar=None, **FAST).fit(_seasonal())
    del f.calendar_
    f.save(tmp_path / "old.tsrnn")
    g = tsrnn.load(tmp_path / "old.tsrnn")
    assert not hasattr(g, "calendar_") and g._calendar_list() == []
    pd.testing.assert_frame_equal(g.predict(), f.predict())


def test_a_model_file_with_a_bad_choice_is_refused(tmp_path):
    f = RNNForecaster(horizon=12, input_size=24, **FAST).fit(_seasonal())
    f.calendar_ = ["moon"]
    f.save(tmp_path / "bad.tsrnn")
    with pytest.raises(ValueError, match="calendar_ must list distinct calendar features"):
        tsrnn.load(tmp_path / "bad.tsrnn")


def test_local_models_choose_on_their_own_series(tmp_path):
    seasonal = _seasonal(n_series=1)
    flat = _seasonal(n_series=1, amplitude=0.0, seed=1).assign(unique_id="flat")
    df = pd.concat([seasonal, flat], ignore_index=True)
    f = RNNForecaster(horizon=12, input_size=24, local=True, conformal_windows=4, **FAST).fit(df)
    assert [m.calendar_ for m in f.local_models_] == [[], ["month"]]  # series in id order: flat, s0
    assert f.covariate_names_ == []  # the parent reads none; each model its own
    out = f.predict(level=80)
    alone = RNNForecaster(horizon=12, input_size=24, local=True, conformal_windows=4, **FAST).fit(seasonal)
    np.testing.assert_allclose(out["yhat"].to_numpy()[12:], alone.predict()["yhat"].to_numpy())
    cv = f.cross_validation(df, n_windows=2, level=80)
    assert len(cv) == 2 * 2 * 12
    f.save(tmp_path / "local.tsrnn")
    g = tsrnn.load(tmp_path / "local.tsrnn")
    assert [m.calendar_ for m in g.local_models_] == [[], ["month"]]
    pd.testing.assert_frame_equal(g.predict(level=80), out)


def test_season_feature_of_frequencies():
    assert [season_feature(f) for f in ("MS", "ME", "QS-OCT", "W-SUN", "D", "B", "h")] == [
        "month", "month", "quarter", "weekofyear", "dayofweek", "dayofweek", "hour"]
    assert [season_feature(f) for f in ("YS", "2D", "SMS", "min", 5)] == [None] * 5
