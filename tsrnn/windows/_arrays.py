"""Long frames -> 3-D window arrays for the array estimators (RNNRegressor, RNNClassifier).

Unlike :class:`WindowBatches` (indices, gathered per mini-batch), these functions
materialise the windows: they are for feeding the scikit-learn-style estimators and
pipelines, at the memory cost of ``n_windows * input_size`` values per feature.
"""

import numpy as np
import pandas as pd

from .._memory import check_allocation
from ._panel import build_panel
from ._windows import window_starts


def _panel_windows(panel, input_size, horizon, stride, last_only):
    if last_only:
        ends = panel.offsets[1:]
        short = panel.lengths < input_size
        if short.any():
            raise ValueError(f"{int(short.sum())} series are shorter than input_size={input_size}: "
                             f"{', '.join(map(str, panel.ids[short][:5]))}")
        return ends - input_size, np.arange(panel.n_series)
    return window_starts(panel.offsets, input_size, horizon, stride)


def make_windows(df, input_size, horizon=1, stride=1, covariates=None, id_col="unique_id", time_col="ds",
                 target_col="y", dtype=np.float64):
    """Every (``input_size`` -> ``horizon``) window of every series, as arrays.

    Parameters
    ----------
    df : DataFrame or Series
        Long format (see :func:`build_panel`).
    input_size, horizon : int
    stride : int, default=1
        Steps between consecutive windows of a series (aligned to its end).
    covariates : list of str, "auto" or None
        Extra input features per step.
    id_col, time_col, target_col : str
    dtype : numpy dtype, default=float64

    Returns
    -------
    X : ndarray of shape (n_windows, input_size, 1 + n_covariates)
        Target then covariates over the input steps.
    y : ndarray of shape (n_windows, horizon)
        The next ``horizon`` target values.
    index : DataFrame of shape (n_windows, 2)
        ``id_col`` and ``"cutoff"`` (timestamp of each window's last input).
    """
    if np.dtype(dtype).kind != "f":
        raise ValueError(f"dtype must be a floating-point type (e.g. float64, float32), got {np.dtype(dtype).name}")
    window_starts(np.array([0, 1]), input_size, horizon, stride)  # validates the sizes first
    # a series too short for one window is an error naming it, as in RNNForecaster.fit
    panel = build_panel(df, id_col, time_col, target_col, covariates=covariates, min_length=input_size + horizon)
    starts, sid = _panel_windows(panel, input_size, horizon, stride, last_only=False)
    if starts.size == 0:
        raise ValueError(f"no series has the input_size + horizon = {input_size + horizon} observations a window needs")
    X = _gather(panel, starts, input_size, dtype)
    y = panel.y[starts[:, None] + input_size + np.arange(horizon)].astype(dtype)
    index = pd.DataFrame({id_col: panel.ids[sid], "cutoff": panel.user_times(panel.ds[starts + input_size - 1])})
    return X, y, index


def _gather(panel, starts, input_size, dtype):
    n_features = 1 + len(panel.covariate_names)
    check_allocation(starts.size * input_size * n_features * np.dtype(dtype).itemsize,
                     f"{starts.size} windows of {input_size} steps", "raise stride or lower input_size")
    pos = starts[:, None] + np.arange(input_size)
    X = np.empty((starts.size, input_size, n_features), dtype=dtype)
    X[:, :, 0] = panel.y[pos]
    if panel.X is not None:
        X[:, :, 1:] = panel.X[pos]
    return X
