"""Compile options shared by the CPU kernels.

``parallel=False``: the kernels are serial loops over chunks of the batch; layers.py
runs contiguous groups of chunks on a small thread pool (the kernels release the
GIL, ``nogil=True``). Numba's ``parallel=True`` doubled the cold compile time of a
kernel (parfor lowering) for no run-time gain here.
``error_model="numpy"``: no zero-division checks, so gate loops vectorise.
``fastmath={"contract"}``: fused multiply-add only; no reassociation, so results stay
deterministic and float64 matches PyTorch to ~1e-15.
"""

KERNEL_OPTIONS = dict(
    parallel=False,
    cache=True,
    nogil=True,
    error_model="numpy",
    fastmath={"contract"},
)
