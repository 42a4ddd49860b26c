"""CUDA kernels vs the CPU kernels: under numba's CUDA simulator, or on a real GPU.

Without a GPU, ``test_cuda_simulator.py`` runs this file in a subprocess with
NUMBA_ENABLE_CUDASIM=1 (the variable must be set before numba.cuda is first imported);
shapes are tiny there, since the simulator runs every CUDA thread as a Python thread.
On a machine with a usable NVIDIA GPU run it directly
(``python -m pytest tests/kernels/cuda/_sim_cases.py``): the same checks run on the
device, plus :func:`test_real_gpu_shapes` over shapes that use many blocks, several
rows per block and hidden sizes that are not multiples of the warp.
"""

import os
import pickle

import numpy as np
import pytest
from numba.core import config

from tsrnn.kernels.cuda.device import cuda_status  # noqa: E402

ON_GPU = not config.ENABLE_CUDASIM
if ON_GPU and not cuda_status()[0]:
    pytest.skip("needs NUMBA_ENABLE_CUDASIM=1 (run through test_cuda_simulator.py) or a usable GPU "
                f"({cuda_status()[1]})", allow_module_level=True)

from tsrnn.kernels.cuda import gemm  # noqa: E402
from tsrnn.kernels.cuda import layers as cuda_layers  # noqa: E402
from tsrnn.nn.recurrent import Recurrent  # noqa: E402

B, T, I, H = 3, 4, 3, 4
TOL = {"float64": dict(rtol=1e-10, atol=1e-10), "float32": dict(rtol=1e-5, atol=1e-5)}
CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]


def _pair(cell, nonlinearity, dtype, num_layers=2, input_size=I, hidden_size=H):
    kw = dict(num_layers=num_layers, nonlinearity=nonlinearity, dtype=dtype, random_state=7)
    cpu = Recurrent(cell, input_size, hidden_size, **kw)
    gpu = Recurrent(cell, input_size, hidden_size, device="cuda", **kw)
    np.testing.assert_array_equal(cpu.flat_params, gpu.flat_params)
    return cpu, gpu


def _state(rng, cell, shape, dtype):
    if cell == "lstm":
        return rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _close(a, b, dtype, what, tol=None):
    a = a if isinstance(a, tuple) else (a,)
    b = b if isinstance(b, tuple) else (b,)
    assert len(a) == len(b)
    tol = dict(tol or TOL[dtype])
    norm_rtol = tol.pop("norm_rtol", None)
    for x, y in zip(a, b):
        if norm_rtol is None:
            np.testing.assert_allclose(y, x, err_msg=what, **tol)
        else:  # float32 sums over thousands of terms: compare the error's norm with the norm
            assert np.isfinite(y).all(), what
            err = np.linalg.norm((y - x).ravel()) / max(np.linalg.norm(x.ravel()), 1e-30)
            assert err < norm_rtol, f"{what}: relative error {err:.2e} >= {norm_rtol}"


