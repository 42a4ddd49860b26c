"""tsrnn.distributed refuses what it cannot do when called, not later on the workers."""

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")

from tsrnn import RNNForecaster  # noqa: E402
from tsrnn.distributed import fit_global, forecast_global, forecast_local  # noqa: E402

TINY = dict(horizon=3, input_size=6, hidden_size=4, max_steps=3, n_models=1, random_state=0)


def frame():
    n = 30
    return pd.DataFrame({"unique_id": np.repeat(["a", "b"], n), "ds": np.tile(pd.date_range("2000", periods=n), 2),
                         "y": np.sin(np.arange(2 * n) / 3.0), "x": np.cos(np.arange(2 * n) / 3.0)})


def test_future_covariates_are_refused_at_the_call():
    ddf = dd.from_pandas(frame(), npartitions=2)
    with pytest.raises(ValueError, match=r"forecast_local cannot forecast with future_covariates \['x'\]"):
        forecast_local(ddf, future_covariates=["x"], **TINY)
    model = RNNForecaster(future_covariates=["x"], **TINY).fit(frame())
    with pytest.raises(ValueError, match=r"forecast_global cannot forecast with future_covariates \['x'\]"):
        forecast_global(model, ddf)


@pytest.mark.parametrize("n_series", [True, 0, 1.5])
def test_n_series_is_checked_before_any_computation(n_series):
    class NoCompute:  # a frame whose data must not be touched
        columns = ["unique_id", "ds", "y"]

        def __getitem__(self, key):
            raise AssertionError("the frame was read before n_series was checked")

    with pytest.raises(ValueError, match="n_series must be a positive int or None"):
        fit_global(dd.from_pandas(frame(), npartitions=1), n_series=n_series, **TINY)
