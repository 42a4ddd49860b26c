"""tsrnn: Numba-compiled recurrent networks (RNN, LSTM, GRU) for time series."""

__version__ = "0.1.0"

__all__ = ["__version__"]
