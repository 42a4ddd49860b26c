"""``WindowTransformer``: :func:`make_windows` as a scikit-learn transformer.

A module of its own because it subclasses scikit-learn's classes: importing it loads
scikit-learn, which the rest of ``tsrnn.windows`` does not need.
"""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ._arrays import _gather, _panel_windows
from ._panel import build_panel
from ._windows import window_starts


class WindowTransformer(TransformerMixin, BaseEstimator):
    """scikit-learn transformer: a long frame -> 3-D input windows for the array estimators.

    ``transform`` returns the input windows only (scikit-learn transformers cannot
    return targets); :func:`make_windows` gives windows and targets together for
    training. With ``last_only=True`` it returns the last window of every series: the
    inputs a fitted estimator forecasts from.

    Parameters
    ----------
    input_size : int
    horizon : int, default=0
        Steps each window must leave after its inputs (0: windows run up to the end).
    stride : int, default=1
    last_only : bool, default=False
    covariates : list of str, "auto" or None
    id_col, time_col, target_col : str
    dtype : {"float64", "float32"}, default="float64"

    Attributes
    ----------
    covariate_names_ : list of str
        The covariate columns found in ``fit`` (``covariates="auto"``: every numeric
        column besides id, time and target), in the order of the feature axis.
        ``transform`` reads these columns by name: the columns of a later frame may
        come in any order, extra columns are ignored and a missing one is an error.
        With listed covariates (or none) the transformer also works unfitted.
    index_ : DataFrame
        ``id_col`` and ``cutoff`` of each window of the last ``transform``.
    """

    def __init__(self, input_size, horizon=0, stride=1, last_only=False, covariates=None, id_col="unique_id",
                 time_col="ds", target_col="y", dtype="float64"):
        self.input_size = input_size
        self.horizon = horizon
        self.stride = stride
        self.last_only = last_only
        self.covariates = covariates
        self.id_col = id_col
        self.time_col = time_col
        self.target_col = target_col
        self.dtype = dtype

    def fit(self, X, y=None):
        """Validate the parameters and record the covariate columns of ``X``."""
        self._check()
        panel = build_panel(X, self.id_col, self.time_col, self.target_col, covariates=self.covariates,
                            min_length=1)
        self.covariate_names_ = list(panel.covariate_names)
        return self

    def _check(self):
        window_starts(np.array([0, 1]), self.input_size, self.horizon, self.stride)  # validates the sizes
        try:
            name = np.dtype(self.dtype).name
        except TypeError:
            name = None
        if name not in ("float64", "float32"):
            raise ValueError(f"dtype={self.dtype!r} is not supported; choose 'float64' or 'float32'")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = self.covariates == "auto"
        return tags

    def transform(self, X):
        """Input windows of ``X``: ndarray of shape (n_windows, input_size, 1 + n_covariates)."""
        self._check()
        if hasattr(self, "covariate_names_"):
            covariates = self.covariate_names_ or None
        elif self.covariates == "auto":
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("WindowTransformer(covariates='auto') learns its covariate columns in fit; "
                                 "call fit first (or list the columns: it then needs no fit)")
        else:  # listed columns (or none): stateless, as in a Pipeline whose estimator was fitted alone
            covariates = self.covariates
        # training windows need input_size + horizon observations per series; a shorter one is named
        need = self.input_size + (0 if self.last_only else self.horizon)
        panel = build_panel(X, self.id_col, self.time_col, self.target_col, covariates=covariates,
                            min_length=need)
        starts, sid = _panel_windows(panel, self.input_size, self.horizon, self.stride, self.last_only)
        if starts.size == 0:
            raise ValueError(f"no series has the {self.input_size + self.horizon} observations a window needs")
        self.index_ = pd.DataFrame({self.id_col: panel.ids[sid], "cutoff": panel.user_times(panel.ds[starts + self.input_size - 1])})
        return _gather(panel, starts, self.input_size, np.dtype(self.dtype))
