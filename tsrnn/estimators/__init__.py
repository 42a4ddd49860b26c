"""scikit-learn estimators over recurrent networks."""

from ..io import register_model_class
from .classifier import RNNClassifier
from .regressor import RNNRegressor

register_model_class(RNNRegressor)
register_model_class(RNNClassifier)

__all__ = ["RNNRegressor", "RNNClassifier"]
