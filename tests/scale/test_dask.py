"""tsrnn on a dask.distributed LocalCluster (2 worker processes, loopback only):
local models, global models, GridSearchCV, a worker killed mid-fit, the kernel cache."""

import os
import sys
import threading

import joblib
import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")

import cloudpickle  # noqa: E402
from distributed.diagnostics.plugin import WorkerPlugin  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from tsrnn import RNNForecaster, RNNRegressor  # noqa: E402
from tsrnn.datasets.synthetic import make_random_walk_panel  # noqa: E402
from tsrnn.distributed import by_series, fit_global, forecast_global, forecast_local  # noqa: E402
from tsrnn.nn.warmup import warmup  # noqa: E402

TINY = dict(horizon=3, input_size=6, hidden_size=4, max_steps=8, batch_size=16, random_state=7)

pytestmark = pytest.mark.slow
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module


def _cluster(**kw):
    return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=":0", silence_logs=40, **kw)


@pytest.fixture(scope="module")
def client():
    warmup(cells=("lstm", "gru"))  # the workers load these from the on-disk cache
    with _cluster() as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def panel():
    return make_random_walk_panel(200, 30, random_state=3)


def _sorted(df):
    return df.sort_values(["unique_id", "ds"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def in_process(panel):
    return RNNForecaster(local=True, **TINY).fit(panel).predict()


def test_local_models_on_cluster_equal_in_process(client, panel, in_process):
    out = forecast_local(dd.from_pandas(panel, npartitions=6), **TINY).compute()
    out = _sorted(out)
    assert len(out) == 200 * TINY["horizon"]
    pd.testing.assert_frame_equal(out[["unique_id", "ds"]].astype({"unique_id": object}),
                                  in_process[["unique_id", "ds"]].astype({"unique_id": object}))
    np.testing.assert_array_equal(out["yhat"].to_numpy(), in_process["yhat"].to_numpy())


def test_joblib_dask_backend_runs_local_fit_on_cluster(client, panel, in_process):
    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        model = RNNForecaster(local=True, **TINY).fit(panel)
    np.testing.assert_array_equal(model.predict()["yhat"].to_numpy(), in_process["yhat"].to_numpy())
    assert len({task["worker"] for task in stream.data}) == 2  # the fits ran on both workers


def test_global_model_fit_on_sample_applied_per_partition(client, panel):
    ddf = dd.from_pandas(panel, npartitions=4)
    model = fit_global(ddf, n_series=50, cell="gru", **TINY)
    assert model.panel_.n_series == 50
    out = _sorted(forecast_global(model, ddf, level=80).compute())
    ref = model.predict(df=panel, level=80)
    assert list(out.columns) == list(ref.columns)
    assert out["unique_id"].nunique() == 200 and np.isfinite(out["yhat"]).all()
    # float32 rows may differ in the last bit with the batch a row is computed in
    np.testing.assert_allclose(out["yhat"].to_numpy(), ref["yhat"].to_numpy(), rtol=1e-5, atol=1e-6)


def test_grid_search_over_regressor_on_cluster(client):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5, 2))
    y = X[:, -1, 0] + 0.5 * X[:, 0, 1]
    grid = {"hidden_size": [4, 8], "learning_rate": [1e-2, 3e-2]}
    est = RNNRegressor(max_epochs=3, batch_size=16, random_state=0, n_jobs=1)
    local = GridSearchCV(est, grid, cv=2).fit(X, y)
    with joblib.parallel_backend("dask"):
        remote = GridSearchCV(est, grid, cv=2, n_jobs=-1).fit(X, y)
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"],
                               rtol=1e-6)
    assert remote.best_params_ == local.best_params_


def test_workers_load_kernels_from_cache(client):
    reports = client.run(warmup, cells=("lstm",))
    assert len(reports) == 2
    for report in reports.values():
        assert report["compiled"] == 0, report
        assert report["loaded"] >= 3, report


def test_by_series_puts_each_series_in_one_partition(client, panel):
    parts = by_series(dd.from_pandas(panel, npartitions=5)).to_delayed()
    seen = {}
    for k, part in enumerate(parts):
        for uid in part.compute()["unique_id"].unique():
            assert uid not in seen, f"{uid} in partitions {seen[uid]} and {k}"
            seen[uid] = k
    assert len(seen) == 200


class _KillOnce(WorkerPlugin):
    """Kill the worker process 0.3 s into the first forecasting task it runs (once per cluster)."""

    def __init__(self, marker):
        self.marker = marker

    def setup(self, worker):
        self.worker = worker

    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" and "forecast_local" in str(key) and not os.path.exists(self.marker):
            with open(self.marker, "w") as fh:
                fh.write(str(key))
            threading.Timer(0.3, os._exit, args=(1,)).start()


def test_worker_killed_mid_fit_gives_complete_identical_result(panel, in_process, tmp_path):
    marker = tmp_path / "killed"
    with _cluster() as cluster, distributed.Client(cluster) as c:
        c.register_plugin(_KillOnce(str(marker)))
        out = _sorted(forecast_local(dd.from_pandas(panel, npartitions=4), **TINY).compute())
    assert marker.exists(), "the fault was not injected"
    assert len(out) == len(in_process)
    np.testing.assert_array_equal(out["yhat"].to_numpy(), in_process["yhat"].to_numpy())


def test_bad_inputs_are_named():
    with pytest.raises(TypeError, match="dask.dataframe"):
        forecast_local(pd.DataFrame({"unique_id": [], "ds": [], "y": []}), **TINY)
    ddf = dd.from_pandas(pd.DataFrame({"id": ["a"], "ds": [0], "y": [1.0]}), npartitions=1)
    with pytest.raises(ValueError, match="unique_id"):
        forecast_local(ddf, **TINY)
    with pytest.raises(ValueError, match="strategy"):
        forecast_local(ddf, strategy="nope")
    model = RNNForecaster(local=True, **TINY).fit(make_random_walk_panel(2, 20, random_state=0))
    with pytest.raises(ValueError, match="forecast_local"):
        forecast_global(model, ddf)