def _check_parity(cell, nonlinearity, dtype, lengths=(4, 2, 3), num_layers=2, batch=B, with_h0=True,
                  steps=T, input_size=I, hidden_size=H, tol=None):
    rng = np.random.default_rng(3)
    cpu, gpu = _pair(cell, nonlinearity, dtype, num_layers, input_size, hidden_size)
    X = rng.standard_normal((batch, steps, input_size)).astype(dtype)
    shape = (num_layers, batch, hidden_size)
    h0 = _state(rng, cell, shape, dtype) if with_h0 else None
    lengths = None if lengths is None else np.asarray(lengths[:batch])
    Yc, sc = cpu.forward(X, h0, lengths)
    Yg, sg = gpu.forward(X, h0, lengths)
    _close(Yc, Yg, dtype, "Y", tol)
    _close(sc, sg, dtype, "final states", tol)
    if lengths is not None:
        for b, n in enumerate(lengths):
            assert not Yg[b, n:].any(), "outputs past a sample's length must be zero"
    dY = rng.standard_normal(Yc.shape).astype(dtype)
    dh_n = _state(rng, cell, shape, dtype)
    dXc, d0c = cpu.backward(dY, dh_n)
    dXg, d0g = gpu.backward(dY, dh_n)
    _close(dXc, dXg, dtype, "dX", tol)
    _close(d0c, d0g, dtype, "dh0/dc0", tol)
    for name in cpu.grads:
        _close(cpu.grads[name], gpu.grads[name], dtype, f"gradient of {name}", tol)
    assert np.abs(cpu.flat_grad).max() > 0
    # inference kernels (no cache) give the same outputs
    Yi, si = gpu.forward(X, h0, lengths, training=False)
    _close(Yc, Yi, dtype, "inference Y", tol)
    _close(sc, si, dtype, "inference final states", tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cell,nonlinearity", CELLS)
def test_forward_and_every_gradient_match_cpu(cell, nonlinearity, dtype):
    _check_parity(cell, nonlinearity, dtype)


@pytest.mark.parametrize("cell,nonlinearity", [("lstm", "tanh"), ("gru", "tanh"), ("rnn", "relu")])
def test_several_blocks_and_units_per_thread(cell, nonlinearity, monkeypatch):
    # 2 threads per block: each thread loops over 2 hidden units, one row per block, 3 blocks.
    monkeypatch.setattr(cuda_layers, "MAX_THREADS", 2)
    monkeypatch.setattr(gemm, "MIN_CHUNK_ROWS", 4)  # split-K weight gradients: 3 chunks of 4 rows
    assert cuda_layers.recurrent_launch(B, H, 3, 8) == (3, (2, 1), 3 * H * 8)
    _check_parity(cell, nonlinearity, "float64")


@pytest.mark.parametrize("min_chunk_rows", [2048, 4])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gemm_kernels_match_numpy(dtype, min_chunk_rows, monkeypatch):
    from numba import cuda

    monkeypatch.setattr(gemm, "MIN_CHUNK_ROWS", min_chunk_rows)
    rng = np.random.default_rng(5)
    # N = 15: not a multiple of the tile; K + 1 = 18 columns: the 4 x 4 micro-tiles, two
    # blocks in each direction of the output (tile 4 in the simulator: 16 x 16 per block)
    Bn, Tn, M, K = 3, 5, 20, 17
    A = rng.standard_normal((Bn * Tn, M)).astype(dtype)
    S = rng.standard_normal((Bn * Tn, K)).astype(dtype)
    h0 = rng.standard_normal((Bn, K)).astype(dtype)
    tol = TOL[dtype]
    for shift in (False, True):
        out = cuda.device_array((M, K + 1), dtype)
        gemm.weight_grad(cuda.to_device(A), cuda.to_device(S), cuda.to_device(h0), Tn, shift, out)
        src = S
        if shift:
            src = np.concatenate((h0[:, None], S.reshape(Bn, Tn, K)[:, :-1]), axis=1).reshape(-1, K)
        want = A.T @ np.concatenate((src, np.ones((Bn * Tn, 1), dtype)), axis=1)
        np.testing.assert_allclose(out.copy_to_host(), want, **tol)
    W = rng.standard_normal((M, 3)).astype(dtype)
    out = cuda.device_array((Bn * Tn, 3), dtype)
    gemm.matmul(cuda.to_device(A), cuda.to_device(W), out)
    np.testing.assert_allclose(out.copy_to_host(), A @ W, **tol)


@pytest.mark.skipif(not ON_GPU, reason="shapes too large for the simulator")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gemm_kernels_real_gpu_sizes(dtype):
    from numba import cuda

    rng = np.random.default_rng(6)
    Bn, Tn, M, K = 300, 97, 130, 33  # N = 29100 rows: split-K with several chunks
    A = rng.standard_normal((Bn * Tn, M)).astype(dtype)
    S = rng.standard_normal((Bn * Tn, K)).astype(dtype)
    h0 = rng.standard_normal((Bn, K)).astype(dtype)
    tol = GPU_TOL[dtype]
    src = np.concatenate((h0[:, None], S.reshape(Bn, Tn, K)[:, :-1]), axis=1).reshape(-1, K)
    out = cuda.device_array((M, K + 1), dtype)
    gemm.weight_grad(cuda.to_device(A), cuda.to_device(S), cuda.to_device(h0), Tn, True, out)
    want = A.astype(np.float64).T @ np.concatenate((src, np.ones((Bn * Tn, 1), dtype)), axis=1)
    _close(want, out.copy_to_host(), dtype, "weight_grad", tol)
    W = rng.standard_normal((M, 9)).astype(dtype)
    out = cuda.device_array((Bn * Tn, 9), dtype)
    gemm.matmul(cuda.to_device(A), cuda.to_device(W), out)
    _close(A.astype(np.float64) @ W, out.copy_to_host(), dtype, "matmul", tol)


def test_full_lengths_one_layer_no_h0_single_sample():
    _check_parity("lstm", "tanh", "float64", lengths=None, num_layers=1, batch=1, with_h0=False)
    _check_parity("gru", "tanh", "float32", lengths=(1,), num_layers=1, batch=1, with_h0=False)


def test_deterministic():
    rng = np.random.default_rng(0)
    _, gpu = _pair("gru", "tanh", "float32")
    X = rng.standard_normal((B, T, I)).astype(np.float32)
    dY = rng.standard_normal((B, T, H)).astype(np.float32)
    runs = []
    for _ in range(2):
        Y, _ = gpu.forward(X, lengths=[4, 3, 1])
        dX, _ = gpu.backward(dY)
        runs.append((Y, dX, gpu.flat_grad.copy()))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_weights_reuploaded_only_when_changed():
    rng = np.random.default_rng(1)
    cpu, gpu = _pair("rnn", "tanh", "float64", num_layers=1)
    X = rng.standard_normal((B, T, I))
    gpu.forward(X, training=False)
    held = gpu._dev_weights[1]
    gpu.forward(X, training=False)
    assert gpu._dev_weights[1] is held
    for net in (cpu, gpu):
        net.flat_params *= 0.5  # an optimizer step, in place
    np.testing.assert_allclose(gpu.forward(X)[0], cpu.forward(X)[0], rtol=1e-12, atol=1e-12)
    assert gpu._dev_weights[1] is not held


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_final_states_only_and_no_input_gradient(cell):
    rng = np.random.default_rng(9)
    cpu, gpu = _pair(cell, "tanh", "float64")
    X = rng.standard_normal((B, T, I))
    lengths = [4, 1, 3]
    dh_n = rng.standard_normal((2, B, H))
    d_state = (dh_n, None) if cell == "lstm" else dh_n
    results = []
    for net in (cpu, gpu):
        Y, state = net.forward(X, lengths=lengths, return_sequences=False)
        assert Y is None
        dX, d0 = net.backward(None, d_state, need_input_grad=False)
        assert dX is None
        results.append((state, d0, net.flat_grad.copy()))
    (sc, dc, gc), (sg, dg, gg) = results
    _close(sc, sg, "float64", "final states")
    _close(dc, dg, "float64", "dh0")
    _close(gc, gg, "float64", "parameter gradients")
    assert np.abs(gc).max() > 0
    gpu.forward(X, lengths=lengths)
    dX_zero_dy, _ = gpu.backward(None, d_state)  # dY made of zeros on the device
    cpu.forward(X, lengths=lengths)
    dX_cpu, _ = cpu.backward(np.zeros((B, T, H)), d_state)
    _close(dX_cpu, dX_zero_dy, "float64", "dX")


def test_seq2vec_head_on_cuda_reads_final_states():
    from tsrnn.estimators import RNNClassifier

    rng = np.random.default_rng(10)
    X = rng.standard_normal((8, T, 2))
    X[1, 2:] = np.nan  # a shorter sequence (trailing NaN padding)
    y = (np.nansum(X, axis=(1, 2)) > 0).astype(int)
    kw = dict(cell="gru", hidden_size=H, num_layers=2, max_epochs=2, batch_size=4, random_state=0, dtype="float64",
              head_params={"pooling": "last"})
    gpu = RNNClassifier(device="cuda", **kw).fit(X, y)
    cpu = RNNClassifier(device="cpu", **kw).fit(X, y)
    assert gpu.network_._from_states  # the GPU path skipped the (B, T, H) outputs
    np.testing.assert_allclose(gpu.network_.flat_params, cpu.network_.flat_params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), rtol=1e-10, atol=1e-12)


