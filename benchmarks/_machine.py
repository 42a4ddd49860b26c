"""What a speed benchmark ran on: CPU, and which kernels the loaded BLAS libraries use.

The batched CPU kernels spend most of their time in SciPy's OpenBLAS (Numba's
``np.dot``), and OpenBLAS picks its kernels when it loads, from the CPU or from
``OPENBLAS_CORETYPE``. Some machines pin that variable to an older kernel set (our
shared dev machines pin ``Haswell``, AVX2, on AVX-512 CPUs, for the sake of older
OpenBLAS builds); sgemm then runs at about half the speed the CPU allows, while
PyTorch's oneDNN still uses AVX-512. Every speed result records what was loaded so a
ratio can be read against it.
"""

import os
import platform


def cpu_model():
    """The CPU's model name (``/proc/cpuinfo``), or what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_kernels():
    """The loaded BLAS libraries (after loading the one Numba calls): library, version,
    kernel architecture, as ``tsrnn info`` reports them."""
    from tsrnn.cli.info import blas_libraries

    return [{k: lib.get(k) for k in ("library", "version", "architecture")} for lib in blas_libraries()
            if "error" not in lib]


def machine():
    """JSON-ready description of the machine and its BLAS kernels."""
    return {"cpu": cpu_model(), "cpu_count": os.cpu_count(), "blas": blas_kernels(),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE")}


def summary(info=None):
    """One line for the printed report, e.g. ``AMD EPYC; BLAS kernels: SkylakeX``."""
    info = machine() if info is None else info
    kernels = sorted({b["architecture"] for b in info["blas"] if b.get("architecture")})
    line = f"{info['cpu']}; BLAS kernels: {', '.join(kernels) or 'unknown'}"
    if info["OPENBLAS_CORETYPE"]:
        line += f" (OPENBLAS_CORETYPE={info['OPENBLAS_CORETYPE']} set in the environment)"
    return line
