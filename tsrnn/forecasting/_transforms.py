"""Target transforms applied before windowing and inverted on the forecasts."""

import numpy as np

TARGET_TRANSFORMS = (None, "log", "log1p")


def _check_log(y, name, low):
    if (y <= low).any():
        raise ValueError(f"target_transform={name!r} needs y > {low}; the target has values down to {float(np.min(y)):g}")


LIMIT = 1e300  # forecasts are loc + scale * (network output): stay far from float64 overflow


def _check_range(y):
    y = np.asarray(y, dtype=np.float64)
    if y.size and np.abs(y).max() > LIMIT:
        raise ValueError(
            f"the target has values too large to forecast (largest |y| {np.abs(y).max():.3g} > {LIMIT:g}); "
            "rescale it, e.g. divide it by a constant"
        )
    return y


def forward(y, name):
    """Transform the target ``y`` (ndarray) with ``name``."""
    if name is None:
        return _check_range(y)
    if name == "log":
        _check_log(y, name, 0)
        return np.log(y)
    if name == "log1p":
        _check_log(y, name, -1)
        return np.log1p(y)
    raise ValueError(f"target_transform={name!r} is not supported; choose one of {list(TARGET_TRANSFORMS)}")


def inverse(z, name):
    """Invert :func:`forward`."""
    if name is None:
        return np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore"):
        if name == "log":
            return np.exp(z)
        if name == "log1p":
            return np.expm1(z)
    raise ValueError(f"target_transform={name!r} is not supported; choose one of {list(TARGET_TRANSFORMS)}")
