"""CUDA (numba.cuda) kernels: persistent forward/BPTT kernels per cell, tiled GEMMs for
the weight gradients, and the host-side layer API (:mod:`.layers`) mirroring
:mod:`tsrnn.kernels.cpu.layers`.

Nothing here is imported by ``import tsrnn`` or by the CPU code paths: ``Recurrent``
imports :mod:`.layers` only when it runs on ``device="cuda"``. :mod:`.device` (no
numba.cuda import at module level) says whether a GPU is usable and why not.
"""
