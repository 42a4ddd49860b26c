"""Memory checks before allocations that scale with user input.

A request whose arrays cannot fit in memory (a huge batch, window or forecast count, a
model file that declares enormous arrays) fails at once with :class:`MemoryLimitError`
naming the request and the estimate, instead of thrashing or an out-of-memory kill.

Requests below :data:`SMALL` bytes never read the system's memory figures, so the check
costs a few integer operations on the usual paths (one-sample predict, small batches).
"""

import os

SMALL = 64 * 2**20  # requests below this are never checked against the system
FRACTION = 0.9  # of the available memory that one request may take


class MemoryLimitError(MemoryError, ValueError):
    """A requested allocation would not fit in the available memory.

    Subclasses both :class:`MemoryError` and :class:`ValueError` (it is a bad request,
    reported before anything is allocated): sklearn-style callers and the CLI (exit
    code 2) treat it as invalid input.
    """


def _meminfo_available():
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_available():
    """Room left under a cgroup memory limit (v2, then v1), or None without a limit."""
    for limit_path, usage_path in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            with open(limit_path) as f:
                text = f.read().strip()
            if text == "max":
                return None
            limit = int(text)
            if limit >= 2**60:  # "no limit" in cgroup v1
                return None
            with open(usage_path) as f:
                usage = int(f.read().strip())
            return max(0, limit - usage)
        except (OSError, ValueError):
            continue
    return None


def _rlimit_available():
    """Room left under this process's address-space limit (``ulimit -v``), or None."""
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmSize:"):
                    return max(0, limit - int(line.split()[1]) * 1024)
    except (ImportError, OSError, ValueError, IndexError):
        pass
    return None


def available_memory():
    """Bytes of memory available to this process now (best estimate), or None if unknown."""
    candidates = [_meminfo_available(), _cgroup_available(), _rlimit_available()]
    if candidates[0] is None:
        try:
            candidates[0] = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            pass
    known = [c for c in candidates if c is not None]  # the tightest limit wins
    return min(known) if known else None


def _fmt(nbytes):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(nbytes) < 1024 or unit == "PiB":
            return f"{nbytes:.0f} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.1f} PiB"  # pragma: no cover


def check_allocation(nbytes, what, hint=None):
    """Raise :class:`MemoryLimitError` when ``nbytes`` cannot fit in available memory.

    Parameters
    ----------
    nbytes : int or float
        Estimated size of the request (Python ints: no overflow for huge shapes).
    what : str
        The request in the user's terms, e.g. ``"a training batch of 10**9 windows"``.
    hint : str, optional
        What to change, appended to the message.
    """
    if nbytes < SMALL:
        return
    available = available_memory()
    if available is None or nbytes <= FRACTION * available:
        return
    raise MemoryLimitError(
        f"{what} needs about {_fmt(nbytes)} of memory, but only {_fmt(available)} is available"
        + (f"; {hint}" if hint else "")
    )


def nbytes_of(shape, itemsize):
    """Bytes of an array of ``shape`` (exact Python integer arithmetic)."""
    n = int(itemsize)
    for s in shape:
        n *= int(s)
    return n


def check_parameters(n_params, dtype, what):
    """Check that a network of ``n_params`` weights fits: parameters, gradients, the
    model's flat copies and the optimizer state (about 8 arrays of that size)."""
    import numpy as np

    check_allocation(8 * int(n_params) * np.dtype(dtype).itemsize, f"{what} with {int(n_params)} parameters",
                     "use a smaller network (hidden_size, num_layers, input features or vocabulary)")
