"""Argument checks shared by losses, optimizers and schedules."""

import inspect
import math
import numbers


def check_number(value, name, low=None, low_inclusive=True, high=None, high_inclusive=True):
    """Validate a real scalar hyperparameter; return it as a Python float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}, got {value!r}.")
    if high is not None and (value > high or (value == high and not high_inclusive)):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"{name} must be {op} {high}, got {value!r}.")
    return value


def check_kwargs(cls, kwargs, kind, name, skip=("self",)):
    """TypeError naming unknown keyword arguments of ``cls.__init__``; returns the parameter names."""
    params = [p for p in inspect.signature(cls.__init__).parameters if p not in skip]
    unknown = sorted(set(kwargs) - set(params))
    if unknown:
        raise TypeError(f"{kind} {name!r} got unexpected parameter(s) {unknown}; valid parameters are {params}.")
    return params


def from_registry(registry, base, name, kwargs, kind, plural):
    """Instance of ``registry[name](**kwargs)``; an instance of ``base`` passes through.

    ValueError for an unknown name (listing the known ones), TypeError for unknown
    keyword arguments or keyword arguments given with an instance.
    """
    if isinstance(name, base):
        if kwargs:
            raise TypeError(f"get_{kind} got a {base.__name__} instance and extra parameters.")
        return name
    if not isinstance(name, str) or name not in registry:
        raise ValueError(f"Unknown {kind} {name!r}; valid {plural} are {sorted(registry)}.")
    cls = registry[name]
    check_kwargs(cls, kwargs, kind, name)
    return cls(**kwargs)
