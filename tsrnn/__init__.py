"""tsrnn: Numba-compiled recurrent networks (RNN, LSTM, GRU) for time series."""

__version__ = "0.1.0"

from .estimators import RNNClassifier, RNNRegressor  # noqa: E402
from .exceptions import TrainingDivergedError  # noqa: E402
from .io import load_model as load  # noqa: E402
from .text import RNNLanguageModel  # noqa: E402
from .forecasting import RNNForecaster  # noqa: E402

__all__ = ["__version__", "RNNRegressor", "RNNClassifier", "TrainingDivergedError", "load", "RNNLanguageModel", "RNNForecaster"]
