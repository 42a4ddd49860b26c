"""Forecasting on long-format pandas frames: :class:`RNNForecaster`."""

from ..io import register_model_class
from .calendar import CALENDAR_FEATURES, calendar_feature_names, calendar_features
from .forecaster import STRATEGIES, RNNForecaster

register_model_class(RNNForecaster)

__all__ = ["RNNForecaster", "STRATEGIES", "calendar_features", "calendar_feature_names", "CalendarFeatures",
           "CALENDAR_FEATURES"]


def __getattr__(name):
    # CalendarFeatures subclasses scikit-learn's classes: loaded on first use only.
    if name == "CalendarFeatures":
        from ._calendar_transformer import CalendarFeatures

        return CalendarFeatures
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
