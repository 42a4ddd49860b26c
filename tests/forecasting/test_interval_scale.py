"""Conformal interval scale: the geometric mean of the step-to-step spread of each
window's levels and the network's scale; model files written with another scale
(tsrnn 0.1.0, or before the geometric mean) are recalibrated."""

import numpy as np
import pandas as pd

from tsrnn import RNNForecaster
from tsrnn.forecasting._intervals import _interval_scale

FAST = dict(hidden_size=8, max_steps=15, batch_size=16, n_models=1, random_state=0)


def test_interval_scale_is_the_geometric_mean_of_step_spread_and_network_scale():
    levels = np.array([[0.0, 1.0, 3.0, 6.0, 10.0], [5.0, 5.0, 5.0, 5.0, 5.0], [1.0, -1.0, 1.0, -1.0, 1.0],
                       [1.0, -1.0, 1.0, -1.0, 1.0]])
    network = np.array([7.0, 8.0, 9.0, 0.0])
    steps = np.diff(levels, axis=1)
    spread0 = np.abs(steps[0] - np.median(steps[0])).mean()
    # flat window: the network's scale alone; zero network scale: the step spread alone
    np.testing.assert_allclose(_interval_scale(levels, network), [np.sqrt(spread0 * 7.0), 8.0, np.sqrt(18.0), 2.0])
    # a steady trend adds nothing to the step spread: only the deviations of the steps count
    np.testing.assert_allclose(_interval_scale(levels[2:3] + 3.0 * np.arange(5), [2.0]), [2.0])
    # huge values: no overflow of the product
    big = _interval_scale(levels[:1] * 1e300, [1e300])
    assert np.isfinite(big).all() and big[0] > 1e299


def _seasonal_trend(n=120, swing=10.0, seed=0, unit=1.0, uid="a"):
    t = np.arange(n)
    y = 100 + 2.0 * t + swing * np.sin(2 * np.pi * t / 12) + np.random.default_rng(seed).normal(size=n)
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2000-01-01", periods=n, freq="MS"), "y": unit * y})


def test_one_global_model_gives_each_series_intervals_in_its_own_units():
    # the same shape in two units (with their own noise): intervals 10x apart
    df = pd.concat([_seasonal_trend(seed=1, uid="small"), _seasonal_trend(seed=2, unit=10.0, uid="big")])
    f = RNNForecaster(horizon=6, input_size=24, **FAST).fit(df)
    assert f.differences_ == [12]
    pred = f.predict(level=[80])
    width = (pred["yhat-hi-80"] - pred["yhat-lo-80"]).groupby(pred["unique_id"]).mean()
    assert np.isfinite(width).all() and 5 < width["big"] / width["small"] < 20


def test_files_without_scaler_are_recalibrated():
    f = RNNForecaster(horizon=4, input_size=12, **FAST).fit(_seasonal_trend(n=80))
    before = f.predict(level=[80])
    state, arrays = f._get_state()
    del state["fitted"]["scaler_"]  # as tsrnn 0.1.0 wrote them (its scaler had no "auto")
    state["params"]["scaler"] = f.scaler_
    old = RNNForecaster._from_state(state, arrays)
    assert old.scaler_ == f.scaler_
    assert not hasattr(old, "conformal_scores_")
    state, arrays = f._get_state()
    kept = RNNForecaster._from_state(state, arrays)
    np.testing.assert_array_equal(kept.conformal_scores_, f.conformal_scores_)
    pd.testing.assert_frame_equal(kept.predict(level=[80]), before)


def test_a_file_with_an_unknown_scaler_is_refused():
    import pytest

    f = RNNForecaster(horizon=4, input_size=12, **FAST).fit(_seasonal_trend(n=80))
    state, arrays = f._get_state()
    state["fitted"]["scaler_"] = "auto"  # never a fitted choice
    with pytest.raises(ValueError, match="scaler_ must be one of"):
        RNNForecaster._from_state(state, arrays)


def test_files_with_scores_of_another_interval_scale_are_recalibrated():
    f = RNNForecaster(horizon=4, input_size=12, **FAST).fit(_seasonal_trend(n=80))
    before = f.predict(level=[80])
    state, arrays = f._get_state()
    del state["interval_scale"]  # as files written before the geometric-mean scale
    old = RNNForecaster._from_state(state, arrays)
    assert not hasattr(old, "conformal_scores_")
    pd.testing.assert_frame_equal(old.predict(level=[80]), before)  # recalibrated to the same scores


def test_conformal_quantiles_per_step_with_enough_windows_pooled_with_few():
    from tsrnn.forecasting._intervals import MIN_POOLED_SCORES, conformal_quantiles

    rng = np.random.default_rng(0)
    many = rng.exponential(size=(MIN_POOLED_SCORES, 6)) * np.arange(1, 7)
    # enough windows: each step's own scores, one rank above the ceil((n + 1) * level)-th smallest
    q = conformal_quantiles(many, [80, 95])
    np.testing.assert_array_equal(q[80], np.sort(many, axis=0)[17])  # 18th of 20
    np.testing.assert_array_equal(q[95], many.max(axis=0))
    # one window of 30 steps: each step pools 21 neighbouring steps (10 each side, clipped at the ends)
    one = rng.exponential(size=(1, 30))
    q = conformal_quantiles(one, [80, 95])
    q80, q95 = q[80], q[95]
    assert q80[15] == np.sort(one[0, 5:26])[18] and q95[15] == one[0, 5:26].max()
    assert q80[0] == np.sort(one[0, :11])[10]  # 11 pooled at the first step: k = ceil(12 * 0.8) = 10, the 11th
    assert (q80 <= q95).all() and (q80 < q95).any()
