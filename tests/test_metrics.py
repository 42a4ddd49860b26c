"""Metrics against hand computations; evaluate() on a cross-validation-like frame."""

import numpy as np
import pandas as pd
import pytest

from tsrnn import metrics

Y = np.array([1.0, 2.0, 4.0, 8.0])
P = np.array([2.0, 2.0, 3.0, 10.0])


def test_point_metrics_by_hand():
    assert metrics.mae(Y, P) == pytest.approx((1 + 0 + 1 + 2) / 4)
    assert metrics.rmse(Y, P) == pytest.approx(np.sqrt((1 + 0 + 1 + 4) / 4))
    assert metrics.mape(Y, P) == pytest.approx(100 * (1 / 1 + 0 + 1 / 4 + 2 / 8) / 4)
    assert metrics.smape(Y, P) == pytest.approx(100 * (2 / 3 + 0 + 2 / 7 + 4 / 18) / 4)


def test_mape_skips_zeros_and_smape_handles_zero_pairs():
    assert metrics.mape([0.0, 2.0], [1.0, 1.0]) == pytest.approx(50.0)
    assert np.isnan(metrics.mape([0.0], [1.0]))
    assert metrics.smape([0.0, 1.0], [0.0, 1.0]) == 0.0


def test_mase_by_hand():
    train = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    # m=1: mean |diff| = (2 + 1 + 3 + 1) / 4 = 1.75
    assert metrics.mase(Y, P, train) == pytest.approx(1.0 / 1.75)
    # m=2: |2-1|, |5-3|, |4-2| -> mean 5/3
    assert metrics.mase(Y, P, train, season_length=2) == pytest.approx(1.0 / (5 / 3))
    with pytest.raises(ValueError, match="longer than season_length"):
        metrics.mase(Y, P, train, season_length=5)


def test_pinball_and_coverage_by_hand():
    y = np.array([1.0, 2.0, 3.0])
    q = np.array([2.0, 2.0, 2.0])
    # q=0.9: errors y-q = -1, 0, 1 -> max(0.9*d, -0.1*d) = 0.1, 0, 0.9
    assert metrics.pinball_loss(y, q, 0.9) == pytest.approx((0.1 + 0 + 0.9) / 3)
    assert metrics.pinball_loss(y, q, 0.5) == pytest.approx(metrics.mae(y, q) / 2)
    assert metrics.coverage(y, [0.5, 2.0, 3.5], [1.5, 2.5, 4.0]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="quantile"):
        metrics.pinball_loss(y, q, 1.5)


def test_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        metrics.mae([1, 2], [1, 2, 3])


def test_evaluate_per_series_and_aggregate():
    cv = pd.DataFrame({
        "unique_id": ["a"] * 4 + ["b"] * 4,
        "ds": list(range(10, 14)) * 2,
        "cutoff": [9, 9, 11, 11] * 2,
        "y": np.r_[Y, Y * 2],
        "yhat": np.r_[P, P * 2],
        "yhat-lo-80": np.r_[P - 1, P * 2 - 1],
        "yhat-hi-80": np.r_[P + 1, P * 2 + 1],
    })
    train = pd.DataFrame({"unique_id": ["a"] * 12 + ["b"] * 12, "ds": list(range(12)) * 2,
                          "y": np.r_[np.arange(12.0), 2 * np.arange(12.0)]})
    out = metrics.evaluate(cv, metrics=["mae", "rmse", "mase", "coverage", "pinball"], train_df=train)
    assert list(out.index) == ["a", "b", "(mean)"]
    assert out.loc["a", "mae"] == pytest.approx(1.0)
    assert out.loc["b", "mae"] == pytest.approx(2.0)
    assert out.loc["(mean)", "mae"] == pytest.approx(1.5)
    # training diffs are 1 (a) and 2 (b) whatever the cutoff: MASE = MAE / 1 and MAE / 2
    assert out.loc["a", "mase"] == pytest.approx(1.0)
    assert out.loc["b", "mase"] == pytest.approx(1.0)
    assert out.loc["a", "coverage-80"] == pytest.approx(metrics.coverage(Y, P - 1, P + 1))
    assert "pinball-80" in out.columns
    with pytest.raises(ValueError, match="train_df"):
        metrics.evaluate(cv, metrics=["mase"])
    with pytest.raises(ValueError, match="unknown metrics"):
        metrics.evaluate(cv, metrics=["r2"])


