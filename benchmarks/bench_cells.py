"""tsrnn vs PyTorch CPU: recurrent cells, training step and inference, side by side.

Grid: batch {32, 256} x time {24, 96} x hidden {32, 128}, input 8, 1 layer, float32,
every cell, threads 1 and 2. The two libraries run interleaved in one process; a
measurement is the mean of back-to-back calls (at least 3, ~10 ms or more) and the
minimum over repeats is kept. A training step is forward + backward + the same
linear head and MSE on the last step (no optimizer update, no gradient for the input
data, which PyTorch does not compute either); inference is a forward. tsrnn is called
through ``Recurrent.forward/backward(check_input=False)`` (the path its own heads use:
no input validation and no defensive copy of X, ~0.03-0.09 ms a call, which matters
only at the smallest points) and its head has no bias; PyTorch goes through its public
``nn.Module`` calls with a biased ``nn.Linear``.

Usage::

    python benchmarks/bench_cells.py            # full grid, both thread counts
    python benchmarks/bench_cells.py --quick    # fewer repeats, threads 1 only

Prints a Markdown table (ms, ratio = torch time / tsrnn time, GFLOP/s and % of the
single-core sgemm peak measured in the same run) and writes JSON to
``benchmarks/results/cells.json``. Compile time is measured first in fresh
subprocesses: cold (empty Numba cache) and cached first call.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _machine import machine, summary

RESULTS = Path(__file__).parent / "results"
CELLS = ("rnn", "gru", "lstm")
GATES = {"rnn": 1, "gru": 3, "lstm": 4}

COMPILE_SNIPPET = """
import time, numpy as np
t0 = time.perf_counter()
from tsrnn.nn import Recurrent
t1 = time.perf_counter()
net = Recurrent({cell!r}, 8, 32, random_state=0)
X = np.random.rand(4, 6, 8).astype(np.float32)
Y, _ = net.forward(X)
net.backward(np.ones_like(Y))
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, t2 - t0)
"""


def measure_compile(cell):
    """Seconds for import + first float32 training step: cold cache, then cached.

    ``*_s`` is the total; ``*_import_s`` the ``import tsrnn`` part and ``*_kernels_s``
    the first forward + backward (kernel compile or cache load).
    """
    with tempfile.TemporaryDirectory() as cache_dir:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
        out = {}
        for key in ("cold", "cached"):
            res = subprocess.run(
                [sys.executable, "-c", COMPILE_SNIPPET.format(cell=cell)],
                env=env, capture_output=True, text=True, check=True,
            )
            imp, kern, total = map(float, res.stdout.strip().splitlines()[-1].split())
            out.update({f"{key}_s": total, f"{key}_import_s": imp, f"{key}_kernels_s": kern})
    return out


def sgemm_peak_gflops(threads):
    from threadpoolctl import threadpool_limits

    a = np.random.rand(1024, 1024).astype(np.float32)
    b = np.random.rand(1024, 1024).astype(np.float32)
    with threadpool_limits(threads, user_api="blas"):
        best = min(_timeit(lambda: a @ b, 1) for _ in range(10))
    return 2 * 1024**3 / best / 1e9


def _timeit(fn, n):
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def flops(cell, B, T, I, H, train):
    fwd = 2.0 * B * T * GATES[cell] * H * (I + H)
    return 3 * fwd if train else fwd


def make_tsrnn(cell, B, T, I, H, rng):
    from tsrnn.nn import Recurrent

    net = Recurrent(cell, I, H, random_state=0)
    w = rng.standard_normal((1, H)).astype(np.float32) * 0.1
    X = rng.standard_normal((B, T, I)).astype(np.float32)
    y = rng.standard_normal((B, 1)).astype(np.float32)
    dY = np.zeros((B, T, H), np.float32)

    def train_step():
        Y, _ = net.forward(X, check_input=False)
        last = Y[:, -1]
        pred = last @ w.T
        dpred = (2.0 / pred.size) * (pred - y)
        dw = dpred.T @ last
        dY[:, -1] = dpred @ w
        net.backward(dY, check_input=False, need_input_grad=False)  # X is data: PyTorch computes no dX either
        return dw

    def infer():
        return net.forward(X, check_input=False, training=False)

    return train_step, infer


def make_torch(cell, B, T, I, H, rng):
    import torch

    module = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](I, H, batch_first=True)
    head = torch.nn.Linear(H, 1)
    X = torch.from_numpy(rng.standard_normal((B, T, I)).astype(np.float32))
    y = torch.from_numpy(rng.standard_normal((B, 1)).astype(np.float32))
    params = list(module.parameters()) + list(head.parameters())

    def train_step():
        for p in params:
            p.grad = None
        out, _ = module(X)
        loss = torch.nn.functional.mse_loss(head(out[:, -1]), y)
        loss.backward()

    def infer():
        with torch.no_grad():
            return module(X)

    return train_step, infer


def run_grid(threads, repeats, cells, grid):
    import numba
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    numba.set_num_threads(threads)
    rng = np.random.default_rng(0)
    rows = []
    with threadpool_limits(threads, user_api="blas"):
        for cell in cells:
            for B, T, H in grid:
                I = 8
                ours = make_tsrnn(cell, B, T, I, H, rng)
                theirs = make_torch(cell, B, T, I, H, rng)
                for mode, idx in (("train", 0), ("infer", 1)):
                    work = flops(cell, B, T, I, H, mode == "train")
                    # back-to-back calls, at least 3 and ~10 ms or more: the weights and buffers are warm,
                    # as in a training loop (a single call right after the rival's measures its cache misses)
                    n = max(3, int(2e9 / work))
                    ours[idx]()
                    theirs[idx]()
                    t_ours, t_theirs = [], []
                    for _ in range(repeats):  # interleaved
                        t_ours.append(_timeit(ours[idx], n))
                        t_theirs.append(_timeit(theirs[idx], n))
                    a, b = min(t_ours), min(t_theirs)
                    rows.append(dict(cell=cell, mode=mode, threads=threads, batch=B, time=T, hidden=H,
                                     tsrnn_ms=a * 1e3, torch_ms=b * 1e3, ratio=b / a,
                                     tsrnn_gflops=work / a / 1e9))
                    print(f"  {cell:4s} {mode:5s} t={threads} B={B:3d} T={T:2d} H={H:3d}: "
                          f"tsrnn {a*1e3:8.3f} ms  torch {b*1e3:8.3f} ms  ratio {b/a:5.2f}", flush=True)
    return rows


# Issue 2's floors (ratio = PyTorch time / tsrnn time); inference at batch 256 has none.
def target(row):
    """The floor of one grid point, or None."""
    cell, mode, B, H = row["cell"], row["mode"], row["batch"], row["hidden"]
    if mode == "train":
        if cell in ("rnn", "gru"):
            return 3.0 if H == 32 else 1.5
        return 1.5 if H == 32 else 1.0
    if B == 32:
        return 3.0 if H == 32 else 1.0
    return None


def preamble(info, peak1, peak2, compile_times, rows):
    """Lines above the table: machine, BLAS kernels, sgemm peak, compile times, floors met."""
    scored = [(r, target(r)) for r in rows if target(r) is not None]
    met = sum(r["ratio"] >= t for r, t in scored)
    lines = [f"Run of {time.strftime('%Y-%m-%d')}: {summary(info)}; sgemm peak {peak1:.0f} GFLOP/s on 1 core, "
             f"{peak2:.0f} on 2. Floors of issue 2 met at {met} of {len(scored)} points."]
    for cell, ct in compile_times.items():
        lines.append(f"Compile {cell} (float32 training): cold {ct['cold_s']:.1f} s, cached first call "
                     f"{ct['cached_s']:.2f} s.")
    return "\n".join(lines) + "\n\n"


def markdown(rows, peak1):
    lines = ["| cell | mode | threads | B | T | H | tsrnn ms | torch ms | ratio | GFLOP/s | % sgemm peak (1 core) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['cell']} | {r['mode']} | {r['threads']} | {r['batch']} | {r['time']} | {r['hidden']} | "
                     f"{r['tsrnn_ms']:.3f} | {r['torch_ms']:.3f} | {r['ratio']:.2f} | {r['tsrnn_gflops']:.1f} | "
                     f"{100 * r['tsrnn_gflops'] / peak1:.0f}% |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats, 1 thread")
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=CELLS)
    parser.add_argument("--threads", nargs="+", type=int, default=None)
    parser.add_argument("--no-compile", action="store_true", help="skip the compile-time subprocesses")
    parser.add_argument("--out", default=str(RESULTS / "cells.json"))
    args = parser.parse_args(argv)
    print(summary(), flush=True)
    import torch

    threads = args.threads or ([1] if args.quick else [1, 2])
    repeats = 3 if args.quick else 7
    grid = [(B, T, H) for B in (32, 256) for T in (24, 96) for H in (32, 128)]

    load_start = os.getloadavg()  # the machine is shared: record how busy it was
    compile_times = {}
    if not args.no_compile:
        for cell in args.cells:
            compile_times[cell] = measure_compile(cell)
            ct = compile_times[cell]
            print(f"compile {cell}: cold {ct['cold_s']:.1f} s (import {ct['cold_import_s']:.1f} + kernels "
                  f"{ct['cold_kernels_s']:.1f}), cached first call {ct['cached_s']:.2f} s (import "
                  f"{ct['cached_import_s']:.2f} + kernels {ct['cached_kernels_s']:.2f})", flush=True)
    peak1 = sgemm_peak_gflops(1)
    peak2 = sgemm_peak_gflops(2)
    print(f"sgemm peak: {peak1:.0f} GFLOP/s (1 core), {peak2:.0f} GFLOP/s (2 cores)")
    rows = []
    for t in threads:
        rows += run_grid(t, repeats, args.cells, grid)
    table = markdown(rows, peak1)
    print()
    print(table)
    import numba
    import tsrnn

    info = machine()
    result = {
        "benchmark": "cells", "machine": info,
        "cpu_count": os.cpu_count(), "tsrnn": tsrnn.__version__, "torch": torch.__version__,
        "numba": numba.__version__, "sgemm_peak_gflops": {"1": peak1, "2": peak2},
        "compile": compile_times, "loadavg_start": load_start, "loadavg_end": os.getloadavg(), "rows": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(args.out).with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(args.out)
    Path(args.out).with_suffix(".md").write_text(preamble(info, peak1, peak2, compile_times, rows) + table + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
