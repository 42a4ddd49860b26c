"""``tsrnn info``: versions, threads, threading layer, Numba cache dir, CUDA availability."""

import importlib.metadata
import json
import os
import platform
import sys

PACKAGES = ("tsrnn", "numba", "llvmlite", "numpy", "scipy", "pandas", "scikit-learn", "matplotlib")


def _version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _threading_layer():
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # no parallel kernel has run in this process yet
        return f"not started (configured: {numba.config.THREADING_LAYER})"


def _cuda_status():
    try:
        from tsrnn.kernels.cuda.device import cuda_status  # the check device="cuda" uses

        ok, text = cuda_status()
    except Exception as exc:  # a broken driver install must not break `tsrnn info`
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
    return {"available": True, "devices": [text]} if ok else {"available": False, "reason": text}


def blas_libraries():
    """The BLAS libraries loaded once Numba's (SciPy's) is: name, version, kernels, threads."""
    try:
        import scipy.linalg.cython_blas  # noqa: F401  (the BLAS the batched kernels call)
        from threadpoolctl import threadpool_info
    except ImportError as exc:
        return [{"error": str(exc)}]
    return [{"library": i.get("prefix") or i.get("internal_api"), "version": i.get("version"),
             "architecture": i.get("architecture"), "threads": i.get("num_threads"), "path": i.get("filepath")}
            for i in threadpool_info() if i.get("user_api") == "blas"]


# OpenBLAS's kernel sets that use AVX-512 (its own names, as threadpoolctl reports them)
_AVX512_KERNELS = {"SkylakeX", "Cooperlake", "SapphireRapids"}
# CPU flags (/proc/cpuinfo) of the AVX-512 subsets those kernels need
_AVX512 = {"avx512f", "avx512bw", "avx512dq", "avx512vl"}


def _cpu_flags(path="/proc/cpuinfo"):
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def blas_notes(blas, coretype, cpu_flags):
    """Advice when ``OPENBLAS_CORETYPE`` keeps OpenBLAS below what the CPU can run."""
    pinned = sorted({lib["architecture"] for lib in blas
                     if lib.get("architecture") and lib["architecture"] not in _AVX512_KERNELS})
    if coretype and pinned and _AVX512 <= cpu_flags:
        return [f"OPENBLAS_CORETYPE={coretype} keeps OpenBLAS on its {', '.join(pinned)} kernels on an AVX-512 "
                "CPU: tsrnn's batched training and inference run their matrix products at about half speed. "
                "Unset it (and OPENBLAS_L2_SIZE) unless an older OpenBLAS build here needs it."]
    return []


def collect():
    """Everything ``tsrnn info`` reports, as a JSON-ready dict."""
    import numba

    from tsrnn.kernels.cpu.lstm import lstm_forward

    blas = blas_libraries()
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": {name: _version(name) for name in PACKAGES},
        "threads": {
            "numba_max_threads": numba.config.NUMBA_NUM_THREADS,
            "numba_threads": numba.get_num_threads(),
            "threading_layer": _threading_layer(),
        },
        "blas": blas,
        "openblas_coretype": coretype,
        "notes": blas_notes(blas, coretype, _cpu_flags()),
        "numba_cache_dir": lstm_forward._cache._cache_path,
        "cuda": _cuda_status(),
    }


def add_parser(subparsers):
    p = subparsers.add_parser("info", help="show versions, threads, Numba cache and CUDA status")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=run)


def run(args):
    info = collect()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"tsrnn {info['versions']['tsrnn']}  (python {info['python']}, {info['platform']})")
    for name, version in info["versions"].items():
        if name != "tsrnn":
            print(f"  {name:<13}{version or 'not installed'}")
    t = info["threads"]
    print(f"threads          {t['numba_threads']} of {t['numba_max_threads']} (NUMBA_NUM_THREADS)")
    print(f"threading layer  {t['threading_layer']}")
    for lib in info["blas"]:
        if "error" in lib:
            print(f"blas             unavailable: {lib['error']}")
        else:
            kernels = f"{lib['architecture']} kernels, " if lib["architecture"] else ""
            print(f"blas             {lib['library']} {lib['version']}, {kernels}{lib['threads']} threads")
    if info["openblas_coretype"]:
        print(f"OPENBLAS_CORETYPE={info['openblas_coretype']}")
    print(f"numba cache dir  {info['numba_cache_dir']}")
    cuda = info["cuda"]
    print("cuda             " + (", ".join(cuda["devices"]) if cuda["available"] else f"unavailable: {cuda['reason']}"))
    for note in info["notes"]:
        print(f"note: {note}")
    return 0
