"""Compile every CUDA kernel to PTX for a real GPU target (sm_80), without a GPU.

The simulator runs the kernels as Python, so it cannot tell whether numba's CUDA
target accepts them (it rejects, e.g., the builtin min/max in numba 0.68). This test
does, when NVVM is installed (``pip install nvidia-cuda-nvcc-cu12`` and
``CUDA_HOME=<site-packages>/nvidia/cuda_nvcc``); otherwise it is skipped. It also
checks that float32 kernels contain no float64 arithmetic (a silent promotion).
"""

import os
import subprocess
import sys

import pytest

SCRIPT = r'''
import types as _t
import numba.cuda.dispatcher as _d
# no GPU: device functions ask the current device for its compute capability
_d.get_current_device = lambda: _t.SimpleNamespace(compute_capability=(8, 0))
from numba import cuda, float32, float64, int64, boolean
from tsrnn.kernels.cuda import gemm, gru, lstm, rnn
bad = []
for dt, name in ((float32, "float32"), (float64, "float64")):
    a2, a3, a4 = dt[:, ::1], dt[:, :, ::1], dt[:, :, :, ::1]
    L = int64[::1]
    sigs = {
        "lstm.fwd": (lstm.kernels(name, 20, 3)[0], (a3, a2, a2, a2, a2, L, boolean, a3, a3, a4, a2, a2)),
        "lstm.bwd": (lstm.kernels(name, 20, 3)[1], (a3, a2, a2, a4, a3, a2, L, a2, a4, a2, a2)),
        "gru.fwd": (gru.kernels(name, 20, 3)[0], (a3, a2, a2, a2, L, boolean, a3, a4, a3, a2)),
        "gru.bwd": (gru.kernels(name, 20, 3)[1], (a3, a2, a4, a3, a2, a3, L, a2, a4, a4, a2)),
        "rnn.fwd": (rnn.kernels(name, 20, 3)[0], (a3, a2, a2, a2, L, int64, a3, a2)),
        "rnn.bwd": (rnn.kernels(name, 20, 3)[1], (a3, a2, a3, L, int64, a2, a3, a2)),
        "gemm.tn 4x4": (gemm.kernels(name, 16, 4, 4)[0], (a2, a2, a2, int64, boolean, int64, a3)),
        "gemm.tn 4x1": (gemm.kernels(name, 16, 4, 1)[0], (a2, a2, a2, int64, boolean, int64, a3)),
        "gemm.nn": (gemm.kernels(name, 16, 4, 4)[1], (a2, a2, a2)),
        "gemm.reduce": (gemm.kernels(name, 16, 4, 4)[2], (a3, a2)),
    }
    for key, (kernel, sig) in sigs.items():
        try:
            ptx, _ = cuda.compile_ptx(kernel.py_func, sig, cc=(8, 0))
        except Exception as exc:
            bad.append(f"{name} {key}: {type(exc).__name__}: {str(exc)[:300]}")
            continue
        if name == "float32" and ".f64" in ptx:
            bad.append(f"{name} {key}: float64 instructions in a float32 kernel")
        if ".local" in ptx:  # register arrays (micro-tiles) spilled to local memory
            bad.append(f"{name} {key}: local memory in the PTX")
print("BAD" if bad else "OK")
print("\n".join(bad))
'''


@pytest.mark.slow
def test_kernels_compile_to_ptx():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    check = subprocess.run(
        [sys.executable, "-c", "from numba.cuda.cudadrv import nvvm; nvvm.NVVM(); print('yes')"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    if check.returncode != 0 or "yes" not in check.stdout:
        pytest.skip("NVVM (libnvvm) not found: install nvidia-cuda-nvcc-cu12 and set CUDA_HOME to run this check")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0 and proc.stdout.startswith("OK"), proc.stdout + proc.stderr[-4000:]
