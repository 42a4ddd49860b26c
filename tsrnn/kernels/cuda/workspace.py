"""Device buffers reused from call to call (see :class:`Workspace`).

``cuda.device_array`` is a ``cudaMalloc`` and, when the array is collected, a
``cudaFree`` that waits for the GPU; on small batches that costs more than the kernels.
A :class:`Workspace` keeps one buffer per role and hands it out again while the shape
stays the same.
"""

import functools

import numpy as np
from numba import cuda


class Workspace:
    """Device buffers kept between calls, one per role (a string key), reallocated only
    when the shape or dtype asked for changes."""

    def __init__(self):
        self.buffers = {}

    def buffer(self, key, shape, dtype):
        """A device array of ``shape``/``dtype`` for ``key`` (contents undefined)."""
        dtype = np.dtype(dtype)
        held = self.buffers.get(key)
        if held is None or held.shape != tuple(shape) or held.dtype != dtype:
            held = cuda.device_array(shape, dtype)
            self.buffers[key] = held
        return held


def empty(ws, key, shape, dtype):
    """A device array for ``key`` from the workspace ``ws``, or a new one when ``ws`` is None."""
    return cuda.device_array(shape, dtype) if ws is None else ws.buffer(key, shape, dtype)


def upload(a, ws=None, key=None):
    """``a`` on the device: device arrays pass through; a host array is copied into the
    workspace's ``key`` buffer (or a new device array without a workspace)."""
    if not isinstance(a, np.ndarray):  # (numba's simulator has no cuda.is_cuda_array)
        return a
    a = np.ascontiguousarray(a)
    if ws is None:
        return cuda.to_device(a)
    buf = ws.buffer(key, a.shape, a.dtype)
    buf.copy_to_device(a)
    return buf


def zeros(ws, key, shape, dtype):
    """Like :func:`empty`, filled with zeros on the device (nothing crosses the bus)."""
    a = empty(ws, key, shape, dtype)
    flat = a.reshape(a.size)
    threads = 256
    _zero_fill(np.dtype(dtype).name)[max(1, -(-a.size // threads)), threads](flat)
    return a


@functools.lru_cache(maxsize=None)
def _zero_fill(dtype):
    zero = np.dtype(dtype).type(0)

    @cuda.jit
    def fill(a):
        i = cuda.grid(1)
        if i < a.shape[0]:
            a[i] = zero

    return fill
