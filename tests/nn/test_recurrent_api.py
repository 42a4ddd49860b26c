"""Recurrent: determinism across thread counts, variable lengths, init, bad input."""

import numba
import numpy as np
import pytest

from tsrnn.nn import Recurrent


def _train_pass(cell, threads, dtype="float32"):
    rng = np.random.default_rng(3)
    B, T, I, H = 70, 12, 4, 16  # 70 rows: several parallel chunks, one ragged
    net = Recurrent(cell, I, H, num_layers=2, dtype=dtype, random_state=0)
    X = rng.normal(size=(B, T, I)).astype(dtype)
    lengths = rng.integers(1, T + 1, size=B)
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        Y, _ = net.forward(X, lengths=lengths)
        dX, _ = net.backward(np.ones_like(Y))
    finally:
        numba.set_num_threads(previous)
    return Y, dX, net.flat_grad.copy()


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_bitwise_identical_for_1_and_2_threads(cell):
    one = _train_pass(cell, 1)
    two = _train_pass(cell, 2)
    for a, b in zip(one, two):
        assert np.array_equal(a, b)


_BLAS_SWEEP = """
import contextlib
import numba, numpy as np
from tsrnn.kernels.cpu._blas import _blas_pairs, single_threaded_blas
from tsrnn.nn import Recurrent
assert max(get() for get, _ in _blas_pairs()) > 1, "BLAS is single-threaded: nothing to test"
def run(net, X, threads, blas_one):
    numba.set_num_threads(threads)
    if blas_one:
        with single_threaded_blas():
            Y, _ = net.forward(X); dX, _ = net.backward(np.ones_like(Y))
    else:
        Y, _ = net.forward(X); dX, _ = net.backward(np.ones_like(Y))
    return Y.copy(), dX.copy(), net.flat_grad.copy()
for cell in ("lstm", "gru", "rnn"):
    for B in (7, 19, 22, 45, 70):
        for T, I, H in ((24, 1, 32), (24, 8, 64)):
            net = Recurrent(cell, I, H, random_state=0)
            X = np.random.default_rng(B).normal(size=(B, T, I)).astype(np.float32)
            ref = run(net, X, 1, True)
            for threads, blas_one in ((2, False), (1, False), (2, True)):
                got = run(net, X, threads, blas_one)
                assert all(np.array_equal(a, b) for a, b in zip(ref, got)), (cell, B, T, I, H, threads, blas_one)
from tsrnn.nn.dense import Dense
for B in (7, 22, 45, 301):  # a head over every step of a batch: (B*T, H) @ (H, vocab)
    dense = Dense(64, 300)
    dense.reset_parameters(0)
    X = np.random.default_rng(B).normal(size=(B * 24, 64)).astype(np.float32)
    outs = []
    for threads, blas_one in ((1, True), (2, False)):
        numba.set_num_threads(threads)
        with single_threaded_blas() if blas_one else contextlib.nullcontext():
            y = dense.forward(X)
            dx = dense.backward(np.cos(y))
        outs.append((y, dx, dense.flat_grad.copy()))
    assert all(np.array_equal(a, b) for a, b in zip(*outs)), ("dense", B)
print("BITWISE")
"""


@pytest.mark.slow
@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")
def test_bitwise_identical_whatever_the_blas_threads(tmp_path):
    # The suite caps BLAS at one thread (conftest): run where it has every core, as in a
    # user's process. OpenBLAS's threading splits the inner dimension (batch x time) of
    # the weight-gradient products for many batch sizes, which changed their rounding.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", _BLAS_SWEEP], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=600)
    if "BLAS is single-threaded" in result.stderr:
        pytest.skip("one core: BLAS runs one thread")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "BITWISE" in result.stdout


