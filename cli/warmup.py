"""``tsrnn warmup``: compile and cache the Numba kernels so later runs start fast."""

import sys
import time

import numpy as np


def add_parser(subparsers):
    p = subparsers.add_parser("warmup", help="compile and cache the kernels (first run takes a while)")
    p.add_argument("--cells", nargs="+", default=["lstm", "gru", "rnn"], choices=["lstm", "gru", "rnn"])
    p.add_argument("--dtypes", nargs="+", default=["float32"], choices=["float32", "float64"])
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=run)


def run(args):
    from tsrnn.nn import Recurrent

    total = time.perf_counter()
    for cell in args.cells:
        for dtype in args.dtypes:
            start = time.perf_counter()
            net = Recurrent(cell, 2, 4, dtype=dtype, random_state=0)
            X = np.zeros((3, 5, 2), dtype=dtype)
            Y, _ = net.forward(X, lengths=[5, 3, 1])  # training kernels
            net.backward(np.ones_like(Y))
            net.forward(X, training=False)  # inference kernels
            if not args.quiet:
                print(f"{cell:5s} {dtype}: {time.perf_counter() - start:6.2f} s", file=sys.stderr)
    if not args.quiet:
        print(f"kernels ready in {time.perf_counter() - total:.1f} s (cache: see `tsrnn info`)", file=sys.stderr)
    return 0
