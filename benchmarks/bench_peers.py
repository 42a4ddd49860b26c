"""RNNForecaster vs neuralforecast's LSTM / GRU / RNN on the airline series, one thread each.

Same data (airline, horizon 12, input size 24), same number of optimizer steps (500)
of the same number of windows per step on both sides (``batch_size`` here,
``windows_batch_size`` there): 32, tsrnn's default, and 128, neuralforecast's (an
earlier version of this benchmark left neuralforecast at 128 against tsrnn's 32: four
times the work per step). Two network sizes: small (1 layer x 32 units) and
neuralforecast's default (2 layers x 128). The
networks differ where the libraries do: neuralforecast's models read the encoder's
states through its MLP decoder (``decoder_hidden_size`` = the hidden size, two layers),
tsrnn's direct strategy through one dense layer. Reported: fit + predict wall time
(imports and compilation excluded, both warmed up), one-series ``predict`` latency, and
the ratio neuralforecast / tsrnn; the versions of both sides go into the JSON.

neuralforecast (and its torch) may live in another virtual environment: pass its
interpreter with ``--nf-python`` (it runs in a subprocess; its timings are taken inside
that process). Without neuralforecast only tsrnn's numbers are reported.

Usage::

    python benchmarks/bench_peers.py [--nf-python /path/to/venv/bin/python] [--quick]

Writes ``benchmarks/results/peers.json`` and ``peers.md``.
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
CONFIGS = {"small": {"layers": 1, "hidden": 32}, "default": {"layers": 2, "hidden": 128}}
BATCHES = (32, 128)  # windows per optimizer step, the same on both sides: tsrnn's default, neuralforecast's

NF_SCRIPT = r"""
import json, os, sys, time, warnings, logging
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
import torch
torch.set_num_threads(1)
import pandas as pd
from neuralforecast import NeuralForecast
from neuralforecast.models import GRU, LSTM, RNN
df = pd.read_csv(sys.argv[1], parse_dates=["ds"])
cell, layers, hidden, steps = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
batch = int(sys.argv[6])
cls = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[cell]
def make(max_steps):
    model = cls(h=12, input_size=24, encoder_n_layers=layers, encoder_hidden_size=hidden,
                decoder_hidden_size=hidden, max_steps=max_steps, windows_batch_size=batch,
                random_seed=0, enable_progress_bar=False,
                logger=False, enable_checkpointing=False, enable_model_summary=False, accelerator="cpu")
    return NeuralForecast(models=[model], freq="MS")
make(5).fit(df)  # warm-up
t0 = time.perf_counter()
nf = make(steps)
nf.fit(df)
fc = nf.predict()
fit_predict = time.perf_counter() - t0
nf.predict()
lat = []
for _ in range(10):
    t = time.perf_counter(); nf.predict(); lat.append(time.perf_counter() - t)
import neuralforecast
print(json.dumps({"fit_predict_s": fit_predict, "predict_s": min(lat),
                  "versions": {"neuralforecast": neuralforecast.__version__, "torch": torch.__version__}}))
"""


def run_tsrnn(cell, layers, hidden, steps, df, batch):
    from tsrnn import RNNForecaster

    def make(max_steps):
        return RNNForecaster(horizon=12, input_size=24, cell=cell, num_layers=layers, hidden_size=hidden,
                             max_steps=max_steps, batch_size=batch, n_models=1, random_state=0, n_jobs=1)

    make(5).fit(df).predict()  # compile / warm up
    t0 = time.perf_counter()
    model = make(steps).fit(df)
    model.predict()
    fit_predict = time.perf_counter() - t0
    lat = []
    for _ in range(20):
        t = time.perf_counter()
        model.predict()
        lat.append(time.perf_counter() - t)
    return {"fit_predict_s": fit_predict, "predict_s": min(lat)}


def run_nf(python, csv, cell, layers, hidden, steps, batch):
    return run_script_json(python, NF_SCRIPT, csv, cell, layers, hidden, steps, batch)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nf-python", help="python interpreter that has neuralforecast installed")
    parser.add_argument("--quick", action="store_true", help="small config, 32 windows per step only")
    parser.add_argument("--out", default=str(RESULTS / "peers.json"))
    args = parser.parse_args(argv)
    print(summary(), flush=True)
    import numba
    from threadpoolctl import threadpool_limits

    from tsrnn.datasets import load_airline

    numba.set_num_threads(1)
    df = load_airline()
    nf_python = args.nf_python
    if nf_python is None:
        import importlib.util

        nf_python = sys.executable if importlib.util.find_spec("neuralforecast") else None
    rows, versions = [], None
    with tempfile.TemporaryDirectory() as work, threadpool_limits(1):
        csv = os.path.join(work, "airline.csv")
        df.to_csv(csv, index=False)
        for name, cfg, batch, cell in [(n, c, b, cell) for n, c in CONFIGS.items() for b in BATCHES
                                       for cell in ("lstm", "gru", "rnn")]:
            if args.quick and (name != "small" or batch != BATCHES[0]):
                continue
            ours = run_tsrnn(cell, cfg["layers"], cfg["hidden"], 500, df, batch)
            row = {"config": name, "cell": cell, **cfg, "steps": 500, "windows_per_step": batch,
                   "tsrnn_fit_predict_s": ours["fit_predict_s"], "tsrnn_predict_ms": ours["predict_s"] * 1e3}
            if nf_python:
                theirs = run_nf(nf_python, csv, cell, cfg["layers"], cfg["hidden"], 500, batch)
                versions = theirs.get("versions", versions)
                row.update(nf_fit_predict_s=theirs["fit_predict_s"], nf_predict_ms=theirs["predict_s"] * 1e3,
                           fit_ratio=theirs["fit_predict_s"] / ours["fit_predict_s"],
                           predict_ratio=theirs["predict_s"] / ours["predict_s"])
            rows.append(row)
            print(json.dumps(row), flush=True)
    lines = ["| config | windows per step | cell | tsrnn fit+predict s | nf fit+predict s | ratio | tsrnn predict ms | "
             "nf predict ms | ratio |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['config']} ({r['layers']}x{r['hidden']}) | {r['windows_per_step']} | {r['cell']} | "
                     f"{r['tsrnn_fit_predict_s']:.2f} | "
                     f"{r.get('nf_fit_predict_s', float('nan')):.2f} | {r.get('fit_ratio', float('nan')):.1f} | "
                     f"{r['tsrnn_predict_ms']:.2f} | {r.get('nf_predict_ms', float('nan')):.1f} | "
                     f"{r.get('predict_ratio', float('nan')):.1f} |")
    table = "\n".join(lines)
    print("\n" + table)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    info = machine()
    out.write_text(json.dumps({"benchmark": "peers", "machine": info, "threads": 1,
                               "neuralforecast_python": nf_python, "neuralforecast_versions": versions,
                               "rows": rows}, indent=1))
    rival = "" if versions is None else f"neuralforecast {versions['neuralforecast']}, torch {versions['torch']}; "
    header = (f"Run of {time.strftime('%Y-%m-%d')}: {summary(info)}; {rival}one thread; the same windows per "
              "optimizer step on both sides.\n\n")
    out.with_suffix(".md").write_text(header + table + "\n")


if __name__ == "__main__":
    main()