def test_gemm_blocks_depend_on_the_shapes_only():
    from tsrnn.kernels.cpu.layers import GEMM_SPLIT_FLOPS, gemm_blocks

    assert gemm_blocks(512, GEMM_SPLIT_FLOPS - 1) == [(0, 512)]
    for n in (16, 100, 128, 513, 4096):
        for flops in (GEMM_SPLIT_FLOPS, 3.5 * GEMM_SPLIT_FLOPS, 1e12):
            blocks = gemm_blocks(n, flops)
            assert blocks[0][0] == 0 and blocks[-1][1] == n
            assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
            assert all(lo % 16 == 0 for lo, _ in blocks) and len(blocks) <= 4
    assert len(gemm_blocks(512, 1e12)) == 4


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")
@pytest.mark.parametrize("transposed", [False, True])
def test_gemm_is_a_matrix_product_on_any_thread_count(rng, transposed):
    from tsrnn.kernels.cpu.layers import gemm

    # a transposed view splits the inner dimension (the weight gradients), else the rows
    a = rng.normal(size=(3000, 300) if transposed else (300, 3000)).astype(np.float32)
    a = a.T if transposed else a
    b = rng.normal(size=(3000, 70)).astype(np.float32)
    outs = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        try:
            outs.append(gemm(a, b, np.empty((300, 70), np.float32)))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert np.array_equal(outs[0], outs[1])
    np.testing.assert_allclose(outs[0], a.astype(np.float64) @ b, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_variable_length_equals_truncated_sequences(cell, rng):
    net = Recurrent(cell, 2, 3, dtype="float64", random_state=0)
    X = rng.normal(size=(3, 7, 2))
    lengths = np.array([7, 3, 5])
    Y, final = net.forward(X, lengths=lengths)
    h_n = final[0] if cell == "lstm" else final
    for b, n in enumerate(lengths):
        Yb, fb = net.forward(X[b : b + 1, :n])
        hb = fb[0] if cell == "lstm" else fb
        np.testing.assert_allclose(Y[b, :n], Yb[0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(h_n[:, b], hb[:, 0], rtol=1e-12, atol=1e-14)
        assert np.all(Y[b, n:] == 0)


def test_parameter_layout_and_views():
    net = Recurrent("lstm", 3, 4, num_layers=2, random_state=0)
    assert list(net.weights) == [
        f"{k}_l{i}" for i in range(2) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ]
    assert net.weights["weight_ih_l0"].shape == (16, 3)
    assert net.weights["weight_ih_l1"].shape == (16, 4)
    assert net.n_params == net.flat_params.size == sum(v.size for v in net.weights.values())
    for v in net.weights.values():
        assert np.shares_memory(v, net.flat_params)
    # forget-gate bias 1, other biases 0
    b = net.weights["bias_ih_l0"]
    assert np.all(b[4:8] == 1) and np.all(b[:4] == 0) and np.all(b[8:] == 0)
    # orthogonal recurrent blocks
    w = net.weights["weight_hh_l0"][:4].astype(np.float64)
    np.testing.assert_allclose(w @ w.T, np.eye(4), atol=1e-6)


def test_same_seed_same_weights_and_irnn():
    a = Recurrent("gru", 3, 5, random_state=7)
    b = Recurrent("gru", 3, 5, random_state=7)
    c = Recurrent("gru", 3, 5, random_state=8)
    assert np.array_equal(a.flat_params, b.flat_params)
    assert not np.array_equal(a.flat_params, c.flat_params)
    irnn = Recurrent("rnn", 2, 4, nonlinearity="relu", recurrent_init="identity", random_state=0)
    assert np.array_equal(irnn.weights["weight_hh_l0"], np.eye(4, dtype=np.float32))


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(cell="transformer"), ValueError, "cell="),
        (dict(hidden_size=0), ValueError, "hidden_size"),
        (dict(num_layers=1.5), ValueError, "num_layers"),
        (dict(nonlinearity="sigmoid"), ValueError, "nonlinearity"),
        (dict(dtype="float16"), ValueError, "dtype"),
        (dict(random_state="seed"), TypeError, "random_state"),
    ],
)
def test_bad_constructor_arguments(kwargs, exc, match):
    args = dict(cell="lstm", input_size=2, hidden_size=3) | kwargs
    with pytest.raises(exc, match=match):
        Recurrent(**args)


@pytest.fixture
def lstm():
    return Recurrent("lstm", 2, 3, random_state=0)


