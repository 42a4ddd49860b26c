"""Helpers shared by the CLI commands: output files that are never overwritten by
surprise and always written atomically."""

from pathlib import Path

from tsrnn.io import atomic_write_bytes


class UsageError(Exception):
    """Bad usage or bad input: reported in one line, exit code 2."""


def check_output_path(path, force):
    """Refuse an existing output unless --force; refuse a missing parent folder."""
    path = Path(path)
    if path.exists() and not force:
        raise UsageError(f"{path} exists; pass --force to overwrite it")
    if not path.parent.exists():
        raise UsageError(f"folder {path.parent} does not exist")
    return path


def write_text(path, text, force):
    atomic_write_bytes(check_output_path(path, force), text.encode(), overwrite=True)


def write_frame_csv(path, frame, force):
    write_text(path, frame.to_csv(index=False), force)
