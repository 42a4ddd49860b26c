"""RNNForecaster at scale: a 10,000-series panel fit, and peak memory on a 5,000,000-step series.

1. Fit + predict time of one global model on the random-walk panel (10,000 series x
   200 steps, horizon 7, input 14, LSTM 1 x 32, 500 optimizer steps of batch 32, one
   thread) - side by side with neuralforecast's LSTM of the same size and steps when
   ``--nf-python`` names an interpreter that has it (run in a subprocess): 32 windows
   per step there too (``windows_batch_size``; its default of 128 would give it four
   times the work), drawn from 32 series (``batch_size``).
2. Peak resident memory (ru_maxrss) of a fresh process that loads one 5,000,000-step
   step series (integer time) from a file and fits ``RNNForecaster(horizon=24, input_size=168)``
   on it: the windows are indices into one buffer, so memory stays O(data). Target:
   below 2 GB. The baseline RSS of the same process before fitting is reported too.

Usage::

    python benchmarks/bench_forecast_scale.py [--nf-python PATH] [--n-series 10000] [--memory-steps 5000000]

Writes ``benchmarks/results/forecast_scale.json`` and ``.md``.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _machine import machine, summary
from _subprocess import run_script_json

RESULTS = Path(__file__).parent / "results"
PANEL = dict(horizon=7, input_size=14, hidden=32, steps=500, batch=32)

NF_SCRIPT = r"""
import json, sys, time, warnings, logging
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
import torch
torch.set_num_threads(1)
import pandas as pd
from neuralforecast import NeuralForecast
from neuralforecast.models import LSTM
df = pd.read_parquet(sys.argv[1])
h, inp, hidden, steps, batch = (int(v) for v in sys.argv[2:7])
def make(max_steps):
    model = LSTM(h=h, input_size=inp, encoder_n_layers=1, encoder_hidden_size=hidden, decoder_hidden_size=hidden,
                 max_steps=max_steps, batch_size=batch, windows_batch_size=batch, random_seed=0,
                 enable_progress_bar=False, logger=False,
                 enable_checkpointing=False, enable_model_summary=False, accelerator="cpu")
    return NeuralForecast(models=[model], freq="D")
make(2).fit(df.groupby("unique_id").head(50))  # warm-up
t0 = time.perf_counter()
nf = make(steps)
nf.fit(df)
nf.predict()
import neuralforecast
print(json.dumps({"fit_predict_s": time.perf_counter() - t0,
                  "versions": {"neuralforecast": neuralforecast.__version__, "torch": torch.__version__}}))
"""

MEMORY_SCRIPT = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from tsrnn import RNNForecaster
y = np.load(sys.argv[1])
df = pd.DataFrame({"unique_id": "s", "ds": np.arange(y.size), "y": y})  # integer steps: 5M hours overflow datetime64[ns]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
model = RNNForecaster(horizon=24, input_size=168, cell="lstm", hidden_size=32, max_steps=int(sys.argv[2]), n_models=1,
                      random_state=0, n_jobs=1)
model.fit(df)
pred = model.predict()
print(json.dumps({"baseline_mb": base, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "fit_predict_s": time.perf_counter() - t0, "n_windows": int(model.n_windows_),
                  "finite": bool(np.isfinite(pred["yhat"]).all())}))
"""


