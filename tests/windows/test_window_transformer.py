"""make_windows / WindowTransformer: long frames -> 3-D arrays for the array estimators."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from tsrnn import RNNRegressor
from tsrnn.datasets.synthetic import make_random_walk_panel
from tsrnn.windows import WindowTransformer, make_windows


def test_windows_match_a_naive_loop_per_series():
    df = make_random_walk_panel(3, 12, n_exog=1, random_state=0)
    X, y, index = make_windows(df, input_size=4, horizon=2, stride=3, covariates=["exog_0"])
    expect_X, expect_y, cutoffs = [], [], []
    for uid, g in df.groupby("unique_id"):
        vals, ex, ds = g["y"].to_numpy(), g["exog_0"].to_numpy(), g["ds"].to_numpy()
        last = len(vals) - 6
        for s in sorted(range(last, -1, -3)):
            expect_X.append(np.stack([vals[s:s + 4], ex[s:s + 4]], axis=1))
            expect_y.append(vals[s + 4:s + 6])
            cutoffs.append((uid, ds[s + 3]))
    np.testing.assert_array_equal(X, np.array(expect_X))
    np.testing.assert_array_equal(y, np.array(expect_y))
    assert list(zip(index["unique_id"], index["cutoff"])) == cutoffs


def test_transformer_last_windows_feed_a_fitted_regressor_in_a_pipeline():
    df = make_random_walk_panel(4, 30, random_state=1)
    X, y, _ = make_windows(df, input_size=5, horizon=1)
    pipe = make_pipeline(WindowTransformer(input_size=5, last_only=True),
                         RNNRegressor(hidden_size=4, max_epochs=2, random_state=0))
    pipe.steps[-1][1].fit(X, y[:, 0])
    pred = pipe.predict(df)
    assert pred.shape == (4,)
    last = WindowTransformer(input_size=5, last_only=True).fit(df)
    Xl = last.transform(df)
    np.testing.assert_array_equal(Xl[:, :, 0], np.stack([g["y"].to_numpy()[-5:] for _, g in df.groupby("unique_id")]))
    assert (last.index_["cutoff"] == df.groupby("unique_id")["ds"].max().to_numpy()).all()


def test_bad_sizes_and_short_series_are_named():
    df = make_random_walk_panel(2, 5, random_state=0)
    with pytest.raises(ValueError, match="input_size must be a positive integer"):
        WindowTransformer(input_size=0).fit(df)
    with pytest.raises(ValueError, match="shorter than the 9 observations needed: 'rw_0' \\(5\\)"):
        WindowTransformer(input_size=9, last_only=True).fit_transform(df)
    # a series too short for one window is named (it used to be dropped without a word)
    with pytest.raises(ValueError, match="shorter than the 7 observations needed: 'rw_0' \\(5\\), 'rw_1'"):
        make_windows(df, input_size=5, horizon=2)
    with pytest.raises(ValueError, match="floating-point"):
        make_windows(df, input_size=2, horizon=1, dtype="int8")
    WindowTransformer(input_size=2, dtype=np.float32).fit_transform(df)  # a numpy dtype, not only its name
    with pytest.raises(ValueError, match="missing required column"):
        WindowTransformer(input_size=2).fit_transform(pd.DataFrame({"a": [1.0]}))


def test_evenly_spaced_series_share_inferred_frequencies_with_their_own_anchor():
    from tsrnn.windows import build_panel

    frames = []
    for uid, start, freq in [("a", "2024-01-03", "W-WED"), ("b", "2024-01-07", "W-SUN"), ("c", "2024-01-01", "D"),
                             ("d", "2024-01-01", "h"), ("e", "2024-01-31", "ME"), ("f", "2024-01-01", "2D"),
                             ("g", "2024-01-05", "W-FRI"), ("h", "2024-01-10", "W-WED")]:
        ds = pd.date_range(start, periods=6, freq=freq)
        frames.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.arange(6.0)}))
    panel = build_panel(pd.concat(frames).sample(frac=1.0, random_state=0))
    names = [f.freqstr for f in panel.freqs]
    assert names == ["W-WED", "W-SUN", "D", "h", "ME", "2D", "W-FRI", "W-WED"]
    ints = pd.DataFrame({"unique_id": np.repeat(["p", "q"], 4), "ds": [0, 3, 6, 9, 10, 12, 14, 16], "y": 1.0})
    assert build_panel(ints).freqs == [3, 2]


def test_timestamps_beyond_nanosecond_range_are_refused_not_wrapped():
    from tsrnn.windows import build_panel

    ds = pd.date_range("2000-01-01", periods=3, freq="200000D", unit="s")  # reaches the year 3095
    with pytest.raises(ValueError, match="outside 1677-09-22 .. 2262-04-10"):
        build_panel(pd.DataFrame({"unique_id": "a", "ds": ds, "y": [1.0, 2.0, 3.0]}))
    ok = pd.date_range("2000-01-01", periods=3, freq="D", unit="s")  # other units inside the range are fine
    assert build_panel(pd.DataFrame({"unique_id": "a", "ds": ok, "y": [1.0, 2.0, 3.0]})).freqs[0].freqstr == "D"


def test_auto_covariates_are_learned_in_fit_and_read_by_name():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000", periods=20, freq="D"),
                       "y": rng.normal(size=20), "price": 100 + rng.normal(size=20),
                       "promo": rng.integers(0, 2, 20).astype(float)})
    with pytest.raises(NotFittedError, match="learns its covariate columns in fit"):
        WindowTransformer(input_size=5, covariates="auto").transform(df)
    wt = WindowTransformer(input_size=5, last_only=True, covariates="auto").fit(df)
    assert wt.covariate_names_ == ["price", "promo"]
    expected = wt.transform(df)
    np.testing.assert_array_equal(wt.transform(df[["promo", "y", "ds", "price", "unique_id"]]), expected)
    np.testing.assert_array_equal(wt.transform(df.assign(extra=1.0)), expected)
    with pytest.raises(ValueError, match="promo"):
        wt.transform(df.drop(columns="promo"))
