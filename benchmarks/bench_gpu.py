"""tsrnn on a CUDA GPU vs PyTorch/cuDNN: recurrent cells, training step and inference.

Grid: batch {256, 4096} x time {24, 96} x hidden {32, 128}, input 8, 1 layer, float32,
every cell (RNN tanh, RNN relu, GRU, LSTM); plus single-series (batch 1) inference
latency and a CPU-vs-GPU crossover sweep for ``tsrnn.nn._device.CUDA_AUTO_MIN_BATCH``.
Both libraries run interleaved in one process; the median over repeats is kept.

tsrnn is timed twice:

* ``api``: ``Recurrent(device="cuda")`` forward (+ backward), host numpy in and out, so
  X / Y / dY / dX / gradients cross PCIe on every call (what the estimators do today);
* ``kernels``: the layer API of ``tsrnn.kernels.cuda.layers`` on device-resident
  inputs and weights (the kernels' own cost; the parameter gradients still come back).

A training step is forward + backward w.r.t. the weights (no input gradient, no
optimizer update) with a fixed output gradient; PyTorch's is ``(Y * dY).sum().backward()``
on a ``torch.nn.LSTM/GRU/RNN`` on "cuda" (cuDNN). Inference is a forward without cache
(``torch.no_grad()``).

Usage::

    python benchmarks/bench_gpu.py              # full grid on a real GPU
    python benchmarks/bench_gpu.py --quick      # fewer repeats
    python benchmarks/bench_gpu.py --simulate   # tiny smoke run in numba's CUDA simulator

Writes ``gpu.md`` and ``gpu.json`` (with the GPU's name) to ``benchmarks/results`` (to a
temporary folder with ``--simulate`` unless ``--out-dir`` is given). Without a usable
GPU (and without ``--simulate``) it exits with status 2 and says why.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
CELLS = (("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh"))
FULL_GRID = dict(batch=(256, 4096), time=(24, 96), hidden=(32, 128))
SIM_GRID = dict(batch=(2,), time=(3,), hidden=(4,))
INPUT = 8


def _label(cell, nonlinearity):
    return f"rnn_{nonlinearity}" if cell == "rnn" else cell


def _median_time(fn, repeats, sync):
    fn()
    sync()  # warm-up: compiles kernels, allocates
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


class TsrnnCase:
    """tsrnn on "cuda" for one (cell, B, T, H): ``api`` and ``kernels`` callables."""

    def __init__(self, cell, nonlinearity, B, T, H, rng):
        from numba import cuda

        from tsrnn.kernels.cuda import layers as cl
        from tsrnn.nn import Recurrent

        self.cuda = cuda
        self.net = Recurrent(cell, INPUT, H, nonlinearity=nonlinearity, device="cuda", random_state=0)
        self.X = rng.standard_normal((B, T, INPUT)).astype(np.float32)
        self.dY = rng.standard_normal((B, T, H)).astype(np.float32)
        self.ops = cl.LAYERS[cell]
        self.nl = nonlinearity
        w = self.net._layer(0, self.net.weights)
        self.w = w
        self.grads = self.net._layer(0, self.net.grads)
        self.dw = cl.prepare_weights(cell, *w)
        self.d_x = cuda.to_device(self.X)
        self.d_dy = cuda.to_device(self.dY)
        zeros = np.zeros((B, H), np.float32)
        self.d_h0 = cuda.to_device(zeros)
        self.d_c0 = cuda.to_device(zeros) if cell == "lstm" else None
        self.d_dh = cuda.to_device(zeros)
        self.d_dc = cuda.to_device(zeros) if cell == "lstm" else None
        self.d_len = cuda.to_device(np.full(B, T, np.int64))
        self.ws = cl.Workspace()  # reused buffers, as Recurrent keeps them
        self.ws_infer = cl.Workspace()

    def sync(self):
        self.cuda.synchronize()

    def api_train(self):
        self.net.forward(self.X)
        self.net.backward(self.dY)

    def api_infer(self):
        self.net.forward(self.X, training=False)

    def kernels_train(self):
        w_ih, w_hh, b_ih, b_hh = self.w
        _, _, _, cache = self.ops.forward(self.d_x, w_ih, w_hh, b_ih, b_hh, self.d_h0, self.d_c0, self.d_len,
                                          self.nl, need_cache=True, dev_weights=self.dw, ws=self.ws)
        self.ops.backward(self.d_dy, self.d_dh, self.d_dc, cache, w_ih, w_hh, self.grads, self.nl, need_dx=False,
                          ws=self.ws)

    def kernels_forward_cached(self):
        w_ih, w_hh, b_ih, b_hh = self.w
        return self.ops.forward(self.d_x, w_ih, w_hh, b_ih, b_hh, self.d_h0, self.d_c0, self.d_len,
                                self.nl, need_cache=True, dev_weights=self.dw, ws=self.ws)[3]

    def kernels_infer(self):
        w_ih, w_hh, b_ih, b_hh = self.w
        self.ops.forward(self.d_x, w_ih, w_hh, b_ih, b_hh, self.d_h0, self.d_c0, self.d_len, self.nl,
                         need_cache=False, dev_weights=self.dw, ws=self.ws_infer)


class TorchCase:
    """torch.nn.{RNN,GRU,LSTM} on ``device`` for one (cell, B, T, H); ``tf32=False``
    turns off cuDNN's TF32 tensor-core math (on by default in PyTorch) while it runs."""

    def __init__(self, torch, device, cell, nonlinearity, B, T, H, rng, tf32=True):
        self.torch = torch
        self.device = device
        self.tf32 = tf32
        kw = dict(batch_first=True)
        if cell == "rnn":
            mod = torch.nn.RNN(INPUT, H, nonlinearity=nonlinearity, **kw)
        else:
            mod = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](INPUT, H, **kw)
        self.mod = mod.to(device)
        self.X = torch.from_numpy(rng.standard_normal((B, T, INPUT)).astype(np.float32)).to(device)
        self.dY = torch.from_numpy(rng.standard_normal((B, T, H)).astype(np.float32)).to(device)

    def sync(self):
        if self.device == "cuda":
            self.torch.cuda.synchronize()

    def _cudnn_math(self):
        return self.torch.backends.cudnn.flags(enabled=True, benchmark=True, allow_tf32=self.tf32)

    def train(self):
        with self._cudnn_math():
            self.mod.zero_grad(set_to_none=True)
            y, _ = self.mod(self.X)
            (y * self.dY).sum().backward()

    def infer(self):
        with self._cudnn_math(), self.torch.no_grad():
            self.mod(self.X)


