"""Forecasting on long-format pandas frames: :class:`RNNForecaster`."""

from .forecaster import STRATEGIES, RNNForecaster

__all__ = ["RNNForecaster", "STRATEGIES"]
