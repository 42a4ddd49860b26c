"""Subnormal floats are flushed to zero inside tsrnn's work, and only there."""

import numba
import numpy as np
import pytest

from tsrnn.kernels.cpu import _denormals, layers
from tsrnn.kernels.cpu._denormals import FLUSH_BITS, flushed_denormals, fp_control
from tsrnn.kernels.threads import cpu_threads

pytestmark = pytest.mark.skipif(not _denormals.X86, reason="FTZ/DAZ are x86 MXCSR bits")

SUBNORMAL = np.array([1e-39], dtype=np.float32)
STICKY_FLAGS = 0x3F  # MXCSR's exception flags, set by arithmetic as it goes


def _control():
    return fp_control() & ~STICKY_FLAGS


def _flushes():
    return (SUBNORMAL * np.float32(1.0))[0] == 0.0


def test_flushed_inside_the_block_and_restored_after():
    before = _control()
    assert not _flushes()
    with flushed_denormals():
        assert fp_control() & FLUSH_BITS == FLUSH_BITS
        assert _flushes()
        with flushed_denormals():  # nested: still on, and the outer block's setting survives
            assert _flushes()
        assert _flushes()
    assert _control() == before
    assert not _flushes()


def test_restored_even_on_error():
    before = _control()
    with pytest.raises(RuntimeError, match="boom"):
        with flushed_denormals():
            assert _flushes()
            raise RuntimeError("boom")
    assert _control() == before


def test_recurrent_passes_flush_and_nothing_else_does(monkeypatch):
    """Only the recurrent kernels (forward and backward, with their GEMMs) run flushed:
    the data side, the loss, the optimizer and the user's code keep IEEE subnormals."""
    from tsrnn.kernels.cpu import lstm
    from tsrnn.nn import Recurrent

    seen = []
    for name in ("lstm_forward", "lstm_backward"):
        kernel = getattr(lstm, name)

        def spy(*args, _kernel=kernel):
            seen.append(fp_control() & FLUSH_BITS)
            return _kernel(*args)

        monkeypatch.setattr(lstm, name, spy)
    before = _control()
    net = Recurrent("lstm", 2, 3, random_state=0)
    Y, _ = net.forward(np.ones((2, 4, 2), np.float32))
    assert _control() == before and not _flushes()
    net.backward(np.ones_like(Y))
    assert seen == [FLUSH_BITS, FLUSH_BITS]
    assert _control() == before and not _flushes()
    with cpu_threads(1):
        assert not _flushes()


def test_pool_threads_take_the_callers_setting_for_their_tasks():
    """A chunk gives the same bits whichever thread runs it: the pool threads use the
    caller's setting for the tasks of one call, and theirs comes back after."""
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs two threads")
    seen = {}

    def record(key):
        seen[key] = fp_control() & FLUSH_BITS

    previous = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        own = layers._thread_pool().submit(_control).result()  # (a thread inherits its creator's)
        with flushed_denormals():
            layers._run_tasks([(record, "caller"), (record, "pool")])
        after_on = layers._thread_pool().submit(_control).result()
        layers._run_tasks([(record, "caller_off"), (record, "pool_off")])
        after_off = layers._thread_pool().submit(_control).result()
    finally:
        numba.set_num_threads(previous)
    assert seen == {"caller": FLUSH_BITS, "pool": FLUSH_BITS, "caller_off": 0, "pool_off": 0}
    assert after_on == own and after_off == own  # the pool thread's own setting comes back


def test_a_fit_leaves_the_callers_setting_alone(rng):
    from tsrnn import RNNRegressor

    before = _control()
    X = rng.normal(size=(40, 5, 2)).astype(np.float32)
    RNNRegressor(hidden_size=4, max_epochs=1, random_state=0).fit(X, X[:, -1, 0]).predict(X)
    assert _control() == before
    assert not _flushes()


def test_fits_without_jit(tmp_path):
    """Under NUMBA_DISABLE_JIT (kernels as plain Python, e.g. to debug them) the MXCSR
    intrinsics cannot run: flushing is skipped instead of failing every fit."""
    import os
    import subprocess
    import sys

    script = ("import numpy as np\n"
              "from tsrnn import RNNRegressor\n"
              "X = np.random.default_rng(0).random((12, 4, 1)).astype(np.float32)\n"
              "m = RNNRegressor(cell='rnn', hidden_size=2, max_epochs=1, early_stopping=False).fit(X, X[:, -1, 0])\n"
              "print(np.isfinite(m.predict(X)).all())\n")
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env={**os.environ, "NUMBA_DISABLE_JIT": "1"})
    assert res.returncode == 0 and res.stdout.strip() == "True", res.stdout[-1000:] + res.stderr[-2000:]
