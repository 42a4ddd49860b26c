"""RNNForecaster(local=True): one model per series, fitted through joblib."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn import RNNForecaster
from tsrnn.datasets.synthetic import make_random_walk_panel
from tsrnn.forecasting.forecaster import series_seeds

TINY = dict(horizon=3, input_size=6, hidden_size=4, max_steps=10, batch_size=16, random_state=5)


@pytest.fixture(scope="module")
def panel():
    return make_random_walk_panel(5, 40, random_state=1)


@pytest.fixture(scope="module")
def fitted(panel):
    return RNNForecaster(local=True, **TINY).fit(panel)


def test_one_model_per_series_each_fitted_on_its_own_series(panel, fitted):
    assert len(fitted.local_models_) == 5 and not hasattr(fitted, "models_")
    ids = panel["unique_id"].unique()
    # a local model equals a global forecaster fitted on that series alone with the series' seed
    seed = series_seeds(TINY["random_state"], ids[2:3])[0]
    alone = RNNForecaster(**dict(TINY, random_state=int(seed), n_jobs=1)).fit(panel[panel.unique_id == ids[2]])
    got = fitted.predict()
    np.testing.assert_array_equal(got.loc[got.unique_id == ids[2], "yhat"].to_numpy(), alone.predict()["yhat"].to_numpy())


def test_forecasts_do_not_depend_on_other_series_order_or_workers(panel, fitted):
    ids = panel["unique_id"].unique()
    subset = panel[panel.unique_id.isin(ids[[4, 1]])].iloc[::-1]  # other series dropped, rows reversed
    part = RNNForecaster(local=True, **TINY).fit(subset).predict()
    full = fitted.predict().set_index(["unique_id", "ds"])
    np.testing.assert_array_equal(full.loc[part.set_index(["unique_id", "ds"]).index, "yhat"].to_numpy(),
                                  part["yhat"].to_numpy())
    two = RNNForecaster(local=True, n_jobs=2, **TINY).fit(panel).predict()
    np.testing.assert_array_equal(two["yhat"].to_numpy(), fitted.predict()["yhat"].to_numpy())


def test_series_differ_from_a_global_model(panel, fitted):
    global_ = RNNForecaster(**TINY).fit(panel).predict()["yhat"].to_numpy()
    assert not np.allclose(fitted.predict()["yhat"].to_numpy(), global_)


def test_predict_on_new_history_of_known_series_and_refuses_unknown(panel, fitted):
    longer = panel.copy()
    longer.loc[longer.groupby("unique_id").tail(1).index, "y"] += 100.0
    moved = fitted.predict(df=longer)
    assert not np.allclose(moved["yhat"], fitted.predict()["yhat"])
    other = make_random_walk_panel(1, 20, random_state=2).assign(unique_id="zz")
    with pytest.raises(ValueError, match="unknown: zz"):
        fitted.predict(df=other)


def test_intervals_cross_validation_and_save_load(panel, fitted, tmp_path):
    pred = fitted.predict(level=[80])
    assert (pred["yhat-lo-80"] <= pred["yhat"]).all() and (pred["yhat"] <= pred["yhat-hi-80"]).all()
    cv = RNNForecaster(local=True, **TINY).cross_validation(panel, n_windows=2, refit=True)
    assert len(cv) == 5 * 2 * 3 and np.isfinite(cv["yhat"]).all()
    path = tmp_path / "local.tsrnn"
    fitted.save(path)
    loaded = tsrnn.load(path)
    assert len(loaded.local_models_) == 5
    pd.testing.assert_frame_equal(loaded.predict(level=[80]), pred)


def test_series_seeds_depend_on_id_and_seed_only():
    a = series_seeds(0, ["a", "b", "c"])
    assert a[1] == series_seeds(0, ["b"])[0]
    assert len(set(a)) == 3 and not np.array_equal(a, series_seeds(1, ["a", "b", "c"]))


def test_local_parameter_is_validated(panel):
    with pytest.raises(ValueError, match="local must be True or False"):
        RNNForecaster(local="yes", **TINY).fit(panel)
    with pytest.raises(ValueError, match="checkpoint is not supported with local=True"):
        RNNForecaster(local=True, checkpoint="x.ckpt", **TINY).fit(panel)


def test_global_refits_in_parallel_match_serial(panel):
    kw = dict(TINY, cell="rnn")
    serial = RNNForecaster(n_jobs=1, **kw).cross_validation(panel, n_windows=3, refit=True)
    parallel = RNNForecaster(n_jobs=2, **kw).cross_validation(panel, n_windows=3, refit=True)
    pd.testing.assert_frame_equal(serial, parallel)


def test_ensemble_members_fitted_in_parallel_match_serial(panel):
    kw = dict(TINY, n_models=3)
    serial = RNNForecaster(n_jobs=1, **kw).fit(panel)
    parallel = RNNForecaster(n_jobs=2, **kw).fit(panel)
    assert len(parallel.models_) == 3
    pd.testing.assert_frame_equal(serial.predict(), parallel.predict())


def test_a_series_forecast_does_not_depend_on_the_other_series():
    """Each local model chooses differencing and scaling and calibrates its intervals
    on its own series: a trending series fitted alone or among stationary ones (which
    would have voted against differencing) gets the same forecast and intervals, also
    in backtests (tsrnn.distributed.forecast_local relies on this for partitions)."""
    rng = np.random.default_rng(0)
    ds = pd.date_range("2000-01-01", periods=60, freq="D")
    trend = pd.DataFrame({"unique_id": "trend", "ds": ds, "y": np.arange(60) + rng.normal(size=60)})
    noise = [pd.DataFrame({"unique_id": f"noise{k}", "ds": ds, "y": rng.normal(size=60)}) for k in range(2)]
    kw = dict(horizon=4, input_size=8, hidden_size=4, max_steps=10, n_models=1, local=True, random_state=0)
    alone = RNNForecaster(**kw).fit(trend)
    together = RNNForecaster(**kw).fit(pd.concat([*noise, trend]))
    assert [m.differences_ for m in together.local_models_] == [[], [], [1]]
    assert alone.local_models_[0].differences_ == [1] and not hasattr(together, "differences_")
    pd.testing.assert_frame_equal(alone.predict(level=[80]),
                                  together.predict(level=[80]).query("unique_id == 'trend'").reset_index(drop=True))
    cv_alone = alone.cross_validation(trend, n_windows=2, level=[80])
    cv_together = together.cross_validation(pd.concat([*noise, trend]), n_windows=2, level=[80])
    pd.testing.assert_frame_equal(cv_alone, cv_together.query("unique_id == 'trend'").reset_index(drop=True))


def test_local_models_with_different_differencing_forecast_new_history(tmp_path):
    rng = np.random.default_rng(1)
    ds = pd.date_range("2000-01-01", periods=60, freq="D")
    df = pd.concat([pd.DataFrame({"unique_id": "trend", "ds": ds, "y": np.arange(60) + rng.normal(size=60)}),
                    pd.DataFrame({"unique_id": "flat", "ds": ds, "y": rng.normal(size=60)})])
    model = RNNForecaster(horizon=4, input_size=8, hidden_size=4, max_steps=10, n_models=1, local=True,
                          random_state=0).fit(df)
    needs = {m.panel_.ids[0]: 8 + sum(m.differences_) for m in model.local_models_}
    assert needs == {"flat": 8, "trend": 9}
    recent = df.groupby("unique_id").tail(8)  # enough for "flat", one short for the differenced "trend"
    with pytest.raises(ValueError, match=r"1 series is too short for prediction .*'trend' \(8, 9\)"):
        model.predict(df=recent)
    assert len(model.predict(df=df.groupby("unique_id").tail(9))) == 8
    path = tmp_path / "local.tsrnn"
    model.save(path)
    loaded = tsrnn.load(path)
    pd.testing.assert_frame_equal(loaded.predict(level=[80]), model.predict(level=[80]))
