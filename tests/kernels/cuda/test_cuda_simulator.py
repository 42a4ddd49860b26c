"""The CUDA backend without a GPU: simulator parity (in a subprocess) and device errors."""

import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from tsrnn.exceptions import DeviceUnavailableError
from tsrnn.kernels.cuda import device as cuda_device
from tsrnn.nn import _device
from tsrnn.nn.recurrent import Recurrent

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def _run(args, env_extra, timeout):
    env = dict(os.environ, **env_extra)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow
def test_cuda_kernels_match_cpu_under_the_simulator():
    """Runs _sim_cases.py with NUMBA_ENABLE_CUDASIM=1 (it must be set before numba.cuda is
    first imported, so not in this process): forward, final states and every gradient of
    RNN tanh/relu, LSTM, GRU in float32 and float64 against the CPU kernels."""
    proc = _run(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE / "_sim_cases.py")],
        {"NUMBA_ENABLE_CUDASIM": "1"},
        timeout=900,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-8000:]
    summary = out.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 15, out[-4000:]
    assert "failed" not in summary and "error" not in summary, out[-4000:]


def test_unknown_device_names_the_allowed_values():
    with pytest.raises(ValueError, match=r"device='gpu' is not supported; choose one of \['cpu', 'cuda', 'auto'\]"):
        Recurrent("lstm", 2, 3, device="gpu")
    with pytest.raises(ValueError, match="device="):
        _device.check_device(None)


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(cuda_device, "cuda_status", lambda: (False, "no CUDA driver found (faked by a test)"))


def test_cuda_unavailable_is_a_clear_error(no_gpu):
    with pytest.raises(DeviceUnavailableError, match=r"needs a usable NVIDIA GPU, but no CUDA driver found \(faked"):
        Recurrent("gru", 2, 3, device="cuda")
    err = DeviceUnavailableError("x")
    assert isinstance(err, RuntimeError) and isinstance(err, ValueError)
    assert not cuda_device.cuda_available()


def test_estimators_validate_device_in_fit(no_gpu):
    from tsrnn.estimators import RNNRegressor
    from tsrnn.forecasting import RNNForecaster

    X = np.zeros((4, 3, 1))
    y = np.zeros(4)
    model = RNNRegressor(device="cuda", max_epochs=1)  # __init__ stores only
    assert model.device == "cuda"
    with pytest.raises(DeviceUnavailableError, match="faked by a test"):
        model.fit(X, y)
    with pytest.raises(ValueError, match="device="):
        RNNRegressor(device="tpu", max_epochs=1).fit(X, y)
    with pytest.raises(DeviceUnavailableError, match="faked by a test"):
        RNNForecaster(device="cuda")._check_params()
    with pytest.raises(ValueError, match="device="):
        RNNForecaster(device="tpu")._check_params()


def test_language_model_validates_device_in_fit(no_gpu):
    from tsrnn.text import RNNLanguageModel

    with pytest.raises(DeviceUnavailableError, match="faked by a test"):
        RNNLanguageModel(device="cuda", max_epochs=1).fit("abc abc")
    with pytest.raises(ValueError, match=r"device='tpu' is not supported"):
        RNNLanguageModel(device="tpu", max_epochs=1).fit("abc abc")
    lm = RNNLanguageModel(device="auto", hidden_size=4, max_epochs=1, random_state=0).fit("abc abc")
    assert lm.network_.rnn.device == "auto"  # runs on the CPU here: no GPU
    assert lm.get_params()["device"] == "auto"


def test_auto_stays_on_cpu_without_gpu_or_for_small_batches(no_gpu, monkeypatch):
    assert not _device.use_cuda("auto", 10**6)
    net = Recurrent("rnn", 2, 3, device="auto", random_state=0)
    ref = Recurrent("rnn", 2, 3, random_state=0)
    X = np.ones((2, 4, 2), np.float32)
    np.testing.assert_array_equal(net.forward(X)[0], ref.forward(X)[0])
    monkeypatch.setattr(cuda_device, "cuda_status", lambda: (True, "a fake GPU"))
    monkeypatch.setattr(cuda_device, "simulator_enabled", lambda: False)
    assert not _device.use_cuda("auto", _device.CUDA_AUTO_MIN_BATCH - 1)
    assert _device.use_cuda("auto", _device.CUDA_AUTO_MIN_BATCH)