def run_panel_tsrnn(df):
    from threadpoolctl import threadpool_limits

    import numba

    from tsrnn import RNNForecaster

    numba.set_num_threads(1)

    def make(steps):
        return RNNForecaster(horizon=PANEL["horizon"], input_size=PANEL["input_size"], cell="lstm",
                             hidden_size=PANEL["hidden"],
                             max_steps=steps, batch_size=PANEL["batch"], n_models=1, random_state=0, n_jobs=1)

    with threadpool_limits(1):
        make(2).fit(df.groupby("unique_id").head(50))  # compile / warm up
        t0 = time.perf_counter()
        model = make(PANEL["steps"]).fit(df)
        model.predict()
        return {"fit_predict_s": time.perf_counter() - t0, "n_windows": int(model.n_windows_)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nf-python", help="python interpreter that has neuralforecast installed")
    parser.add_argument("--n-series", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--memory-steps", type=int, default=5_000_000)
    parser.add_argument("--memory-max-steps", type=int, default=200, help="optimizer steps of the memory fit")
    parser.add_argument("--out", default=str(RESULTS / "forecast_scale"))
    args = parser.parse_args(argv)
    print(summary(), flush=True)
    import numpy as np

    from tsrnn.datasets.synthetic import make_random_walk_panel

    result = {"machine": machine(), "threads": 1, "panel_config": PANEL}
    df = make_random_walk_panel(args.n_series, args.length, random_state=0)
    ours = run_panel_tsrnn(df)
    result["panel"] = {"n_series": args.n_series, "length": args.length, "tsrnn_fit_predict_s": ours["fit_predict_s"],
                       "n_windows": ours["n_windows"]}
    print(json.dumps(result["panel"]), flush=True)
    with tempfile.TemporaryDirectory() as work:
        if args.nf_python:
            path = os.path.join(work, "panel.parquet")
            df.to_parquet(path)
            theirs = run_script_json(args.nf_python, NF_SCRIPT, path,
                                     *(PANEL[k] for k in ("horizon", "input_size", "hidden", "steps", "batch")))
            result["panel"].update(nf_fit_predict_s=theirs["fit_predict_s"],
                                   ratio=theirs["fit_predict_s"] / ours["fit_predict_s"])
            result["neuralforecast_versions"] = theirs.get("versions")
            print(json.dumps(result["panel"]), flush=True)
        rng = np.random.default_rng(0)
        t = np.arange(args.memory_steps)
        y = 100 + np.cumsum(rng.normal(size=t.size)) * 0.1 + 10 * np.sin(2 * np.pi * t / 24)
        ypath = os.path.join(work, "y.npy")
        np.save(ypath, y)
        del y, t
        mem = run_script_json(sys.executable, MEMORY_SCRIPT, ypath, args.memory_max_steps)
    result["memory"] = {"steps": args.memory_steps, "input_size": 168, "horizon": 24, **mem,
                        "target_mb": 2048, "met": mem["peak_mb"] < 2048}
    print(json.dumps(result["memory"]), flush=True)
    p, m = result["panel"], result["memory"]
    lines = [f"# RNNForecaster at scale ({summary(result['machine'])}, one thread)", "",
             f"Panel: {p['n_series']} random walks x {p['length']} steps, LSTM 1x{PANEL['hidden']}, "
             f"{PANEL['steps']} steps of batch {PANEL['batch']} (windows per step on both sides), "
             f"horizon {PANEL['horizon']}, "
             f"input {PANEL['input_size']} ({p['n_windows']} training windows)", "",
             "| | tsrnn fit+predict s | neuralforecast fit+predict s | ratio |", "|---|---|---|---|",
             f"| panel | {p['tsrnn_fit_predict_s']:.1f} | {p.get('nf_fit_predict_s', float('nan')):.1f} | "
             f"{p.get('ratio', float('nan')):.1f} |", "",
             *([f"Rival: neuralforecast {result['neuralforecast_versions']['neuralforecast']}, torch "
                f"{result['neuralforecast_versions']['torch']}.", ""] if result.get("neuralforecast_versions") else []),
             f"Memory: one series of {m['steps']} steps, input_size 168, horizon 24 "
             f"({m['n_windows']} windows, {args.memory_max_steps} optimizer steps): peak RSS "
             f"{m['peak_mb']:.0f} MB (process with the data loaded: {m['baseline_mb']:.0f} MB; target < 2048 MB: "
             f"{'met' if m['met'] else 'NOT met'}), fit+predict {m['fit_predict_s']:.1f} s."]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out + ".json").write_text(json.dumps(result, indent=1))
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
