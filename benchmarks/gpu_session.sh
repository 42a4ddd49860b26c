#!/usr/bin/env bash
# Everything the CUDA backend needs checked on a real NVIDIA GPU, in one call:
#   1. the machine (GPU, driver, numba / numba-cuda / torch versions);
#   2. the real-GPU parity tests (tests/kernels/cuda/_sim_cases.py: every kernel against
#      the CPU kernels on large shapes, estimators and the forecaster on device="cuda");
#   3. benchmarks/bench_gpu.py against PyTorch/cuDNN on the same GPU.
# Logs and results go to $OUT (default ./gpu_out). Each stage has its own time limit so
# a slow stage cannot eat the next one's. No install: tsrnn is copied into a folder on
# PYTHONPATH, with cli/ and datasets/ as tsrnn.cli / tsrnn.datasets (as pip installs them).
#
#   bash benchmarks/gpu_session.sh [TEST_SECONDS [BENCH_SECONDS [bench_gpu options...]]]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/gpu_out}
TEST_S=${1:-240}
BENCH_S=${2:-300}
shift $(( $# < 2 ? $# : 2 ))
PY=${PYTHON:-python3}
mkdir -p "$OUT"
SITE=$(mktemp -d)
cp -r "$ROOT/tsrnn" "$SITE/tsrnn" && cp -r "$ROOT/cli" "$SITE/tsrnn/cli" && cp -r "$ROOT/datasets" "$SITE/tsrnn/datasets"
export PYTHONPATH=$SITE PYTHONUNBUFFERED=1 NUMBA_CACHE_DIR=$SITE/.numba_cache
# Wheels in .whl/ (e.g. a numpy the machine's numba-cuda works with) go first on the path.
if ls "$ROOT"/.whl/*.whl >/dev/null 2>&1; then
  echo "cuda_status with the machine's own packages:" \
    "$($PY -c 'from tsrnn.kernels.cuda.device import cuda_status; print(cuda_status())' 2>&1 | tail -1)" | tee "$OUT/status_own_packages.log"
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE/.wheels" "$ROOT"/.whl/*.whl \
    && export PYTHONPATH=$SITE/.wheels:$SITE
fi
cd "$ROOT"  # (PYTHONSAFEPATH below: the copy on PYTHONPATH, not ./tsrnn, is imported, in xdist workers too)
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
  $PY - <<'PY'
import sys, numpy, numba
print("python", sys.version.split()[0], "numpy", numpy.__version__, "numba", numba.__version__)
try:
    import importlib.metadata as md
    for name in ("numba-cuda", "llvmlite", "cuda-bindings", "torch", "pandas", "scikit-learn", "scipy"):
        try:
            print(name, md.version(name))
        except md.PackageNotFoundError:
            print(name, "-")
except Exception as exc:
    print("metadata:", exc)
from tsrnn.kernels.cuda.device import cuda_status
print("tsrnn cuda_status:", cuda_status())
PY
} 2>&1 | tee "$OUT/env.log"

echo "== parity tests on the GPU (limit ${TEST_S}s)"
XDIST=$($PY -c "import xdist" 2>/dev/null && echo "-n 8")  # compiles in parallel
timeout "$TEST_S" env PYTHONSAFEPATH=1 $PY -m pytest -q -p no:cacheprovider --maxfail=20 $XDIST -k "not bench_gpu_simulate" \
  tests/kernels/cuda/_sim_cases.py tests/kernels/cuda/test_cuda_simulator.py -m "not slow" \
  2>&1 | tee "$OUT/tests.log" | tail -40
echo "tests exit: ${PIPESTATUS[0]}"

echo "== bench_gpu (limit ${BENCH_S}s)"
timeout "$BENCH_S" $PY benchmarks/bench_gpu.py --out-dir "$OUT" "$@" 2>&1 | tee "$OUT/bench.log" | tail -80
echo "bench exit: ${PIPESTATUS[0]}"
