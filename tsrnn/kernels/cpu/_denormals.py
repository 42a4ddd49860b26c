"""Flush subnormal floats to zero while tsrnn's kernels run (x86 FTZ and DAZ).

Training can drift into subnormal values (below 1.2e-38 in float32): gradients of
saturated units, products of tiny weights. x86 cores handle each one in microcode,
~100 times slower than a normal float, and the GEMMs and kernels that meet them slow
down accordingly: a 2 x 128 RNN on airline trained in 2.8 s instead of 1.3 s on one
trajectory and not on another (2026-12-07). Flushing them to zero changes nothing at
normal magnitudes.

The setting lives in each thread's MXCSR register. :class:`flushed_denormals` sets it
for the calling thread and restores the caller's value after. ``nn.Recurrent`` enters
it around its CPU forward and backward passes only (the recurrence kernels and the
weight-gradient GEMMs), so the data side, the loss, the optimizer and the user's own
code keep IEEE subnormals; ``layers._run_tasks`` gives its pool threads the caller's
setting for each batch of tasks (results stay the same whatever thread ran a chunk).
A thread started inside the block inherits the setting: Numba's threading layer is
therefore started before the first block, and the only threads started inside are
those of tsrnn's own pool, which take the caller's setting for every call. On other
architectures, and with ``NUMBA_DISABLE_JIT``, these are no-ops.
"""

import platform

import numba
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

FLUSH_BITS = 0x8040  # MXCSR: flush-to-zero (bit 15) and denormals-are-zero (bit 6)
X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686", "x86")
_threads_started = False


def _mxcsr_call(builder, name, pointer):
    fnty = ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer()])
    builder.call(builder.module.declare_intrinsic(name, fnty=fnty),
                 [builder.bitcast(pointer, ir.IntType(8).as_pointer())])


@intrinsic
def _read_mxcsr(typingctx):
    def codegen(context, builder, signature, args):
        slot = builder.alloca(ir.IntType(32))
        _mxcsr_call(builder, "llvm.x86.sse.stmxcsr", slot)
        return builder.load(slot)

    return types.uint32(), codegen


@intrinsic
def _write_mxcsr(typingctx, value):
    if not isinstance(value, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        word = args[0]
        if word.type.width > 32:
            word = builder.trunc(word, ir.IntType(32))
        elif word.type.width < 32:
            word = builder.zext(word, ir.IntType(32))
        slot = builder.alloca(ir.IntType(32))
        builder.store(word, slot)
        _mxcsr_call(builder, "llvm.x86.sse.ldmxcsr", slot)
        return context.get_dummy_value()

    return types.void(value), codegen


@njit(cache=True, nogil=True)
def _get():
    return _read_mxcsr()


@njit(cache=True, nogil=True)
def _set(value):
    _write_mxcsr(value)


def _active():
    return X86 and not numba.config.DISABLE_JIT  # (the intrinsics cannot run as plain Python)


def fp_control():
    """This thread's floating-point control word (0 where there is none to read)."""
    return int(_get()) if _active() else 0


def set_fp_control(value):
    """Set this thread's floating-point control word (as :func:`fp_control` returned it)."""
    if _active():
        _set(value)


class flushed_denormals:
    """Context manager: the calling thread flushes subnormal floats to zero inside the
    block; its previous setting comes back after (nested blocks are fine)."""

    __slots__ = ("_saved",)

    def __enter__(self):
        global _threads_started
        self._saved = FLUSH_BITS
        if not _active():
            return self
        if not _threads_started:  # its workers would inherit the setting for good
            numba.get_num_threads()
            _threads_started = True
        self._saved = int(_get())
        if self._saved & FLUSH_BITS != FLUSH_BITS:
            _set(self._saved | FLUSH_BITS)
        return self

    def __exit__(self, *exc):
        if self._saved & FLUSH_BITS != FLUSH_BITS:
            _set(self._saved)
        return False
