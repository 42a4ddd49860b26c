"""tsrnn: Numba-compiled recurrent networks (RNN, LSTM, GRU) for time series.

The estimators are imported on first use, so ``import tsrnn`` (and ``tsrnn.nn``) stays
cheap: pandas loads when an estimator is touched, scikit-learn only when one of its
tools (clone, Pipeline, GridSearchCV) or the array estimators' input validation runs.
"""

import importlib

__version__ = "0.1.0"

_LAZY = {
    "RNNRegressor": "tsrnn.estimators",
    "RNNClassifier": "tsrnn.estimators",
    "RNNForecaster": "tsrnn.forecasting",
    "RNNLanguageModel": "tsrnn.text",
    "TrainingDivergedError": "tsrnn.exceptions",
    "DataScaleWarning": "tsrnn.exceptions",
}

# Subpackages reachable as attributes (``tsrnn.datasets.load_airline()`` after a plain
# ``import tsrnn``), imported on first use like the classes above.
_SUBMODULES = ("datasets", "distributed", "estimators", "forecasting", "heads", "io", "metrics", "model_selection",
               "nn", "plotting", "text", "windows", "cli")

__all__ = ["__version__", "load", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'tsrnn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))


def load(path):
    """Load a model file written by ``save()`` (any tsrnn estimator, forecaster or language model).

    Model files hold arrays and JSON only and are read with ``allow_pickle=False``: loading
    never runs code from the file. A corrupted, truncated, tampered, foreign or newer-format
    file raises :class:`tsrnn.io.ModelFileError`.
    """
    for module in set(_LAZY.values()):  # register every model class
        importlib.import_module(module)
    from .io import load_model

    return load_model(path)