def _torch(simulate):
    """``(torch module or None, device, note)``."""
    try:
        import torch
    except ImportError:
        return None, None, "torch is not installed: PyTorch columns left empty"
    if torch.cuda.is_available() and not simulate:
        torch.backends.cudnn.benchmark = True
        return torch, "cuda", f"torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}"
    if simulate:
        return torch, "cpu", f"torch {torch.__version__} on the CPU (simulate mode: code paths only)"
    return None, None, f"torch {torch.__version__} has no CUDA here: PyTorch columns left empty"


def _weight_grads_only(ts, cache):
    """The weight-gradient GEMMs of one backward (fed with the forward's outputs as dG)."""
    from tsrnn.kernels.cuda import layers as cl

    y = cache[3]  # (x, h0, [c0,] lengths, y, ...): y is 4th for RNN/GRU caches, see below
    if ts.ops is cl.LSTMLayer:
        y = cache[4]
    B, T, H = y.shape
    G = ts.ops.n_gates
    dg = ts.ws.buffer("bench_dg", (B * T, G * H), y.dtype)
    cl._weight_grads(dg, dg, ts.d_x, ts.d_h0, y, ts.grads, T, ts.ws)


def run_grid(grid, cells, repeats, simulate, log=print, breakdown=False):
    torch, tdev, tnote = _torch(simulate)
    rng = np.random.default_rng(0)
    rows = []
    for cell, nl in cells:
        for B in grid["batch"]:
            for T in grid["time"]:
                for H in grid["hidden"]:
                    ts = TsrnnCase(cell, nl, B, T, H, rng)
                    row = {"cell": _label(cell, nl), "batch": B, "time": T, "hidden": H}
                    # the first call compiles the kernels when this (cell, hidden, input) is new
                    t0 = time.perf_counter()
                    ts.api_train()
                    ts.sync()
                    row["tsrnn_first_train_call_ms"] = 1e3 * (time.perf_counter() - t0)
                    for kind in ("train", "infer"):
                        row[f"tsrnn_api_{kind}_ms"] = 1e3 * _median_time(getattr(ts, f"api_{kind}"), repeats, ts.sync)
                        row[f"tsrnn_kernels_{kind}_ms"] = 1e3 * _median_time(
                            getattr(ts, f"kernels_{kind}"), repeats, ts.sync)
                        if torch is not None:
                            tc = TorchCase(torch, tdev, cell, nl, B, T, H, rng)
                            row[f"torch_{kind}_ms"] = 1e3 * _median_time(getattr(tc, kind), repeats, tc.sync)
                            row[f"ratio_{kind}"] = row[f"torch_{kind}_ms"] / row[f"tsrnn_kernels_{kind}_ms"]
                            if tdev == "cuda":
                                tc = TorchCase(torch, tdev, cell, nl, B, T, H, rng, tf32=False)
                                row[f"torch_fp32_{kind}_ms"] = 1e3 * _median_time(getattr(tc, kind), repeats, tc.sync)
                    if breakdown:
                        cache = ts.kernels_forward_cached()
                        ts.sync()
                        row["tsrnn_fwd_cached_ms"] = 1e3 * _median_time(ts.kernels_forward_cached, repeats, ts.sync)
                        row["tsrnn_weight_grads_ms"] = 1e3 * _median_time(lambda: _weight_grads_only(ts, cache),
                                                                          repeats, ts.sync)
                    rows.append(row)
                    log(json.dumps(row))
    return rows, tnote


