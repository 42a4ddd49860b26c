"""Accuracy of RNNRegressor defaults on sequence regression sets (not a test).

Real sets of the Monash/UEA time series extrinsic regression archive, read straight
from the data files inside other packages' wheels (never imported; ``pip download
--no-deps aeon==1.6.0 sktime==1.2.0`` fetches them), official train/test splits:

* ``--aeon-wheel``: Covid3Month (84 daily steps -> the next three months' death
  rate), CardanoSentiment (24 hourly steps x 2 channels -> a sentiment score);
* ``--sktime-wheel``: Tecator (100 absorbance channels read as 100 steps -> fat
  content).

and five synthetic tasks generated here with a fixed seed: the adding problem
(Hochreiter & Schmidhuber 1997, T=50), the next value of noisy sine mixtures (24
steps), the mean of variable-length sequences (5-40 steps, trailing-NaN padding), the
frequency of a noisy sine (64 steps, 500 samples) and the drift of a random walk (30
steps, 100 samples). The last two were added after the defaults were chosen.

Each set, its channels standardised with the training split's statistics: the
regressor with its defaults (``--params`` to try others) over seeds,
against predicting the training mean (R^2 about 0) and a ridge regression on the
flattened sequences (NaN padding as zeros; alpha chosen by leave-one-out CV), both in
the same run. Scores are R^2 on the test split.

Usage::

    python benchmarks/bench_regression.py [--seeds 0,1,2] [--params JSON]
        [--aeon-wheel aeon-1.6.0-py3-none-any.whl] [--sktime-wheel sktime-1.2.0-py3-none-any.whl] [--out FILE]

Prints a Markdown table and writes ``benchmarks/results/regression.json``
(``regression_variant.json`` with ``--params``).
"""

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from bench_classification import load_wheel_set, write_results

RESULTS = Path(__file__).parent / "results"


def load_regression_set(wheel, package, name):
    """Train/test split of one regression set from a wheel's ``.ts`` files, padded to one length."""
    X_tr, y_tr, X_te, y_te = load_wheel_set(wheel, package, name)
    return X_tr, y_tr.astype(float), X_te, y_te.astype(float)


