"""scikit-learn estimators over recurrent networks."""

from .classifier import RNNClassifier
from .regressor import RNNRegressor

__all__ = ["RNNRegressor", "RNNClassifier"]
