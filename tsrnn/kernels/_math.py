"""Scalar gate math, written once and compiled for every target.

The functions here are plain Python stand-ins whose compiled implementations are
chosen per argument type with :func:`numba.extending.overload`:

* float64 uses ``math.tanh`` / ``math.exp`` (exact to the last bit that matters for
  parity with PyTorch at 1e-10);
* float32 uses a rational approximation of tanh (Eigen's ``generic_fast_tanh_float``,
  max error a few float32 ulp). Without SVML, ``math.tanh`` on float32 stays a scalar
  libm call and dominates small-hidden-size cells; the rational form vectorises.

Every float constant is a ``np.float32`` global so float32 code is never silently
promoted to float64. The implementations are inlined into the kernels at Numba-IR
level, and the kernels compile with ``error_model="numpy"``: Python's error model
checks every division for zero, which stops LLVM from vectorising the gate loops.
"""

import math

import numpy as np
from numba import types
from numba.extending import overload

# Eigen's fast tanh coefficients (odd numerator, even denominator).
_F32_CLAMP = np.float32(7.99881172180175781)
_A1 = np.float32(4.89352455891786e-03)
_A3 = np.float32(6.37261928875436e-04)
_A5 = np.float32(1.48572235717979e-05)
_A7 = np.float32(5.12229709037114e-08)
_A9 = np.float32(-8.60467152213735e-11)
_A11 = np.float32(2.00018790482477e-13)
_A13 = np.float32(-2.76076847742355e-16)
_B0 = np.float32(4.89352518554385e-03)
_B2 = np.float32(2.26843463243900e-03)
_B4 = np.float32(1.18534705686654e-04)
_B6 = np.float32(1.19825839466702e-06)
_HALF32 = np.float32(0.5)
_ONE32 = np.float32(1.0)
_ZERO32 = np.float32(0.0)


def tanh(x):
    """Hyperbolic tangent of one scalar (float32: vectorisable approximation)."""
    return math.tanh(x)


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)) of one scalar."""
    return 1.0 / (1.0 + math.exp(-x))


def relu(x):
    """max(x, 0) of one scalar, in x's dtype; NaN stays NaN."""
    return 0.0 * x if x <= 0 else x


@overload(tanh, inline="always")
def _tanh_impl(x):
    if x == types.float32:

        def impl(x):
            xc = min(max(x, -_F32_CLAMP), _F32_CLAMP)
            x2 = xc * xc
            p = x2 * _A13 + _A11
            p = x2 * p + _A9
            p = x2 * p + _A7
            p = x2 * p + _A5
            p = x2 * p + _A3
            p = x2 * p + _A1
            p = xc * p
            q = x2 * _B6 + _B4
            q = x2 * q + _B2
            q = x2 * q + _B0
            return p / q

        return impl
    if isinstance(x, types.Float):

        def impl(x):
            return math.tanh(x)

        return impl
    return None


@overload(sigmoid, inline="always")
def _sigmoid_impl(x):
    if x == types.float32:

        def impl(x):
            # sigma(x) = (1 + tanh(x/2)) / 2 reuses the vectorised tanh.
            return _HALF32 + _HALF32 * tanh(_HALF32 * x)

        return impl
    if isinstance(x, types.Float):

        def impl(x):
            return 1.0 / (1.0 + math.exp(-x))

        return impl
    return None


@overload(relu, inline="always")
def _relu_impl(x):
    # NaN stays NaN (as in PyTorch): "x if x > 0 else 0" turned an overflowed state into
    # 0, and a network that had blown up went on to predict finite numbers
    if x == types.float32:

        def impl(x):
            return _ZERO32 if x <= _ZERO32 else x

        return impl
    if isinstance(x, types.Float):

        def impl(x):
            return 0.0 if x <= 0.0 else x

        return impl
    return None