def test_nan_is_never_scored():
    """NaN would count as a miss (coverage), a perfect step (smape) or poison a mean."""
    for fn in (metrics.mae, metrics.rmse, metrics.smape, metrics.mape):
        with pytest.raises(ValueError, match="y_true has 1 NaN"):
            fn([1.0, np.nan], [1.0, 2.0])
        with pytest.raises(ValueError, match="y_pred has 1 NaN"):
            fn([1.0, 2.0], [np.inf, 2.0])
    with pytest.raises(ValueError, match="NaN"):
        metrics.coverage([1.0, 2.0], [0.0, np.nan], [3.0, 3.0])
    with pytest.raises(ValueError, match="season_length must be a positive integer"):
        metrics.mase([1.0], [1.0], [1.0, 2.0, 3.0], season_length=1.7)
    with pytest.raises(ValueError, match="1-D"):
        metrics.mase([1.0], [1.0], [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="quantile must be in"):
        metrics.pinball_loss([1.0], [1.0], "0.5")


def test_evaluate_frames():
    df = pd.DataFrame({"unique_id": ["a", "a", "b", "b"], "y": [1.0, 2.0, 3.0, 4.0], "yhat": [1.0, 2.5, 3.0, 3.0]})
    single = metrics.evaluate(df, metrics="mae")  # one name, not its letters
    assert list(single.columns) == ["mae"]
    with pytest.raises(ValueError, match="no rows"):
        metrics.evaluate(df.iloc[:0])
    with pytest.raises(ValueError, match="named '\\(mean\\)'"):
        metrics.evaluate(df.assign(unique_id="(mean)"))
    with pytest.raises(ValueError, match="unpaired level"):
        metrics.evaluate(df.assign(**{"yhat-lo-80": 0.0}), metrics=["coverage"])
    with pytest.raises(ValueError, match="NaN"):
        metrics.evaluate(df.assign(y=[1.0, np.nan, 3.0, 4.0]))


def test_evaluate_refuses_rows_without_a_series_and_incomplete_training_frames():
    df = pd.DataFrame({"unique_id": ["a", "a", None], "ds": [1, 2, 3], "y": [1.0, 2.0, 3.0],
                       "yhat": [1.5, 2.5, 102.0]})
    with pytest.raises(ValueError, match=r"1 row\(s\) of the forecast frame have no 'unique_id' \(rows 2\)"):
        metrics.evaluate(df)  # the row with an error of 99 was dropped by groupby
    ok = df.iloc[:2].assign(cutoff=0)
    train = pd.DataFrame({"unique_id": "a", "ds": [-2, -1, 0], "y": [0.0, 1.0, 2.0]})
    assert metrics.evaluate(ok, ["mase"], train_df=train).loc["a", "mase"] == pytest.approx(0.5)
    for col in ("unique_id", "ds", "y"):
        with pytest.raises(ValueError, match=rf"missing column\(s\) \['{col}'\] in train_df"):
            metrics.evaluate(ok, ["mase"], train_df=train.drop(columns=col))
    with pytest.raises(TypeError, match=r"train_df's 'ds' holds text .* but the cutoffs hold naive datetimes"):
        metrics.evaluate(ok.assign(cutoff=pd.Timestamp("2000-01-01")), ["mase"], train_df=train.assign(ds="x"))
    aware = pd.Timestamp("2000-01-03", tz="UTC")
    naive = train.assign(ds=pd.date_range("2000-01-01", periods=3))
    with pytest.raises(TypeError, match="holds naive datetimes .* but the cutoffs hold aware datetimes"):
        metrics.evaluate(ok.assign(cutoff=aware), ["mase"], train_df=naive)
    # a backtest and its data read back from CSV (ISO text on both sides) compare as before
    text = metrics.evaluate(ok.assign(cutoff="2000-01-03"), ["mase"], train_df=naive.assign(ds=naive.ds.astype(str)))
    assert text.loc["a", "mase"] == pytest.approx(0.5)
    assert metrics.evaluate(ok.assign(cutoff=aware), ["mae"], train_df=naive).loc["a", "mae"] == 0.5  # no MASE: no check


def test_mean_row_says_when_a_metric_is_undefined_for_some_series():
    df = pd.DataFrame({"unique_id": ["a", "a", "b", "b"], "y": [0.0, 0.0, 10.0, 10.0], "yhat": [1.0, 1.0, 11.0, 9.0]})
    with pytest.warns(UserWarning, match=r"\['mape'\] are undefined \(NaN\) for some series"):
        out = metrics.evaluate(df, ["mape", "mae"])
    assert np.isnan(out.loc["a", "mape"]) and out.loc["(mean)", "mape"] == pytest.approx(10.0)


def test_rmse_of_huge_errors_does_not_overflow():
    with np.errstate(over="raise"):
        assert metrics.rmse([1e200, 0.0], [0.0, 0.0]) == pytest.approx(1e200 / np.sqrt(2))  # inf before
    assert metrics.rmse([1.0, 2.0], [1.0, 2.0]) == 0.0


def test_coverage_warns_about_crossed_intervals():
    with pytest.warns(UserWarning, match="1 of 3 intervals have their lower bound above the upper one"):
        assert metrics.coverage([1.0, 2.0, 3.0], [0.0, 3.0, 2.0], [2.0, 1.0, 4.0]) == pytest.approx(2 / 3)
