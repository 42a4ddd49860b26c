"""Differencing (``differences=``): exact inversion, series boundaries, wiring through
predict / backtests / intervals / model files, and bad values."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn import RNNForecaster
from tsrnn.forecasting import _transforms

FAST = dict(hidden_size=8, max_steps=15, batch_size=16, random_state=0)


@pytest.mark.parametrize("lags", [(1,), (12,), (1, 12), (2, 3)])
def test_integrate_inverts_difference_rows(lags):
    rng = np.random.default_rng(0)
    y = rng.normal(size=(4, 50)).cumsum(axis=1)
    d = _transforms.difference_rows(y, lags)
    assert d.shape == (4, 50 - sum(lags))
    for cut in (sum(lags), 30, 44):
        rebuilt = _transforms.integrate(y[:, :cut], d[:, cut - sum(lags):], lags)
        np.testing.assert_allclose(rebuilt, y[:, cut:], rtol=0, atol=1e-10)
    # quantile channels are integrated one by one
    channels = np.stack([d[:, -6:], d[:, -6:] + 1.0], axis=2)
    rebuilt = _transforms.integrate(y[:, :-6], channels, lags)
    np.testing.assert_allclose(rebuilt[..., 0], y[:, -6:], atol=1e-10)
    assert (rebuilt[..., 1] > rebuilt[..., 0]).all()


def test_difference_never_crosses_series():
    offsets = np.array([0, 20, 35, 60])
    z = np.random.default_rng(1).normal(size=60)
    lags = (1, 4)
    dz = _transforms.difference(z, offsets, lags)
    for a, b in zip(offsets[:-1], offsets[1:]):
        assert np.isnan(dz[a : a + 5]).all()
        np.testing.assert_allclose(dz[a + 5 : b], _transforms.difference_rows(z[None, a:b], lags)[0])


def _line(n=60, slope=3.0, season=None):
    t = np.arange(n)
    y = 5.0 + slope * t + (0 if season is None else 10 * np.sin(2 * np.pi * t / season))
    return pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000-01-01", periods=n, freq="MS"), "y": y})


@pytest.mark.parametrize("differences,season", [(1, None), (12, 12), ([1, 12], 12)])
def test_forecasts_are_integrated_from_each_windows_history(monkeypatch, differences, season):
    # With the network's (scaled) output pinned at 0, each block forecasts the window's
    # median difference: a line (or a line plus a fixed season) continues exactly.
    df = _line(season=season)
    f = RNNForecaster(horizon=4, input_size=13, differences=differences, **FAST).fit(df)
    monkeypatch.setattr(RNNForecaster, "_network_out", lambda self, X: np.zeros((X.shape[0], 4)))
    y = _line(n=70, season=season)["y"].to_numpy()
    np.testing.assert_allclose(f.predict(h=10)["yhat"], y[60:], atol=1e-8)  # fed back past horizon
    np.testing.assert_allclose(f.predict(df=df.iloc[:50])["yhat"], y[50:54], atol=1e-8)
    cv = f.cross_validation(df, n_windows=2)
    np.testing.assert_allclose(cv["yhat"], cv["y"], atol=1e-8)


def test_intervals_backtests_local_models_and_model_files(tmp_path):
    rng = np.random.default_rng(0)
    frames = [pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2001-01-01", periods=70, freq="D"),
                            "y": rng.normal(size=70).cumsum() + 0.5 * np.arange(70)}) for uid in "ab"]
    df = pd.concat(frames, ignore_index=True)
    f = RNNForecaster(horizon=3, input_size=8, differences=[1, 7], conformal_windows=5, **FAST).fit(df)
    out = f.predict(level=[80])
    assert (out["yhat-lo-80"] <= out["yhat"]).all() and (out["yhat"] <= out["yhat-hi-80"]).all()
    cv = f.cross_validation(df, n_windows=2, level=[80])
    assert np.isfinite(cv[["yhat", "yhat-lo-80", "yhat-hi-80"]].to_numpy()).all()
    q = RNNForecaster(horizon=3, input_size=8, differences=1, quantile_levels=[80], **FAST).fit(df)
    qout = q.predict(level=80)
    assert (qout["yhat-lo-80"] <= qout["yhat-hi-80"]).all()
    local = RNNForecaster(horizon=3, input_size=8, differences=1, local=True, **FAST).fit(df)
    assert np.isfinite(local.predict()["yhat"]).all()
    f.save(tmp_path / "m.tsrnn")
    loaded = tsrnn.load(tmp_path / "m.tsrnn")
    assert loaded.differences == [1, 7]
    pd.testing.assert_frame_equal(loaded.predict(), f.predict())


def test_too_short_history_counts_the_differenced_steps():
    df = _line(n=40)
    with pytest.raises(ValueError, match=r"need 36 observations"):  # 8 + 4 + 24
        RNNForecaster(horizon=4, input_size=8, differences=[12, 12], **FAST).fit(df.iloc[:35])
    f = RNNForecaster(horizon=4, input_size=8, differences=12, **FAST).fit(df)
    with pytest.raises(ValueError, match=r"need 20 observations"):
        f.predict(df=df.iloc[:19])


@pytest.mark.parametrize("bad", [0, -1, "12", [1, 0], [], True, 1.5])
def test_bad_differences_are_refused(bad):
    with pytest.raises(ValueError, match="differences must be"):
        RNNForecaster(horizon=2, differences=bad).fit(_line())


def _walks(n_series, n, drift=0.0, seed=0, walk=True):
    rng = np.random.default_rng(seed)
    steps = rng.normal(size=(n_series, n)) + drift
    y = steps.cumsum(axis=1) if walk else steps
    return pd.DataFrame({"unique_id": np.repeat([f"s{i}" for i in range(n_series)], n),
                         "ds": np.tile(np.arange(n), n_series), "y": 100 + y.ravel()})


def test_kpss_statistic_separates_walks_from_noise():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(20, 300))
    walks = noise.cumsum(axis=1)
    crit = _transforms.KPSS_CRITICAL_5PCT
    assert np.mean([_transforms.kpss_statistic(y) > crit for y in noise]) <= 0.15  # size ~5%
    assert np.mean([_transforms.kpss_statistic(y) > crit for y in walks]) >= 0.8
    assert _transforms.kpss_statistic(np.full(50, 3.0)) == 0.0
    assert _transforms.kpss_statistic(np.full(50, 1e300)) == 0.0
    with np.errstate(all="raise"):  # levels near the float64 limit neither overflow nor change the test
        assert _transforms.kpss_statistic(walks[0] * 1e299) == pytest.approx(_transforms.kpss_statistic(walks[0]))


def test_auto_differences_are_not_steered_by_one_gross_outlier():
    rng = np.random.default_rng(0)
    walks = 50 + rng.normal(size=(5, 120)).cumsum(axis=1)
    offsets = np.arange(0, walks.size + 1, 120)
    assert _transforms.auto_differences(walks.ravel(), offsets) == (1,)
    spiked = walks.copy()
    spiked[:, 60] = 1e9  # a data-entry error in every series: KPSS alone called them level-stationary
    assert all(_transforms.kpss_statistic(y) < _transforms.KPSS_CRITICAL_5PCT for y in spiked)
    assert _transforms.auto_differences(spiked.ravel(), offsets) == (1,)


def test_auto_differences_trends_and_walks_but_not_stationary_series(tmp_path):
    auto = dict(horizon=3, input_size=8, **FAST)
    walk = RNNForecaster(**auto).fit(_walks(6, 120))
    assert walk.differences_ == [1]
    trend = RNNForecaster(**auto).fit(_line(n=80))
    assert trend.differences_ == [1]
    assert RNNForecaster(**auto).fit(_walks(6, 120, walk=False)).differences_ == []
    assert RNNForecaster(**auto, differences=None).fit(_walks(6, 120)).differences_ == []
    # too short to spare an observation: no differencing rather than an error
    assert RNNForecaster(horizon=3, input_size=17, **FAST).fit(_walks(2, 20)).differences_ == []
    # one choice for every local model; kept in model files
    local = RNNForecaster(**auto, local=True).fit(_walks(3, 120))
    assert [m.differences_ for m in local.local_models_] == [[1]] * 3
    walk.save(tmp_path / "w.tsrnn")
    loaded = tsrnn.load(tmp_path / "w.tsrnn")
    assert loaded.differences == "auto" and loaded.differences_ == [1]
    pd.testing.assert_frame_equal(loaded.predict(), walk.predict())
