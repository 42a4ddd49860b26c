"""Tests of tsrnn.nn.optimizers: parity with torch.optim, state, in-place updates."""

import tracemalloc

import numpy as np
import pytest

from tsrnn.nn.optimizers import (
    OPTIMIZERS,
    SGD,
    Adam,
    AdamW,
    Optimizer,
    RMSprop,
    _lerp_,
    get_optimizer,
)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


N_PARAMS = 37
N_STEPS = 20

# (name, kwargs) pairs; the same kwargs go to torch.optim (betas as a tuple).
CASES = [
    ("sgd", dict(lr=0.1)),
    ("sgd", dict(lr=0.05, momentum=0.9)),
    ("sgd", dict(lr=0.05, momentum=0.9, dampening=0.2)),
    ("sgd", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("sgd", dict(lr=0.05, weight_decay=0.1)),
    ("sgd", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05)),
    ("adam", dict(lr=1e-2)),
    ("adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("adam", dict(lr=3e-2, betas=(0.3, 0.9))),  # lerp weight >= 0.5 branch
    ("adamw", dict(lr=1e-2)),
    ("adamw", dict(lr=1e-2, betas=(0.85, 0.995), weight_decay=0.3)),
    ("rmsprop", dict(lr=1e-2)),
    ("rmsprop", dict(lr=1e-2, alpha=0.9, momentum=0.9)),
    ("rmsprop", dict(lr=1e-2, centered=True, weight_decay=0.05)),
    ("rmsprop", dict(lr=1e-2, alpha=0.95, momentum=0.5, centered=True)),
]
CASE_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]

TORCH_CLASSES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}


def make_problem(dtype, seed=0, n=N_PARAMS, steps=N_STEPS):
    rng = np.random.default_rng(seed)
    params = rng.normal(size=n).astype(dtype)
    grads = rng.normal(scale=0.5, size=(steps, n)).astype(dtype)
    return params, grads


def run_torch(torch, name, kwargs, params, grads, lr_changes=None):
    """Run torch.optim on a copy of ``params``; return params after each step."""
    p = torch.nn.Parameter(torch.tensor(params.copy()))
    opt = getattr(torch.optim, TORCH_CLASSES[name])([p], foreach=False, **kwargs)
    out = []
    for i, g in enumerate(grads):
        if lr_changes and i in lr_changes:
            opt.param_groups[0]["lr"] = lr_changes[i]
        p.grad = torch.tensor(g.copy())
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


def run_ours(opt, params, grads, lr_changes=None):
    out = []
    for i, g in enumerate(grads):
        if lr_changes and i in lr_changes:
            opt.lr = lr_changes[i]
        opt.step(params, g)
        out.append(params.copy())
    return np.array(out)


# ---------------------------------------------------------------------------
# parity with torch.optim
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype, atol", [(np.float64, 1e-12), (np.float32, 1e-6)])
@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_matches_torch(torch, name, kwargs, dtype, atol):
    params, grads = make_problem(dtype)
    expected = run_torch(torch, name, kwargs, params, grads)
    opt = get_optimizer(name, **kwargs)
    got = run_ours(opt, params, grads)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=0, atol=atol)
    for buf in opt.state_dict().values():
        if isinstance(buf, np.ndarray):
            assert buf.dtype == dtype


@pytest.mark.parametrize("name, kwargs", CASES[::3], ids=CASE_IDS[::3])
def test_matches_torch_when_lr_changes(torch, name, kwargs):
    params, grads = make_problem(np.float64, seed=1)
    changes = {5: kwargs["lr"] * 0.5, 12: kwargs["lr"] * 0.1}
    expected = run_torch(torch, name, kwargs, params, grads, changes)
    got = run_ours(get_optimizer(name, **kwargs), params, grads, changes)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_defaults_match_torch(torch):
    for name, cls in OPTIMIZERS.items():
        ours = cls()
        theirs = getattr(torch.optim, TORCH_CLASSES[name])(
            [torch.nn.Parameter(torch.zeros(1))]
        ).defaults
        for key, value in ours.get_params().items():
            assert theirs[key] == value, (name, key)


# ---------------------------------------------------------------------------
# state_dict
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_state_dict_round_trip_continues_identically(name, kwargs):
    params, grads = make_problem(np.float64, seed=2)
    opt = get_optimizer(name, **kwargs)
    run_ours(opt, params, grads[:10])
    state = opt.state_dict()
    for key, value in state.items():
        assert isinstance(value, (int, float, np.ndarray)), key
    resumed_params = params.copy()
    resumed = get_optimizer(name, **kwargs)
    resumed.load_state_dict(state)
    expected = run_ours(opt, params, grads[10:])
    got = run_ours(resumed, resumed_params, grads[10:])
    np.testing.assert_array_equal(got, expected)


