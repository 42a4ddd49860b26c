"""Wall time of the quick-start command with a warm Numba cache, and of a neuralforecast
script doing the same job with its defaults when neuralforecast is installed, in the
same run. Defaults against defaults: neuralforecast's LSTM (2x128 units, MLP decoder,
128 windows per step) is a much larger model than tsrnn's two 1x32 GRUs, so the ratio
is what a user of each default waits, not a like-for-like speed ratio (bench_peers.py
matches sizes and windows).

    tsrnn forecast --dataset airline --horizon 12 -o fc.csv --plot fc.png

The first run warms the kernel cache and is reported separately (cold start); the
following runs are the warm ones (import, fit, forecast, plot, all included). The
command runs with the forecaster's defaults (``max_steps="auto"``: 100 steps on airline)
and again with ``--max-steps 500``, the training length of the neuralforecast script.

Usage::

    python benchmarks/bench_cli.py [--runs 5]

Writes ``benchmarks/results/cli.json``.
"""

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import machine, summary

RESULTS = Path(__file__).parent / "results"

NEURALFORECAST_SCRIPT = """
import pandas as pd
from neuralforecast import NeuralForecast
from neuralforecast.models import LSTM
df = pd.read_csv({csv!r}, parse_dates=["ds"])
nf = NeuralForecast(models=[LSTM(h=12, input_size=24, max_steps=500, enable_progress_bar=False,
                                 logger=False, enable_checkpointing=False, random_seed=0)], freq="MS")
nf.fit(df)
fc = nf.predict()
fc.to_csv("nf.csv", index=False)
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
ax = df.set_index("ds")["y"].plot()
fc.set_index("ds")["LSTM"].plot(ax=ax)
plt.savefig("nf.png")
"""


def timed(cmd, cwd, env=None):
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{cmd} failed:\n{res.stderr[-2000:]}")
    return elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--nf-python", help="python interpreter that has neuralforecast installed")
    parser.add_argument("--out", default=str(RESULTS / "cli.json"))
    args = parser.parse_args(argv)
    print(summary(), flush=True)
    exe = shutil.which("tsrnn") or str(Path(sys.executable).with_name("tsrnn"))
    result = {"benchmark": "cli", "machine": machine(), "cpu_count": os.cpu_count()}
    with tempfile.TemporaryDirectory() as work:
        cmd = [exe, "forecast", "--dataset", "airline", "--horizon", "12", "-o", "fc.csv", "--plot", "fc.png",
               "--force", "--quiet"]
        with tempfile.TemporaryDirectory() as cache:
            cold_env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            result["tsrnn_cold_s"] = timed(cmd, work, cold_env)
            warm = [timed(cmd, work, cold_env) for _ in range(args.runs)]
            # the same command training as long as the neuralforecast script (500 steps)
            warm500 = [timed(cmd + ["--max-steps", "500"], work, cold_env) for _ in range(args.runs)]
        result["tsrnn_warm_s"] = {"min": min(warm), "median": statistics.median(warm), "runs": warm}
        result["tsrnn_500_steps_warm_s"] = {"min": min(warm500), "median": statistics.median(warm500),
                                            "runs": warm500}
        print(f"tsrnn forecast: cold {result['tsrnn_cold_s']:.2f} s, warm min {min(warm):.2f} s, "
              f"median {statistics.median(warm):.2f} s; with --max-steps 500: median "
              f"{statistics.median(warm500):.2f} s")
        nf_python = args.nf_python or (sys.executable if importlib.util.find_spec("neuralforecast") else None)
        if nf_python is None:
            result["neuralforecast"] = "not installed (pip install neuralforecast torch==2.13.0)"
            print("neuralforecast: not installed; no side-by-side run")
        else:
            from tsrnn.datasets import load_airline

            csv = os.path.join(work, "airline.csv")
            load_airline().to_csv(csv, index=False)
            script = os.path.join(work, "nf.py")
            Path(script).write_text(NEURALFORECAST_SCRIPT.format(csv=csv))
            timed([nf_python, script], work)  # warm-up: file caches, torch's first import (not counted)
            runs = [timed([nf_python, script], work) for _ in range(args.runs)]
            result["neuralforecast_s"] = {"min": min(runs), "median": statistics.median(runs), "runs": runs}
            result["ratio_median"] = statistics.median(runs) / statistics.median(warm)
            result["ratio_median_500_steps"] = statistics.median(runs) / statistics.median(warm500)
            print(f"neuralforecast script: median {statistics.median(runs):.2f} s (tsrnn x{result['ratio_median']:.1f} "
                  f"faster with its defaults, x{result['ratio_median_500_steps']:.1f} at 500 steps)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