@pytest.mark.parametrize(
    "X,kwargs,exc,match",
    [
        (np.zeros((4, 2), np.float32), {}, ValueError, "3-D"),
        (np.zeros((1, 4, 5), np.float32), {}, ValueError, "input_size=2"),
        (np.zeros((0, 4, 2), np.float32), {}, ValueError, "at least one"),
        (np.full((1, 4, 2), np.nan, np.float32), {}, ValueError, "NaN"),
        (np.full((1, 4, 2), np.inf, np.float32), {}, ValueError, "infinite"),
        (np.zeros((1, 4, 2), np.float64), {}, TypeError, "float64 but the network is float32"),
        (np.array([[["a", "b"]]]), {}, TypeError, "numbers"),
        (np.zeros((2, 4, 2), np.float32), dict(lengths=[5, 1]), ValueError, "lengths must lie"),
        (np.zeros((2, 4, 2), np.float32), dict(lengths=[0, 1]), ValueError, "lengths must lie"),
        (np.zeros((2, 4, 2), np.float32), dict(lengths=[1]), ValueError, "lengths must have shape"),
        (np.zeros((2, 4, 2), np.float32), dict(lengths=[1.5, 2]), TypeError, "integers"),
        (np.zeros((2, 4, 2), np.float32), dict(h0=np.zeros((1, 2, 3), np.float32)), TypeError, "tuple"),
        (
            np.zeros((2, 4, 2), np.float32),
            dict(h0=(np.zeros((1, 3, 3), np.float32), None)),
            ValueError,
            r"h0\[0\] must have shape",
        ),
    ],
)
def test_bad_forward_input(lstm, X, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        lstm.forward(X, **kwargs)


def test_backward_needs_forward_and_right_shape():
    net = Recurrent("gru", 2, 3, random_state=0)
    with pytest.raises(RuntimeError, match="forward"):
        net.backward(np.zeros((1, 2, 3), np.float32))
    net.forward(np.zeros((1, 2, 2), np.float32))
    with pytest.raises(ValueError, match="dY must have shape"):
        net.backward(np.zeros((1, 3, 3), np.float32))
    with pytest.raises(TypeError, match="one array"):
        net.backward(np.zeros((1, 2, 3), np.float32), (None, None))


def test_load_state_dict_errors():
    net = Recurrent("rnn", 2, 3, random_state=0)
    sd = net.state_dict()
    with pytest.raises(KeyError, match="missing"):
        net.load_state_dict({k: v for k, v in sd.items() if k != "bias_hh_l0"})
    sd["weight_hh_l0"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match="weight_hh_l0"):
        net.load_state_dict(sd)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_final_states_only_and_no_input_gradient(cell, rng):
    """return_sequences=False, dY=None and need_input_grad=False change what is returned,
    never the numbers: the same states and bitwise the same parameter gradients."""
    net = Recurrent(cell, 3, 5, num_layers=2, dtype="float64", random_state=1)
    X = rng.standard_normal((4, 6, 3))
    lengths = [6, 2, 5, 1]
    Y, state = net.forward(X, lengths=lengths)
    dh_n = rng.standard_normal((2, 4, 5))
    d_state = (dh_n, None) if cell == "lstm" else dh_n
    dX, d0 = net.backward(np.zeros_like(Y), d_state)
    grads = net.flat_grad.copy()
    none_Y, state2 = net.forward(X, lengths=lengths, return_sequences=False)
    assert none_Y is None
    as_list = (lambda s: list(s)) if cell == "lstm" else (lambda s: [s])
    for a, b in zip(as_list(state), as_list(state2), strict=True):
        np.testing.assert_array_equal(a, b)
    dX2, d02 = net.backward(None, d_state)
    np.testing.assert_array_equal(dX2, dX)
    np.testing.assert_array_equal(net.flat_grad, grads)
    for a, b in zip(as_list(d0), as_list(d02), strict=True):
        np.testing.assert_array_equal(a, b)
    net.forward(X, lengths=lengths)
    dX3, d03 = net.backward(None, d_state, need_input_grad=False)
    assert dX3 is None
    np.testing.assert_array_equal(net.flat_grad, grads)
    for a, b in zip(as_list(d0), as_list(d03), strict=True):
        np.testing.assert_array_equal(a, b)


def _inference_on_1_and_2_threads(net, X, state0, lengths):
    """``net.forward(..., training=False)`` on 1 thread, then 2 where Numba has them."""
    previous = numba.get_num_threads()
    try:
        results = []
        for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(threads)
            results.append(net.forward(X, state0, lengths=lengths, training=False))
    finally:
        numba.set_num_threads(previous)
    return results


@pytest.mark.parametrize("cell,nonlinearity", [("lstm", "tanh"), ("gru", "tanh"), ("rnn", "tanh"), ("rnn", "relu")])
@pytest.mark.parametrize("batch", [5, 70])  # one chunk; several parallel chunks, one ragged
def test_inference_kernels_match_the_training_forward(cell, nonlinearity, batch, rng):
    """training=False runs separate kernels that keep no cache: same outputs and final
    states as the training forward (float64, two layers, given initial states, ragged
    lengths), and the same whatever the thread count."""
    T, I, H = 9, 3, 6
    net = Recurrent(cell, I, H, num_layers=2, nonlinearity=nonlinearity, dtype="float64", random_state=2)
    X = rng.standard_normal((batch, T, I))
    lengths = rng.integers(1, T + 1, size=batch)
    lengths[0] = T
    h0 = rng.standard_normal((2, batch, H))
    state0 = (h0, rng.standard_normal((2, batch, H))) if cell == "lstm" else h0
    as_list = (lambda s: list(s)) if cell == "lstm" else (lambda s: [s])
    Y, state = net.forward(X, state0, lengths=lengths)
    results = _inference_on_1_and_2_threads(net, X, state0, lengths)
    for Y_inf, state_inf in results:
        np.testing.assert_allclose(Y_inf, Y, rtol=1e-12, atol=1e-13)
        for a, b in zip(as_list(state_inf), as_list(state), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
        assert not Y_inf[np.arange(T)[None, :] >= lengths[:, None]].any()  # zero past each length
    for a, b in zip(results[0], results[-1]):
        for u, v in zip(as_list(a), as_list(b), strict=True):
            np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch", [20, 70])  # one chunk; three 32-row chunks, one ragged
def test_lstm_column_inference_kernel_matches_the_row_kernel(dtype, batch, rng, monkeypatch):
    """Chunks of at most 32 rows and 64 or more units: LSTM inference runs
    lstm_infer_columns (the batch along the columns of the per-step product); same
    outputs and states as lstm_infer and as the training forward (ragged lengths, given
    initial states, two layers), and bitwise the same for 1 and 2 threads."""
    from tsrnn.kernels.cpu import layers, lstm

    T, I, H = 7, 3, layers.COLUMNS_MIN_HIDDEN
    assert layers.batch_chunk(batch) <= layers.COLUMNS_MAX_ROWS
    calls = []
    real = lstm.lstm_infer_columns
    monkeypatch.setattr(lstm, "lstm_infer_columns", lambda *args: calls.append(args[5:8]) or real(*args))
    net = Recurrent("lstm", I, H, num_layers=2, dtype=dtype, random_state=4)
    X = rng.standard_normal((batch, T, I)).astype(dtype)
    lengths = rng.integers(1, T + 1, size=batch)
    state0 = tuple(rng.standard_normal((2, batch, H)).astype(dtype) for _ in range(2))
    tol = dict(rtol=1e-12, atol=1e-13) if dtype == "float64" else dict(rtol=2e-5, atol=2e-6)
    Y, (h_n, c_n) = net.forward(X, state0, lengths=lengths)
    results = _inference_on_1_and_2_threads(net, X, state0, lengths)
    assert calls and all(chunk <= layers.COLUMNS_MAX_ROWS for _, _, chunk in calls)  # the column path ran
    for Y_inf, (h_inf, c_inf) in results:
        for a, b in ((Y_inf, Y), (h_inf, h_n), (c_inf, c_n)):
            np.testing.assert_allclose(a, b, **tol)
    (Y1, (h1, c1)), (Y2, (h2, c2)) = results[0], results[-1]
    for a, b in ((Y1, Y2), (h1, h2), (c1, c2)):
        np.testing.assert_array_equal(a, b)

    w_ih, w_hh, b_ih, b_hh = net._layer(0, net.weights)
    outs = []
    for kernel, weights in ((lstm.lstm_infer, (layers._merged_weights(w_ih, w_hh), (b_ih + b_hh).reshape(4, H))),
                            (real, (layers._stacked_rows(w_ih, w_hh, b_ih + b_hh),))):
        out = (np.empty((batch, T, H), dtype), np.empty((batch, H), dtype), np.empty((batch, H), dtype))
        chunk = layers.batch_chunk(batch)
        kernel(X, *weights, state0[0][0], state0[1][0], lengths.astype(np.int64), 0, batch, chunk, *out)
        outs.append(out)
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, **tol)
