"""Safe model files: one ``.npz`` (zip) holding arrays and a JSON header, never a pickle.

Layout of a model file:

* ``__meta__``: uint8 array, UTF-8 JSON with ``format``, ``format_version``,
  ``tsrnn_version``, ``class`` (a name from :data:`MODEL_CLASSES`, never an import
  path), the estimator's parameters, its fitted scalar attributes and a SHA-256
  ``checksum`` over every array and the rest of the header;
* every other entry: a numeric or unicode array (loaded with ``allow_pickle=False``).

Writes go to a temporary file in the target folder, are flushed to disk and renamed
over the target, so a crash never leaves a half-written model.
"""

import contextlib
import hashlib
import io
import json
import os
import signal
import tempfile
import threading
import zipfile
from pathlib import Path

import numpy as np

FORMAT = "tsrnn-model"
FORMAT_VERSION = 1
META_KEY = "__meta__"
MODEL_CLASSES = {}  # class name -> class; filled by register_model_class


class ModelFileError(ValueError):
    """A file that is not a valid tsrnn model: corrupted, truncated, tampered with,
    from a newer format, or not a model file at all."""


def register_model_class(cls):
    """Allow ``cls`` (with ``_get_state`` / ``_from_state``) in model files."""
    MODEL_CLASSES[cls.__name__] = cls
    return cls