def test_device_buffers_reused_while_shapes_stay():
    rng = np.random.default_rng(8)
    cpu, gpu = _pair("lstm", "tanh", "float64", num_layers=2)
    X = rng.standard_normal((B, T, I))
    gpu.forward(X)
    gpu.backward(np.ones((B, T, H)))
    held = {k: dict(ws.buffers) for k, ws in enumerate(gpu._cuda_ws)}
    assert {"y", "gates", "c_seq", "dg"} <= set(held[0]) and {"X", "dY"} <= set(held[2])
    Y2, _ = gpu.forward(X * 0.5)
    dX2, _ = gpu.backward(np.ones((B, T, H)))
    for k, ws in enumerate(gpu._cuda_ws):
        for key, buf in held[k].items():
            assert ws.buffers[key] is buf, (k, key)  # same shapes: no new allocation
    Yc, _ = cpu.forward(X * 0.5)
    dXc, _ = cpu.backward(np.ones((B, T, H)))
    _close(Yc, Y2, "float64", "Y after reuse")
    _close(dXc, dX2, "float64", "dX after reuse")
    gpu.forward(X[:2])  # another batch size: the buffers follow the shape
    assert gpu._cuda_ws[0].buffers["y"].shape == (2, T, H)
    # inference never uses them (predictions may run in several threads on one model)
    y_buf = gpu._cuda_ws[0].buffers["y"]
    _close(cpu.forward(X, training=False)[0], gpu.forward(X, training=False)[0], "float64", "inference")
    assert gpu._cuda_ws[0].buffers["y"] is y_buf
    clone = pickle.loads(pickle.dumps(gpu))
    assert getattr(clone, "_cuda_ws", None) is None
    _close(gpu.forward(X)[0], clone.forward(X)[0], "float64", "unpickled")
    gpu.release_device_buffers()
    assert getattr(gpu, "_cuda_ws", None) is None
    _close(cpu.forward(X)[0], gpu.forward(X)[0], "float64", "after release")


