"""Windows over one contiguous buffer: match a naive loop; panel validation errors."""

import numpy as np
import pandas as pd
import pytest

from tsrnn.windows import WindowBatches, build_panel, window_starts, window_stats


def _long(lengths, start="2000-01-01", freq="MS", seed=0):
    rng = np.random.default_rng(seed)
    frames = []
    for k, n in enumerate(lengths):
        frames.append(pd.DataFrame({
            "unique_id": f"s{k}",
            "ds": pd.date_range(start, periods=n, freq=freq),
            "y": rng.normal(10 * (k + 1), 1 + k, n),
        }))
    return pd.concat(frames, ignore_index=True)


def _naive_windows(series, input_size, horizon, stride):
    """Every (inputs, targets) pair, series by series, aligned to each series' end."""
    out = []
    for y in series:
        last = len(y) - input_size - horizon
        starts = list(range(last, -1, -stride))[::-1]
        for s in starts:
            out.append((y[s : s + input_size], y[s + input_size : s + input_size + horizon]))
    return out


@pytest.mark.parametrize("input_size,horizon,stride", [(3, 2, 1), (5, 1, 2), (4, 4, 3), (1, 1, 1)])
def test_windows_match_naive_loop(input_size, horizon, stride):
    panel = build_panel(_long([20, 9, 13, 7]))
    series = [panel.series(i)[1] for i in range(panel.n_series)]
    starts, sid = window_starts(panel.offsets, input_size, horizon, stride)
    data = WindowBatches(panel.y, None, starts, input_size, horizon, scaler=None, dtype=np.float64)
    expected = _naive_windows(series, input_size, horizon, stride)
    assert data.n_samples == len(expected)
    X, y, lengths, sw = data.batch(np.arange(data.n_samples))
    assert X.shape == (len(expected), input_size, 1) and X.flags.c_contiguous
    assert y.shape == (len(expected), horizon)
    assert (lengths == input_size).all() and sw is None
    for k, (xin, yout) in enumerate(expected):
        np.testing.assert_array_equal(X[k, :, 0], xin)
        np.testing.assert_array_equal(y[k], yout)
    # series index of each window and the last window ends at the series' end
    assert np.array_equal(np.bincount(sid, minlength=4),
                          [len(_naive_windows([s], input_size, horizon, stride)) for s in series])
    for i in range(4):
        if not (sid == i).any():
            continue
        assert starts[sid == i].max() + input_size + horizon == panel.offsets[i + 1]


def test_windows_are_indices_not_copies():
    panel = build_panel(_long([500]))
    starts, _ = window_starts(panel.offsets, 24, 12)
    data = WindowBatches(panel.y, None, starts, 24, 12)
    assert data.starts.nbytes == 8 * data.n_samples  # one int per window, no window matrix
    assert np.shares_memory(data.target, panel.y) or data.target.base is None


def test_end_offsets_keep_windows_before_a_cut():
    panel = build_panel(_long([20, 15]))
    ends = panel.offsets[1:] - 5
    starts, sid = window_starts(panel.offsets, 4, 3, end_offsets=ends)
    assert (starts + 7 <= ends[sid]).all()
    assert (starts + 7 == ends[sid]).sum() == 2


@pytest.mark.parametrize("scaler", ["standard", "robust", "minmax", None])
def test_batch_scaling_uses_input_statistics(scaler):
    panel = build_panel(_long([30]))
    starts, _ = window_starts(panel.offsets, 6, 3)
    data = WindowBatches(panel.y, None, starts, 6, 3, scaler=scaler, dtype=np.float64)
    idx = np.array([0, 5, 10])
    X, y, _, _ = data.batch(idx)
    raw_in, raw_out = data.raw(idx)
    loc, scale = window_stats(raw_in, scaler)
    np.testing.assert_allclose(X[:, :, 0] * scale[:, None] + loc[:, None], raw_in)
    np.testing.assert_allclose(y * scale[:, None] + loc[:, None], raw_out)
    if scaler == "standard":
        np.testing.assert_allclose(X[:, :, 0].mean(axis=1), 0, atol=1e-12)
        np.testing.assert_allclose(X[:, :, 0].std(axis=1), 1)
    if scaler == "minmax":
        np.testing.assert_allclose(X[:, :, 0].min(axis=1), 0, atol=1e-12)
        np.testing.assert_allclose(X[:, :, 0].max(axis=1), 1)


