"""CUDA (numba.cuda) kernels: persistent forward/BPTT kernels per cell, tiled GEMMs for
the weight gradients (:mod:`.gemm`), reusable device buffers (:mod:`.workspace`) and the
host-side layer API (:mod:`.layers`) mirroring :mod:`tsrnn.kernels.cpu.layers`.

Code generation (measured on an NVIDIA H200, see ARCHITECTURE.md): the recurrent kernels
are compiled per (dtype, hidden_size, input_size), so their dot products have constant
trip counts, and every loop inside a kernel is a ``while`` loop: numba's ``range``
iterator left about 20 integer instructions around each multiply-add in the PTX, the
``while`` loops about 4.

Nothing here is imported by ``import tsrnn`` or by the CPU code paths: ``Recurrent``
imports :mod:`.layers` only when it runs on ``device="cuda"``. :mod:`.device` (no
numba.cuda import at module level) says whether a GPU is usable and why not.
"""
