"""Reading the user's series for the CLI: CSV or Parquet, long or wide, or a shipped dataset."""

import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

from ._common import UsageError


def add_data_arguments(parser, required=True):
    """DATA positional / --dataset and the column options."""
    parser.add_argument("data", nargs="?", help="CSV or Parquet file with the series (long or wide format)")
    parser.add_argument("--dataset", help="use a shipped dataset instead of DATA (see `tsrnn datasets list`)")
    # None until resolve_columns: a --config file or a saved model may name them instead
    parser.add_argument("--id-col", help="series id column of long data (default: unique_id)")
    parser.add_argument("--time-col", help="time column (default: ds)")
    parser.add_argument("--target-col", help="target column of long data (default: y)")
    parser.add_argument("--format", choices=["auto", "long", "wide"], default="auto",
                        help="long: one row per (id, time); wide: a time column and one column per series")


DEFAULT_COLUMNS = {"id_col": "unique_id", "time_col": "ds", "target_col": "y"}


def resolve_columns(args, names=None):
    """Fill the column options the user did not give: from ``names`` (a --config file's
    or a saved model's ``id_col`` / ``time_col`` / ``target_col``), else the defaults.
    Options given on the command line always win."""
    for key, default in DEFAULT_COLUMNS.items():
        if getattr(args, key) is None:
            setattr(args, key, (names or {}).get(key) or default)
    return args


# Suffixes of formats the CLI does not read: such a file is refused, not parsed as CSV.
# (An allow-list would refuse CSV named .dat or compressed CSV, which pandas reads.)
FOREIGN_DATA_SUFFIXES = (".json", ".jsonl", ".ndjson", ".xlsx", ".xlsm", ".xls", ".ods", ".feather", ".arrow",
                         ".ipc", ".orc", ".avro", ".pkl", ".pickle", ".h5", ".hdf", ".hdf5", ".npy", ".npz",
                         ".tsrnn", ".toml", ".tsv", ".tab")
COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zip")


def _read_file(path, id_col):
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a CSV or Parquet file")
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    suffix = path.suffix.lower()
    kind = Path(path.stem).suffix.lower() if suffix in COMPRESSION_SUFFIXES else suffix
    if kind in FOREIGN_DATA_SUFFIXES:
        raise UsageError(f"cannot read {kind} files ({path}): give CSV (comma-separated; .csv, .txt or no "
                         "suffix) or Parquet (.parquet, .pq)")
    try:
        if suffix in (".parquet", ".pq"):
            try:
                frame = pd.read_parquet(path)
            except ImportError:
                raise UsageError("reading Parquet needs pyarrow: pip install pyarrow") from None
            names = list(frame.columns)
        else:
            # ids are labels, not numbers: "007" must stay "007" (and distinct from "7")
            frame = pd.read_csv(path, dtype={id_col: str})
            # pandas renames a repeated column "a" to "a.1": the header as written
            names = list(pd.read_csv(path, header=None, nrows=1, dtype=str).iloc[0])
    except pd.errors.EmptyDataError:
        raise UsageError(f"{path} is empty") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {path}: it is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                         "save it as UTF-8") from None
    except pd.errors.ParserError as exc:
        raise UsageError(f"cannot parse {path}: {' '.join(str(exc).split())}") from None
    names = [n for n in names if pd.notna(n)]  # empty names: pandas calls them "Unnamed: i"
    repeated = sorted(str(n) for n, k in Counter(names).items() if k > 1)
    if repeated:
        raise UsageError(f"{path} has repeated column names {repeated}: rename them (each column needs its own name)")
    return frame