def test_constant_window_has_a_safe_scale():
    loc, scale = window_stats(np.full((2, 5), 7.0), "robust")
    assert np.all(scale > 0) and np.all(np.isfinite(scale))
    loc, scale = window_stats(np.zeros((1, 5)), "standard")
    assert scale[0] == 1.0


def test_covariates_follow_the_input_steps():
    df = _long([12, 10])
    df["x"] = np.arange(len(df), dtype=float)
    panel = build_panel(df, covariates=["x"])
    starts, _ = window_starts(panel.offsets, 3, 2)
    data = WindowBatches(panel.y, panel.X, starts, 3, 2)
    X, _, _, _ = data.batch(np.arange(data.n_samples))
    assert X.shape[2] == 2
    for k, s in enumerate(starts):
        np.testing.assert_array_equal(X[k, :, 1], panel.X[s : s + 3, 0])


# ---------------------------------------------------------------- panel validation
def test_unsorted_rows_are_sorted():
    df = _long([10, 8])
    shuffled = df.sample(frac=1, random_state=0)
    a, b = build_panel(df), build_panel(shuffled)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.ds, b.ds)
    assert list(b.ids) == ["s0", "s1"]
    assert (np.diff(b.ds[: b.offsets[1]]) > np.timedelta64(0)).all()


def test_series_and_datetimeindex_inputs():
    idx = pd.date_range("2020-01-01", periods=10, freq="D")
    s = pd.Series(np.arange(10.0), index=idx, name="sales")
    p = build_panel(s)
    assert list(p.ids) == ["sales"] and p.freqs[0].freqstr == "D"
    wide = pd.DataFrame({"a": np.arange(10.0), "b": np.ones(10)}, index=idx)
    p = build_panel(wide)
    assert list(p.ids) == ["a", "b"] and p.n_series == 2
    one = pd.DataFrame({"y": np.arange(10.0), "temp": np.ones(10)}, index=idx)
    p = build_panel(one, covariates="auto")
    assert p.n_series == 1 and p.covariate_names == ["temp"]


def test_integer_time_steps():
    df = pd.DataFrame({"unique_id": "a", "ds": np.arange(0, 30, 3), "y": np.arange(10.0)})
    p = build_panel(df)
    assert p.freqs == [3]
    np.testing.assert_array_equal(p.future_ds(0, 2), [30, 33])


def test_missing_columns_error():
    df = _long([5]).rename(columns={"y": "value"})
    with pytest.raises(ValueError, match=r"missing required column.*'y'"):
        build_panel(df)
    p = build_panel(df, target_col="value")
    assert p.n_series == 1
    with pytest.raises(ValueError, match="covariate column"):
        build_panel(_long([5]), covariates=["nope"])


def test_columns_named_twice_or_shared_are_refused():
    df = _long([5])
    with pytest.raises(ValueError, match=r"three different columns, got 'unique_id', 'ds' and 'ds'"):
        build_panel(df, target_col="ds")  # forecast the timestamps
    with pytest.raises(ValueError, match=r"three different columns, got 'y', 'ds' and 'y'"):
        build_panel(df, id_col="y")
    twice = pd.concat([df, df[["y"]]], axis=1)  # pandas' AttributeError from deep inside before
    with pytest.raises(ValueError, match=r"column name\(s\) \['y'\] appear more than once"):
        build_panel(twice)
    with pytest.raises(ValueError, match=r"\['x'\] appear more than once"):
        build_panel(pd.concat([df.assign(x=1.0), df[["y"]].rename(columns={"y": "x"})], axis=1), covariates=["x"])
    note = df[["y"]].rename(columns={"y": "note"})
    assert build_panel(pd.concat([df, note, note], axis=1)).n_series == 1  # copies of an unused column do not matter
    with pytest.raises(ValueError, match=r"\['note'\] appear more than once"):  # "auto" dropped it silently
        build_panel(pd.concat([df, note, note], axis=1), covariates="auto")


def test_non_numeric_y_error():
    df = _long([5])
    df["y"] = df["y"].astype(str)
    with pytest.raises(TypeError, match="'y' must be numeric"):
        build_panel(df)


def test_nan_in_y_names_series_and_timestamps():
    df = _long([6, 6])
    df.loc[(df.unique_id == "s1") & (df.ds == "2000-03-01"), "y"] = np.nan
    df.loc[(df.unique_id == "s1") & (df.ds == "2000-05-01"), "y"] = np.inf
    with pytest.raises(ValueError, match=r"series 's1' at 2000-03-01.*2000-05-01") as err:
        build_panel(df)
    assert "'s0'" not in str(err.value)


