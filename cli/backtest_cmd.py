"""``tsrnn backtest``: rolling-origin cross-validation and a metrics table."""

import argparse
import json
import sys

from ._common import UsageError, write_frame
from ._data import add_data_arguments, read_series
from .forecast_cmd import add_model_arguments, build_forecaster, check_levels, read_config


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def add_parser(subparsers):
    p = subparsers.add_parser("backtest", help="rolling-origin backtest of the forecaster on DATA: metrics table")
    add_data_arguments(p)
    add_model_arguments(p)
    p.add_argument("--windows", type=int, default=1, help="backtest windows per series (default 1)")
    p.add_argument("--step-size", type=int, help="steps between cutoffs (default: the horizon)")
    p.add_argument("--refit", action="store_true", help="refit before every window")
    p.add_argument("--level", type=float, nargs="+", action="extend", help="interval levels in percent (adds coverage)")
    p.add_argument("--season-length", type=_positive_int, default=1, help="season length for MASE (default 1)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("-o", "--output", help="also write the backtest forecasts to this file (CSV, or Parquet for .parquet)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --output")
    p.set_defaults(func=run)


def run(args):
    from tsrnn.metrics import evaluate

    from ._common import TABLE_SUFFIXES, check_output_path

    if args.output == "-":
        raise UsageError("-o - is not available here: the metrics are printed to stdout; give a file name")
    if args.output:
        check_output_path(args.output, args.force, TABLE_SUFFIXES)
    check_levels(args.level)
    read_config(args)
    frame = read_series(args)
    forecaster = build_forecaster(args)
    cv = forecaster.cross_validation(frame, n_windows=args.windows, step_size=args.step_size, refit=args.refit,
                                     level=args.level)
    metrics = ["mae", "rmse", "smape", "mase"] + (["coverage"] if args.level else [])
    # timestamps that fill= (in --config) inserted have no actual value to score
    table = evaluate(cv.dropna(subset=[args.target_col]), metrics=metrics, train_df=frame,
                     season_length=args.season_length, id_col=args.id_col,
                     time_col=args.time_col, target_col=args.target_col)
    if args.output:
        write_frame(args.output, cv, args.force)
    if args.json:
        json.dump({"metrics": json.loads(table.to_json(orient="index")), "windows": args.windows,
                   "horizon": args.horizon}, sys.stdout, indent=2)
        print()
    else:
        print(table.to_string(float_format=lambda v: f"{v:.4g}"))
    return 0
