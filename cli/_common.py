"""Helpers shared by the CLI commands: output files that are never overwritten by
surprise and always written atomically."""

import io
import sys
from pathlib import Path

from tsrnn.io import atomic_write_bytes


class UsageError(Exception):
    """Bad usage or bad input: reported in one line, exit code 2."""


# What each output suffix is written as (anything else is refused: a file named
# out.xlsx must not silently hold CSV text).
CSV_SUFFIXES = ("", ".csv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
TABLE_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES
STDOUT = "-"


def check_output_path(path, force, suffixes=None):
    """Refuse an existing output unless --force, a folder, a missing parent folder and
    (with ``suffixes``) a file type this command does not write. ``-`` is stdout."""
    if suffixes is not None and str(path) == STDOUT:
        return path
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name")
    if path.exists() and not force:
        raise UsageError(f"{path} exists; pass --force to overwrite it")
    if not path.parent.exists():
        raise UsageError(f"folder {path.parent} does not exist")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        kinds = ", ".join(s for s in suffixes if s)
        first = next(s for s in suffixes if s)
        raise UsageError(f"cannot write {path.suffix!r} files; name the output {path.stem}{first} ({kinds} are written)")
    if path.suffix.lower() in PARQUET_SUFFIXES and suffixes is not None and not _parquet_engine():
        raise UsageError("writing Parquet needs pyarrow: pip install pyarrow")  # now, not after a long fit
    return path


def _parquet_engine():
    import importlib.util

    return any(importlib.util.find_spec(name) is not None for name in ("pyarrow", "fastparquet"))


# Suffixes of the data and image files the commands read and write: a model file named
# like one of them would hold a zip of another format.
FOREIGN_MODEL_SUFFIXES = TABLE_SUFFIXES[1:] + (".json", ".toml", ".png", ".pdf", ".svg", ".jpg", ".jpeg", ".pkl",
                                              ".pickle", ".npz", ".npy")


def check_model_path(path, force):
    """A model file to write: as :func:`check_output_path`, and not named like a data file."""
    path = check_output_path(path, force)
    if path.suffix.lower() in FOREIGN_MODEL_SUFFIXES:
        raise UsageError(f"a model file named {path.name} would not hold {path.suffix} data; "
                         f"name it {path.stem}.tsrnn")
    return path


def check_distinct_outputs(**paths):
    """Refuse two outputs of one command that name the same file."""
    seen = {}
    for option, path in paths.items():
        if path is None or str(path) == STDOUT:
            continue
        key = Path(path).resolve()
        if key in seen:
            raise UsageError(f"{seen[key]} and {option} name the same file {path}")
        seen[key] = option


def write_text(path, text, force):
    atomic_write_bytes(check_output_path(path, force), text.encode(), overwrite=True)


def write_frame(path, frame, force):
    """A result table as CSV, or Parquet for ``.parquet``/``.pq``; ``-`` prints CSV to stdout."""
    if str(path) == STDOUT:
        sys.stdout.write(frame.to_csv(index=False))
        sys.stdout.flush()
        return
    path = check_output_path(path, force, TABLE_SUFFIXES)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        buffer = io.BytesIO()
        try:
            frame.to_parquet(buffer, index=False)
        except ImportError:
            raise UsageError("writing Parquet needs pyarrow: pip install pyarrow") from None
        atomic_write_bytes(path, buffer.getvalue(), overwrite=True)
    else:
        atomic_write_bytes(path, frame.to_csv(index=False).encode(), overwrite=True)

