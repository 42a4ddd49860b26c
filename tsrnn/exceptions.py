"""Exceptions raised by tsrnn."""


class TrainingDivergedError(FloatingPointError):
    """The training loss or gradient became NaN or infinite.

    The estimator keeps the last finite weights (it stays usable) and the message says
    where training stopped and what to change.
    """


class DeviceUnavailableError(RuntimeError, ValueError):
    """``device="cuda"`` was asked for but no usable GPU is there; the message says why.

    A RuntimeError (the environment lacks something) and a ValueError (estimators raise
    ValueError for parameters they cannot honour in ``fit``).
    """


class DataScaleWarning(UserWarning):
    """Inputs far from unit scale: recurrent cells saturate and learn little.

    Issued by the estimators' ``fit`` when a feature of X has a root mean square above
    10 (a level or a spread far from unit scale; a few outliers of standardised data do
    not count); standardise X (the forecaster scales its windows itself and never warns).
    """


# Defined next to the memory checks (tsrnn._memory, which every room imports); public here.
from ._memory import MemoryLimitError  # noqa: E402

__all__ = ["TrainingDivergedError", "DeviceUnavailableError", "DataScaleWarning", "MemoryLimitError"]
