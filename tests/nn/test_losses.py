"""Tests of tsrnn.nn.losses: gradients, PyTorch parity, weights, dtypes, errors."""

import zlib

import numpy as np
import pytest

from tsrnn.nn.losses import (
    LOSSES,
    CrossEntropyLoss,
    HuberLoss,
    Loss,
    MAELoss,
    MSELoss,
    PinballLoss,
    get_loss,
    softmax,
)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


QUANTILES = (0.1, 0.5, 0.9)
REGRESSION = ["mse", "mae", "huber"]
SHAPES = [(7,), (5, 3), (4, 3, 2)]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def numerical_grad(f, x, h=1e-6):
    """Central differences of the scalar function ``f`` at ``x`` (float64)."""
    x = x.astype(np.float64).copy()
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = f(x)
        flat[i] = old - h
        fm = f(x)
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * h)
    return g


def max_rel_err(analytic, numeric):
    """Largest absolute difference relative to the largest gradient entry."""
    scale = max(np.max(np.abs(numeric)), np.max(np.abs(analytic)), 1e-300)
    return np.max(np.abs(analytic - numeric)) / scale


def away_from_kinks(pred, target, kinks, margin=1e-2):
    """Move ``pred`` so that ``|pred - target|`` stays ``margin`` away from each kink."""
    d = pred - target
    for k in kinks:
        close = np.abs(np.abs(d) - k) < margin
        d = np.where(close, np.where(d >= 0, 1.0, -1.0) * (k + 2 * margin), d)
    return target + d


def seed_of(*args):
    """Deterministic seed from test parameters (``hash`` of str is salted)."""
    return zlib.crc32(repr(args).encode())


def make_regression(name, shape, rng, dtype=np.float64):
    if name in ("pinball", "quantile"):
        target = rng.normal(size=shape)
        pred = rng.normal(size=shape + (len(QUANTILES),))
        u = target[..., None] - pred
        u[np.abs(u) < 1e-2] += 0.05
        pred = target[..., None] - u
    else:
        target = rng.normal(size=shape)
        pred = target + rng.normal(size=shape)
        kinks = {"mse": [], "mae": [0.0], "huber": [1.0]}[name]
        pred = away_from_kinks(pred, target, kinks)
    return pred.astype(dtype), target.astype(dtype)


def build(name):
    if name in ("pinball", "quantile"):
        return get_loss(name, quantiles=QUANTILES)
    return get_loss(name)


def make_ce(rng, shape, n_classes=4, ignore_index=None, dtype=np.float64):
    logits = rng.normal(size=shape + (n_classes,)).astype(dtype)
    target = rng.integers(0, n_classes, size=shape)
    if ignore_index is not None:
        target[rng.random(size=shape) < 0.3] = ignore_index
        target.reshape(-1)[0] = 1  # at least one kept element
    return logits, target


# ---------------------------------------------------------------------------
# registry and factory
# ---------------------------------------------------------------------------
def test_registry_contents():
    assert set(LOSSES) == {"mse", "mae", "huber", "pinball", "quantile", "cross_entropy"}
    assert LOSSES["quantile"] is LOSSES["pinball"] is PinballLoss
    assert isinstance(get_loss("mse"), MSELoss)
    assert isinstance(get_loss("mae"), MAELoss)
    assert get_loss("huber", delta=2.5).delta == 2.5
    assert get_loss("quantile", quantiles=[0.2, 0.8]).quantiles == (0.2, 0.8)
    assert get_loss("cross_entropy", ignore_index=-1).ignore_index == -1
    loss = HuberLoss(0.5)
    assert get_loss(loss) is loss
    assert "delta=0.5" in repr(loss)


def test_unknown_name_lists_valid_options():
    with pytest.raises(ValueError, match="Unknown loss 'msee'.*'huber'.*'mse'"):
        get_loss("msee")
    with pytest.raises(ValueError, match="Unknown loss"):
        get_loss(None)


def test_unknown_parameter():
    with pytest.raises(TypeError, match="unexpected parameter.*'alpha'.*delta"):
        get_loss("huber", alpha=1.0)
    with pytest.raises(TypeError):
        get_loss("mse", delta=1.0)


