"""Concurrency: two processes compiling into one cold Numba cache at once, then a third that
loads from it; one fitted model predicting from several threads at once."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "NUMBA_DISABLE_JIT")}
    env.update(extra)
    return env


@pytest.mark.slow
def test_two_processes_fill_a_cold_cache_and_a_third_loads_from_it(tmp_path, cases):
    cache = tmp_path / "numba-cache"
    env = _env(NUMBA_CACHE_DIR=str(cache), OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    cmd = [sys.executable, str(HERE / "_fit_with_cache.py")]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    cases["concurrency: processes on one cold cache"] += 2
    assert all(r["compiled"] > 0 for r in results), results  # the cache was cold for both
    assert results[0]["pred"] == results[1]["pred"]
    assert str(cache) in results[0]["cache_dir"]
    assert any(cache.rglob("*.nbi")) and any(cache.rglob("*.nbc"))

    third = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert third.returncode == 0, third.stderr[-3000:]
    r3 = json.loads(third.stdout.strip().splitlines()[-1])
    cases["concurrency: processes on one cold cache"] += 1
    assert r3["compiled"] == 0 and r3["loaded"] > 0, r3  # everything from the (uncorrupted) cache
    assert r3["pred"] == results[0]["pred"]


def test_predict_from_several_threads_equals_serial(cases):
    """Regressor, classifier and forecaster shared by 4 threads (multi-threaded BLAS on, so
    the BLAS cap is exercised): every result equals the serial one bit for bit."""
    env = _env(OPENBLAS_NUM_THREADS="2", NUMBA_NUM_THREADS="2")
    env.pop("OMP_NUM_THREADS", None)
    res = subprocess.run([sys.executable, str(HERE / "_concurrent_predict.py"), "4"], env=env,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode >= 0, f"crashed with signal {-res.returncode}: {res.stderr[-2000:]}"
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    cases["concurrency: threaded predict calls"] += summary["calls"]
    assert summary == {"mismatches": 0, "calls": summary["calls"], "hung": 0}
    assert res.returncode == 0
