"""Many local models: in-process (joblib, 1 and 2 workers) vs a dask.distributed LocalCluster.

Fits one small forecaster per series of the random-walk panel (``local=True``) and
forecasts it, four ways, and reports throughput (models per second) and the cluster's
overhead relative to in-process joblib with the same number of workers:

* ``inprocess-1``: ``RNNForecaster(local=True, n_jobs=1)`` (sequential, this process)
* ``inprocess-2``: ``n_jobs=2`` (joblib's default loky process pool)
* ``dask-joblib-2``: the same call inside ``joblib.parallel_backend("dask")``
  (LocalCluster, 2 worker processes x 1 thread)
* ``dask-partitions-2``: ``tsrnn.distributed.forecast_local`` on a dask.dataframe
  (each partition fitted where it lives)

Every mode must give forecasts identical to ``inprocess-1`` (checked and reported).
Kernels are compiled (or loaded from the cache) before timing; the cluster start-up
time is reported separately. Usage::

    python benchmarks/bench_scale.py                    # 10,000 series
    python benchmarks/bench_scale.py --n-series 1000    # quicker
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"

MODEL = dict(horizon=7, input_size=14, cell="gru", hidden_size=8, max_steps=50, batch_size=32, n_models=1, random_state=0)


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-series", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=60, help="observations per series")
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--out", default=str(RESULTS / "scale"), help="results file stem (.json and .md)")
    args = parser.parse_args(argv)

    import dask.dataframe as dd
    import joblib
    from distributed import Client, LocalCluster

    from tsrnn import RNNForecaster
    from tsrnn.datasets.synthetic import make_random_walk_panel
    from tsrnn.distributed import forecast_local
    from tsrnn.nn.warmup import warmup

    warmup(cells=(MODEL["cell"],))
    df = make_random_walk_panel(args.n_series, args.length, random_state=0)
    n = args.n_series
    rows, forecasts = [], {}

    def record(mode, seconds, yhat, note=""):
        forecasts[mode] = yhat
        rows.append({"mode": mode, "seconds": seconds, "models_per_s": n / seconds, "note": note})
        print(f"{mode:18s} {seconds:8.1f} s  {n / seconds:8.1f} models/s  {note}", flush=True)

    def local_fit(n_jobs):
        return RNNForecaster(local=True, n_jobs=n_jobs, **MODEL).fit(df).predict()["yhat"].to_numpy()

    for n_jobs in (1, 2):
        yhat, sec = _timed(lambda: local_fit(n_jobs))
        record(f"inprocess-{n_jobs}", sec, yhat, "loky pool start included" if n_jobs > 1 else "")

    (cluster, client), start_s = _timed(lambda: _start_cluster(LocalCluster, Client))
    try:
        client.run(warmup, cells=(MODEL["cell"],))
        with joblib.parallel_backend("dask"):
            yhat, sec = _timed(lambda: local_fit(None))
        record("dask-joblib-2", sec, yhat)
        ddf = dd.from_pandas(df, npartitions=args.partitions)

        def partitions():
            out = forecast_local(ddf, **MODEL).compute()
            return out.sort_values(["unique_id", "ds"])["yhat"].to_numpy()

        yhat, sec = _timed(partitions)
        record("dask-partitions-2", sec, yhat, f"{args.partitions} partitions, shuffle included")
    finally:
        client.close()
        cluster.close()

    base = forecasts["inprocess-1"]
    for row in rows:
        row["identical_to_inprocess_1"] = bool(np.array_equal(forecasts[row["mode"]], base))
    two = next(r["seconds"] for r in rows if r["mode"] == "inprocess-2")
    for row in rows:
        row["time_vs_inprocess_2"] = row["seconds"] / two
    meta = {"n_series": n, "length": args.length, "model": MODEL, "cluster_start_s": start_s,
            "cpu_count": os.cpu_count(), "python": sys.version.split()[0], "platform": platform.platform()}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out + ".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    lines = [f"# Local models at scale: {n} series x {args.length} steps", "",
             f"Model: {MODEL}; {os.cpu_count()} CPUs; LocalCluster start {start_s:.1f} s (not in the times).", "",
             "| mode | seconds | models/s | time vs in-process 2 workers | identical forecasts | note |",
             "| --- | ---: | ---: | ---: | --- | --- |"]
    lines += [f"| {r['mode']} | {r['seconds']:.1f} | {r['models_per_s']:.1f} | {r['time_vs_inprocess_2']:.2f} | "
              f"{'yes' if r['identical_to_inprocess_1'] else 'NO'} | {r['note']} |" for r in rows]
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if all(r["identical_to_inprocess_1"] for r in rows) else 1


def _start_cluster(LocalCluster, Client):
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=":0", silence_logs=40)
    return cluster, Client(cluster)


if __name__ == "__main__":
    sys.exit(main())