def _checksum(meta_without_checksum, arrays):
    h = hashlib.sha256()
    h.update(json.dumps(meta_without_checksum, sort_keys=True).encode())
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode())
        h.update(str(a.dtype).encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _check_array_safe(name, a):
    a = np.asarray(a)
    if a.dtype.kind not in "biufU":
        raise TypeError(f"cannot store {name!r} of dtype {a.dtype} in a model file (numbers or strings only)")
    return a


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def interrupts_deferred():
    """Hold Ctrl-C / SIGTERM until the block ends, then deliver them.

    An interrupt landing inside zipfile's bookkeeping (numpy's ``savez``) surfaces as a
    ValueError ("Can't close the ZIP file while there is an open writing handle") instead
    of a KeyboardInterrupt; deferring it over a short write keeps the write whole and the
    interrupt an interrupt. Python handlers only run in the main thread, so elsewhere
    this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler is None or handler == signal.SIG_IGN:  # installed from C, or nothing to defer
            continue
        previous[signum] = handler
        signal.signal(signum, lambda number, frame: pending.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in pending[:1]:
            signal.raise_signal(signum)  # now handled as it would have been


def stage_bytes(path, data):
    """Write ``data`` to a new temporary file beside ``path`` (flushed to disk, with the
    mode a plain ``open()`` would give, or the mode of the file it will replace); returns
    the temporary file's name, for :func:`commit_staged`. OSError names ``path``."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates 0600 files
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
    except BaseException as exc:
        os.unlink(tmp)
        if isinstance(exc, OSError):
            raise type(exc)(exc.errno, f"cannot write {path}: {exc.strerror}") from None
        raise
    return tmp


def commit_staged(tmp, path, overwrite=False):
    """Move the file :func:`stage_bytes` wrote into place, atomically.

    Without ``overwrite`` it never replaces a file, not even one created since the
    caller looked: a hard link fails on an existing name (FileExistsError), where a
    check followed by a rename would race. File systems without hard links fall back
    to that check. The temporary file is gone afterwards, whatever happened.
    """
    path = Path(path)
    try:
        if overwrite:
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise FileExistsError(f"{path} exists; pass overwrite=True (or --force) to replace it") from None
        except OSError:  # no hard links here
            if path.exists():
                raise FileExistsError(f"{path} exists; pass overwrite=True (or --force) to replace it") from None
            os.replace(tmp, path)
    except OSError as exc:
        if isinstance(exc, FileExistsError):
            raise
        raise type(exc)(exc.errno, f"cannot write {path}: {exc.strerror}") from None
    finally:
        try:
            os.unlink(tmp)  # (the second name after a link; gone after a rename)
        except OSError:  # the data is in place: a temporary name left behind is not a failed write
            pass


def atomic_write_bytes(path, data, overwrite=False):
    """Write ``data`` to ``path`` through a temporary file and an atomic rename (or
    link: without ``overwrite`` an existing file is never replaced, see
    :func:`commit_staged`).

    Raises FileExistsError when ``path`` exists and ``overwrite`` is False.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give a file name")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (or --force) to replace it")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {path.parent} does not exist")
    commit_staged(stage_bytes(path, data), path, overwrite)


def save_model(estimator, path, overwrite=False):
    """Save a fitted estimator to ``path`` (see the module docstring for the format).

    Parameters
    ----------
    estimator : a fitted tsrnn estimator
    path : str or Path
    overwrite : bool, default=False
        Replace an existing file (otherwise FileExistsError).
    """
    cls = type(estimator)
    if MODEL_CLASSES.get(cls.__name__) is not cls:
        raise TypeError(f"{cls.__name__} cannot be saved as a tsrnn model file")
    state, arrays = estimator._get_state()
    write_state(path, cls.__name__, state, arrays, overwrite=overwrite)


def write_state(path, class_name, state, arrays, overwrite=False):
    """Write a model file from a JSON-able ``state`` and a dict of arrays (atomically)."""
    arrays = {k: _check_array_safe(k, v) for k, v in arrays.items()}
    if META_KEY in arrays:
        raise ValueError(f"{META_KEY} is reserved")
    import tsrnn

    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "tsrnn_version": tsrnn.__version__,
            "class": class_name, "state": state}
    meta["checksum"] = _checksum(meta, arrays)
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with interrupts_deferred():
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write_bytes(path, buffer.getvalue(), overwrite=overwrite)


MAX_ENTRIES = 10_000  # arrays in one model file (a real one holds a few dozen)


def _read_arrays(path):
    """Every array of the npz at ``path``, checked before anything is decompressed.

    Each entry must be a ``.npy`` array of numbers or strings (never objects, so never a
    pickle) whose header's shape and dtype account for exactly the entry's size, and the
    total must fit in memory: a zip bomb or a lying header is refused without allocating.
    """
    from .._memory import MemoryLimitError, check_allocation, nbytes_of

    with open(path, "rb") as f:
        if f.read(4) != b"PK\x03\x04":  # also refuses a bare .npy or a pickle: np.load would take those
            raise ModelFileError(f"{path} is not a tsrnn model file (not a zip archive of arrays)")
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise ModelFileError(f"{path} holds {len(infos)} entries; a tsrnn model file holds at most {MAX_ENTRIES}")
        total, entries = 0, []
        for info in infos:
            name = info.filename
            if not name.endswith(".npy") or name[:-4] in arrays or info.flag_bits & 0x1:
                raise ModelFileError(f"{path}: unexpected entry {name!r} (model files hold distinct .npy arrays only)")
            arrays[name[:-4]] = None
            with archive.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise ModelFileError(f"{path}: entry {name!r} uses .npy format {version}, not 1.0 or 2.0")
                header_size = f.tell()
            if dtype.hasobject or dtype.kind not in "biufU" or dtype.fields is not None or dtype.subdtype is not None:
                raise ModelFileError(f"{path}: entry {name!r} has dtype {dtype}; model files hold numbers and strings only")
            declared = nbytes_of(shape, dtype.itemsize)
            if header_size + declared != info.file_size:
                raise ModelFileError(
                    f"{path}: entry {name!r} declares shape {shape} {dtype} ({declared} bytes) but holds "
                    f"{info.file_size - header_size} bytes; the file is corrupted or forged"
                )
            total += declared
            entries.append((name[:-4], info))
        try:
            check_allocation(total, f"loading {path}")
        except MemoryLimitError as exc:
            raise ModelFileError(f"{path}: refusing to load: {exc}") from None
        for key, info in entries:
            with archive.open(info) as f:
                arrays[key] = np.lib.format.read_array(f, allow_pickle=False)
    return arrays


def read_model_file(path):
    """Header and arrays of a model file, verified; never unpickles.

    Returns
    -------
    meta : dict
    arrays : dict of str -> ndarray
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a model file")
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        arrays = _read_arrays(path)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, KeyError, NotImplementedError,
            RuntimeError, TypeError, OverflowError, MemoryError) as exc:
        raise ModelFileError(f"{path} is not a readable tsrnn model file ({type(exc).__name__}: {exc})") from None
    if META_KEY not in arrays:
        raise ModelFileError(f"{path} is not a tsrnn model file (no {META_KEY} header)")
    header = arrays.pop(META_KEY)
    if header.dtype != np.uint8 or header.ndim != 1:
        raise ModelFileError(f"{path}: the model header is corrupted (a {header.dtype} array of shape {header.shape})")
    try:
        meta = json.loads(header.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{path}: the model header is corrupted ({type(exc).__name__}: {exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a tsrnn model file")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} uses model format {version!r}, newer than this tsrnn understands ({FORMAT_VERSION}); upgrade tsrnn"
        )
    claimed = meta.pop("checksum", None)
    if claimed != _checksum(meta, arrays):
        raise ModelFileError(f"{path}: checksum mismatch, the file was modified or corrupted")
    return meta, arrays


def is_checkpoint(path):
    """Whether ``path`` is a readable training checkpoint written by a tsrnn estimator
    (a file that may be replaced by the next checkpoint)."""
    try:
        meta, _ = read_model_file(path)
    except (ModelFileError, OSError):
        return False
    return isinstance(meta.get("state"), dict) and "checkpoint" in meta["state"]


def load_model(path):
    """Load a model saved by :func:`save_model` (any registered estimator class)."""
    meta, arrays = read_model_file(path)
    name = meta.get("class")
    cls = MODEL_CLASSES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ModelFileError(f"{path}: unknown model class {name!r:.100}; known: {sorted(MODEL_CLASSES)}")
    if not isinstance(meta.get("state"), dict):
        raise ModelFileError(f"{path}: inconsistent model file (no state)")
    try:
        return cls._from_state(meta["state"], arrays)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError, RecursionError,
            MemoryError) as exc:
        # ArithmeticError: OverflowError, ZeroDivisionError, FloatingPointError (e.g. TrainingDivergedError)
        raise ModelFileError(f"{path}: inconsistent model file ({type(exc).__name__}: {exc})"[:2000]) from None
