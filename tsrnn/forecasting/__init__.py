"""Forecasting on long-format pandas frames: :class:`RNNForecaster`."""

from ..io import register_model_class
from .calendar import CALENDAR_FEATURES, CalendarFeatures, calendar_feature_names, calendar_features
from .forecaster import STRATEGIES, RNNForecaster

register_model_class(RNNForecaster)

__all__ = ["RNNForecaster", "STRATEGIES", "calendar_features", "calendar_feature_names", "CalendarFeatures",
           "CALENDAR_FEATURES"]
