"""Helpers shared by the CLI commands: output files that are never overwritten by
surprise and always written atomically."""

import io
import os
import sys
from pathlib import Path

from tsrnn.io import commit_staged, stage_bytes


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
    check_writable_folder(path)
    if suffixes is not None and path.suffix.lower() not in suffixes:
        kinds = ", ".join(s for s in suffixes if s)
        first = next(s for s in suffixes if s)
        raise UsageError(f"cannot write {path.suffix!r} files; name the output {path.stem}{first} ({kinds} are written)")
    if path.suffix.lower() in PARQUET_SUFFIXES and suffixes is not None and not _parquet_engine():
        raise UsageError("writing Parquet needs pyarrow: pip install pyarrow")  # now, not after a long fit
    return path


def check_writable_folder(path):
    """Refuse a file whose folder this user cannot create files in (now, not after the fit)."""
    folder = Path(path).absolute().parent
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {path}: folder {folder} is not writable")


def _parquet_engine():
    import importlib.util

    return any(importlib.util.find_spec(name) is not None for name in ("pyarrow", "fastparquet"))


# Suffixes of the data and image files the commands read and write: a model file named
# like one of them would hold a zip of another format.
FOREIGN_MODEL_SUFFIXES = TABLE_SUFFIXES[1:] + (".json", ".toml", ".png", ".pdf", ".svg", ".jpg", ".jpeg", ".pkl",
                                              ".pickle", ".npz", ".npy")


def check_model_path(path, force):
    """A model file to write: as :func:`check_output_path`, and not named like a data file."""
    if str(path) == STDOUT:
        raise UsageError("a model file cannot be written to stdout: give -m a file name, e.g. model.tsrnn")
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
    write_files([(path, text.encode())], force)


def frame_bytes(path, frame):
    """A result table as the bytes of its file: Parquet for ``.parquet``/``.pq``, else CSV."""
    if Path(path).suffix.lower() not in PARQUET_SUFFIXES:
        return frame.to_csv(index=False).encode()
    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, index=False)
    except ImportError:
        raise UsageError("writing Parquet needs pyarrow: pip install pyarrow") from None
    return buffer.getvalue()


def write_frame(path, frame, force):
    """A result table as CSV, or Parquet for ``.parquet``/``.pq``; ``-`` prints CSV to stdout."""
    if str(path) == STDOUT:
        sys.stdout.write(frame.to_csv(index=False))
        sys.stdout.flush()
        return
    path = check_output_path(path, force, TABLE_SUFFIXES)
    write_files([(path, frame_bytes(path, frame))], force)


def write_files(files, force):
    """Write the outputs of one command all or none, each atomically.

    Parameters
    ----------
    files : list of (path, bytes)
    force : bool
        Replace existing files; otherwise a file that appeared since the command
        started (checked again here, and by a no-clobber link) is refused.

    Every file is first written to a temporary file beside it; they are moved into
    place only once all were written, and a failure removes what this call created.
    (With ``force``, a file replaced before a later one failed stays replaced; where
    the file system has no hard links, the no-clobber check is a check, then a rename.)
    """
    staged, created = [], []
    try:
        for path, data in files:
            path = check_output_path(path, force)
            staged.append((path, stage_bytes(path, data), path.exists()))
        for path, tmp, existed in staged:
            commit_staged(tmp, path, overwrite=force)
            if not existed:  # a file replaced with --force cannot be given back
                created.append(path)
    except FileExistsError:  # appeared since the command started
        _undo(staged, created)
        raise UsageError(f"{path} exists; pass --force to overwrite it") from None
    except OSError as exc:
        _undo(staged, created)
        raise UsageError(exc.strerror or str(exc)) from None  # (names the output, not a temporary file)
    except BaseException:
        _undo(staged, created)
        raise


def _undo(staged, created):
    """Remove the temporary files of :func:`write_files` and the files it created."""
    for _, tmp, _ in staged:
        Path(tmp).unlink(missing_ok=True)
    for path in created:
        path.unlink(missing_ok=True)
