"""``tsrnn fit DATA -m model.tsrnn`` and ``tsrnn predict -m model.tsrnn [DATA] -o out.csv``."""

import sys
import time

from ._common import (TABLE_SUFFIXES, UsageError, check_distinct_outputs, check_model_path, check_output_path,
                      check_writable_folder, write_frame)
from ._data import DEFAULT_COLUMNS, add_data_arguments, future_values, read_series, resolve_columns
from .forecast_cmd import add_model_arguments, build_forecaster, check_levels, describe_choices, read_config


def add_parser(subparsers):
    fit = subparsers.add_parser("fit", help="fit a forecaster on DATA and save it to a model file")
    add_data_arguments(fit)
    add_model_arguments(fit)
    fit.add_argument("-m", "--model", required=True, help="model file to write (.tsrnn)")
    fit.add_argument("--force", action="store_true", help="overwrite an existing model file")
    fit.add_argument("--checkpoint", help="training checkpoint, written at most once a second (default: MODEL.ckpt)")
    fit.add_argument("--resume", action="store_true",
                     help="continue an interrupted fit from its checkpoint (same data and options)")
    fit.set_defaults(func=run_fit)

    predict = subparsers.add_parser("predict", help="forecast with a saved model (from DATA's end, or the training data's)")
    add_data_arguments(predict)
    predict.add_argument("-m", "--model", required=True, help="model file written by `tsrnn fit`")
    predict.add_argument("--horizon", type=int, help="steps to forecast (default: the model's horizon)")
    predict.add_argument("--level", type=float, nargs="+", action="extend", help="prediction-interval levels in percent")
    predict.add_argument("-o", "--output", required=True,
                         help="forecast file to write: CSV, Parquet for .parquet, - for stdout")
    predict.add_argument("--future", help="CSV/Parquet of future covariate values (id, time and the model's "
                                          "future_covariates, for the forecast steps)")
    predict.add_argument("--force", action="store_true", help="overwrite an existing output")
    predict.set_defaults(func=run_predict)


def run_fit(args):
    from pathlib import Path

    from tsrnn.io import is_checkpoint

    check_model_path(args.model, args.force)
    read_config(args)
    frame = read_series(args)
    forecaster = build_forecaster(args)
    if forecaster.local is True:
        return _fit_local(args, frame, forecaster)
    checkpoint = args.checkpoint or forecaster.checkpoint or f"{args.model}.ckpt"  # option > --config > default
    check_distinct_outputs(**{"--model": args.model, "--checkpoint": checkpoint})
    if not Path(checkpoint).absolute().parent.is_dir():  # found only by the first checkpoint write before
        raise UsageError(f"cannot write the checkpoint {checkpoint}: folder {Path(checkpoint).absolute().parent} "
                         "does not exist")
    check_writable_folder(checkpoint)
    forecaster.set_params(checkpoint=checkpoint)
    if args.resume and not Path(checkpoint).exists() and not Path(f"{checkpoint}.0").exists():
        raise UsageError(f"no checkpoint {checkpoint} to resume from")
    paths = [Path(checkpoint)] + [Path(f"{checkpoint}.{i}") for i in range(forecaster.n_models)]
    existing = [p for p in paths if p.exists()]
    for path in existing:  # replaced and then deleted below: only ever a checkpoint
        if not is_checkpoint(path):
            raise UsageError(f"{path} exists and is not a tsrnn checkpoint; choose another --checkpoint")
    if not args.resume and not args.force:  # never overwrite (and later delete) a file by surprise
        if existing:
            raise UsageError(f"{existing[0]} exists (the checkpoint of an interrupted fit?); pass --resume to "
                             "continue that fit or --force to start over")
    start = time.perf_counter()
    forecaster.fit(frame, resume=args.resume)
    _save(args, forecaster.set_params(checkpoint=None))
    for i in range(forecaster.n_models):  # the model is saved: its checkpoints are spent
        for path in (Path(checkpoint), Path(f"{checkpoint}.{i}")):
            path.unlink(missing_ok=True)
    _report_fit(args, forecaster, start)
    return 0


def _fit_local(args, frame, forecaster):
    """Per-series models (``local = true``): fitted without a checkpoint, which the
    library does not support for them (each fits in seconds)."""
    for flag, given in (("--resume", args.resume), ("--checkpoint", args.checkpoint),
                        (f"checkpoint in {args.config}", forecaster.checkpoint)):
        if given:  # (a config's checkpoint was dropped silently)
            raise UsageError(f"{flag} is not available with local = true: local models are fitted without "
                             "a checkpoint (each fits in seconds)")
    start = time.perf_counter()
    forecaster.fit(frame)
    _save(args, forecaster)
    _report_fit(args, forecaster, start)
    return 0


def _save(args, forecaster):
    # checked again: the model file may have appeared during the fit
    check_model_path(args.model, args.force)
    forecaster.save(args.model, overwrite=args.force)


def _report_fit(args, forecaster, start):
    if not args.quiet:
        print(describe_choices(forecaster), file=sys.stderr)
        print(f"fitted in {time.perf_counter() - start:.1f} s; wrote {args.model}", file=sys.stderr)


def run_predict(args):
    import tsrnn
    from tsrnn.io import ModelFileError

    check_output_path(args.output, args.force, TABLE_SUFFIXES)
    check_levels(args.level)
    try:
        forecaster = tsrnn.load(args.model)
    except ModelFileError as exc:
        raise UsageError(str(exc)) from None
    if not isinstance(forecaster, tsrnn.RNNForecaster):
        raise UsageError(f"{args.model} holds a {type(forecaster).__name__}, not a forecaster")
    # DATA's (and --future's) columns: the options given, else the names the model was trained with
    model_names = {key: getattr(forecaster, key) for key in DEFAULT_COLUMNS}
    resolve_columns(args, model_names)
    to_model = {getattr(args, key): name for key, name in model_names.items() if getattr(args, key) != name}
    frame = None
    if args.data is not None or args.dataset is not None:
        # a file without the id column is one series: for a model of several, a missed --id-col
        panel = getattr(forecaster, "panel_", None)
        one_series = panel is None or panel.n_series <= 1
        frame = _to_model_names(read_series(args, one_series), to_model, args.data or args.dataset)
    future = future_values(args, forecaster)
    if future is not None:
        future = _to_model_names(future, to_model, args.future)
    forecast = forecaster.predict(h=args.horizon, df=frame, level=args.level, X_future=future)
    # the forecast names its columns as DATA does
    forecast = forecast.rename(columns={name: user for user, name in to_model.items()})
    write_frame(args.output, forecast, args.force)
    return 0


def _to_model_names(frame, to_model, source):
    """``frame`` with the user's column names renamed to the model's; a column that
    already bears one of the model's names would be duplicated: refused."""
    clash = [name for user, name in to_model.items() if name in frame.columns and user in frame.columns]
    if clash:
        user = next(u for u, n in to_model.items() if n == clash[0])
        raise UsageError(f"{source} has a column {clash[0]!r} besides {user!r}: the model calls {user!r} "
                         f"{clash[0]!r}; drop or rename that column")
    return frame.rename(columns=to_model)
