"""Recurrent.forward / backward on generated inputs: shapes, dtypes, NaN/inf, huge values,
lengths and initial states. Every case works (finite outputs of the right shapes) or raises
a clean ValueError / TypeError; huge finite inputs saturate the gates instead of overflowing."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hardening._support import HARDENING, assert_clean_message, assert_finite
from tsrnn.nn import Recurrent

H = 3
NETS = {}


def net(cell, dtype, layers):
    key = (cell, dtype, layers)
    if key not in NETS:
        NETS[key] = Recurrent(cell, 2, H, num_layers=layers, dtype=dtype, random_state=0)
    return NETS[key]


def huge(dtype):
    return float(np.finfo(dtype).max) if np.dtype(dtype).kind == "f" else 1e300


@st.composite
def inputs(draw):
    cell = draw(st.sampled_from(["rnn", "lstm", "gru"]))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    layers = draw(st.sampled_from([1, 2]))
    hostile = draw(st.booleans())  # half the cases are valid, so the "works" branch is exercised
    B = draw(st.integers(0 if hostile else 1, 4))
    T = draw(st.integers(0 if hostile else 1, 5))
    F = draw(st.sampled_from([2, 1, 3])) if hostile else 2
    x_dtype = dtype
    if hostile:
        x_dtype = draw(st.sampled_from([dtype, "float16", "int64", "bool", "complex64", "other float"]))
    if x_dtype == "other float":
        x_dtype = "float64" if dtype == "float32" else "float32"
    big = huge(x_dtype) if np.dtype(x_dtype).kind == "f" else 1e30
    specials = [big, -big, 1e30, -1e30, 0.0] + ([np.nan, np.inf, -np.inf] if hostile else [])
    elements = st.one_of(st.floats(-3, 3, width=32), st.sampled_from(specials))
    X = draw(hnp.arrays(np.float64, (B, T, F), elements=elements))
    with np.errstate(all="ignore"):
        if x_dtype == "bool":
            X = np.nan_to_num(X) > 0
        elif x_dtype == "int64":
            X = np.clip(np.nan_to_num(X), -1e9, 1e9).astype(np.int64)
        else:
            X = X.astype(x_dtype)
    kind = draw(st.sampled_from(["none", "ints", "floats", "wrong"] if hostile else ["none", "valid"]))
    if kind == "none":
        lengths = None
    elif kind == "valid":
        lengths = np.array(draw(st.lists(st.integers(1, T), min_size=B, max_size=B)), dtype=np.int64)
    elif kind == "ints":
        lengths = np.array(draw(st.lists(st.integers(-1, T + 1), min_size=B, max_size=B)), dtype=np.int64)
    elif kind == "floats":
        lengths = np.array(draw(st.lists(st.sampled_from([1.0, 1.5, float(max(T, 1)), np.nan]), min_size=B, max_size=B)))
    else:
        lengths = np.ones(B + 1, dtype=np.int64)
    list_input = draw(st.booleans()) and B > 0 and x_dtype == dtype
    return cell, dtype, layers, (X.tolist() if list_input else X), lengths


@HARDENING
@given(case=inputs(), data=st.data())
def test_forward_backward_work_or_refuse_cleanly(case, data, cases):
    cases["recurrent forward/backward"] += 1
    cell, dtype, layers, X, lengths = case
    rnn = net(cell, dtype, layers)
    try:
        Y, state = rnn.forward(X, lengths=lengths)
    except (ValueError, TypeError) as exc:
        assert_clean_message(exc)
        return
    cases["recurrent forward/backward (worked)"] += 1
    X = np.asarray(X)
    B, T = X.shape[:2]
    assert Y.shape == (B, T, H) and Y.dtype == rnn.dtype
    assert_finite(Y, "Y")
    for s in (state if cell == "lstm" else (state,)):
        assert s.shape == (layers, B, H)
        assert_finite(s, "final state")
    dY = data.draw(hnp.arrays(rnn.dtype, (B, T, H), elements=st.floats(-2, 2, width=32)))
    dX, dh0 = rnn.backward(dY)
    assert dX.shape == X.shape
    assert_finite(dX, "dX")
    assert_finite(rnn.flat_grad, "weight gradients")
    with pytest.raises(ValueError, match="NaN or infinite"):
        rnn.backward(np.full_like(dY, np.nan))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_huge_inputs_saturate_the_gates(cell, dtype):
    """Huge inputs saturate the gates (finite, bounded outputs); inputs so close to the
    dtype's limit that the pre-activations would overflow (inf - inf = NaN) are refused."""
    rnn = Recurrent(cell, 2, 4, dtype=dtype, random_state=0)
    big = np.finfo(dtype).max
    X = np.array([[[1, -1], [1, 1], [-1, 0]]], dtype=dtype) * big * 1e-6
    Y, state = rnn.forward(X)
    assert_finite(Y)
    assert np.abs(Y).max() <= 1 + 1e-6
    dX, _ = rnn.backward(np.ones_like(Y))
    assert_finite(dX, "dX")
    assert_finite(rnn.flat_grad, "gradients")
    with pytest.raises(ValueError, match="too large for .* arithmetic") as info:
        rnn.forward(np.array([[[big, -big]]], dtype=dtype))
    assert_clean_message(info.value)


def test_bad_initial_states_are_refused():
    rnn = Recurrent("lstm", 2, H, random_state=0)
    X = np.zeros((2, 3, 2), np.float32)
    for h0, err in [(np.zeros((1, 2, H), np.float32), TypeError), ((np.zeros((1, 3, H), np.float32), None), ValueError),
                    ((np.full((1, 2, H), np.nan, np.float32), None), ValueError), (("a", "b"), TypeError)]:
        with pytest.raises(err) as info:
            rnn.forward(X, h0)
        assert_clean_message(info.value)