def test_fitted_model_keeps_no_training_buffers_on_the_gpu():
    from tsrnn.estimators import RNNRegressor

    rng = np.random.default_rng(11)
    X = rng.standard_normal((6, T, 2))
    model = RNNRegressor(cell="gru", hidden_size=H, max_epochs=2, batch_size=3, random_state=0,
                         device="cuda").fit(X, X.sum(axis=(1, 2)))
    assert getattr(model.network_.rnn, "_cuda_ws", None) is None
    assert np.isfinite(model.predict(X)).all()


@pytest.mark.skipif(ON_GPU, reason="simulator-only check")
def test_auto_never_picks_the_simulator():
    from tsrnn.nn import _device

    assert not _device.use_cuda("auto", 10**6)
    cpu, _ = _pair("lstm", "tanh", "float32", num_layers=1)
    auto = Recurrent("lstm", I, H, dtype="float32", random_state=7, device="auto")
    X = np.random.default_rng(2).standard_normal((B, T, I)).astype(np.float32)
    np.testing.assert_array_equal(cpu.forward(X)[0], auto.forward(X)[0])


def test_layer_api_mirrors_cpu_layers():
    from tsrnn.kernels.cpu.layers import LAYERS as CPU

    rng = np.random.default_rng(4)
    G = 4
    x = rng.standard_normal((B, T, I))
    w_ih, w_hh = rng.standard_normal((G * H, I)) * 0.5, rng.standard_normal((G * H, H)) * 0.5
    b_ih, b_hh = rng.standard_normal(G * H) * 0.1, rng.standard_normal(G * H) * 0.1
    h0, c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    lengths = np.array([2, 4, 3], np.int64)
    yc, hc, cc, cache_c = CPU["lstm"].forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths)
    yg, hg, cg, cache_g = cuda_layers.LAYERS["lstm"].forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths)
    for a, b in ((yc, yg), (hc, hg), (cc, cg)):
        np.testing.assert_allclose(b.copy_to_host(), a, rtol=1e-12, atol=1e-12)
    dy, dh, dc = rng.standard_normal((B, T, H)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    gc = [np.empty_like(a) for a in (w_ih, w_hh, b_ih, b_hh)]
    gg = [np.empty_like(a) for a in (w_ih, w_hh, b_ih, b_hh)]
    outs_c = CPU["lstm"].backward(dy, dh, dc, cache_c, w_ih, w_hh, gc)
    outs_g = cuda_layers.LAYERS["lstm"].backward(dy, dh, dc, cache_g, w_ih, w_hh, gg)
    for a, b in zip(outs_c, outs_g):
        np.testing.assert_allclose(b.copy_to_host(), a, rtol=1e-12, atol=1e-12)
    for a, b in zip(gc, gg):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_estimator_trained_on_cuda_saves_and_predicts_on_cpu(tmp_path):
    import tsrnn
    from tsrnn.estimators import RNNRegressor

    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, T, 2))
    y = X.sum(axis=(1, 2))
    kw = dict(cell="lstm", hidden_size=H, max_epochs=2, batch_size=3, random_state=0, dtype="float64")
    gpu = RNNRegressor(device="cuda", **kw).fit(X, y)
    cpu = RNNRegressor(device="cpu", **kw).fit(X, y)
    assert gpu.network_.rnn.device == "cuda"
    np.testing.assert_allclose(gpu.network_.flat_params, cpu.network_.flat_params, rtol=1e-10, atol=1e-12)
    pred = gpu.predict(X)
    np.testing.assert_allclose(pred, cpu.predict(X), rtol=1e-10, atol=1e-12)
    clone = pickle.loads(pickle.dumps(gpu))  # device buffers are not pickled
    assert clone.network_.rnn.device == "cuda" and getattr(clone.network_.rnn, "_dev_weights", None) is None
    np.testing.assert_allclose(clone.predict(X), pred, rtol=1e-12, atol=1e-12)
    gpu.save(tmp_path / "m.tsrnn")
    loaded = tsrnn.load(tmp_path / "m.tsrnn")
    assert loaded.network_.rnn.device == "cpu"  # model files do not record the device
    np.testing.assert_allclose(loaded.predict(X), pred, rtol=1e-10, atol=1e-12)
    # and back: a CPU model moved to the GPU predicts the same
    cpu.save(tmp_path / "c.tsrnn")
    moved = tsrnn.load(tmp_path / "c.tsrnn")
    moved.network_.set_device("cuda")
    np.testing.assert_allclose(moved.predict(X), cpu.predict(X), rtol=1e-10, atol=1e-12)