def _fitted_regressor(cell, nonlinearity, T, H, rng):
    """An RNNRegressor(device="auto") fitted for one epoch on random data (latency does not
    depend on the weights' values)."""
    from tsrnn.estimators import RNNRegressor

    X = rng.standard_normal((64, T, INPUT)).astype(np.float32)
    y = X.sum(axis=(1, 2))
    return RNNRegressor(cell=cell, nonlinearity=nonlinearity, hidden_size=H, head_params={"pooling": "last"},
                        max_epochs=1, early_stopping=False, device="auto", random_state=0).fit(X, y)


def run_latency(times, hiddens, cells, repeats, simulate, log=print):
    """Single-series (B=1) inference latency through the public API."""
    torch, tdev, _ = _torch(simulate)
    rng = np.random.default_rng(1)
    rows = []
    for cell, nl in cells:
        for T in times:
            for H in hiddens:
                ts = TsrnnCase(cell, nl, 1, T, H, rng)
                row = {"cell": _label(cell, nl), "batch": 1, "time": T, "hidden": H,
                       "tsrnn_api_infer_ms": 1e3 * _median_time(ts.api_infer, repeats, ts.sync)}
                # the same network on the CPU (where device="auto" runs a batch of 1)
                ts.net.device = "cpu"
                cpu_repeats = max(repeats, 50)  # microsecond calls: many repeats cost nothing
                row["tsrnn_cpu_infer_ms"] = 1e3 * _median_time(ts.api_infer, cpu_repeats, lambda: None)
                ts.net.device = "cuda"
                # what a user calls: a fitted RNNRegressor(device="auto").predict on one series
                model = _fitted_regressor(cell, nl, T, H, rng)
                x1 = ts.X[:1]
                row["tsrnn_estimator_auto_ms"] = 1e3 * _median_time(lambda: model.predict(x1), cpu_repeats,
                                                                    lambda: None)
                if torch is not None:
                    tc = TorchCase(torch, tdev, cell, nl, 1, T, H, rng)
                    row["torch_infer_ms"] = 1e3 * _median_time(tc.infer, repeats, tc.sync)
                    row["ratio_infer"] = row["torch_infer_ms"] / row["tsrnn_api_infer_ms"]
                    row["ratio_cpu_infer"] = row["torch_infer_ms"] / row["tsrnn_cpu_infer_ms"]
                    row["ratio_estimator_infer"] = row["torch_infer_ms"] / row["tsrnn_estimator_auto_ms"]
                rows.append(row)
                log(json.dumps(row))
    return rows


