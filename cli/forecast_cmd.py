"""``tsrnn forecast``: fit a forecaster on DATA and write the next H steps (and a plot)."""

import argparse
import io
import sys
import time
from pathlib import Path

from ._common import (STDOUT, TABLE_SUFFIXES, UsageError, check_distinct_outputs, check_output_path, frame_bytes,
                      write_files, write_frame)
from ._data import add_data_arguments, future_values, read_series, resolve_columns


def _steps(text):
    """``--max-steps``: a positive number of optimizer steps, or "auto"."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of steps or 'auto', got {text!r}") from None


# CLI option -> RNNForecaster parameter (None: same name with dashes as underscores)
MODEL_OPTIONS = {
    "--input-size": (int, "past steps the network reads (default: 2 x horizon)"),
    "--cell": (str, "gru (default), lstm or rnn"),
    "--hidden-size": (int, "hidden units (default 32)"),
    "--num-layers": (int, "stacked recurrent layers (default 1)"),
    "--max-steps": (_steps, "optimizer steps, or auto (the default: five epochs over the windows, 100-1000 steps, at most 25 epochs)"),
    "--learning-rate": (float, "Adam learning rate (default 0.01)"),
    "--batch-size": (int, "windows per mini-batch (default 32)"),
    "--n-models": (int, "ensemble size: networks from different seeds, averaged (default 2)"),
    "--seed": (int, "random seed (default 0, so runs are reproducible)"),
    "--device": (str, "cpu (default), cuda (needs an NVIDIA GPU) or auto"),
}


def add_model_arguments(parser):
    parser.add_argument("--horizon", type=int, required=True, help="steps to forecast")
    for flag, (kind, text) in MODEL_OPTIONS.items():
        parser.add_argument(flag, type=kind, help=text)
    parser.add_argument("--config", help="TOML file of RNNForecaster parameters (command-line options win)")
    parser.add_argument("--quiet", action="store_true", help="no progress output on stderr")


def add_parser(subparsers):
    p = subparsers.add_parser("forecast", help="fit on DATA and forecast the next --horizon steps")
    add_data_arguments(p)
    add_model_arguments(p)
    p.add_argument("--level", type=float, nargs="+", action="extend",
                   help="prediction-interval levels in percent, e.g. 80 95")
    p.add_argument("-o", "--output", required=True, help="forecast file to write: CSV, Parquet for .parquet, - for stdout")
    p.add_argument("--plot", help="image of history + forecast: PNG, or PDF, SVG, JPEG by the file's suffix")
    p.add_argument("--future", help="CSV/Parquet of future covariate values (id, time and the future_covariates "
                                    "of --config, for the forecast steps)")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.set_defaults(func=run)


def _read_config(path):
    try:
        import tomllib
    except ImportError:  # Python 3.10: the same parser as the tomli package (a dependency there)
        try:
            import tomli as tomllib
        except ImportError:
            raise UsageError("--config needs Python >= 3.11 or the tomli package (pip install tomli)") from None
    try:
        with open(path, "rb") as f:
            config = tomllib.load(f)
    except FileNotFoundError:
        raise UsageError(f"no such config file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"--config {path} is a folder; give a TOML file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {path}: it is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                         "save it as UTF-8") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"cannot parse {path}: {exc}") from None
    return config.get("forecaster", config)


def read_config(args):
    """The --config file's parameters ({} without one), read once; column options the
    user did not give are taken from it (see :func:`resolve_columns`)."""
    if not hasattr(args, "config_params"):
        args.config_params = _read_config(args.config) if getattr(args, "config", None) else {}
        resolve_columns(args, args.config_params)
    return dict(args.config_params)


def check_levels(levels):
    """Interval levels checked before any fit (a long fit must not end in a bad --level)."""
    if levels:
        from tsrnn.forecasting.forecaster import _check_levels

        try:
            _check_levels(levels)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"--level: {exc}") from None


def check_learned_levels(forecaster, levels):
    """Refuse, before the fit, a --level that the forecaster's ``quantile_levels`` do not
    include (the library would refuse it at predict, after the whole fit)."""
    from tsrnn.forecasting.forecaster import _check_levels

    if not levels or forecaster.quantile_levels is None:
        return
    try:
        _check_levels(forecaster.quantile_levels)
    except (TypeError, ValueError):
        return  # the fit names the bad quantile_levels
    try:
        forecaster._check_learned_levels(levels)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def build_forecaster(args):
    """An RNNForecaster from --config and the command-line options (which win)."""
    from tsrnn import RNNForecaster

    params = read_config(args)
    for flag in MODEL_OPTIONS:
        name = flag[2:].replace("-", "_")
        value = getattr(args, name)
        if value is not None:
            params["random_state" if name == "seed" else name] = value
    params.setdefault("random_state", 0)
    seed = params["random_state"]
    if isinstance(seed, int) and not 0 <= seed < 2**32:  # numpy's message names neither option
        source = "--seed" if args.seed is not None else f"random_state in {args.config}"
        raise UsageError(f"{source} must be between 0 and 2**32 - 1, got {seed}")
    params.update(horizon=args.horizon, id_col=args.id_col, time_col=args.time_col, target_col=args.target_col)
    if args.quiet:
        params["verbose"] = 0
    else:
        params.setdefault("verbose", 1)
    valid = RNNForecaster().get_params()
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise UsageError(f"unknown forecaster parameters {unknown}; valid: {sorted(valid)}")
    return RNNForecaster(**params)


def describe_choices(forecaster):
    """One line on what the fitted forecaster's "auto" parameters chose."""
    if forecaster.local:
        return "local models: each chose its differencing, scaling and calendar features on its own series"
    lags = forecaster.differences_
    calendar = forecaster.calendar_
    return (f"chose differences {lags if lags else 'none'}, scaler {forecaster.scaler_}, "
            f"calendar features {calendar if calendar else 'none'}")


