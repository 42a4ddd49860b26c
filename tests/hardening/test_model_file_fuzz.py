"""A fuzzed corpus of corrupted and forged model files, loaded in a subprocess (an
interpreter crash would show as a nonzero or negative return code): truncations, bit flips,
wrong header JSON, wrong and forged SHA-256, object arrays / pickles, zip bombs and lying
sizes, header shapes that disagree with the arrays. Every file is refused with
ModelFileError, or loads into a model that predicts finite values; no code ever runs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tsrnn
from tsrnn.io import ModelFileError

SCRIPT = Path(__file__).with_name("_fuzz_model_files.py")


def _limit_address_space():  # a runaway allocation fails in the child instead of hurting the machine
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (8 * 2**30, 8 * 2**30))


def test_fuzzed_model_files_are_refused_cleanly(tmp_path, cases):
    sentinel = tmp_path / "pwned"
    work = tmp_path / "corpus"
    work.mkdir()
    n_random = os.environ.get("TSRNN_HARDENING_FUZZ", "100")
    res = subprocess.run([sys.executable, str(SCRIPT), str(work), str(sentinel), n_random], capture_output=True,
                         text=True, timeout=900, preexec_fn=_limit_address_space)
    assert res.returncode >= 0, f"the loader crashed the interpreter (signal {-res.returncode}): {res.stderr[-2000:]}"
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    cases["model-file fuzz corpus"] += summary["cases"]
    cases["model-file fuzz corpus (refused)"] += summary["refused"]
    assert not sentinel.exists() and not summary["sentinel_created"], "unpickling ran code from a file"
    assert summary["problems"] == [], "\n".join(summary["problems"][:20])
    assert res.returncode == 0, res.stderr[-2000:]
    assert summary["refused"] > summary["cases"] // 2


def test_pickle_that_would_run_code_is_never_unpickled(tmp_path):
    import pickle

    sentinel = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {sentinel}",))

    for data in (pickle.dumps(Evil()), pickle.dumps(Evil(), protocol=0)):
        path = tmp_path / "evil.tsrnn"
        path.write_bytes(data)
        with pytest.raises(ModelFileError):
            tsrnn.load(path)
    buf = __import__("io").BytesIO()
    np.save(buf, np.array([Evil()], dtype=object), allow_pickle=True)
    path.write_bytes(buf.getvalue())
    with pytest.raises(ModelFileError, match="not a zip"):
        tsrnn.load(path)
    assert not sentinel.exists()


def test_lying_npy_header_is_refused_before_allocating(tmp_path):
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    path = tmp_path / "bomb.tsrnn"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__meta__.npy", header.getvalue())
    with pytest.raises(ModelFileError, match="declares shape"):
        tsrnn.load(path)
