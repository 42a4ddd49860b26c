"""Parity with PyTorch on identical weights (via from_torch): outputs, final states and
every gradient, float64 to 1e-10 and float32 to 1e-5 relative."""

import numpy as np
import pytest

from tsrnn.nn import from_torch

torch = pytest.importorskip("torch")

CASES = [("LSTM", {}), ("GRU", {}), ("RNN", {"nonlinearity": "tanh"}), ("RNN", {"nonlinearity": "relu"})]
TOL = {"float64": 1e-10, "float32": 1e-5}


def _rel(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30)


def _torch_run(module, X, h0, c0, lengths, dY, dhn, dcn):
    packed = torch.nn.utils.rnn.pack_padded_sequence(X, lengths, batch_first=True, enforce_sorted=False)
    hx = (h0, c0) if isinstance(module, torch.nn.LSTM) else h0
    out, hn = module(packed, hx)
    Y, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=X.shape[1])
    if isinstance(module, torch.nn.LSTM):
        loss = (Y * dY).sum() + (hn[0] * dhn).sum() + (hn[1] * dcn).sum()
    else:
        loss = (Y * dY).sum() + (hn * dhn).sum()
    loss.backward()
    return Y.detach().numpy(), hn


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind,kwargs", CASES)
@pytest.mark.parametrize("num_layers", [1, 2])
def test_matches_torch(kind, kwargs, dtype, num_layers):
    torch.manual_seed(0)
    tdt = getattr(torch, dtype)
    B, T, I, H = 6, 9, 3, 5
    module = getattr(torch.nn, kind)(I, H, num_layers=num_layers, batch_first=True, **kwargs).to(tdt)
    net = from_torch(module)
    assert net.dtype == np.dtype(dtype)
    X = torch.randn(B, T, I, dtype=tdt, requires_grad=True)
    h0 = torch.randn(num_layers, B, H, dtype=tdt, requires_grad=True)
    c0 = torch.randn(num_layers, B, H, dtype=tdt, requires_grad=True)
    lengths = [9, 4, 1, 9, 7, 2]
    dY = torch.randn(B, T, H, dtype=tdt)
    dhn, dcn = torch.randn(num_layers, B, H, dtype=tdt), torch.randn(num_layers, B, H, dtype=tdt)
    Y_ref, hn_ref = _torch_run(module, X, h0, c0, lengths, dY, dhn, dcn)

    lstm = kind == "LSTM"
    state = (h0.detach().numpy(), c0.detach().numpy()) if lstm else h0.detach().numpy()
    Y, hn = net.forward(X.detach().numpy(), state, lengths=lengths)
    dX, dstate = net.backward(dY.numpy(), (dhn.numpy(), dcn.numpy()) if lstm else dhn.numpy())

    tol = TOL[dtype]
    assert Y.dtype == np.dtype(dtype) and dX.dtype == np.dtype(dtype)
    assert _rel(Y, Y_ref) <= tol
    assert _rel(dX, X.grad.numpy()) <= tol
    if lstm:
        assert _rel(hn[0], hn_ref[0].detach().numpy()) <= tol
        assert _rel(hn[1], hn_ref[1].detach().numpy()) <= tol
        assert _rel(dstate[0], h0.grad.numpy()) <= tol
        assert _rel(dstate[1], c0.grad.numpy()) <= tol
    else:
        assert _rel(hn, hn_ref.detach().numpy()) <= tol
        assert _rel(dstate, h0.grad.numpy()) <= tol
    for name, p in module.named_parameters():
        assert _rel(net.grads[name], p.grad.numpy()) <= tol, name
    # the flat gradient is the same memory as the named views
    assert np.shares_memory(net.grads["weight_hh_l0"], net.flat_grad)


def test_from_torch_without_bias_and_state_dict_round_trip():
    torch.manual_seed(1)
    module = torch.nn.GRU(2, 3, bias=False, batch_first=True).double()
    net = from_torch(module)
    assert np.all(net.weights["bias_ih_l0"] == 0)
    X = torch.randn(2, 4, 2, dtype=torch.float64)
    np.testing.assert_allclose(net.forward(X.numpy())[0], module(X)[0].detach().numpy(), rtol=1e-12, atol=1e-14)
    sd = net.state_dict()
    sd["weight_hh_l0"] += 1.0
    net.load_state_dict(sd)
    assert np.array_equal(net.weights["weight_hh_l0"], sd["weight_hh_l0"])


def test_from_torch_rejects_unsupported_modules():
    with pytest.raises(ValueError, match="bidirectional"):
        from_torch(torch.nn.LSTM(2, 3, bidirectional=True))
    with pytest.raises(ValueError, match="proj_size"):
        from_torch(torch.nn.LSTM(2, 3, proj_size=2))
    with pytest.raises(TypeError, match="RNN, LSTM or GRU"):
        from_torch(torch.nn.Linear(2, 3))


def test_from_torch_half_precision_modules_need_a_dtype():
    for half in (torch.float16, torch.bfloat16):  # bfloat16 has no NumPy dtype: it raised torch's TypeError
        module = torch.nn.GRU(2, 3).to(half)
        name = str(half).removeprefix("torch.")
        with pytest.raises(ValueError, match=f"dtype='{name}' is not supported; choose 'float32' or 'float64'"):
            from_torch(module)
        net = from_torch(module, dtype="float32")
        assert np.array_equal(net.weights["weight_hh_l0"], module.weight_hh_l0.detach().float().numpy())
