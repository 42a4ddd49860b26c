"""Ensemble members fitted side by side in threads: same result as one after the other,
and a Ctrl-C stops every member within a mini-batch."""

import os
import signal
import threading

import numpy as np
import pandas as pd
import pytest

import tsrnn.forecasting.forecaster as forecaster_module
from tsrnn import RNNForecaster
from tsrnn.datasets.synthetic import make_random_walk_panel

TINY = dict(horizon=3, input_size=6, hidden_size=4, max_steps=20, batch_size=16, random_state=5)


@pytest.fixture(scope="module")
def panel():
    return make_random_walk_panel(4, 40, random_state=1)


@pytest.mark.parametrize("n_jobs", [None, 2, -1])
def test_members_side_by_side_equal_members_one_after_the_other(panel, n_jobs):
    serial = RNNForecaster(n_jobs=1, n_models=3, **TINY).fit(panel)
    side_by_side = RNNForecaster(n_jobs=n_jobs, n_models=3, **TINY).fit(panel)
    for a, b in zip(serial.models_, side_by_side.models_):
        assert np.array_equal(a.network_.flat_params, b.network_.flat_params)
    pd.testing.assert_frame_equal(serial.predict(), side_by_side.predict())


def test_members_keep_the_forecasters_run_settings_not_their_thread_share(panel):
    model = RNNForecaster(n_jobs=2, n_models=2, verbose=0, **TINY).fit(panel)
    assert [(m.n_jobs, m.verbose, m.checkpoint) for m in model.models_] == [(2, 0, None)] * 2


def test_members_run_in_threads_even_inside_a_process_backend(panel, monkeypatch):
    import joblib

    pids = []
    fit_member = forecaster_module._fit_member

    def recording(*args, **kwargs):
        pids.append(os.getpid())
        return fit_member(*args, **kwargs)

    monkeypatch.setattr(forecaster_module, "_fit_member", recording)
    with joblib.parallel_backend("loky", n_jobs=2):
        RNNForecaster(n_jobs=2, n_models=2, **TINY).fit(panel)
    assert pids == [os.getpid()] * 2  # the window buffer is shared, never shipped to workers


def test_members_run_in_threads_of_this_process(panel, monkeypatch):
    seen = []
    fit_member = forecaster_module._fit_member

    def recording(*args, **kwargs):
        seen.append((os.getpid(), threading.current_thread().name))
        return fit_member(*args, **kwargs)

    monkeypatch.setattr(forecaster_module, "_fit_member", recording)
    RNNForecaster(n_jobs=2, n_models=2, **TINY).fit(panel)
    assert {pid for pid, _ in seen} == {os.getpid()}
    assert len(seen) == 2


def test_a_set_cancel_event_stops_a_fit_before_its_next_batch(panel):
    flag = threading.Event()
    flag.set()
    member = forecaster_module.RNNRegressor(max_epochs=5, random_state=0)
    batches = _windows(panel)
    with pytest.raises(KeyboardInterrupt, match="stopped"):
        member._fit_from_batches(batches, batches.n_features, 3, cancel=flag)
    assert member.t_ == 0  # no optimizer step was taken


def _windows(panel):
    from tsrnn.windows import WindowBatches, build_panel, window_starts

    p = build_panel(panel)
    starts, _ = window_starts(p.offsets, 6, 3, 1)
    return WindowBatches(p.y, None, starts, 6, 3, "robust", np.float32)


@pytest.mark.slow
@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals reach the main thread")
def test_ctrl_c_stops_every_member_running_in_a_thread(panel, monkeypatch):
    members, ended, cancels, lost = [], [], [], []
    fit_member = forecaster_module._fit_member

    def recording(reg, *args, **kwargs):
        done = threading.Event()
        members.append(reg)
        ended.append(done)
        cancels.append(args[-1])  # the fit's cancel flag, last argument of _fit_member
        try:
            return fit_member(reg, *args, **kwargs)
        finally:
            done.set()

    monkeypatch.setattr(forecaster_module, "_fit_member", recording)
    max_steps = 2_000_000  # hours of training: only the interrupt can end this fit
    model = RNNForecaster(**dict(TINY, n_jobs=2, n_models=2, max_steps=max_steps))

    def interrupt_once_both_train():
        for _ in range(6000):  # at most a minute, so that a broken fit cannot hang the suite
            if len(members) == 2 and min(getattr(m, "t_", 0) for m in members) >= 5:
                break
            threading.Event().wait(0.01)
        os.kill(os.getpid(), signal.SIGINT)
        if not all(done.wait(timeout=120) for done in ended):  # the interrupt did not stop them:
            lost.append(True)  # stop them here, so that the test fails instead of hanging
            for flag in cancels:
                flag.set()

    threading.Thread(target=interrupt_once_both_train, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        model.fit(panel)
    assert not lost, "the members were still training 120 s after Ctrl-C"
    # without the cancel flag the members would train on for hours in their threads
    assert all(done.wait(timeout=120) for done in ended)
    assert len(members) == 2 and all(0 < m.t_ < max_steps for m in members)


@pytest.mark.slow
def test_members_side_by_side_are_deterministic_with_multithreaded_blas(tmp_path):
    # The test suite caps BLAS at one thread (conftest); this runs where BLAS has all
    # cores, as a user's process does. Members that set the process-wide BLAS thread
    # count themselves left it changed for each other's calls: the fifth fit + calibration
    # in a row differed from the serial one.
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import hashlib
        from tsrnn import RNNForecaster
        from tsrnn.datasets import load_airline
        from tsrnn.kernels.cpu._blas import _blas_pairs
        df = load_airline()
        assert max(get() for get, _ in _blas_pairs()) > 1, "BLAS is single-threaded: nothing to test"
        def digest(n_jobs):
            m = RNNForecaster(horizon=12, random_state=0, n_jobs=n_jobs).fit(df)
            forecast = m.predict(level=[80])  # a second, calibration fit
            return hashlib.sha256(forecast.to_csv().encode()).hexdigest()
        serial = digest(1)
        for _ in range(5):
            assert digest(None) == serial
        print("DETERMINISTIC")
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=600)
    if "BLAS is single-threaded" in result.stderr:
        pytest.skip("one core: BLAS runs one thread")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "DETERMINISTIC" in result.stdout
