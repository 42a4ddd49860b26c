"""Synthetic generators: shapes, reproducibility, correctness of targets, argument checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsrnn.datasets import synthetic
from tsrnn.datasets.synthetic import (
    make_adding_problem,
    make_copy_task,
    make_mackey_glass,
    make_random_walk_panel,
    make_sine_mixture,
)

# Each generator with small arguments, returning something comparable with _equal.
GENERATORS = {
    "sine": lambda rs: make_sine_mixture(3, 50, random_state=rs),
    "mackey_glass": lambda rs: make_mackey_glass(200, discard=50, random_state=rs),
    "adding": lambda rs: make_adding_problem(8, 20, random_state=rs),
    "copy": lambda rs: make_copy_task(8, 5, n_symbols=4, random_state=rs),
    "random_walk": lambda rs: make_random_walk_panel(4, 30, n_exog=2, random_state=rs),
}


def _equal(a, b) -> bool:
    if isinstance(a, tuple):
        return all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, pd.DataFrame):
        return a.equals(b)
    return np.array_equal(a, b)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_reproducible_with_same_seed_and_different_with_another(name):
    gen = GENERATORS[name]
    assert _equal(gen(0), gen(0))
    assert not _equal(gen(0), gen(1))
    assert _equal(gen(np.random.default_rng(5)), gen(np.random.default_rng(5)))
    assert _equal(gen(np.random.RandomState(5)), gen(np.random.RandomState(5)))
    gen(None)  # unseeded works


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_bad_random_state(name, bad):
    with pytest.raises(ValueError, match="random_state"):
        GENERATORS[name](bad)


# ----------------------------------------------------------------------------- sine mixture
def test_sine_mixture_shapes_and_frame():
    y = make_sine_mixture(4, 100, random_state=0)
    assert y.shape == (4, 100) and y.dtype == np.float64
    df = make_sine_mixture(4, 100, as_frame=True, random_state=0)
    assert list(df.columns) == ["unique_id", "ds", "y"]
    assert len(df) == 400 and df["unique_id"].nunique() == 4
    assert df["ds"].dtype == np.int64 and df["ds"].iloc[99] == 99
    np.testing.assert_array_equal(df["y"].to_numpy(), y.ravel())


def test_sine_mixture_single_noiseless_sine_is_periodic():
    y = make_sine_mixture(2, 200, n_components=1, period_range=(10, 10), amplitude_range=(2, 2),
                          noise=0.0, random_state=3)
    np.testing.assert_allclose(y[:, 10:], y[:, :-10], atol=1e-12)
    peak = np.abs(y).max(axis=1)  # integer steps land within pi/10 of a crest
    assert ((peak <= 2.0 + 1e-12) & (peak >= 2.0 * np.cos(np.pi / 10))).all()


def test_sine_mixture_noise_level():
    clean = make_sine_mixture(1, 5000, noise=0.0, random_state=1)
    noisy = make_sine_mixture(1, 5000, noise=0.5, random_state=1)
    assert abs(np.std(noisy - clean) - 0.5) < 0.03


# ----------------------------------------------------------------------------- Mackey-Glass
def test_mackey_glass_classic_range():
    x = make_mackey_glass(2000, random_state=0)
    assert x.shape == (2000,) and x.dtype == np.float64
    assert np.isfinite(x).all()
    # tau=17 is chaotic and stays roughly within [0.2, 1.45]
    assert 0.15 < x.min() < 0.5 and 1.1 < x.max() < 1.5
    assert 0.8 < x.mean() < 1.0
    assert x.std() > 0.1


def test_mackey_glass_sampling_step_and_noise():
    fine = make_mackey_glass(100, sample_step=0.1, discard=0, random_state=2)
    coarse = make_mackey_glass(10, sample_step=1.0, discard=0, random_state=2)
    np.testing.assert_allclose(coarse, fine[::10][:10], rtol=0, atol=0)
    noisy = make_mackey_glass(10, sample_step=1.0, discard=0, noise=0.01, random_state=2)
    assert not np.array_equal(noisy, coarse)
    # short delay: a stable fixed point, x* = (beta/gamma - 1)**(1/n) = 1
    x = make_mackey_glass(50, tau=1.0, discard=2000, random_state=0)
    np.testing.assert_allclose(x, 1.0, atol=1e-3)


# ----------------------------------------------------------------------------- adding problem
def test_adding_problem_target_is_sum_of_marked_values():
    n, T = 64, 50
    X, y = make_adding_problem(n, T, random_state=0)
    assert X.shape == (n, T, 2) and y.shape == (n,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    values, markers = X[..., 0], X[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(np.unique(markers)) <= {0.0, 1.0}
    assert (markers.sum(axis=1) == 2).all()
    assert (markers[:, : T // 2].sum(axis=1) == 1).all()
    assert (markers[:, T // 2 :].sum(axis=1) == 1).all()
    np.testing.assert_allclose(y, (values * markers).sum(axis=1), rtol=0, atol=1e-15)
    assert ((y >= 0) & (y < 2)).all()


def test_adding_problem_minimal_length():
    X, y = make_adding_problem(3, 2, random_state=0)
    assert (X[:, :, 1] == 1).all()
    np.testing.assert_allclose(y, X[:, :, 0].sum(axis=1))


# ----------------------------------------------------------------------------- copy task
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("delay", [0, 3])
def test_copy_task_layout(reverse, delay):
    n, L, K = 16, 6, 5
    X, y = make_copy_task(n, L, n_symbols=K, reverse=reverse, delay=delay, random_state=0)
    T = 2 * L + delay + 1
    assert X.shape == (n, T, K + 2) and y.shape == (n, T)
    assert X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(X.sum(axis=2), 1.0)  # one-hot
    codes = X.argmax(axis=2)
    symbols = codes[:, :L]
    assert ((symbols >= 1) & (symbols <= K)).all()
    assert (codes[:, L : L + delay] == 0).all()
    assert (codes[:, L + delay] == K + 1).all()
    assert (codes[:, L + delay + 1 :] == 0).all()
    assert (y[:, : L + delay + 1] == 0).all()
    expected = symbols[:, ::-1] if reverse else symbols
    np.testing.assert_array_equal(y[:, T - L :], expected)


# ----------------------------------------------------------------------------- random-walk panel
def test_random_walk_panel_frame():
    df = make_random_walk_panel(12, 40, n_exog=2, freq="D", random_state=0)
    assert list(df.columns) == ["unique_id", "ds", "y", "exog_0", "exog_1"]
    assert len(df) == 12 * 40
    ids = df["unique_id"].unique()
    assert len(ids) == 12 and ids[0] == "rw_00" and ids[-1] == "rw_11"
    assert df["ds"].dtype == "datetime64[ns]"
    assert df["ds"].iloc[0] == pd.Timestamp("2000-01-01") and df["ds"].iloc[39] == pd.Timestamp("2000-02-09")
    assert df.equals(df.sort_values(["unique_id", "ds"]).reset_index(drop=True))
    assert df[["y", "exog_0", "exog_1"]].dtypes.eq(np.float64).all()


def test_random_walk_panel_integer_index_and_monthly():
    df = make_random_walk_panel(2, 5, freq=None, random_state=0)
    assert list(df.columns) == ["unique_id", "ds", "y"]
    assert df["ds"].dtype == np.int64 and df["ds"].tolist() == [0, 1, 2, 3, 4] * 2
    m = make_random_walk_panel(1, 3, freq="MS", start="2020-01-01", random_state=0)
    assert m["ds"].tolist() == list(pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"]))


def test_random_walk_panel_exog_drive_y():
    df, coef = make_random_walk_panel(5, 60, n_exog=3, sigma=0.0, drift=0.0, return_coef=True, random_state=4)
    assert coef.shape == (5, 3)
    for i, (_, g) in enumerate(df.groupby("unique_id", sort=True)):
        level = g["y"].to_numpy() - g[["exog_0", "exog_1", "exog_2"]].to_numpy() @ coef[i]
        np.testing.assert_allclose(level, level[0], atol=1e-10)  # sigma=0: the walk stays at its start


def test_random_walk_panel_exog_are_unit_variance_ar1():
    df = make_random_walk_panel(1, 20000, n_exog=1, exog_ar=0.8, random_state=0)
    x = df["exog_0"].to_numpy()
    assert abs(x.std() - 1.0) < 0.1
    assert abs(np.corrcoef(x[1:], x[:-1])[0, 1] - 0.8) < 0.03


def test_random_walk_panel_drift():
    df = make_random_walk_panel(200, 101, drift=0.5, sigma=0.1, random_state=0)
    y = df["y"].to_numpy().reshape(200, 101)
    assert abs((y[:, -1] - y[:, 0]).mean() - 50.0) < 0.5


# ----------------------------------------------------------------------------- argument checks
BAD_ARGS = [
    (make_sine_mixture, dict(n_series=0), "n_series"),
    (make_sine_mixture, dict(length=2.5), "length"),
    (make_sine_mixture, dict(n_components=0), "n_components"),
    (make_sine_mixture, dict(period_range=(0, 5)), "period_range"),
    (make_sine_mixture, dict(period_range=(10, 5)), "period_range"),
    (make_sine_mixture, dict(period_range=3), "period_range"),
    (make_sine_mixture, dict(amplitude_range=(-1, 1)), "amplitude_range"),
    (make_sine_mixture, dict(noise=-0.1), "noise"),
    (make_mackey_glass, dict(length=0), "length"),
    (make_mackey_glass, dict(tau=0.05), "tau"),
    (make_mackey_glass, dict(dt=0.0), "dt"),
    (make_mackey_glass, dict(sample_step=0.25), "sample_step"),
    (make_mackey_glass, dict(discard=-1), "discard"),
    (make_mackey_glass, dict(n=float("nan")), "n"),
    (make_mackey_glass, dict(x0=-1.0), "x0"),
    (make_adding_problem, dict(n_samples=0, length=10), "n_samples"),
    (make_adding_problem, dict(n_samples=4, length=1), "length"),
    (make_copy_task, dict(n_samples=4, length=0), "length"),
    (make_copy_task, dict(n_samples=4, length=3, n_symbols=0), "n_symbols"),
    (make_copy_task, dict(n_samples=4, length=3, delay=-1), "delay"),
    (make_copy_task, dict(n_samples=4, length=3, reverse="yes"), "reverse"),
    (make_random_walk_panel, dict(n_series=0, length=5), "n_series"),
    (make_random_walk_panel, dict(n_series=2, length=0), "length"),
    (make_random_walk_panel, dict(n_series=2, length=5, n_exog=-1), "n_exog"),
    (make_random_walk_panel, dict(n_series=2, length=5, sigma=-1.0), "sigma"),
    (make_random_walk_panel, dict(n_series=2, length=5, exog_ar=1.0), "exog_ar"),
    (make_random_walk_panel, dict(n_series=2, length=5, freq="not-a-freq"), "freq"),
    (make_random_walk_panel, dict(n_series=True, length=5), "n_series"),
]


@pytest.mark.parametrize("fn,kwargs,arg", BAD_ARGS, ids=[f"{f.__name__}-{a}" for f, _, a in BAD_ARGS])
def test_invalid_arguments_name_the_argument(fn, kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        fn(**kwargs)


def test_public_names():
    assert set(synthetic.__all__) == {
        "make_sine_mixture", "make_mackey_glass", "make_adding_problem", "make_copy_task", "make_random_walk_panel",
    }
