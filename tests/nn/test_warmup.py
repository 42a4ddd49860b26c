"""warmup() compiles (or loads) every kernel that a fit or predict of its cells can call."""

import subprocess
import sys

# In a fresh process: a kernel has signatures only once something in that process ran it.
_SCRIPT = """
import numpy as np
from tsrnn.kernels.cpu import layers, lstm
from tsrnn.nn import Recurrent
from tsrnn.nn.warmup import warmup
warmup(cells=("lstm",))
kernels = (lstm.lstm_infer_columns, lstm.lstm_infer, lstm.lstm_forward, lstm.lstm_backward)
before = [len(k.signatures) for k in kernels]
assert all(before), before
net = Recurrent("lstm", 3, layers.COLUMNS_MIN_HIDDEN, random_state=0)  # big enough for the column kernel
net.forward(np.zeros((20, 4, 3), np.float32), training=False)
after = [len(k.signatures) for k in kernels]
assert after == before, (before, after)
print("ok")
"""


def test_warmup_readies_every_lstm_inference_kernel():
    res = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stdout + res.stderr