def read_series(args, one_series=True):
    """A long DataFrame (id, time, target [, covariates]) from DATA or --dataset.

    Parameters
    ----------
    args : argparse.Namespace
        DATA / --dataset, --format and the resolved column names.
    one_series : bool, default=True
        Read long data without the id column as one series named after the file;
        False refuses such a file (a model fitted on several series).
    """
    if (args.data is None) == (args.dataset is None):
        raise UsageError("give either a DATA file or --dataset NAME")
    if args.dataset is not None:
        from tsrnn import datasets

        try:
            frame = datasets.load(args.dataset)
        except datasets.UnknownDatasetError as exc:
            raise UsageError(str(exc).strip('"')) from None
        if not isinstance(frame, pd.DataFrame):
            raise UsageError(f"dataset {args.dataset!r} is not a forecasting dataset")
        return frame.rename(columns={"unique_id": args.id_col, "ds": args.time_col, "y": args.target_col})
    frame = _read_file(args.data, args.id_col)
    if frame.empty:
        raise UsageError(f"{args.data} has no rows")
    fmt = args.format
    if fmt == "auto":
        fmt = "long" if args.id_col in frame.columns or args.target_col in frame.columns else "wide"
    if args.time_col not in frame.columns:
        raise UsageError(f"{args.data} has no time column {args.time_col!r} (columns: {list(frame.columns)}); use --time-col")
    read_as_one = None  # the file's columns when it is read as one series
    if fmt == "wide":
        value_cols = [c for c in frame.columns if c != args.time_col]
        if not value_cols:
            raise UsageError(f"{args.data} has no series columns besides {args.time_col!r}")
        clash = [c for c in (args.id_col, args.target_col) if c in value_cols]
        if clash:
            raise UsageError(f"{args.data} has a column {clash[0]!r}, the name of the long format's "
                             f"{'id' if clash[0] == args.id_col else 'target'} column: it looks like long data; "
                             "use --format long (or rename the column)")
        for column in value_cols:  # name the offending series column (after the melt it would be the target's)
            values = frame[column]
            if pd.api.types.is_numeric_dtype(values):
                continue
            bad = pd.to_numeric(values, errors="coerce").isna() & values.notna()
            if bad.any():
                raise UsageError(f"series column {column!r} has non-numeric values, e.g. {values[bad].iloc[0]!r}")
        frame = frame.melt(id_vars=[args.time_col], value_vars=value_cols, var_name=args.id_col,
                           value_name=args.target_col)
        from tsrnn.windows._panel import trim_wide_padding

        frame[args.time_col] = _parse_times(frame[args.time_col], args.time_col)
        # series starting or ending on other dates than the rest are padded with empty cells
        frame = trim_wide_padding(frame, args.id_col, args.time_col, args.target_col)
    else:
        missing = [c for c in (args.target_col,) if c not in frame.columns]
        if missing:
            raise UsageError(f"{args.data} has no column {missing[0]!r} (columns: {list(frame.columns)}); use --target-col")
        if args.id_col not in frame.columns:  # one series
            if not one_series:
                raise UsageError(f"{args.data} has no id column {args.id_col!r} (columns: {list(frame.columns)}), "
                                 "and the model was fitted on several series: name the series column with --id-col")
            read_as_one = list(frame.columns)
            frame = frame.assign(**{args.id_col: Path(args.data).stem})
    frame[args.time_col] = _parse_times(frame[args.time_col], args.time_col)
    if read_as_one is not None:
        _check_one_series(frame[args.time_col], args, read_as_one)
    y = pd.to_numeric(frame[args.target_col], errors="coerce")
    bad = y.isna() & frame[args.target_col].notna()
    if bad.any():
        raise UsageError(f"column {args.target_col!r} has non-numeric values, e.g. {frame[args.target_col][bad].iloc[0]!r}")
    frame[args.target_col] = y
    frame[args.id_col] = frame[args.id_col].astype(str)
    return frame


def _check_one_series(times, args, columns):
    """Repeated times in a file read as one series: most likely its id column has
    another name than --id-col (the library would only say "aggregate them first")."""
    repeated = times[times.duplicated() & times.notna()].astype(str)
    if len(repeated):
        raise UsageError(f"duplicate timestamps in {args.data} (e.g. {repeated.iloc[0]}); no {args.id_col!r} "
                         "column: the file was read as one series; name the series column with --id-col "
                         f"(columns: {columns})")


def _parse_times(column, name):
    if pd.api.types.is_numeric_dtype(column):
        return column
    with warnings.catch_warnings():  # pandas warns before it fails on mixed formats
        warnings.simplefilter("ignore", UserWarning)
        try:
            return pd.to_datetime(column)
        except (ValueError, TypeError) as exc:
            first_error = exc
        mixed = _mixed_offsets(column)
        if mixed is not None:
            return mixed
        try:
            # ISO 8601 with and without a time of day in one column (series of mixed
            # frequencies: "2021-01-01" and "2021-01-01 06:00:00"); the format of the first
            # row is all pandas tries by default
            return pd.to_datetime(column, format="ISO8601")
        except (ValueError, TypeError):
            pass
    reason = " ".join(str(first_error).split())
    reason = reason.split(" You might want to try")[0]  # pandas' hints name Python arguments the CLI has not
    raise UsageError(f"cannot parse the dates in column {name!r}: {reason}")


def _mixed_offsets(column):
    """Timestamps whose UTC offsets differ from row to row (a zone with daylight saving,
    as pandas writes tz-aware data to CSV), or None when the column is something else.

    The zone itself is not in the text, only each row's offset. Data at one local time
    of day (daily, monthly, ...) is returned as naive local wall times, which step
    evenly; other data as UTC instants, which step evenly across a clock change.
    """
    try:
        utc = pd.to_datetime(column, utc=True)
        if not column.astype(str).str.contains(r"[+-]\d\d:?\d\d$|Z$", regex=True).all():
            return None
        wall = pd.Series([pd.Timestamp(v).tz_localize(None) for v in column], index=column.index)
    except (ValueError, TypeError):
        return None
    one_time_of_day = (wall - wall.dt.normalize()).nunique() == 1
    return wall.astype("datetime64[ns]") if one_time_of_day else utc


def read_future(path, args):
    """Future covariate values (``--future FILE``): long rows of id, time and the
    covariates over the forecast steps, read like DATA (ids as text, times parsed)."""
    frame = _read_file(path, args.id_col)
    missing = [c for c in (args.id_col, args.time_col) if c not in frame.columns]
    if missing:
        raise UsageError(f"{path} has no column(s) {missing} (columns: {list(frame.columns)})")
    frame[args.time_col] = _parse_times(frame[args.time_col], args.time_col)
    frame[args.id_col] = frame[args.id_col].astype(str)
    return frame


def future_values(args, forecaster):
    """The ``X_future`` for predict: --future's rows, required exactly when the forecaster
    has future covariates."""
    names = list(forecaster.future_covariates or [])
    if names and args.future is None:
        raise UsageError(f"the forecaster reads future covariates {names}: pass --future FILE with columns "
                         f"{args.id_col!r}, {args.time_col!r} and {names} for the steps after each series' end")
    if not names and args.future is not None:
        raise UsageError("--future is for forecasters with future_covariates (set them in --config)")
    return None if args.future is None else read_future(args.future, args)