def test_state_dict_survives_npz(tmp_path):
    params, grads = make_problem(np.float32, seed=3)
    opt = Adam(lr=1e-2, weight_decay=0.1)
    run_ours(opt, params, grads[:7])
    opt.lr = 4e-3  # as a schedule would
    np.savez(tmp_path / "opt.npz", **opt.state_dict())
    with np.load(tmp_path / "opt.npz", allow_pickle=False) as f:
        loaded = {k: f[k] for k in f.files}
    resumed = Adam(lr=1e-2, weight_decay=0.1)
    resumed.load_state_dict(loaded)
    assert resumed.lr == 4e-3 and resumed.n_steps == 7
    p2 = params.copy()
    np.testing.assert_array_equal(
        run_ours(resumed, p2, grads[7:]), run_ours(opt, params, grads[7:])
    )


def test_state_dict_is_a_copy_and_empty_before_first_step():
    opt = SGD(lr=0.1, momentum=0.9)
    assert opt.state_dict() == {"lr": 0.1, "step": 0}
    params, grads = make_problem(np.float64)
    opt.step(params, grads[0])
    state = opt.state_dict()
    state["momentum_buffer"][:] = 1e9
    assert np.all(opt.state_dict()["momentum_buffer"] != 1e9)


def test_load_state_dict_errors():
    params, grads = make_problem(np.float64)
    opt = Adam()
    opt.step(params, grads[0])
    state = opt.state_dict()
    with pytest.raises(ValueError, match=r"Unknown key\(s\) \['momentum_buffer'\]"):
        Adam().load_state_dict({**state, "momentum_buffer": state["exp_avg"]})
    with pytest.raises(ValueError, match="lacks the buffer 'exp_avg_sq'"):
        Adam().load_state_dict({"lr": 0.1, "step": 3, "exp_avg": state["exp_avg"]})
    with pytest.raises(ValueError, match="lacks 'step'"):
        Adam().load_state_dict({"lr": 0.1})
    with pytest.raises(ValueError, match="step must be an integer"):
        Adam().load_state_dict({**state, "step": -1})
    with pytest.raises(ValueError, match="lr must be >= 0"):
        Adam().load_state_dict({**state, "lr": -1.0})
    with pytest.raises(ValueError, match="other buffers"):
        Adam().load_state_dict({**state, "exp_avg_sq": np.zeros(3)})
    # Buffers of the wrong length are caught at the next step.
    other = Adam()
    other.load_state_dict(state)
    with pytest.raises(ValueError, match="call reset"):
        other.step(np.zeros(5), np.zeros(5))


def test_reset_forgets_state():
    params, grads = make_problem(np.float64, seed=4)
    opt = RMSprop(lr=1e-2, momentum=0.9)
    p1 = params.copy()
    run_ours(opt, p1, grads)
    opt.reset()
    assert opt.state_dict() == {"lr": 1e-2, "step": 0}
    fresh = RMSprop(lr=1e-2, momentum=0.9)
    p2, p3 = params.copy(), params.copy()
    np.testing.assert_array_equal(run_ours(opt, p2, grads), run_ours(fresh, p3, grads))


# ---------------------------------------------------------------------------
# in place, no temporaries, gradient untouched
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_updates_in_place(name, kwargs):
    params, grads = make_problem(np.float64, seed=5, n=12)
    layer_view = params[:6].reshape(2, 3)  # as a layer weight would be
    address = params.__array_interface__["data"][0]
    before = params.copy()
    grad = grads[0].copy()
    opt = get_optimizer(name, **kwargs)
    opt.step(params, grad)
    assert params.__array_interface__["data"][0] == address
    assert not np.array_equal(params, before)
    np.testing.assert_array_equal(layer_view, params[:6].reshape(2, 3))
    np.testing.assert_array_equal(grad, grads[0])  # gradient not modified


@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_step_allocates_no_parameter_sized_temporaries(name, kwargs):
    n = 200_000
    params, grads = make_problem(np.float64, seed=6, n=n, steps=3)
    opt = get_optimizer(name, **kwargs)
    opt.step(params, grads[0])  # allocates state and scratch buffers
    tracemalloc.start()
    try:
        opt.step(params, grads[1])
        opt.step(params, grads[2])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < n * 8 // 4, peak


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------
def test_registry_and_unknown_name():
    assert OPTIMIZERS == {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop}
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adm'.*'adam'.*'sgd'"):
        get_optimizer("adm")
    with pytest.raises(TypeError, match=r"unexpected parameter.*'momentum'.*betas"):
        get_optimizer("adam", momentum=0.9)
    opt = Adam(lr=0.5)
    assert get_optimizer(opt) is opt
    assert isinstance(opt, Optimizer)
    assert repr(SGD(lr=0.1)).startswith("SGD(lr=0.1")


