"""Forecasting on long-format pandas frames: :class:`RNNForecaster`."""

from ..io import register_model_class
from .forecaster import STRATEGIES, RNNForecaster

register_model_class(RNNForecaster)

__all__ = ["RNNForecaster", "STRATEGIES"]