def _forecasters():
    import pandas as pd

    from tsrnn.forecasting import RNNForecaster

    t = np.arange(30)
    df = pd.DataFrame({"unique_id": "a", "ds": t, "y": np.sin(t / 3.0) + t / 10.0})
    kw = dict(horizon=2, input_size=4, cell="gru", hidden_size=H, max_steps=3, batch_size=8,
              random_state=0, dtype="float64")
    return RNNForecaster(device="cuda", **kw).fit(df), RNNForecaster(device="cpu", **kw).fit(df)


def test_forecaster_on_cuda_matches_cpu():
    fg, fc = _forecasters()
    assert fg.models_[0].network_.rnn.device == "cuda"
    np.testing.assert_allclose(fg.predict()["yhat"].to_numpy(), fc.predict()["yhat"].to_numpy(), rtol=1e-9, atol=1e-9)


def test_forecaster_trained_on_cuda_loads_on_cpu(tmp_path):
    import tsrnn

    fg, _ = _forecasters()
    pred = fg.predict()["yhat"].to_numpy()
    fg.save(tmp_path / "f.tsrnn")
    loaded = tsrnn.load(tmp_path / "f.tsrnn")
    assert loaded.models_[0].network_.rnn.device == "cpu"
    np.testing.assert_allclose(loaded.predict()["yhat"].to_numpy(), pred, rtol=1e-9, atol=1e-9)