@pytest.mark.parametrize(
    "name, kwargs, match",
    [
        ("huber", {"delta": 0.0}, "delta must be > 0"),
        ("huber", {"delta": -1.0}, "delta"),
        ("huber", {"delta": float("nan")}, "delta must be finite"),
        ("pinball", {"quantiles": [0.0, 0.5]}, "strictly between 0 and 1"),
        ("pinball", {"quantiles": [0.5, 1.0]}, "strictly between 0 and 1"),
        ("pinball", {"quantiles": []}, "non-empty"),
        ("pinball", {"quantiles": [[0.1, 0.2]]}, "1-d"),
        ("cross_entropy", {"ignore_index": 1.5}, "ignore_index must be an integer"),
    ],
)
def test_bad_hyperparameters(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        get_loss(name, **kwargs)


def test_scalar_quantile_accepted():
    assert PinballLoss(0.3).quantiles == (0.3,)


# ---------------------------------------------------------------------------
# gradient checks by central differences (float64)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", REGRESSION + ["pinball"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_gradcheck_regression(name, shape, weighted):
    rng = np.random.default_rng(seed_of(name, shape, weighted))
    loss = build(name)
    pred, target = make_regression(name, shape, rng)
    w = rng.uniform(0.1, 2.0, size=shape[0]) if weighted else None
    value, grad = loss(pred, target, sample_weight=w)
    assert isinstance(value, float)
    assert grad.shape == pred.shape and grad.dtype == np.float64
    num = numerical_grad(lambda p: loss(p, target, sample_weight=w)[0], pred)
    assert max_rel_err(grad, num) <= 1e-6


def test_gradcheck_huber_both_regimes():
    rng = np.random.default_rng(3)
    loss = get_loss("huber", delta=0.7)
    target = rng.normal(size=(6, 4))
    pred = target + rng.normal(scale=1.5, size=(6, 4))
    pred = away_from_kinks(pred, target, [0.7])
    d = np.abs(pred - target)
    assert (d < 0.7).any() and (d > 0.7).any()
    value, grad = loss(pred, target)
    num = numerical_grad(lambda p: loss(p, target)[0], pred)
    assert max_rel_err(grad, num) <= 1e-6


@pytest.mark.parametrize("shape", [(6,), (3, 5)])
@pytest.mark.parametrize("ignore_index", [None, -100, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradcheck_cross_entropy(shape, ignore_index, weighted):
    rng = np.random.default_rng(len(shape) * 100 + (ignore_index or 0) + weighted)
    loss = get_loss("cross_entropy", ignore_index=ignore_index)
    logits, target = make_ce(rng, shape, ignore_index=ignore_index)
    w = rng.uniform(0.1, 2.0, size=shape[0]) if weighted else None
    value, grad = loss(logits, target, sample_weight=w)
    num = numerical_grad(lambda z: loss(z, target, sample_weight=w)[0], logits)
    assert max_rel_err(grad, num) <= 1e-6
    if ignore_index is not None:
        ignored = target == ignore_index
        assert np.all(grad[ignored] == 0)


# ---------------------------------------------------------------------------
# parity with PyTorch (values and autograd gradients)
# ---------------------------------------------------------------------------
def torch_value_grad(torch, fn, pred, *args):
    p = torch.tensor(pred, requires_grad=True)
    out = fn(p, *args)
    out.backward()
    return out.item(), p.grad.numpy()


@pytest.mark.parametrize("shape", SHAPES)
def test_mse_mae_huber_match_torch(torch, shape):
    F = torch.nn.functional
    rng = np.random.default_rng(11)
    for name, fn in [
        ("mse", lambda p, t: F.mse_loss(p, t)),
        ("mae", lambda p, t: F.l1_loss(p, t)),
        ("huber", lambda p, t: F.huber_loss(p, t, delta=1.0)),
    ]:
        pred, target = make_regression(name, shape, rng)
        value, grad = build(name)(pred, target)
        tv, tg = torch_value_grad(torch, fn, pred, torch.tensor(target))
        np.testing.assert_allclose(value, tv, rtol=1e-12)
        np.testing.assert_allclose(grad, tg, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("delta", [0.3, 1.0, 2.0])
def test_huber_matches_torch_module(torch, delta):
    rng = np.random.default_rng(12)
    target = rng.normal(size=(8, 3))
    pred = target + rng.normal(scale=2.0, size=(8, 3))
    value, grad = HuberLoss(delta)(pred, target)
    tv, tg = torch_value_grad(
        torch, torch.nn.HuberLoss(delta=delta), pred, torch.tensor(target)
    )
    np.testing.assert_allclose(value, tv, rtol=1e-12)
    np.testing.assert_allclose(grad, tg, rtol=1e-12, atol=1e-15)


def test_mae_subgradient_zero_at_ties(torch):
    pred = np.array([[1.0, 2.0], [3.0, -1.0]])
    target = np.array([[1.0, 0.0], [3.0, 0.0]])
    value, grad = MAELoss()(pred, target)
    assert grad[0, 0] == 0 and grad[1, 0] == 0
    tv, tg = torch_value_grad(
        torch, torch.nn.functional.l1_loss, pred, torch.tensor(target)
    )
    np.testing.assert_allclose(value, tv, rtol=1e-12)
    np.testing.assert_allclose(grad, tg, rtol=1e-12)


@pytest.mark.parametrize("shape", [(6,), (4, 3)])
def test_pinball_matches_formula_and_autograd(torch, shape):
    rng = np.random.default_rng(13)
    pred, target = make_regression("pinball", shape, rng)
    q = np.array(QUANTILES)
    # Direct formula: mean over all (sample, ..., quantile) of max(q u, (q - 1) u).
    u = target[..., None] - pred
    expected = np.mean(np.maximum(q * u, (q - 1) * u))
    value, grad = build("pinball")(pred, target)
    np.testing.assert_allclose(value, expected, rtol=1e-12)

    qt = torch.tensor(q)

    def fn(p, t):
        ut = t.unsqueeze(-1) - p
        return torch.maximum(qt * ut, (qt - 1) * ut).mean()

    tv, tg = torch_value_grad(torch, fn, pred, torch.tensor(target))
    np.testing.assert_allclose(value, tv, rtol=1e-12)
    np.testing.assert_allclose(grad, tg, rtol=1e-12, atol=1e-15)


def test_pinball_median_is_half_mae():
    rng = np.random.default_rng(14)
    target = rng.normal(size=(9, 2))
    pred = rng.normal(size=(9, 2))
    v_pin, g_pin = PinballLoss([0.5])(pred[..., None], target)
    v_mae, g_mae = MAELoss()(pred, target)
    np.testing.assert_allclose(v_pin, 0.5 * v_mae, rtol=1e-14)
    np.testing.assert_allclose(g_pin[..., 0], 0.5 * g_mae, rtol=1e-14)


def test_pinball_zero_subgradient_at_ties():
    value, grad = PinballLoss([0.2, 0.7])(np.array([[1.0, 1.0]]), np.array([1.0]))
    assert value == 0.0
    np.testing.assert_array_equal(grad, 0.0)


@pytest.mark.parametrize("shape", [(6,), (3, 5)])
@pytest.mark.parametrize("ignore_index", [None, -100, 0])
def test_cross_entropy_matches_torch(torch, shape, ignore_index):
    rng = np.random.default_rng(15)
    logits, target = make_ce(rng, shape, n_classes=5, ignore_index=ignore_index)
    value, grad = CrossEntropyLoss(ignore_index=ignore_index)(logits, target)
    t_index = -100 if ignore_index is None else ignore_index

    def fn(z, t):
        # torch wants the class axis at position 1: (N, C) or (N, C, T).
        zc = z if z.ndim == 2 else z.permute(0, 2, 1)
        return torch.nn.functional.cross_entropy(zc, t, ignore_index=t_index)

    tv, tg = torch_value_grad(torch, fn, logits, torch.tensor(target))
    np.testing.assert_allclose(value, tv, rtol=1e-12)
    np.testing.assert_allclose(grad, tg, rtol=1e-12, atol=1e-15)


def test_cross_entropy_weighted_matches_torch(torch):
    rng = np.random.default_rng(16)
    logits, target = make_ce(rng, (4, 6), n_classes=3, ignore_index=-1)
    w = rng.uniform(0.2, 3.0, size=4)
    value, grad = CrossEntropyLoss(ignore_index=-1)(logits, target, sample_weight=w)

    def fn(z, t):
        elem = torch.nn.functional.cross_entropy(
            z.permute(0, 2, 1), t, ignore_index=-1, reduction="none"
        )
        eff = torch.tensor(w)[:, None] * (t != -1)
        return (elem * eff).sum() / eff.sum()

    tv, tg = torch_value_grad(torch, fn, logits, torch.tensor(target))
    np.testing.assert_allclose(value, tv, rtol=1e-12)
    np.testing.assert_allclose(grad, tg, rtol=1e-12, atol=1e-15)


def test_cross_entropy_is_stable_for_huge_logits(torch):
    logits = np.array([[1e4, -1e4, 0.0], [800.0, 799.0, -5.0], [-1e4, -1e4, -1e4]])
    target = np.array([1, 0, 2])
    value, grad = CrossEntropyLoss()(logits, target)
    assert np.isfinite(value) and np.isfinite(grad).all()
    tv, tg = torch_value_grad(
        torch, torch.nn.functional.cross_entropy, logits, torch.tensor(target)
    )
    np.testing.assert_allclose(value, tv, rtol=1e-12)
    np.testing.assert_allclose(grad, tg, rtol=1e-12, atol=1e-15)
    # float32 too
    v32, g32 = CrossEntropyLoss()(logits.astype(np.float32), target)
    assert np.isfinite(v32) and np.isfinite(g32).all()


def test_cross_entropy_all_ignored_gives_zero():
    logits = np.random.default_rng(0).normal(size=(2, 3, 4))
    target = np.full((2, 3), -100)
    value, grad = CrossEntropyLoss(ignore_index=-100)(logits, target)
    assert value == 0.0
    np.testing.assert_array_equal(grad, 0.0)


def test_cross_entropy_accepts_integral_float_targets():
    rng = np.random.default_rng(1)
    logits, target = make_ce(rng, (5,), n_classes=3)
    v1, g1 = CrossEntropyLoss()(logits, target)
    v2, g2 = CrossEntropyLoss()(logits, target.astype(np.float64))
    assert v1 == v2
    np.testing.assert_array_equal(g1, g2)


# ---------------------------------------------------------------------------
# softmax
# ---------------------------------------------------------------------------
def test_softmax(torch):
    rng = np.random.default_rng(17)
    x = rng.normal(scale=5, size=(3, 4, 5))
    for axis in (-1, 0, 1):
        p = softmax(x, axis=axis)
        np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-14)
        np.testing.assert_allclose(
            p, torch.softmax(torch.tensor(x), dim=axis).numpy(), rtol=1e-12
        )
    big = np.array([[1e4, 1e4 - 1.0, -1e4]], dtype=np.float32)
    p = softmax(big)
    assert p.dtype == np.float32 and np.isfinite(p).all()
    np.testing.assert_allclose(p[0, :2], [1 / (1 + np.exp(-1)), 1 / (1 + np.e)], rtol=1e-6)
    assert softmax([[0, 0]]).dtype == np.float64


# ---------------------------------------------------------------------------
# sample_weight semantics
# ---------------------------------------------------------------------------
ALL_CASES = REGRESSION + ["pinball", "cross_entropy"]


def make_case(name, rng, n=6):
    if name == "cross_entropy":
        return make_ce(rng, (n, 3), n_classes=4)
    return make_regression(name, (n, 3), rng)


@pytest.mark.parametrize("name", ALL_CASES)
def test_uniform_weights_equal_unweighted(name):
    rng = np.random.default_rng(20)
    loss = build(name)
    pred, target = make_case(name, rng)
    v0, g0 = loss(pred, target)
    v1, g1 = loss(pred, target, sample_weight=np.full(len(pred), 3.5))
    np.testing.assert_allclose(v1, v0, rtol=1e-13)
    np.testing.assert_allclose(g1, g0, rtol=1e-13)


@pytest.mark.parametrize("name", ALL_CASES)
def test_integer_weights_equal_repeated_samples(name):
    rng = np.random.default_rng(21)
    loss = build(name)
    pred, target = make_case(name, rng)
    w = np.array([1, 3, 0, 2, 1, 1])
    v, g = loss(pred, target, sample_weight=w)
    idx = np.repeat(np.arange(len(pred)), w)
    v_rep, g_rep = loss(pred[idx], target[idx])
    np.testing.assert_allclose(v, v_rep, rtol=1e-13)
    # The gradient of a sample equals the summed gradients of its copies.
    g_sum = np.zeros_like(g)
    np.add.at(g_sum, idx, g_rep)
    np.testing.assert_allclose(g, g_sum, rtol=1e-12, atol=1e-16)
    assert np.all(g[2] == 0)  # zero weight -> no gradient


@pytest.mark.parametrize(
    "w, match",
    [
        (np.array([1.0, -1.0, 1.0]), "non-negative"),
        (np.array([1.0, np.nan, 1.0]), "NaN"),
        (np.zeros(3), "sums to zero"),
        (np.ones(4), r"shape \(4,\), expected \(3,\)"),
        (np.ones((3, 1)), "shape"),
        (np.array(["a", "b", "c"]), "real numeric"),
    ],
)
def test_bad_sample_weight(w, match):
    with pytest.raises(ValueError, match=match):
        MSELoss()(np.zeros((3, 2)), np.ones((3, 2)), sample_weight=w)


def test_scalar_sample_weight_broadcasts():
    pred, target = np.zeros((3, 2)), np.ones((3, 2))
    assert MSELoss()(pred, target, sample_weight=2.0)[0] == 1.0


# ---------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL_CASES)
@pytest.mark.parametrize("weighted", [False, True])
def test_float32_in_float32_out(name, weighted):
    rng = np.random.default_rng(22)
    loss = build(name)
    pred64, target = make_case(name, rng)
    pred32 = pred64.astype(np.float32)
    w = rng.uniform(0.5, 1.5, size=len(pred32)) if weighted else None
    v32, g32 = loss(pred32, target, sample_weight=w)  # float64 target on purpose
    assert g32.dtype == np.float32
    assert isinstance(v32, float)
    v64, g64 = loss(pred32.astype(np.float64), target, sample_weight=w)
    np.testing.assert_allclose(v32, v64, rtol=1e-5)
    np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-6)


def test_integer_pred_is_computed_in_float64():
    value, grad = MSELoss()(np.array([1, 2, 3]), np.array([1, 2, 5]))
    assert grad.dtype == np.float64
    assert value == pytest.approx(4 / 3)


@pytest.mark.parametrize("name", ALL_CASES)
def test_inputs_not_modified(name):
    rng = np.random.default_rng(23)
    pred, target = make_case(name, rng)
    p0, t0 = pred.copy(), target.copy()
    build(name)(pred, target)
    np.testing.assert_array_equal(pred, p0)
    np.testing.assert_array_equal(target, t0)


# ---------------------------------------------------------------------------
# bad inputs
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", REGRESSION)
def test_regression_shape_mismatch(name):
    with pytest.raises(ValueError, match=r"target has shape \(4,\), expected \(4, 1\)"):
        build(name)(np.zeros((4, 1)), np.zeros(4))


@pytest.mark.parametrize("name", REGRESSION + ["pinball"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_target(name, bad):
    pred, target = make_regression(name, (4, 2), np.random.default_rng(0))
    target[1, 1] = bad
    with pytest.raises(ValueError, match="target contains NaN or infinity"):
        build(name)(pred, target)


def test_nan_in_pred_propagates():
    value, grad = MSELoss()(np.array([np.nan, 1.0]), np.array([0.0, 0.0]))
    assert np.isnan(value) and np.isnan(grad[0])


def test_empty_and_scalar_pred():
    with pytest.raises(ValueError, match="empty"):
        MSELoss()(np.zeros((0, 2)), np.zeros((0, 2)))
    with pytest.raises(ValueError, match="at least one dimension"):
        MSELoss()(1.0, 1.0)


def test_pinball_shape_errors():
    loss = PinballLoss(QUANTILES)
    with pytest.raises(ValueError, match=r"trailing axis of len\(quantiles\)=3"):
        loss(np.zeros((4, 2)), np.zeros(4))
    with pytest.raises(ValueError, match=r"expected \(4, 5\)"):
        loss(np.zeros((4, 5, 3)), np.zeros((4, 5, 3)))


def test_cross_entropy_errors():
    loss = CrossEntropyLoss()
    logits = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"target has shape \(4, 1\), expected \(4,\)"):
        loss(logits, np.zeros((4, 1), dtype=int))
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        loss(logits, np.array([0, 1, 3, 0]))
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        loss(logits, np.array([0, 1, -1, 0]))
    with pytest.raises(ValueError, match="integer class indices"):
        loss(logits, np.array([0, 1.5, 2, 0]))
    with pytest.raises(ValueError, match="NaN"):
        loss(logits, np.array([0, np.nan, 2, 0]))
    with pytest.raises(ValueError, match="n_classes"):
        loss(np.zeros(4), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="integer class indices"):
        loss(logits, np.array(["a", "b", "c", "d"]))


def test_all_losses_are_loss_instances():
    for name in LOSSES:
        assert isinstance(build(name), Loss)
        assert build(name).name in LOSSES