def run_crossover(batches, T, H, repeats, log=print):
    """tsrnn training step on "cpu" vs "cuda" (public API) for the LSTM: where the GPU wins."""
    from tsrnn.nn import Recurrent

    rng = np.random.default_rng(2)
    rows = []
    for B in batches:
        X = rng.standard_normal((B, T, INPUT)).astype(np.float32)
        dY = np.ones((B, T, H), np.float32)
        row = {"cell": "lstm", "batch": B, "time": T, "hidden": H}
        for device in ("cpu", "cuda"):
            net = Recurrent("lstm", INPUT, H, device=device, random_state=0)

            def step(net=net):
                net.forward(X)
                net.backward(dY)

            row[f"{device}_train_ms"] = 1e3 * _median_time(step, repeats, lambda: None)
        rows.append(row)
        log(json.dumps(row))
    wins = [r["batch"] for r in rows if r["cuda_train_ms"] < r["cpu_train_ms"]]
    return rows, (min(wins) if wins else None)


def _fmt(v):
    return "" if v is None else (f"{v:.3f}" if v < 10 else f"{v:.1f}")


def markdown(info, rows, latency, crossover, suggestion):
    lines = [
        f"# tsrnn CUDA vs PyTorch ({info['gpu']})",
        "",
        f"{info['torch']}; numba {info['numba']}; float32, input {INPUT}, 1 layer. Times in ms (median); "
        "ratio = torch / tsrnn kernels (> 1: tsrnn faster). `api` includes host<->device copies of "
        "X, Y, dY and the gradients on every call.",
        "",
        "## Training step (forward + backward) and inference",
        "",
        "| cell | batch | time | hidden | tsrnn api train | tsrnn kernels train | torch train | torch fp32 train "
        "| ratio train | tsrnn api infer | tsrnn kernels infer | torch infer | torch fp32 infer | ratio infer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['cell']} | {r['batch']} | {r['time']} | {r['hidden']} | {_fmt(r['tsrnn_api_train_ms'])} | "
            f"{_fmt(r['tsrnn_kernels_train_ms'])} | {_fmt(r.get('torch_train_ms'))} | "
            f"{_fmt(r.get('torch_fp32_train_ms'))} | {_fmt(r.get('ratio_train'))} | "
            f"{_fmt(r['tsrnn_api_infer_ms'])} | {_fmt(r['tsrnn_kernels_infer_ms'])} | "
            f"{_fmt(r.get('torch_infer_ms'))} | {_fmt(r.get('torch_fp32_infer_ms'))} | {_fmt(r.get('ratio_infer'))} |"
        )
    if any("tsrnn_fwd_cached_ms" in r for r in rows):
        lines += ["", "## Where a tsrnn training step goes (kernels)", "",
                  "| cell | batch | time | hidden | train step | forward (cached) | weight-gradient GEMMs "
                  "| first api train call (compiles when the sizes are new) |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in rows:
            lines.append(f"| {r['cell']} | {r['batch']} | {r['time']} | {r['hidden']} | "
                         f"{_fmt(r['tsrnn_kernels_train_ms'])} | {_fmt(r.get('tsrnn_fwd_cached_ms'))} | "
                         f"{_fmt(r.get('tsrnn_weight_grads_ms'))} | {_fmt(r.get('tsrnn_first_train_call_ms'))} |")
    lines += ["", "## Single series (batch 1) inference latency, public API", "",
              "`tsrnn cuda`: `Recurrent(device=\"cuda\")`; `tsrnn cpu`: the same network on the CPU, where "
              "`device=\"auto\"` runs a batch of one; `tsrnn estimator (auto)`: "
              "`RNNRegressor(device=\"auto\").predict` on one series. Ratios are torch (cuDNN) / tsrnn.", "",
              "| cell | time | hidden | tsrnn cuda | tsrnn cpu | tsrnn estimator (auto) | torch | ratio cuda "
              "| ratio cpu | ratio estimator |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in latency:
        lines.append(f"| {r['cell']} | {r['time']} | {r['hidden']} | {_fmt(r['tsrnn_api_infer_ms'])} | "
                     f"{_fmt(r.get('tsrnn_cpu_infer_ms'))} | {_fmt(r.get('tsrnn_estimator_auto_ms'))} | "
                     f"{_fmt(r.get('torch_infer_ms'))} | {_fmt(r.get('ratio_infer'))} | "
                     f"{_fmt(r.get('ratio_cpu_infer'))} | {_fmt(r.get('ratio_estimator_infer'))} |")
    if crossover:
        lines += ["", "## CPU vs GPU crossover (LSTM training step, public API)", "",
                  "| batch | tsrnn cpu | tsrnn cuda |", "|---:|---:|---:|"]
        for r in crossover:
            lines.append(f"| {r['batch']} | {_fmt(r['cpu_train_ms'])} | {_fmt(r['cuda_train_ms'])} |")
        lines += ["", f"Smallest batch where the GPU wins: {suggestion} "
                  "(set `tsrnn.nn._device.CUDA_AUTO_MIN_BATCH` from it)."]
    return "\n".join(lines) + "\n"


def _ensure_simulator(argv):
    """``--simulate`` needs NUMBA_ENABLE_CUDASIM=1 before numba.cuda is imported."""
    if "numba" not in sys.modules:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        return None
    from numba.core import config

    if config.ENABLE_CUDASIM:
        return None
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    return subprocess.run([sys.executable, __file__, *argv], env=env).returncode


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="3 repeats instead of 10")
    p.add_argument("--simulate", action="store_true",
                   help="tiny shapes in numba's CUDA simulator (no GPU needed; checks the code paths only)")
    p.add_argument("--out-dir", default=None, help="where gpu.md / gpu.json go (default benchmarks/results)")
    p.add_argument("--no-crossover", action="store_true", help="skip the CPU-vs-GPU batch sweep")
    p.add_argument("--breakdown", action="store_true",
                   help="also time the cached forward and the weight-gradient GEMMs alone at each point")
    p.add_argument("--cells", default=None, help="comma-separated subset of rnn_tanh,rnn_relu,gru,lstm")
    args = p.parse_args(argv)
    if args.simulate:
        rc = _ensure_simulator(argv)
        if rc is not None:
            return rc
    from tsrnn.kernels.cuda.device import cuda_status, simulator_enabled

    ok, text = cuda_status()
    if not ok or (simulator_enabled() and not args.simulate):
        why = text if not ok else "NUMBA_ENABLE_CUDASIM=1 is set (the simulator is no benchmark)"
        print(f"bench_gpu: no usable GPU: {why}. Run it on a machine with an NVIDIA GPU, "
              "or use --simulate for a smoke run.", file=sys.stderr)
        return 2
    import numba

    out_dir = Path(args.out_dir) if args.out_dir else (
        Path(tempfile.mkdtemp(prefix="bench_gpu_")) if args.simulate else RESULTS)
    out_dir.mkdir(parents=True, exist_ok=True)
    grid = SIM_GRID if args.simulate else FULL_GRID
    repeats = 1 if args.simulate else (3 if args.quick else 10)
    _, _, tnote = _torch(args.simulate)
    info = {"gpu": text, "torch": tnote, "numba": numba.__version__, "python": sys.version.split()[0],
            "platform": platform.platform(), "simulate": args.simulate, "repeats": repeats}
    cells = CELLS if not args.cells else tuple(c for c in CELLS if _label(*c) in args.cells.split(","))
    rows, _ = run_grid(grid, cells, repeats, args.simulate, breakdown=args.breakdown)
    latency = run_latency(grid["time"] if args.simulate else (24, 96), grid["hidden"],
                          cells[-1:] if args.simulate else cells, repeats, args.simulate)
    crossover, suggestion = [], None
    if not args.no_crossover:
        batches = (2,) if args.simulate else (16, 64, 256, 1024, 4096)
        T, H = (3, 4) if args.simulate else (48, 64)
        crossover, suggestion = run_crossover(batches, T, H, repeats)
    result = {"info": info, "grid": rows, "latency_b1": latency, "crossover": crossover,
              "suggested_cuda_auto_min_batch": suggestion}
    (out_dir / "gpu.json").write_text(json.dumps(result, indent=2) + "\n")
    md = markdown(info, rows, latency, crossover, suggestion)
    (out_dir / "gpu.md").write_text(md)
    print(md)
    print(f"wrote {out_dir / 'gpu.md'} and {out_dir / 'gpu.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
