"""``tsrnn backtest``: rolling-origin cross-validation and a metrics table."""

import argparse
import json
import sys

import numpy as np

from ._common import UsageError, write_frame
from ._data import add_data_arguments, read_series
from .forecast_cmd import add_model_arguments, build_forecaster, check_learned_levels, check_levels, read_config


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


def check_season_length(frame, args, forecaster):
    """Refuse, before any fitting, a --season-length that some series' training part
    (its observations before the first cutoff, which MASE scales by) does not exceed."""
    from tsrnn.windows import build_panel

    horizon = forecaster.horizon
    step = horizon if args.step_size is None else args.step_size
    if not all(isinstance(v, int) and v >= 1 for v in (horizon, step, args.windows)):
        return  # cross_validation names the bad option
    panel = build_panel(frame, args.id_col, args.time_col, args.target_col, freq=forecaster.freq,
                        fill=forecaster.fill)
    held = horizon + (args.windows - 1) * step
    observed = np.ones(len(panel.y), dtype=bool) if panel.filled is None else ~panel.filled
    counts = np.r_[0, np.cumsum(observed)]  # observations (not inserted by fill) before each position
    training = counts[np.maximum(panel.offsets[1:] - held, panel.offsets[:-1])] - counts[panel.offsets[:-1]]
    short = training <= args.season_length
    if short.any():
        listed = [f"{uid!r} ({int(n)})" for uid, n in zip(panel.ids[short], training[short])]
        more = f" and {len(listed) - 5} more" if len(listed) > 5 else ""
        raise UsageError(
            f"--season-length {args.season_length}: MASE needs each series' training part (its observations "
            f"before the first of the {args.windows} backtest window(s)) to be longer than that; too short: "
            f"{', '.join(listed[:5])}{more}. Lower --season-length or --windows")


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
    check_learned_levels(forecaster, args.level)
    check_season_length(frame, args, forecaster)
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
