"""`tsrnn fit` / `tsrnn predict` through model files; bad model files exit 2 in one line."""

import io
import json
import pickle

import numpy as np
import pandas as pd
import pytest

from tsrnn import RNNForecaster
from tsrnn.datasets import load_airline

FAST = ["--max-steps", "40", "--hidden-size", "8", "--quiet"]


@pytest.fixture
def fitted_model(run_cli, tmp_path):
    res = run_cli("fit", "--dataset", "airline", "--horizon", "6", "-m", "m.tsrnn", *FAST)
    assert res.returncode == 0, res.stderr
    return tmp_path / "m.tsrnn"


def test_fit_then_predict_equals_in_memory_model(run_cli, fitted_model, tmp_path):
    res = run_cli("predict", "-m", fitted_model, "-o", "p.csv")
    assert res.returncode == 0, res.stderr
    cli = pd.read_csv(tmp_path / "p.csv", parse_dates=["ds"])
    model = RNNForecaster(horizon=6, max_steps=40, hidden_size=8, random_state=0).fit(load_airline())
    expected = model.predict()
    assert len(cli) == 6
    np.testing.assert_array_equal(cli["yhat"].to_numpy(), expected["yhat"].to_numpy())
    # forecasting from new history given as a CSV
    load_airline().iloc[:-12].to_csv(tmp_path / "hist.csv", index=False)
    res = run_cli("predict", "-m", fitted_model, "hist.csv", "-o", "p2.csv")
    assert res.returncode == 0, res.stderr
    assert pd.read_csv(tmp_path / "p2.csv")["ds"].iloc[0] == "1960-01-01"


def _expect_refused(run_cli, path):
    res = run_cli("predict", "-m", path, "-o", "out.csv")
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert not (path.parent / "out.csv").exists()
    return lines[0]


def test_flipped_byte(run_cli, fitted_model):
    raw = bytearray(fitted_model.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    fitted_model.write_bytes(bytes(raw))
    _expect_refused(run_cli, fitted_model)


def test_truncated(run_cli, fitted_model):
    fitted_model.write_bytes(fitted_model.read_bytes()[:500])
    assert "not a readable" in _expect_refused(run_cli, fitted_model)


def test_pickle_renamed(run_cli, tmp_path):
    path = tmp_path / "evil.tsrnn"
    path.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    _expect_refused(run_cli, path)


def test_future_format(run_cli, fitted_model):
    with np.load(fitted_model, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(arrays["__meta__"].tobytes())
    meta["format_version"] = 1000
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    fitted_model.write_bytes(buf.getvalue())
    assert "newer" in _expect_refused(run_cli, fitted_model)


def test_fit_never_overwrites_a_model(run_cli, fitted_model):
    before = fitted_model.read_bytes()
    res = run_cli("fit", "--dataset", "airline", "--horizon", "6", "-m", fitted_model, *FAST)
    assert res.returncode == 2 and "--force" in res.stderr
    assert fitted_model.read_bytes() == before


def test_killed_fit_leaves_no_model_and_resumes_to_identical_weights(tsrnn_exe, run_cli, tmp_path):
    import signal
    import subprocess
    import time

    import tsrnn

    # long enough that the fit is still running well after its first checkpoint (written
    # about 1 s in) on a fast machine: 5000 steps left 0.3 s to interrupt it on a Zen 5 core
    args = ["fit", "--dataset", "airline", "--horizon", "6", "--max-steps", "20000", "--hidden-size", "8", "--quiet"]
    proc = subprocess.Popen([tsrnn_exe, *args, "-m", "killed.tsrnn"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ckpt = tmp_path / "killed.tsrnn.ckpt.0"  # the first of the default ensemble's two networks
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if ckpt.exists() and tsrnn.load(ckpt).n_iter_ >= 1:  # the first write, ~1 s into the fit
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the fit ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted" in err
    assert not (tmp_path / "killed.tsrnn").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files
    assert ckpt.exists()

    res = run_cli(*args, "-m", "killed.tsrnn", "--resume")
    assert res.returncode == 0, res.stderr
    assert not list(tmp_path.glob("killed.tsrnn.ckpt*"))
    res = run_cli(*args, "-m", "straight.tsrnn")
    assert res.returncode == 0, res.stderr
    resumed = tsrnn.load(tmp_path / "killed.tsrnn").models_
    straight = tsrnn.load(tmp_path / "straight.tsrnn").models_
    assert len(resumed) == len(straight) == 2
    for a, b in zip(resumed, straight):
        assert np.array_equal(a.network_.flat_params, b.network_.flat_params)


def test_in_process_main_leaves_signal_handlers_as_found(capsys):
    import signal

    from tsrnn.cli.main import main

    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    assert main(["datasets", "show", "no-such-dataset"]) == 2
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    assert "error" in capsys.readouterr().err
