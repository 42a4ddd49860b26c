"""``tsrnn warmup``: compile and cache the Numba kernels so later runs start fast."""

import sys
import time


def add_parser(subparsers):
    p = subparsers.add_parser("warmup", help="compile and cache the kernels (first run takes a while)")
    p.add_argument("--cells", nargs="+", default=["lstm", "gru", "rnn"], choices=["lstm", "gru", "rnn"],
                   help="cells to compile (default: all three)")
    p.add_argument("--dtypes", nargs="+", default=["float32"], choices=["float32", "float64"],
                   help="dtypes to compile (default: float32)")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=run)


def run(args):
    from tsrnn.nn.warmup import warmup

    total = time.perf_counter()
    report = warmup(args.cells, args.dtypes)
    if not args.quiet:
        for name, seconds in report["seconds"].items():
            cell, dtype = name.split("/")
            print(f"{cell:5s} {dtype}: {seconds:6.2f} s", file=sys.stderr)
        print(f"kernels ready in {time.perf_counter() - total:.1f} s ({report['compiled']} compiled, "
              f"{report['loaded']} loaded from the cache in {report['cache_dir']})", file=sys.stderr)
    return 0
