"""``CalendarFeatures``: :func:`calendar_features` as a scikit-learn transformer.

A module of its own because it subclasses scikit-learn's classes: importing it loads
scikit-learn, which forecasting does not otherwise need.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .calendar import calendar_feature_names, calendar_features


class CalendarFeatures(TransformerMixin, BaseEstimator):
    """scikit-learn transformer: :func:`calendar_features` on long frames (for a Pipeline).

    Parameters
    ----------
    features : sequence of str, default=("month", "dayofweek")
    time_col : str, default="ds"
    encoding : {"cyclic", "ordinal"}, default="cyclic"
    """

    def __init__(self, features=("month", "dayofweek"), time_col="ds", encoding="cyclic"):
        self.features = features
        self.time_col = time_col
        self.encoding = encoding

    def fit(self, X, y=None):
        calendar_features(X.head(1), self.features, self.time_col, self.encoding)  # validates
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = len(X.columns)
        return self

    def transform(self, X):
        return calendar_features(X, self.features, self.time_col, self.encoding)

    def get_feature_names_out(self, input_features=None):
        names = list(self.feature_names_in_ if input_features is None else input_features)
        return np.asarray(names + calendar_feature_names(self.features, self.encoding), dtype=object)