@pytest.mark.parametrize(
    "name, kwargs, match",
    [
        ("sgd", dict(lr=-0.1), "lr must be >= 0"),
        ("sgd", dict(lr=float("nan")), "lr must be finite"),
        ("sgd", dict(lr="0.1"), "lr must be a real number"),
        ("sgd", dict(momentum=-0.5), "momentum must be >= 0"),
        ("sgd", dict(nesterov=True), "nesterov=True requires momentum > 0"),
        ("sgd", dict(momentum=0.9, nesterov=True, dampening=0.1), "dampening = 0"),
        ("sgd", dict(nesterov="yes"), "nesterov must be a bool"),
        ("adam", dict(betas=(0.9, 1.0)), r"betas\[1\] must be < 1"),
        ("adam", dict(betas=(-0.1, 0.9)), r"betas\[0\] must be >= 0"),
        ("adam", dict(betas=0.9), "betas must be a pair"),
        ("adamw", dict(eps=-1.0), "eps must be >= 0"),
        ("adamw", dict(weight_decay=-0.01), "weight_decay must be >= 0"),
        ("rmsprop", dict(alpha=1.5), "alpha must be <= 1"),
        ("rmsprop", dict(centered=1), "centered must be a bool"),
    ],
)
def test_bad_hyperparameters(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        get_optimizer(name, **kwargs)


def test_bad_arrays():
    opt = SGD(lr=0.1)
    p = np.zeros(4)
    with pytest.raises(ValueError, match="float32 or float64"):
        opt.step(np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.int64))
    with pytest.raises(ValueError, match="flat"):
        opt.step(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="C-contiguous"):
        opt.step(np.zeros(8)[::2], np.zeros(4))
    with pytest.raises(ValueError, match=r"grad has shape \(5,\)"):
        opt.step(p, np.zeros(5))
    with pytest.raises(ValueError, match="grad has dtype float32"):
        opt.step(p, np.zeros(4, dtype=np.float32))
    with pytest.raises(ValueError, match="numpy arrays"):
        opt.step([0.0] * 4, np.zeros(4))
    ro = np.zeros(4)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        opt.step(ro, np.zeros(4))
    opt.lr = -1.0
    with pytest.raises(ValueError, match="lr must be a finite number >= 0"):
        opt.step(p, np.zeros(4))


def _adam_numpy(params, grad, exp_avg, exp_avg_sq, t, lr, betas, eps, weight_decay, decoupled):
    """The Adam step as the NumPy calls it was written with before the compiled loop
    (tsrnn.kernels.cpu.optim), kept here as the reference for its rounding."""
    beta1, beta2 = betas
    tmp, tmp2 = np.empty_like(params), np.empty_like(params)
    g = grad
    if weight_decay != 0:
        if decoupled:
            params *= 1.0 - lr * weight_decay
        else:
            np.multiply(params, weight_decay, out=tmp)
            np.add(grad, tmp, out=tmp)
            g = tmp
    _lerp_(exp_avg, g, 1.0 - beta1, tmp2)  # (RMSprop's NumPy helper, as Adam used it)
    exp_avg_sq *= beta2
    np.multiply(g, 1.0 - beta2, out=tmp2)
    tmp2 *= g
    exp_avg_sq += tmp2
    denom = tmp2
    np.sqrt(exp_avg_sq, out=denom)
    denom /= (1.0 - beta2 ** t) ** 0.5
    denom += eps
    np.divide(exp_avg, denom, out=denom)
    denom *= -(lr / (1.0 - beta1 ** t))
    params += denom


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", [
    ("adam", {}),
    ("adam", {"weight_decay": 0.1, "betas": (0.3, 0.9)}),  # lerp's other form (1 - beta1 >= 0.5)
    ("adamw", {"weight_decay": 0.05}),
    ("adamw", {"betas": (0.5, 0.99), "eps": 1e-3}),  # 1 - beta1 exactly 0.5
])
def test_adam_rounds_as_its_numpy_formulation(dtype, name, kwargs):
    """The compiled Adam loop gives the same bits as the NumPy calls (each operation
    rounded in the parameters' dtype, no fused multiply-add) over many steps."""
    rng = np.random.default_rng(3)
    params = rng.normal(size=257).astype(dtype)
    expected = params.copy()
    m, v = np.zeros_like(params), np.zeros_like(params)
    opt = get_optimizer(name, lr=0.01, **kwargs)
    full = {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01 if name == "adamw" else 0.0, **kwargs}
    for t in range(1, 30):
        grad = (rng.normal(size=params.size) * 10.0 ** rng.integers(-6, 2)).astype(dtype)
        opt.step(params, grad)
        _adam_numpy(expected, grad, m, v, t, 0.01, full["betas"], full["eps"], full["weight_decay"], name == "adamw")
        assert np.array_equal(params, expected), (t, np.abs(params - expected).max())
    assert np.array_equal(opt.state_dict()["exp_avg_sq"], v)
