"""Compile options shared by the CPU kernels.

``error_model="numpy"``: no zero-division checks, so gate loops vectorise.
``fastmath={"contract"}``: fused multiply-add only; no reassociation, so results stay
deterministic and float64 matches PyTorch to ~1e-15.
"""

KERNEL_OPTIONS = dict(
    parallel=True,
    cache=True,
    nogil=True,
    error_model="numpy",
    fastmath={"contract"},
)
