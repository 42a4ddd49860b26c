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


_ESTIMATOR_SCRIPT = """
import numpy as np
from tsrnn.kernels.cpu import gru, last_state
from tsrnn.nn.warmup import warmup
from tsrnn import RNNRegressor
warmup(cells=("gru",))
kernels = [getattr(m, name) for m in (gru, last_state) for name in dir(m)
           if hasattr(getattr(m, name), "signatures")]
before = {k.py_func.__name__: len(k.signatures) for k in kernels}
X = np.random.default_rng(0).random((40, 6, 2)).astype(np.float32)
model = RNNRegressor(cell="gru", hidden_size=4, max_epochs=1).fit(X, X[:, -1, 0])
model.predict(X[:1])  # the fused one-sample predict, target scaling included
model.predict(X)
after = {k.py_func.__name__: len(k.signatures) for k in kernels}
assert after == before, {k: (before[k], after[k]) for k in after if after[k] != before[k]}
print("ok")
"""


def test_warmup_readies_a_regressors_fit_and_predict():
    res = subprocess.run([sys.executable, "-c", _ESTIMATOR_SCRIPT], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stdout + res.stderr
