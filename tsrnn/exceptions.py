"""Exceptions raised by tsrnn."""


class TrainingDivergedError(FloatingPointError):
    """The training loss or gradient became NaN or infinite.

    The estimator keeps the last finite weights (it stays usable) and the message says
    where training stopped and what to change.
    """
