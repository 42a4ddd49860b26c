"""Is there a usable CUDA GPU, and if not, why not.

Importing this module imports nothing from ``numba.cuda``; :func:`cuda_status` does,
the first time it is called (and caches the answer for the process).
``NUMBA_ENABLE_CUDASIM=1`` (numba's CUDA simulator: kernels run as Python, slowly)
counts as usable, so the CUDA code paths can be tested without a GPU; ``device="auto"``
never picks the simulator.
"""

import functools
import os

from ...exceptions import DeviceUnavailableError


def simulator_enabled():
    """True when numba's CUDA simulator is on (NUMBA_ENABLE_CUDASIM=1)."""
    from numba.core import config

    return bool(config.ENABLE_CUDASIM)


@functools.lru_cache(maxsize=None)
def _probe():
    try:
        from numba.core import config
    except Exception as exc:  # pragma: no cover - numba itself is a hard dependency
        return False, f"numba is not importable ({type(exc).__name__}: {exc})"
    if config.ENABLE_CUDASIM:
        return True, "numba CUDA simulator (NUMBA_ENABLE_CUDASIM=1): kernels run as Python, very slowly"
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False, f"CUDA_VISIBLE_DEVICES={os.environ['CUDA_VISIBLE_DEVICES']!r} hides every GPU"
    try:
        from numba import cuda
    except Exception as exc:
        return False, f"numba.cuda is not importable ({type(exc).__name__}: {exc})"
    try:
        if not cuda.is_available():
            err = cuda.cuda_error()
            detail = " ".join(str(err).split()) if err else "numba.cuda.is_available() is False"
            if "driver" in detail.lower():
                return False, f"no CUDA driver found ({detail})"
            return False, f"no usable CUDA GPU ({detail})"
        n = len(cuda.gpus)
        if n == 0:
            return False, "the CUDA driver reports no GPU"
        dev = cuda.gpus[0]
        name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
        cc = dev.compute_capability
        if cc < (3, 5):
            return False, f"GPU {name} has compute capability {cc[0]}.{cc[1]}; numba needs 3.5 or newer"
    except Exception as exc:  # a broken driver install must give a reason, not a traceback
        return False, f"CUDA initialisation failed ({type(exc).__name__}: {' '.join(str(exc).split())})"
    broken = _compiler_problem(cuda)
    if broken:
        return False, broken
    return True, f"{name} (compute capability {cc[0]}.{cc[1]})"


def _compiler_problem(cuda):
    """Compile one empty kernel: numba's CUDA compiler can fail with the GPU present,
    e.g. numba-cuda 0.30 with numpy 2.5 ("module 'numpy' has no attribute 'row_stack'",
    seen on a machine lent to this project). Returns the reason, or None."""
    try:
        cuda.jit("void(float32[::1])")(_noop)
    except Exception as exc:
        import numpy

        try:
            from importlib.metadata import version

            numba_cuda = f", numba-cuda {version('numba-cuda')}"
        except Exception:
            numba_cuda = ""
        return (f"numba cannot compile CUDA kernels here ({type(exc).__name__}: {' '.join(str(exc).split())}; "
                f"numpy {numpy.__version__}{numba_cuda}): install versions that work together")
    return None


def _noop(a):
    pass


def cuda_status():
    """``(usable, text)``: whether CUDA kernels can run here, and the GPU's name or why not."""
    return _probe()


def cuda_available():
    """True when the CUDA kernels can run (a GPU, or numba's simulator)."""
    return cuda_status()[0]


def require_cuda():
    """Raise :class:`~tsrnn.exceptions.DeviceUnavailableError` (a RuntimeError and a
    ValueError) naming the reason unless CUDA is usable; return the status text."""
    ok, text = cuda_status()
    if not ok:
        raise DeviceUnavailableError(
            f"device='cuda' needs a usable NVIDIA GPU, but {text}. "
            "Use device='cpu', or device='auto' to fall back to the CPU."
        )
    return text
