"""Shared checks of the hardening tests (imported as ``hardening._support``)."""

import contextlib
import io
import os

import numpy as np
from hypothesis import HealthCheck, settings

from tsrnn.io import ModelFileError

# Settings of every property test here (used as a decorator, so other hypothesis tests in the
# repository keep their own): modest example counts, since the default run must stay quick
# on a shared 2-core machine; the same cases every run.
HARDENING = settings(
    max_examples=int(os.environ.get("TSRNN_HARDENING_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
    derandomize=True,
    database=None,
)

# What tsrnn may raise on bad input: sklearn-style ValueError / TypeError subclasses
# (ModelFileError, MemoryLimitError and NotFittedError among them).
CLEAN = (ValueError, TypeError)
LEAKS = ("numba", "nopython", "typingerror", "lowering")


def assert_clean_message(exc):
    """A documented exception type with a clear message that does not leak Numba internals."""
    assert isinstance(exc, CLEAN), f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
    module = type(exc).__module__
    assert not module.startswith("numba"), f"numba exception leaked: {module}.{type(exc).__name__}: {exc}"
    message = str(exc)
    assert message.strip(), f"{type(exc).__name__} without a message"
    low = message.lower()
    assert not any(word in low for word in LEAKS), f"numba internals in the message: {message}"


@contextlib.contextmanager
def works_or_clean_error(outcomes=None):
    """Run a block that must either work or raise a clean, documented error."""
    try:
        yield
    except CLEAN as exc:
        assert_clean_message(exc)
        if outcomes is not None:
            outcomes["error"] += 1
    else:
        if outcomes is not None:
            outcomes["ok"] += 1


def assert_finite(values, what="output"):
    values = np.asarray(values, dtype=np.float64)
    assert np.isfinite(values).all(), f"{what} contains NaN or inf: {values[~np.isfinite(values)][:5]}"


__all__ = ["HARDENING", "CLEAN", "ModelFileError", "assert_clean_message", "works_or_clean_error", "assert_finite"]


def run_cli_in_process(args, cwd):
    """``tsrnn.cli.main.main(args)`` in-process in ``cwd``: (exit code, stdout, stderr)."""
    from tsrnn.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse errors
                code = exc.code
    finally:
        os.chdir(here)
    return code, out.getvalue(), err.getvalue()
