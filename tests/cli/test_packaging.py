"""The installed package: subpackages listed, console script works, cli/datasets namespaced."""

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_every_subpackage_is_listed_in_pyproject():
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {"tsrnn"} | {
        "tsrnn." + ".".join(p.parent.relative_to(ROOT / "tsrnn").parts)
        for p in (ROOT / "tsrnn").rglob("__init__.py")
        if p.parent != ROOT / "tsrnn"
    }
    found |= {"tsrnn.cli", "tsrnn.datasets"}
    assert found <= listed, f"add to pyproject [tool.setuptools] packages: {sorted(found - listed)}"


def test_cli_and_datasets_live_under_the_tsrnn_namespace():
    for name in ("tsrnn.cli", "tsrnn.datasets"):
        importlib.import_module(name)
    for top_level in ("cli", "datasets"):
        spec = importlib.util.find_spec(top_level)
        assert spec is None or "tsrnn" not in str(spec.origin), f"tsrnn must not install a top-level {top_level!r}"


def test_console_script_info():
    exe = shutil.which("tsrnn") or str(Path(sys.executable).with_name("tsrnn"))
    res = subprocess.run([exe, "info", "--json"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["versions"]["tsrnn"]
    assert info["threads"]["numba_max_threads"] >= 1
    assert info["numba_cache_dir"]
    assert info["cuda"]["available"] in (True, False)
    # the BLAS Numba's np.dot calls is loaded and reported (OpenBLAS also names its kernels)
    assert info["blas"] and all("error" not in lib for lib in info["blas"]), info["blas"]
    assert all(lib["architecture"] for lib in info["blas"] if "openblas" in (lib["library"] or "")), info["blas"]
    assert info["openblas_coretype"] == os.environ.get("OPENBLAS_CORETYPE")


def test_console_script_without_command_is_a_usage_error():
    exe = shutil.which("tsrnn") or str(Path(sys.executable).with_name("tsrnn"))
    res = subprocess.run([exe], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert "usage" in res.stderr
