"""RNNRegressor vs an equivalent PyTorch training loop, and one-sample predict latency.

Same data (noisy sines, windows of 24 steps, 1 feature), same model (one recurrent
layer + linear head on the last step), same epochs, batch size and optimizer (Adam,
lr 1e-3, gradient clipping at 1.0), one thread each, side by side in one process.

Usage::

    python benchmarks/bench_estimators.py [--quick]

Prints a Markdown table and writes ``benchmarks/results/estimators.json``.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _machine import machine, summary

RESULTS = Path(__file__).parent / "results"
FIT_REPEATS = 3  # fits per side and point, interleaved; the median is reported


def make_data(n=2048, T=24, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n + T + 1)
    s = np.sin(0.2 * t) + 0.5 * np.sin(0.05 * t) + 0.1 * rng.normal(size=t.size)
    X = np.lib.stride_tricks.sliding_window_view(s[:-1], T)[:n, :, None].astype(np.float32)
    y = s[T : T + n].astype(np.float32)
    return X, y


def fit_tsrnn(cell, H, X, y, epochs, batch_size):
    from tsrnn import RNNRegressor

    # the PyTorch loop's model and training: last step, all samples, no validation split
    model = RNNRegressor(cell=cell, hidden_size=H, head_params={"pooling": "last"}, max_epochs=epochs,
                         batch_size=batch_size, learning_rate=1e-3, clip_norm=1.0, early_stopping=False,
                         patience=epochs + 1, random_state=0, n_jobs=1)
    t0 = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - t0, model


def fit_torch(cell, H, X, y, epochs, batch_size):
    import torch

    torch.manual_seed(0)
    rnn = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](X.shape[2], H, batch_first=True)
    head = torch.nn.Linear(H, 1)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)[:, None]
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(len(Xt), generator=g)
        for s in range(0, len(Xt), batch_size):
            idx = perm[s : s + batch_size]
            opt.zero_grad()
            out, _ = rnn(Xt[idx])
            loss = torch.nn.functional.mse_loss(head(out[:, -1]), yt[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
    elapsed = time.perf_counter() - t0

    def predict(x):
        with torch.no_grad():
            out, _ = rnn(torch.from_numpy(x))
            return head(out[:, -1]).numpy()

    return elapsed, predict


def latency(fn, x, n=2000):
    for _ in range(50):
        fn(x)
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n // 5):
            fn(x)
        best = min(best, (time.perf_counter() - t0) / (n // 5))
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(RESULTS / "estimators.json"))
    args = parser.parse_args(argv)
    print(summary(), flush=True)
    import numba
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    numba.set_num_threads(1)
    epochs = 3 if args.quick else 10
    X, y = make_data()
    rows = []
    with threadpool_limits(1):
        for cell in ("rnn", "gru", "lstm"):
            for H in (32, 128):
                fit_tsrnn(cell, H, X[:64], y[:64], 1, 32)  # compile / warm up outside the timing
                fit_torch(cell, H, X[:64], y[:64], 1, 32)  # torch's first backward, allocator, ...
                ours, theirs = [], []
                for _ in range(FIT_REPEATS):  # interleaved: both sides see the same machine load
                    ours.append(fit_tsrnn(cell, H, X, y, epochs, 32))
                    theirs.append(fit_torch(cell, H, X, y, epochs, 32))
                t_ours, model = sorted(ours, key=lambda r: r[0])[FIT_REPEATS // 2]  # medians
                t_theirs, torch_predict = sorted(theirs, key=lambda r: r[0])[FIT_REPEATS // 2]
                x1 = X[:1]
                lat_ours = latency(model.predict, x1)
                lat_theirs = latency(torch_predict, x1)
                row = dict(cell=cell, hidden=H, epochs=epochs, n_samples=len(X), batch_size=32,
                           fit_tsrnn_s=t_ours, fit_torch_s=t_theirs, fit_ratio=t_theirs / t_ours,
                           predict1_tsrnn_us=lat_ours * 1e6, predict1_torch_us=lat_theirs * 1e6,
                           predict_ratio=lat_theirs / lat_ours)
                rows.append(row)
                print(f"{cell:4s} H={H:3d}: fit {t_ours:6.2f}s vs torch {t_theirs:6.2f}s (x{row['fit_ratio']:.2f}); "
                      f"predict(1) {lat_ours*1e6:7.1f}us vs {lat_theirs*1e6:7.1f}us (x{row['predict_ratio']:.1f})",
                      flush=True)
    lines = ["| cell | H | fit tsrnn s | fit torch s | ratio | predict(1) tsrnn us | torch us | ratio |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['cell']} | {r['hidden']} | {r['fit_tsrnn_s']:.2f} | {r['fit_torch_s']:.2f} | "
                     f"{r['fit_ratio']:.2f} | {r['predict1_tsrnn_us']:.1f} | {r['predict1_torch_us']:.1f} | "
                     f"{r['predict_ratio']:.1f} |")
    table = "\n".join(lines)
    print("\n" + table)
    import tsrnn

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    info = machine()
    tmp.write_text(json.dumps({"benchmark": "estimators", "machine": info,
                               "tsrnn": tsrnn.__version__, "torch": torch.__version__, "threads": 1,
                               "fit_repeats": FIT_REPEATS, "fit_statistic": "median of interleaved fits",
                               "rows": rows}, indent=1))
    tmp.replace(out)
    header = (f"Run of {time.strftime('%Y-%m-%d')}: {summary(info)}; torch {torch.__version__}; one thread; fit "
              f"times are the median of {FIT_REPEATS} interleaved fits per side, both warmed up first.\n\n")
    out.with_suffix(".md").write_text(header + table + "\n")


if __name__ == "__main__":
    main()
