"""Accuracy of RNNClassifier defaults on real sequence classification sets (not a test).

The shipped UCR sets (``gunpoint``, ``italy_power_demand``; official train/test
splits) and, read straight from the data files inside other packages' wheels (never
imported; ``pip download --no-deps aeon==1.6.0 tslearn==0.10.0`` fetches them):

* ``--aeon-wheel``: ArrowHead, BasicMotions (6 channels), JapaneseVowels (12
  channels, 7-29 steps), PickupGestureWiimoteZ (10-361 steps), OSULeaf, and ACSF1
  (1460 steps);
* ``--tslearn-wheel``: Trace (275 steps).

The classifier's defaults were chosen on the shipped two and the first five aeon sets;
ACSF1 and Trace were only scored after the choice. Variable lengths are passed as
trailing-NaN padding, the estimators' documented format.

Each set: the classifier with its defaults (``--params`` to try others) over seeds,
against 1-nearest-neighbour with Euclidean distance computed in the same run (NaN
padding as zeros), the usual UCR reference point.

Usage::

    python benchmarks/bench_classification.py [--seeds 0,1,2] [--params JSON]
        [--aeon-wheel aeon-1.6.0-py3-none-any.whl] [--out FILE]

Prints a Markdown table and writes ``benchmarks/results/classification.json``
(``classification_variant.json`` with ``--params``).
"""

import argparse
import json
import platform
import time
import zipfile
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
AEON_SETS = ("ArrowHead", "BasicMotions", "JapaneseVowels", "PickupGestureWiimoteZ", "OSULeaf", "ACSF1")
UNSEEN = ("ACSF1", "Trace")  # scored only after the defaults were chosen


def parse_ts(text):
    """(X, y) of a ``.ts`` file: X of shape (n, T_max, channels), NaN past each length."""
    rows, labels, in_data = [], [], False
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower().startswith("@data"):
            in_data = True
            continue
        if in_data:
            *channels, label = line.split(":")
            rows.append([np.array([np.nan if v in ("?", "") else float(v) for v in c.split(",")]) for c in channels])
            labels.append(label)
    T = max(len(c) for row in rows for c in row)
    X = np.full((len(rows), T, len(rows[0])), np.nan)
    for i, row in enumerate(rows):
        for j, c in enumerate(row):
            X[i, : len(c), j] = c
    return X, np.array(labels)


def load_aeon(wheel, name):
    """Train/test split of one set from an aeon wheel, padded to one length."""
    return load_wheel_set(wheel, "aeon", name)


def load_wheel_set(wheel, package, name):
    """Train/test split of one set from a wheel's ``{package}/datasets/data`` ``.ts``
    files, padded to one length: (X_train, y_train, X_test, y_test), labels as text."""
    with zipfile.ZipFile(wheel) as z:
        parts = [parse_ts(z.read(f"{package}/datasets/data/{name}/{name}_{s}.ts").decode("utf-8", "replace"))
                 for s in ("TRAIN", "TEST")]
    T = max(X.shape[1] for X, _ in parts)
    (X_tr, y_tr), (X_te, y_te) = [
        (np.concatenate([X, np.full((X.shape[0], T - X.shape[1], X.shape[2]), np.nan)], axis=1), y) for X, y in parts
    ]
    return X_tr, y_tr, X_te, y_te


def load_tslearn_trace(wheel):
    """Trace (UCR) as tslearn's wheel caches it: X of shape (n, 275, 1)."""
    import io

    with zipfile.ZipFile(wheel) as z:
        data = np.load(io.BytesIO(z.read("tslearn/.cached_datasets/Trace.npz")))
        return data["X_train"], data["y_train"], data["X_test"], data["y_test"]


def one_nn_euclidean(X_tr, y_tr, X_te, y_te):
    a = np.nan_to_num(np.asarray(X_tr, dtype=float)).reshape(len(X_tr), -1)
    b = np.nan_to_num(np.asarray(X_te, dtype=float)).reshape(len(X_te), -1)
    d = (b * b).sum(1)[:, None] - 2 * b @ a.T + (a * a).sum(1)[None, :]
    return float((np.asarray(y_tr)[d.argmin(axis=1)] == np.asarray(y_te)).mean())


def evaluate(name, data, seeds, params):
    from tsrnn import RNNClassifier

    X_tr, y_tr, X_te, y_te = data
    runs = []
    for seed in seeds:
        t0 = time.perf_counter()
        model = RNNClassifier(random_state=seed, **params).fit(X_tr, y_tr)
        fit_s = time.perf_counter() - t0
        runs.append({"seed": seed, "accuracy": float((model.predict(X_te) == y_te).mean()), "fit_s": fit_s})
    return {"name": name, "unseen": name in UNSEEN, "train": list(np.shape(X_tr)), "test": list(np.shape(X_te)),
            "classes": int(len(np.unique(y_tr))), "one_nn_euclidean": one_nn_euclidean(*data),
            "accuracy": float(np.mean([r["accuracy"] for r in runs])), "runs": runs}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    parser.add_argument("--params", default="{}", help="JSON of RNNClassifier parameters instead of the defaults")
    parser.add_argument("--aeon-wheel", help="an aeon wheel (1.6.0) whose data files add six sets")
    parser.add_argument("--tslearn-wheel", help="a tslearn wheel (0.10.0) whose cached Trace set is added")
    parser.add_argument("--out", help="JSON file to write")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    params = json.loads(args.params)

    from tsrnn import __version__, datasets

    sets = [(name, datasets.load(name)) for name in ("gunpoint", "italy_power_demand")]
    if args.aeon_wheel:
        sets += [(name, load_aeon(args.aeon_wheel, name)) for name in AEON_SETS]
    if args.tslearn_wheel:
        sets.append(("Trace", load_tslearn_trace(args.tslearn_wheel)))
    rows = []
    print("| set | train | test | classes | 1-NN Euclidean | RNNClassifier | per seed | fit s |")
    print("|---|---|---|---:|---:|---:|---|---:|")
    for name, data in sets:
        r = evaluate(name, data, seeds, params)
        rows.append(r)
        per_seed = ", ".join(f"{x['accuracy']:.3f}" for x in r["runs"])
        fit_s = np.mean([x["fit_s"] for x in r["runs"]])
        label = f"{name} (unseen)" if r["unseen"] else name
        print(f"| {label} | {'x'.join(map(str, r['train']))} | {'x'.join(map(str, r['test']))} | {r['classes']} | "
              f"{r['one_nn_euclidean']:.3f} | {r['accuracy']:.3f} | {per_seed} | {fit_s:.1f} |", flush=True)
    mean = {"one_nn_euclidean": float(np.mean([r["one_nn_euclidean"] for r in rows])),
            "rnn": float(np.mean([r["accuracy"] for r in rows]))}
    print(f"| **mean** | | | | {mean['one_nn_euclidean']:.3f} | {mean['rnn']:.3f} | | |")
    out = Path(args.out) if args.out else RESULTS / ("classification_variant.json" if params else "classification.json")
    write_results(out, {"benchmark": "classification", "tsrnn": __version__, "python": platform.python_version(),
                        "seeds": seeds, "params": params, "sets": rows, "mean": mean})


def write_results(out, payload):
    """Write ``payload`` as JSON to ``out`` atomically (a temporary file, then a rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    tmp.replace(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
