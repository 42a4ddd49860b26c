"""Learning-rate schedules, stepped once per epoch.

A schedule owns the learning rate; the fit loop copies it into the optimizer::

    >>> from tsrnn.nn import get_optimizer
    >>> opt = get_optimizer("sgd", lr=1.0)
    >>> sched = get_schedule("cosine", base_lr=1e-2, T_max=4)
    >>> opt.lr = sched.lr                       # lr of epoch 0 (= base_lr)
    >>> for epoch in range(2):
    ...     val_loss = 1.0                      # (one epoch of training here)
    ...     opt.lr = sched.step(val_loss)       # lr of the next epoch
    >>> round(opt.lr, 6)
    0.005

The learning rates match ``torch.optim.lr_scheduler`` (``StepLR``,
``CosineAnnealingLR`` in closed form, ``ReduceLROnPlateau``) when
``scheduler.step()`` is called at the end of each epoch.

``state_dict()`` holds the mutable state (epoch counter, current lr and the
plateau bookkeeping) as plain Python numbers; hyperparameters come from the
constructor.
"""

from __future__ import annotations

import inspect
import math
import numbers

from ._checks import check_kwargs
from ._checks import check_number as _check_number

__all__ = [
    "Schedule",
    "ConstantSchedule",
    "StepSchedule",
    "CosineSchedule",
    "ReduceOnPlateauSchedule",
    "SCHEDULES",
    "get_schedule",
]


def _check_int(value, name, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    value = int(value)
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}.")
    return value


def _check_option(value, name, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"Unknown {name} {value!r}; valid values are {sorted(options)}.")
    return value


class Schedule:
    """Base class of the learning-rate schedules.

    Attributes
    ----------
    base_lr : float
        Learning rate of epoch 0.
    lr : float
        Current learning rate (of epoch ``epoch``).
    epoch : int
        Number of :meth:`step` calls so far.
    """

    name = None
    _state_keys = ("epoch", "lr")

    def __init__(self, base_lr):
        self.base_lr = _check_number(base_lr, "base_lr", low=0.0)
        self.reset()

    def reset(self):
        """Return to epoch 0 (``lr = base_lr``)."""
        self.epoch = 0
        self.lr = self.base_lr

    def step(self, metric=None):
        """Advance one epoch.

        Parameters
        ----------
        metric : float, default=None
            Validation metric of the epoch just finished; required by
            ``"reduce_on_plateau"``, ignored by the other schedules.

        Returns
        -------
        lr : float
            Learning rate for the next epoch.
        """
        self.epoch += 1
        self.lr = float(self._lr_at(self.epoch))
        return self.lr

    def _lr_at(self, epoch):  # pragma: no cover
        raise NotImplementedError

    def state_dict(self):
        """Return the mutable state as a dict of Python numbers."""
        return {key: getattr(self, key) for key in self._state_keys}

    def load_state_dict(self, state):
        """Restore a state produced by :meth:`state_dict`."""
        if not isinstance(state, dict):
            raise ValueError(f"state must be a dict, got {type(state).__name__}.")
        keys = set(self._state_keys)
        if set(state) != keys:
            raise ValueError(
                f"{type(self).__name__} state has keys {sorted(state)}, "
                f"expected {sorted(keys)}."
            )
        values = {}
        for key in self._state_keys:
            values[key] = self._check_state_value(key, state[key])
        for key, value in values.items():
            setattr(self, key, value)

    def _check_state_value(self, key, value):
        if hasattr(value, "item"):  # numpy scalar or 0-d array
            value = value.item()
        if key in ("epoch", "num_bad_epochs", "cooldown_counter"):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return _check_int(value, key, 0)
        if key == "best":
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"best must be a real number, got {value!r}.")
            return float(value)
        return _check_number(value, key, low=0.0)

    def get_params(self):
        """Hyperparameters as passed to the constructor (a dict)."""
        params = inspect.signature(type(self).__init__).parameters
        return {p: getattr(self, p) for p in params if p != "self"}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


class ConstantSchedule(Schedule):
    """Keep the learning rate at ``base_lr``.

    Parameters
    ----------
    base_lr : float
        Learning rate, >= 0.
    """

    name = "constant"

    def __init__(self, base_lr):
        super().__init__(base_lr)

    def _lr_at(self, epoch):
        return self.base_lr


