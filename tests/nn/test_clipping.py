"""Tests of tsrnn.nn.clipping against torch.nn.utils."""

import numpy as np
import pytest

from tsrnn.nn.clipping import clip_grad_norm, clip_grad_value


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def torch_clip_norm(torch, grad, max_norm, split=(5, 17, 31)):
    """torch.nn.utils.clip_grad_norm_ over several tensors (layers) cut from ``grad``."""
    params = []
    for chunk in np.split(grad.copy(), split):
        p = torch.nn.Parameter(torch.zeros(chunk.shape, dtype=torch.from_numpy(chunk).dtype))
        p.grad = torch.from_numpy(chunk)
        params.append(p)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return float(total), np.concatenate([p.grad.numpy() for p in params])


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-6)])
@pytest.mark.parametrize("scale, max_norm", [(1.0, 0.5), (1.0, 100.0), (10.0, 1.0), (1e-3, 1e-2)])
def test_clip_grad_norm_matches_torch(torch, dtype, rtol, scale, max_norm):
    rng = np.random.default_rng(0)
    grad = (scale * rng.normal(size=50)).astype(dtype)
    expected_norm, expected = torch_clip_norm(torch, grad, max_norm)
    norm = clip_grad_norm(grad, max_norm)
    assert isinstance(norm, float)
    np.testing.assert_allclose(norm, expected_norm, rtol=rtol)
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, expected, rtol=rtol, atol=0)


def test_clip_grad_norm_scales_to_max_norm():
    grad = np.array([3.0, 4.0])
    norm = clip_grad_norm(grad, 1.0)
    assert norm == 5.0
    np.testing.assert_allclose(grad, np.array([0.6, 0.8]) * 5.0 / (5.0 + 1e-6), rtol=1e-15)
    assert np.linalg.norm(grad) <= 1.0


def test_clip_grad_norm_leaves_small_gradients_untouched():
    grad = np.array([0.3, -0.4, 0.0])
    before = grad.copy()
    assert clip_grad_norm(grad, 0.5 + 2e-6) == pytest.approx(0.5)
    np.testing.assert_array_equal(grad, before)


@pytest.mark.parametrize("bad, expected", [(np.nan, np.nan), (np.inf, np.inf), (-np.inf, np.inf)])
def test_clip_grad_norm_nonfinite_is_returned_without_scaling(bad, expected):
    grad = np.array([1.0, bad, 2.0])
    before = grad.copy()
    norm = clip_grad_norm(grad, 1.0)
    if np.isnan(expected):
        assert np.isnan(norm)
    else:
        assert norm == expected
    np.testing.assert_array_equal(grad, before)


def test_clip_grad_norm_nonfinite_matches_torch_norm(torch):
    for bad in (np.nan, np.inf):
        grad = np.array([1.0, bad, 2.0])
        expected_norm, _ = torch_clip_norm(torch, grad, 1.0, split=(1,))
        norm = clip_grad_norm(grad, 1.0)
        np.testing.assert_equal(norm, expected_norm)


def test_clip_grad_norm_float32_does_not_overflow():
    grad = np.full(100, 1e20, dtype=np.float32)  # sum of squares overflows float32
    norm = clip_grad_norm(grad, 1.0)
    assert np.isfinite(norm)
    np.testing.assert_allclose(norm, 1e21, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(grad.astype(np.float64)), 1.0, rtol=1e-5)
    assert grad.dtype == np.float32


def test_clip_grad_norm_any_shape_and_empty():
    grad = np.ones((3, 4))
    assert clip_grad_norm(grad, 1.0) == pytest.approx(np.sqrt(12))
    np.testing.assert_allclose(np.linalg.norm(grad), 1.0, rtol=1e-6)
    assert clip_grad_norm(np.zeros(0), 1.0) == 0.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_value_matches_torch(torch, dtype):
    rng = np.random.default_rng(1)
    grad = rng.normal(scale=2.0, size=40).astype(dtype)
    t = torch.nn.Parameter(torch.zeros(40, dtype=torch.from_numpy(grad).dtype))
    t.grad = torch.from_numpy(grad.copy())
    torch.nn.utils.clip_grad_value_([t], 0.7)
    address = grad.__array_interface__["data"][0]
    assert clip_grad_value(grad, 0.7) is None
    assert grad.__array_interface__["data"][0] == address and grad.dtype == dtype
    np.testing.assert_array_equal(grad, t.grad.numpy())
    assert np.abs(grad).max() <= dtype(0.7)


def test_clip_grad_value_keeps_nan():
    grad = np.array([np.nan, 5.0, -5.0])
    clip_grad_value(grad, 1.0)
    assert np.isnan(grad[0]) and grad[1] == 1.0 and grad[2] == -1.0


@pytest.mark.parametrize("fn", [clip_grad_norm, clip_grad_value])
def test_errors(fn):
    name = "max_norm" if fn is clip_grad_norm else "clip_value"
    for bad in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueError, match=f"{name} must be a finite number > 0"):
            fn(np.ones(3), bad)
    with pytest.raises(ValueError, match="real number"):
        fn(np.ones(3), "1")
    with pytest.raises(ValueError, match="numpy array"):
        fn([1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="float32 or float64"):
        fn(np.ones(3, dtype=np.int64), 1.0)
    ro = np.ones(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        fn(ro, 1.0)