def test_duplicate_timestamps_error():
    df = _long([6, 6])
    df = pd.concat([df, df.iloc[[8]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"duplicate timestamps: series 's1' at 2000-03-01"):
        build_panel(df)


def test_gaps_error_and_fill_policies():
    df = _long([12]).drop(index=[4, 5]).reset_index(drop=True)
    with pytest.raises(ValueError, match=r"gaps.*'s0'.*frequency MS.*2000-05-01.*2000-06-01.*fill="):
        build_panel(df)
    full = build_panel(_long([12]))
    for fill in ("ffill", "interpolate", "zero"):
        p = build_panel(df, fill=fill)
        assert p.lengths[0] == 12
        np.testing.assert_array_equal(p.ds, full.ds)
    p = build_panel(df, fill="ffill")
    assert p.y[4] == p.y[3] == p.y[5]
    p = build_panel(df, fill="zero")
    assert p.y[4] == 0
    p = build_panel(df, fill="interpolate")
    np.testing.assert_allclose(p.y[4], p.y[3] + (p.y[6] - p.y[3]) / 3)


def test_integer_gaps_error():
    df = pd.DataFrame({"unique_id": "a", "ds": [0, 1, 2, 4, 5], "y": np.arange(5.0)})
    with pytest.raises(ValueError, match=r"gaps.*'a'.*missing 3"):
        build_panel(df)


def test_short_series_named():
    with pytest.raises(ValueError, match=r"2 series are shorter than the 8.*'s1' \(5\).*'s2' \(3\)"):
        build_panel(_long([10, 5, 3]), min_length=8)


def test_bad_window_parameters():
    with pytest.raises(ValueError, match="input_size"):
        window_starts(np.array([0, 10]), 0, 2)
    with pytest.raises(ValueError, match="stride"):
        window_starts(np.array([0, 10]), 2, 2, stride=0)


def test_truncate_drops_last_steps():
    p = build_panel(_long([10, 8]))
    t = p.truncate(3)
    assert list(t.lengths) == [7, 5]
    np.testing.assert_array_equal(t.y[:7], p.y[:7])
    np.testing.assert_array_equal(t.y[7:], p.y[10:15])


def test_expanding_stats_match_numpy():
    from tsrnn.windows import expanding_stats

    panel = build_panel(_long([12, 9]))
    starts = np.array([0, 0, 12, 12])
    ends = np.array([5, 12, 15, 21])
    mean, std = expanding_stats(panel.y, starts, ends)
    for k in range(4):
        seg = panel.y[starts[k] : ends[k]]
        assert mean[k] == pytest.approx(seg.mean())
        assert std[k] == pytest.approx(seg.std())


def test_level_features_in_batches():
    from tsrnn.windows import expanding_stats, level_features

    panel = build_panel(_long([30, 20]))
    starts, sid = window_starts(panel.offsets, 5, 2)
    data = WindowBatches(panel.y, None, starts, 5, 2, series_start=panel.offsets[sid], dtype=np.float64)
    assert data.n_features == 3
    idx = np.array([0, 3, 30])
    X, _, _, _ = data.batch(idx)
    loc, scale = data.stats(idx)
    mean, std = expanding_stats(panel.y, panel.offsets[sid[idx]], starts[idx] + 5)
    expected = level_features(loc, scale, mean, std)
    np.testing.assert_allclose(X[:, 0, 1:], expected)
    np.testing.assert_allclose(X[:, 4, 1:], expected)  # constant over the window's steps


@pytest.mark.parametrize("scaler", ["robust", "standard", "minmax"])
def test_batches_scale_by_each_windows_own_statistics(scaler):
    # statistics are computed once for every window; a batch must scale exactly as if
    # they were computed on its own windows
    rng = np.random.default_rng(0)
    target = rng.normal(size=500).cumsum()
    starts = np.arange(0, 470, 3)
    data = WindowBatches(target, None, starts, 12, 4, scaler, np.float64)
    for idx in (np.array([5, 0, 17]), np.arange(starts.size)[::-1]):
        inputs = target[starts[idx][:, None] + np.arange(12)]
        loc, scale = window_stats(inputs, scaler)
        X, y, _, _ = data.batch(idx)
        np.testing.assert_array_equal(X[:, :, 0], (inputs - loc[:, None]) / scale[:, None])
        np.testing.assert_array_equal(data.stats(idx)[0], loc)