class StepSchedule(Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    ``lr(epoch) = base_lr * gamma ** (epoch // step_size)``, as
    ``torch.optim.lr_scheduler.StepLR``.

    Parameters
    ----------
    base_lr : float
        Learning rate of epoch 0, >= 0.
    step_size : int
        Period of the decay in epochs, >= 1.
    gamma : float, default=0.1
        Multiplicative decay factor, >= 0.
    """

    name = "step"

    def __init__(self, base_lr, step_size, gamma=0.1):
        self.step_size = _check_int(step_size, "step_size", 1)
        self.gamma = _check_number(gamma, "gamma", low=0.0)
        super().__init__(base_lr)

    def _lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineSchedule(Schedule):
    """Cosine annealing from ``base_lr`` to ``eta_min`` over ``T_max`` epochs.

    ``lr(epoch) = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``,
    the closed form of ``torch.optim.lr_scheduler.CosineAnnealingLR`` (past
    ``T_max`` the cosine continues, rising back towards ``base_lr``).

    Parameters
    ----------
    base_lr : float
        Learning rate of epoch 0, >= 0.
    T_max : int
        Half-period in epochs, >= 1.
    eta_min : float, default=0.0
        Smallest learning rate, >= 0.
    """

    name = "cosine"

    def __init__(self, base_lr, T_max, eta_min=0.0):
        self.T_max = _check_int(T_max, "T_max", 1)
        self.eta_min = _check_number(eta_min, "eta_min", low=0.0)
        super().__init__(base_lr)

    def _lr_at(self, epoch):
        return (
            self.eta_min
            + (self.base_lr - self.eta_min)
            * (1 + math.cos(math.pi * epoch / self.T_max))
            / 2
        )


class ReduceOnPlateauSchedule(Schedule):
    """Reduce the learning rate when a metric stops improving.

    As ``torch.optim.lr_scheduler.ReduceLROnPlateau``: an epoch is *better*
    when the metric beats the best so far by more than ``threshold`` (relative
    or absolute); after more than ``patience`` epochs that are not better, the
    rate becomes ``max(lr * factor, min_lr)`` (skipped if that changes it by
    ``eps`` or less) and ``cooldown`` epochs follow during which bad epochs are
    not counted.  A NaN metric counts as a bad epoch.

    Parameters
    ----------
    base_lr : float
        Initial learning rate, >= 0.
    mode : {"min", "max"}, default="min"
        Whether the metric should decrease (a loss) or increase (a score).
    factor : float, default=0.1
        Multiplicative decay, in [0, 1).
    patience : int, default=10
        Number of non-improving epochs tolerated, >= 0.
    threshold : float, default=1e-4
        Least improvement that counts, >= 0.
    threshold_mode : {"rel", "abs"}, default="rel"
        ``"rel"``: better means ``metric < best * (1 - threshold)`` (min mode);
        ``"abs"``: ``metric < best - threshold``.
    cooldown : int, default=0
        Epochs to wait after a reduction before counting bad epochs again.
    min_lr : float, default=0.0
        Lower bound on the learning rate, >= 0.
    eps : float, default=1e-8
        Smallest change of the rate that is applied, >= 0.
    """

    name = "reduce_on_plateau"
    _state_keys = ("epoch", "lr", "best", "num_bad_epochs", "cooldown_counter")
    _MODES = ("min", "max")
    _THRESHOLD_MODES = ("rel", "abs")

    def __init__(self, base_lr, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        self.mode = _check_option(mode, "mode", self._MODES)
        self.factor = _check_number(factor, "factor", low=0.0, high=1.0,
                                    high_inclusive=False)
        self.patience = _check_int(patience, "patience", 0)
        self.threshold = _check_number(threshold, "threshold", low=0.0)
        self.threshold_mode = _check_option(threshold_mode, "threshold_mode",
                                            self._THRESHOLD_MODES)
        self.cooldown = _check_int(cooldown, "cooldown", 0)
        self.min_lr = _check_number(min_lr, "min_lr", low=0.0)
        self.eps = _check_number(eps, "eps", low=0.0)
        super().__init__(base_lr)

    def reset(self):
        super().reset()
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def _is_better(self, a, best):
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return a < best * (1.0 - self.threshold)
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metric=None):
        """Advance one epoch given the epoch's validation metric.

        Parameters
        ----------
        metric : float
            Metric of the epoch just finished (required).

        Returns
        -------
        lr : float
            Learning rate for the next epoch.
        """
        if metric is None:
            raise ValueError(
                "the 'reduce_on_plateau' schedule needs the epoch's metric: "
                "call step(metric)."
            )
        if hasattr(metric, "item"):
            metric = metric.item()
        if isinstance(metric, bool) or not isinstance(metric, numbers.Real):
            raise ValueError(f"metric must be a real number, got {metric!r}.")
        current = float(metric)
        self.epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            old_lr = self.lr
            new_lr = max(old_lr * self.factor, self.min_lr)
            if old_lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        return self.lr


SCHEDULES = {
    "constant": ConstantSchedule,
    "step": StepSchedule,
    "cosine": CosineSchedule,
    "reduce_on_plateau": ReduceOnPlateauSchedule,
}
"""Schedule classes keyed by the names accepted by :func:`get_schedule`."""


def get_schedule(name, base_lr, **kwargs):
    """Build a learning-rate schedule by name.

    Parameters
    ----------
    name : str
        One of the keys of :data:`SCHEDULES`: ``"constant"``, ``"step"``
        (``step_size``, ``gamma``), ``"cosine"`` (``T_max``, ``eta_min``),
        ``"reduce_on_plateau"`` (``mode``, ``factor``, ``patience``,
        ``threshold``, ``threshold_mode``, ``cooldown``, ``min_lr``, ``eps``).
    base_lr : float
        Learning rate of epoch 0.
    **kwargs
        Hyperparameters of that schedule.

    Returns
    -------
    schedule : Schedule

    Raises
    ------
    ValueError
        If ``name`` is not a known schedule or a hyperparameter is invalid.
    TypeError
        If a keyword argument is not a parameter of that schedule, or a
        required one is missing.
    """
    if not isinstance(name, str) or name not in SCHEDULES:
        raise ValueError(
            f"Unknown schedule {name!r}; valid schedules are {sorted(SCHEDULES)}."
        )
    cls = SCHEDULES[name]
    sig = inspect.signature(cls.__init__).parameters
    params = check_kwargs(cls, kwargs, "schedule", name, skip=("self", "base_lr"))
    missing = [
        p for p in params
        if sig[p].default is inspect.Parameter.empty and p not in kwargs
    ]
    if missing:
        raise TypeError(f"schedule {name!r} requires parameter(s) {missing}.")
    return cls(base_lr, **kwargs)