def test_language_model_on_cuda_matches_cpu(tmp_path):
    import tsrnn
    from tsrnn.text import RNNLanguageModel

    text = ["abcab cabca bcabc"] * 3
    kw = dict(cell="lstm", hidden_size=H, embedding_dim=3, tbptt_steps=5, batch_size=2, max_epochs=2,
              random_state=0, dtype="float64")
    gpu = RNNLanguageModel(device="cuda", **kw).fit(text)
    cpu = RNNLanguageModel(device="cpu", **kw).fit(text)
    assert gpu.network_.rnn.device == "cuda"
    np.testing.assert_allclose(gpu.loss_curve_, cpu.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(gpu.network_.flat_params, cpu.network_.flat_params, rtol=1e-10, atol=1e-12)
    assert gpu.generate("ab", n=6, random_state=1) == cpu.generate("ab", n=6, random_state=1)
    np.testing.assert_allclose(gpu.perplexity("abcabc"), cpu.perplexity("abcabc"), rtol=1e-10)
    gpu.save(tmp_path / "lm.tsrnn")
    loaded = tsrnn.load(tmp_path / "lm.tsrnn")
    assert loaded.device == "cpu" and loaded.network_.rnn.device == "cpu"
    np.testing.assert_allclose(loaded.perplexity("abcabc"), cpu.perplexity("abcabc"), rtol=1e-10)
    gpu.set_params(device="cpu")  # the network follows at the next predict
    gpu.predict_next("ab")
    assert gpu.network_.rnn.device == "cpu"


def test_resumed_fit_stays_on_the_gpu(tmp_path, monkeypatch):
    from tsrnn.estimators import RNNRegressor

    monkeypatch.setattr("tsrnn.estimators.base.CHECKPOINT_MIN_INTERVAL_S", 0.0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, T, 2))
    y = X.sum(axis=(1, 2))
    kw = dict(cell="gru", hidden_size=H, max_epochs=4, batch_size=4, random_state=0, dtype="float64",
              device="cuda", early_stopping=False)
    reference = RNNRegressor(**kw).fit(X, y)
    original = RNNRegressor._write_checkpoint

    def write_then_stop(self, loop, best):
        original(self, loop, best)
        if self.n_iter_ == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(RNNRegressor, "_write_checkpoint", write_then_stop)
    ckpt = str(tmp_path / "c.ckpt")
    with pytest.raises(KeyboardInterrupt):
        RNNRegressor(**kw, checkpoint=ckpt).fit(X, y)
    monkeypatch.setattr(RNNRegressor, "_write_checkpoint", original)
    resumed = RNNRegressor(**kw, checkpoint=ckpt).fit(X, y, resume=True)
    assert resumed.network_.rnn.device == "cuda"  # the checkpoint loaded onto the CPU and stayed there
    np.testing.assert_array_equal(resumed.network_.flat_params, reference.network_.flat_params)


def test_bench_gpu_simulate(tmp_path):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[3] / "benchmarks" / "bench_gpu.py"
    if not path.exists():
        pytest.skip("benchmarks/ is not part of this checkout")
    spec = importlib.util.spec_from_file_location("bench_gpu", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--simulate", "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "gpu.json").exists() and (tmp_path / "gpu.md").exists()


def test_env_really_is_the_simulator_or_a_gpu():
    if ON_GPU:
        assert os.environ.get("NUMBA_ENABLE_CUDASIM", "0") in ("", "0") and "simulator" not in cuda_status()[1]
    else:
        assert os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


# Real-GPU shapes: many blocks (B > 2 x multiprocessors for the batch-4096 row), several
# rows per block, hidden sizes below, at and above the warp, not multiples of 32, and
# long sequences (float32 error grows with T, so its tolerance is looser than float64's).
GPU_SHAPES = [  # (batch, steps, input, hidden)
    (5, 9, 3, 7),
    (300, 17, 5, 32),
    (70, 23, 4, 50),
    (33, 40, 6, 128),
    (4096, 6, 2, 16),
]
GPU_TOL = {"float64": dict(rtol=1e-9, atol=1e-9), "float32": dict(norm_rtol=1e-4)}


@pytest.mark.skipif(not ON_GPU, reason="shapes too large for the simulator")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cell,nonlinearity", CELLS)
@pytest.mark.parametrize("shape", GPU_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_real_gpu_shapes(shape, cell, nonlinearity, dtype):
    batch, steps, inp, hidden = shape
    lengths = np.random.default_rng(batch).integers(1, steps + 1, size=batch)
    lengths[0] = steps
    _check_parity(cell, nonlinearity, dtype, lengths=tuple(lengths), batch=batch, steps=steps,
                  input_size=inp, hidden_size=hidden, tol=GPU_TOL[dtype])
