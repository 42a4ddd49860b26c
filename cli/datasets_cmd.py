"""``tsrnn datasets list | show NAME | export NAME -o FILE``."""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ._common import UsageError, write_frame, write_text


def add_parser(subparsers):
    p = subparsers.add_parser("datasets", help="list, describe or export the shipped datasets")
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="table of the shipped datasets")
    show = sub.add_parser("show", help="provenance and first rows of one dataset")
    show.add_argument("name")
    export = sub.add_parser("export", help="write one dataset to a file: CSV, or Parquet by suffix (text sets: .txt)")
    export.add_argument("name")
    export.add_argument("-o", "--output", required=True, help="output file")
    export.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.set_defaults(func=run)


def _load(name):
    from tsrnn import datasets

    try:
        return datasets.load(name)
    except datasets.UnknownDatasetError as exc:
        raise UsageError(str(exc).strip('"')) from None


def _classification_frame(parts):
    X_train, y_train, X_test, y_test = parts
    frames = []
    for split, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
        wide = pd.DataFrame(X[:, :, 0], columns=[f"t{i}" for i in range(X.shape[1])])
        wide.insert(0, "label", y)
        wide.insert(0, "split", split)
        frames.append(wide)
    return pd.concat(frames, ignore_index=True)


def run(args):
    from tsrnn import datasets

    if args.action == "list":
        table = datasets.list_datasets()[["name", "kind", "n_series", "length", "frequency", "horizon", "title"]]
        print(table.to_string(index=False))
        return 0
    data = _load(args.name)
    if args.action == "show":
        print(json.dumps(datasets.provenance(args.name), indent=2, default=str))
        if isinstance(data, pd.DataFrame):
            print(data.head(10).to_string(index=False))
        elif isinstance(data, tuple):
            print(f"X_train {data[0].shape}, X_test {data[2].shape}, classes {np.unique(data[1]).tolist()}")
        else:
            print(data[:500])
        return 0
    if isinstance(data, pd.DataFrame):
        write_frame(args.output, data, args.force)
    elif isinstance(data, tuple):
        write_frame(args.output, _classification_frame(data), args.force)
    elif str(args.output) == "-":
        sys.stdout.write(data)
    else:
        if Path(args.output).suffix.lower() in (".csv", ".parquet", ".pq"):
            raise UsageError(f"{args.name} is a text, not a table; name the output {Path(args.output).stem}.txt")
        write_text(args.output, data, args.force)
    return 0