def test_compiler_failure_is_a_reason_not_a_traceback():
    class BrokenCuda:
        @staticmethod
        def jit(signature):
            raise AttributeError("module 'numpy' has no attribute 'row_stack'")

    reason = cuda_device._compiler_problem(BrokenCuda)
    assert reason.startswith("numba cannot compile CUDA kernels here (AttributeError: module 'numpy' has no")
    assert "numpy " in reason and "install versions that work together" in reason


def test_real_probe_gives_a_reason():
    ok, text = cuda_device.cuda_status()
    assert isinstance(text, str) and text
    if not ok:
        with pytest.raises(DeviceUnavailableError, match=re.escape(text)):
            cuda_device.require_cuda()


def test_cpu_paths_never_import_numba_cuda():
    code = (
        "import sys, numpy as np, tsrnn\n"
        "from tsrnn.estimators import RNNRegressor\n"
        "from tsrnn.forecasting import RNNForecaster\n"
        "X = np.random.default_rng(0).standard_normal((8, 4, 1)); y = X.sum(axis=(1, 2))\n"
        "RNNRegressor(cell='gru', hidden_size=3, max_epochs=1, random_state=0).fit(X, y).predict(X)\n"
        "bad = [m for m in sys.modules if m.startswith(('numba.cuda', 'tsrnn.kernels.cuda'))]\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stdout + proc.stderr


@pytest.mark.parametrize("device,message", [("cuda", "needs a usable NVIDIA GPU, but no CUDA driver found"),
                                            ("tpu", "device='tpu' is not supported")])
def test_cli_device_option(device, message, no_gpu, tmp_path, monkeypatch, capsys):
    from tsrnn.cli.main import main

    monkeypatch.chdir(tmp_path)
    rc = main(["forecast", "--dataset", "airline", "--horizon", "2", "--max-steps", "1", "--hidden-size", "2",
               "--quiet", "--device", device, "-o", "out.csv"])
    assert rc == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


def test_models_from_a_gpu_machine_load_and_train_where_there_is_none(tmp_path, monkeypatch):
    """Model files do not record the device (a forecaster saved with device="cuda" was
    refused at load without a GPU, and its intervals refitted on "cuda"); a pickled
    network that ran on "cuda" runs on the CPU where no GPU is usable."""
    import pickle

    import pandas as pd

    import tsrnn
    from tsrnn import RNNForecaster, RNNRegressor

    t = np.arange(40)
    df = pd.DataFrame({"unique_id": "a", "ds": t, "y": np.sin(t / 3.0) + t / 10.0})
    forecaster = RNNForecaster(horizon=2, input_size=4, hidden_size=4, max_steps=3, n_models=1,
                               random_state=0).fit(df)
    expected = forecaster.predict(level=[80])
    forecaster.set_params(device="cuda")  # as trained on a GPU machine (set_params does not probe)
    forecaster.save(tmp_path / "f.tsrnn")
    X = np.random.default_rng(0).normal(size=(12, 5, 1))
    model = RNNRegressor(hidden_size=3, max_epochs=1, random_state=0).fit(X, X[:, -1, 0])
    expected_X = model.predict(X)
    monkeypatch.setattr(cuda_device, "cuda_status", lambda: (True, "a GPU (faked by a test)"))
    model.set_params(device="cuda").network_.set_device("cuda")  # as on a GPU machine
    monkeypatch.setattr(cuda_device, "cuda_status", lambda: (False, "no CUDA driver found (faked by a test)"))
    loaded = tsrnn.load(tmp_path / "f.tsrnn")
    assert loaded.device == "cpu"
    pd.testing.assert_frame_equal(loaded.predict(level=[80]), expected)

    with pytest.warns(UserWarning, match=r"ran on 'cuda', which is not usable here \(no CUDA driver found"):
        moved = pickle.loads(pickle.dumps(model))
    assert moved.network_.rnn.device == "cpu"
    np.testing.assert_array_equal(moved.predict(X), expected_X)
    moved.set_params(device="cpu").partial_fit(X, X[:, -1, 0])  # trains here once told to
    np.testing.assert_array_equal(model.set_params(device="cpu").predict(X), expected_X)  # was: still on "cuda"