# --plot suffix -> matplotlib format (no suffix: PNG, as -o writes CSV without one)
PLOT_FORMATS = {"": "png", ".png": "png", ".pdf": "pdf", ".svg": "svg", ".jpg": "jpeg", ".jpeg": "jpeg"}


def _status(args, text):
    if not args.quiet:
        print(text, file=sys.stderr, flush=True)


def run(args):
    # Check outputs before any work: a long fit must not end in "file exists".
    check_output_path(args.output, args.force, TABLE_SUFFIXES)
    if args.plot == "-":
        raise UsageError("--plot needs a file name (the image is not written to stdout)")
    check_distinct_outputs(**{"--output": args.output, "--plot": args.plot})
    if args.plot:
        check_output_path(args.plot, args.force, tuple(PLOT_FORMATS))
    check_levels(args.level)
    read_config(args)
    frame = read_series(args)
    forecaster = build_forecaster(args)
    check_learned_levels(forecaster, args.level)
    future = future_values(args, forecaster)  # before the fit: a missing file must not end a long fit
    start = time.perf_counter()
    _status(args, f"fitting {forecaster.cell} forecaster on {frame[args.id_col].nunique()} series...")
    forecaster.fit(frame)
    _status(args, describe_choices(forecaster))
    if args.level and forecaster.quantile_levels is None:
        _status(args, "calibrating the intervals: a second fit without the last windows...")
    forecast = forecaster.predict(level=args.level, X_future=future)
    _status(args, f"fitted and forecast in {time.perf_counter() - start:.1f} s")
    # Everything rendered first, then written all or none: a failed plot leaves no CSV behind.
    files = [] if args.output == STDOUT else [(args.output, frame_bytes(args.output, forecast))]
    if args.plot:
        from tsrnn.plotting import plot_forecast

        figure = plot_forecast(frame, forecast, id_col=args.id_col, time_col=args.time_col,
                               target_col=args.target_col)
        buffer = io.BytesIO()
        fmt = PLOT_FORMATS[Path(args.plot).suffix.lower()]
        figure.savefig(buffer, format=fmt, dpi=110)  # constrained layout already fits the labels
        files.append((args.plot, buffer.getvalue()))
    write_files(files, args.force)
    if args.output == STDOUT:
        write_frame(STDOUT, forecast, args.force)
    _status(args, f"wrote {args.output}" + (f" and {args.plot}" if args.plot else ""))
    return 0