def adding_problem(n, T=50, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 1, (n, T))
    marks = np.zeros((n, T))
    first = rng.integers(0, T // 2, n)
    second = rng.integers(T // 2, T, n)
    marks[np.arange(n), first] = 1
    marks[np.arange(n), second] = 1
    return np.stack([values, marks], axis=2), (values * marks).sum(1)


def sine_next_value(n, T=24, seed=0):
    rng = np.random.default_rng(seed)
    f1, f2 = rng.uniform(0.05, 0.4, n), rng.uniform(0.01, 0.1, n)
    phase = rng.uniform(0, 2 * np.pi, (n, 2))
    t = np.arange(T + 1)[None, :]
    s = np.sin(f1[:, None] * t + phase[:, :1]) + 0.5 * np.sin(f2[:, None] * t + phase[:, 1:])
    s += 0.1 * rng.normal(size=s.shape)
    return s[:, :T, None], s[:, T]


def variable_length_mean(n, seed=0):
    rng = np.random.default_rng(seed)
    X = np.full((n, 40, 1), np.nan)
    lengths = rng.integers(5, 41, n)
    y = np.empty(n)
    for i, L in enumerate(lengths):
        X[i, :L, 0] = rng.normal(rng.normal(), 1.0, L)
        y[i] = X[i, :L, 0].mean()
    return X, y


def standardised(data):
    """Each channel scaled by its training mean and std (NaN padding kept), as the
    estimators' DataScaleWarning asks users to do."""
    X_tr, y_tr, X_te, y_te = data
    mean = np.nanmean(X_tr, axis=(0, 1))
    std = np.nanstd(X_tr, axis=(0, 1))
    std = np.where(std > 0, std, 1.0)
    return (X_tr - mean) / std, y_tr, (X_te - mean) / std, y_te


def sine_frequency(n, T=64, seed=0):
    """The frequency of a noisy sine of random phase and amplitude."""
    rng = np.random.default_rng(seed)
    f = rng.uniform(0.05, 0.5, n)
    t = np.arange(T)[None, :]
    s = rng.uniform(0.5, 2, (n, 1)) * np.sin(f[:, None] * t + rng.uniform(0, 2 * np.pi, (n, 1)))
    return (s + 0.3 * rng.normal(size=s.shape))[:, :, None], f


def trend_slope(n, T=30, seed=0):
    """The slope of a random walk's drift, from few examples."""
    rng = np.random.default_rng(seed)
    slope = rng.normal(0, 0.3, n)
    x = np.cumsum(slope[:, None] + rng.normal(0, 1, (n, T)), axis=1)
    return x[:, :, None], slope


def synthetic_sets():
    sets = []
    for name, make, n_train in (("adding (T=50)", adding_problem, 2000), ("sine next value", sine_next_value, 1000),
                                ("variable-length mean", variable_length_mean, 1000),
                                ("sine frequency", sine_frequency, 500), ("drift, 100 samples", trend_slope, 100)):
        X_tr, y_tr = make(n_train, seed=1)
        X_te, y_te = make(1000, seed=2)
        sets.append((name, (X_tr, y_tr, X_te, y_te)))
    return sets


def r2(y, pred):
    return float(1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2))


def ridge(X_tr, y_tr, X_te, y_te):
    from sklearn.linear_model import RidgeCV

    a = np.nan_to_num(X_tr).reshape(len(X_tr), -1)
    b = np.nan_to_num(X_te).reshape(len(X_te), -1)
    return r2(y_te, RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(a, y_tr).predict(b))


def evaluate(name, data, seeds, params):
    from tsrnn import RNNRegressor

    X_tr, y_tr, X_te, y_te = data = standardised(data)
    runs = []
    for seed in seeds:
        t0 = time.perf_counter()
        model = RNNRegressor(random_state=seed, **params).fit(X_tr, y_tr)
        fit_s = time.perf_counter() - t0
        runs.append({"seed": seed, "r2": r2(y_te, model.predict(X_te)), "fit_s": fit_s,
                     "epochs": int(model.n_iter_)})
    return {"name": name, "train": list(np.shape(X_tr)), "test": list(np.shape(X_te)),
            "mean_r2": r2(y_te, np.full(len(y_te), y_tr.mean())), "ridge_r2": ridge(*data),
            "r2": float(np.mean([r["r2"] for r in runs])), "runs": runs}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    parser.add_argument("--params", default="{}", help="JSON of RNNRegressor parameters instead of the defaults")
    parser.add_argument("--aeon-wheel", help="an aeon wheel (1.6.0): Covid3Month and CardanoSentiment")
    parser.add_argument("--sktime-wheel", help="an sktime wheel (1.2.0): Tecator")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the three generated tasks")
    parser.add_argument("--out", help="JSON file to write")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    params = json.loads(args.params)

    from tsrnn import __version__

    sets = []
    if args.aeon_wheel:
        sets += [(name, load_regression_set(args.aeon_wheel, "aeon", name))
                 for name in ("Covid3Month", "CardanoSentiment")]
    if args.sktime_wheel:
        sets.append(("Tecator", load_regression_set(args.sktime_wheel, "sktime", "Tecator")))
    if not args.no_synthetic:
        sets += synthetic_sets()
    if not sets:
        parser.error("no sets: give --aeon-wheel / --sktime-wheel or drop --no-synthetic")
    rows = []
    print("| set | train | test | training mean | ridge | RNNRegressor | per seed | epochs | fit s |")
    print("|---|---|---|---:|---:|---:|---|---|---:|")
    for name, data in sets:
        r = evaluate(name, data, seeds, params)
        rows.append(r)
        per_seed = ", ".join(f"{x['r2']:.3f}" for x in r["runs"])
        epochs = ", ".join(str(x["epochs"]) for x in r["runs"])
        fit_s = np.mean([x["fit_s"] for x in r["runs"]])
        print(f"| {name} | {'x'.join(map(str, r['train']))} | {'x'.join(map(str, r['test']))} | "
              f"{r['mean_r2']:.3f} | {r['ridge_r2']:.3f} | {r['r2']:.3f} | {per_seed} | {epochs} | {fit_s:.1f} |",
              flush=True)
    mean = {"ridge": float(np.mean([r["ridge_r2"] for r in rows])), "rnn": float(np.mean([r["r2"] for r in rows]))}
    print(f"| **mean** | | | | {mean['ridge']:.3f} | {mean['rnn']:.3f} | | | |")
    out = Path(args.out) if args.out else RESULTS / ("regression_variant.json" if params else "regression.json")
    write_results(out, {"benchmark": "regression", "tsrnn": __version__, "python": platform.python_version(),
                        "seeds": seeds, "params": params, "sets": rows, "mean": mean})


if __name__ == "__main__":
    main()
