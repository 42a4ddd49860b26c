"""What a cold compile of the CPU kernels builds: nothing beyond the kernels themselves.

Two Numba behaviours cost seconds of a first run (the README's forecast: 14 s cold
before they were avoided, 8.5 s after; 2026-12-07):

* an array assigned to a slice (``dst[a:b] = src``) compiles NumPy's shape-mismatch
  message, string formatting included (~3 s per process);
* a literal argument (``f(x, 0)``, ``f(x, True)``) compiles the callee again for that literal.
"""

import os
import subprocess
import sys

import pytest

_SCRIPT = """
from numba.core import event
import numpy as np

compiled = []


class Recorder(event.Listener):
    def on_start(self, ev):
        pass

    def on_end(self, ev):
        compiled.append((ev.data["dispatcher"].py_func.__qualname__, str(ev.data["args"])))


event.register("numba:compile", Recorder())
from tsrnn import RNNRegressor

X = np.random.default_rng(0).random((40, 6, 2)).astype(np.float32)
y = X[:, -1, 0]
for cell in ("gru", "lstm", "rnn"):
    model = RNNRegressor(cell=cell, hidden_size=4, max_epochs=1, early_stopping=False).fit(X, y)
    model.predict(X[:1])  # the serial one-sample kernel
    model.predict(X)  # the batch inference kernel
ours = [(name, args) for name, args in compiled if "Literal[" in args]
shape_messages = [name for name, _ in compiled if "raise_with_shape_context" in name]
print(len(compiled), ours, shape_messages)
assert not shape_messages, shape_messages
assert not ours, ours
print("ok")
"""


@pytest.mark.slow
def test_kernels_compile_no_shape_messages_and_no_literal_specialisations(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}  # a cold compile
    res = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=900, env=env)
    assert res.returncode == 0 and res.stdout.strip().endswith("ok"), res.stdout[-2000:] + res.stderr[-3000:]
