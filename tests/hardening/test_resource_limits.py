"""Requests that cannot fit in memory fail at once with MemoryLimitError (a MemoryError and
a ValueError) naming the request and the estimate, before anything big is allocated."""

import numpy as np
import pandas as pd
import pytest

import tsrnn._memory as memory
from hardening._support import assert_clean_message
from tsrnn import RNNForecaster, RNNRegressor
from tsrnn._memory import MemoryLimitError, check_allocation
from tsrnn.cli.main import main
from tsrnn.nn import Recurrent


@pytest.fixture
def small_machine(monkeypatch):
    """Pretend 256 MiB are free, so modest requests exceed the machine."""
    monkeypatch.setattr(memory, "available_memory", lambda: 256 * 2**20)


def test_check_allocation_messages():
    check_allocation(10, "nothing")  # small requests never look at the system
    with pytest.raises(MemoryLimitError) as info:
        check_allocation(2**70, "a test request", "ask for less")
    exc = info.value
    assert isinstance(exc, MemoryError) and isinstance(exc, ValueError)
    assert "a test request needs about" in str(exc) and "available" in str(exc) and "ask for less" in str(exc)
    assert memory.available_memory() > 0


def test_available_memory_respects_ulimit():
    import subprocess
    import sys

    code = ("import resource, tsrnn._memory as m; resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30));"
            "print(m.available_memory() < 4 * 2**30)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.stdout.strip() == "True", res.stderr


def test_recurrent_forward_on_a_huge_shape_is_refused_before_allocating():
    net = Recurrent("lstm", 1, 64, random_state=0)
    X = np.broadcast_to(np.zeros((1, 1, 1), np.float32), (10**6, 10**5, 1))  # no memory behind it
    for training in (True, False):
        with pytest.raises(MemoryLimitError, match=r"1000000 sequences of 100000 steps") as info:
            net.forward(X, training=training)
        assert_clean_message(info.value)


def test_huge_networks_are_refused_before_allocating():
    for kwargs in (dict(hidden_size=10**6), dict(hidden_size=64, num_layers=10**12)):
        with pytest.raises(MemoryLimitError, match="parameters"):
            Recurrent("gru", 3, **kwargs)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 4, 1))
    with pytest.raises(MemoryLimitError, match="parameters"):
        RNNRegressor(hidden_size=10**6, max_epochs=1).fit(X, X[:, 0, 0])


def test_estimator_batch_too_large_for_the_machine(small_machine):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(512, 400, 1)).astype(np.float32)  # 0.8 MB of data
    model = RNNRegressor(cell="lstm", hidden_size=64, batch_size=10**9, max_epochs=1, early_stopping=False)
    with pytest.raises(MemoryLimitError, match="training pass over 512 sequences of 400 steps") as info:
        model.fit(X, X[:, -1, 0])
    assert "smaller batches" in str(info.value)
    RNNRegressor(cell="lstm", hidden_size=64, batch_size=8, max_epochs=1, random_state=0).fit(X[:64], X[:64, -1, 0])


def test_forecaster_with_a_huge_input_size_on_a_long_panel():
    n = 2_000_000
    df = pd.DataFrame({"unique_id": "long", "ds": np.arange(n), "y": np.sin(np.arange(n) / 50.0)})
    model = RNNForecaster(horizon=24, input_size=n // 2, hidden_size=256, max_steps=1)
    with pytest.raises(MemoryLimitError, match="input_size=1000000") as info:
        model.fit(df)
    assert_clean_message(info.value)


def test_forecast_too_long_for_the_machine(small_machine):
    df = pd.DataFrame({"unique_id": "a", "ds": np.arange(40), "y": np.arange(40.0)})
    model = RNNForecaster(horizon=2, input_size=4, hidden_size=2, max_steps=2, random_state=0).fit(df)
    with pytest.raises(MemoryLimitError, match="h=100000000"):
        model.predict(h=10**8)
    assert len(model.predict(h=5)) == 5


def test_model_file_larger_than_the_machine_is_refused(tmp_path, monkeypatch):
    import tsrnn
    from tsrnn.io import ModelFileError

    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 4, 1))
    path = tmp_path / "m.tsrnn"
    RNNRegressor(hidden_size=2, max_epochs=1).fit(X, X[:, 0, 0]).save(path)
    monkeypatch.setattr(memory, "SMALL", 0)
    monkeypatch.setattr(memory, "available_memory", lambda: 100)  # bytes
    with pytest.raises(ModelFileError, match="refusing to load"):
        tsrnn.load(path)


def test_cli_reports_a_memory_limit_in_one_line(tmp_path, capsys, small_machine):
    pd.DataFrame({"unique_id": "a", "ds": np.arange(3000), "y": np.arange(3000.0)}).to_csv(tmp_path / "d.csv",
                                                                                            index=False)
    code = main(["forecast", str(tmp_path / "d.csv"), "--horizon", "1", "--input-size", "2000", "--hidden-size",
                 "512", "-o", str(tmp_path / "o.csv"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "needs about" in err and len(err.strip().splitlines()) == 1


def test_memory_check_never_reads_the_system_for_small_requests(monkeypatch):
    # the usual paths (one-sample predict, small batches) must not pay for /proc reads
    import tsrnn._memory as memory

    def boom():
        raise AssertionError("available_memory() read for a small request")

    monkeypatch.setattr(memory, "available_memory", boom)
    for nbytes in (0, 1024, memory.SMALL - 1):
        check_allocation(nbytes, "small")
    with pytest.raises(AssertionError, match="small request"):
        check_allocation(memory.SMALL, "large")
