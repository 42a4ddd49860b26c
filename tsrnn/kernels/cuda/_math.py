"""Gate math for the CUDA kernels: the formulas of :mod:`tsrnn.kernels._math`, as
``cuda.jit(device=True, inline=True)`` functions.

Why not the overloads in ``kernels/_math.py`` directly: their float64 versions do
compile for the CUDA target, but the float32 ``tanh`` clamps with the builtins
``min(max(x, -c), c)``, and numba 0.68's CUDA target fails to compile the builtin
``min``/``max`` ("Signature mismatch: 2 argument types given, but function takes 1
arguments", checked with ``cuda.compile_ptx`` for sm_80; the CUDA kernels here avoid
them everywhere). Changing the CPU file would
risk the CPU kernels' bit-for-bit results, so the same formulas are written here once
more, with the SAME coefficients (imported, not copied) and a conditional clamp, which
gives the same values. float32 kernels get the ``*32`` functions (Eigen's rational
tanh, sigmoid through tanh), float64 kernels the ``*64`` ones (libdevice tanh/exp),
matching the CPU kernels' choice per dtype.
"""

import math

import numpy as np
from numba import cuda

from .._math import (
    _A1, _A3, _A5, _A7, _A9, _A11, _A13, _B0, _B2, _B4, _B6, _F32_CLAMP, _HALF32, _ZERO32,
)

_NEG_CLAMP = np.float32(-_F32_CLAMP)


@cuda.jit(device=True, inline=True)
def tanh32(x):
    xc = x
    if xc > _F32_CLAMP:
        xc = _F32_CLAMP
    if xc < _NEG_CLAMP:
        xc = _NEG_CLAMP
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


@cuda.jit(device=True, inline=True)
def sigmoid32(x):
    return _HALF32 + _HALF32 * tanh32(_HALF32 * x)


@cuda.jit(device=True, inline=True)
def relu32(x):
    return _ZERO32 if x <= _ZERO32 else x  # NaN stays NaN, as on the CPU


@cuda.jit(device=True, inline=True)
def tanh64(x):
    return math.tanh(x)


@cuda.jit(device=True, inline=True)
def sigmoid64(x):
    return 1.0 / (1.0 + math.exp(-x))


@cuda.jit(device=True, inline=True)
def relu64(x):
    return 0.0 if x <= 0.0 else x


def gate_math(dtype):
    """``(tanh, sigmoid, relu)`` device functions for a float dtype."""
    if np.dtype(dtype) == np.float32:
        return tanh32, sigmoid32, relu32
    return tanh64, sigmoid64, relu64
