"""Forecasting long frames that live on a Dask cluster (optional extra ``tsrnn[dask]``).

Two patterns, both returning a lazy ``dask.dataframe`` with the columns of
:meth:`RNNForecaster.predict` (``id, ds, yhat`` and interval columns):

* :func:`forecast_local` - one model per series, fitted and applied inside the
  partition that holds the series (nothing but forecasts moves between workers).
* :func:`fit_global` + :func:`forecast_global` - one global network fitted on a sample
  of series (gathered to the client), shipped to the workers as flat arrays and applied
  to every partition.

Everything else that runs many independent fits - ``RNNForecaster(local=True)``,
``cross_validation(refit=True)``, scikit-learn's ``GridSearchCV`` over tsrnn estimators -
goes through joblib, so it runs on the cluster unchanged inside
``with joblib.parallel_backend("dask"):``.

Workers load the compiled kernels from Numba's on-disk cache; call
``client.run(tsrnn.nn.warmup.warmup)`` once (or point ``NUMBA_CACHE_DIR`` at a shared
directory) so no worker compiles during a fit. Seeds depend on ``random_state`` and the
series id only, so a task retried after a worker died gives the same forecasts.
"""

import copy

import numpy as np
import pandas as pd

from .forecasting import RNNForecaster
from .forecasting.forecaster import _check_levels, _level_name


def _require_dask():
    try:
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("tsrnn.distributed needs Dask: pip install 'tsrnn[dask]'") from exc
    return dd


def _check_frame(ddf, columns):
    dd = _require_dask()
    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"expected a dask.dataframe.DataFrame; got {type(ddf).__name__} "
                        "(for a pandas frame use RNNForecaster directly)")
    missing = [c for c in columns if c not in ddf.columns]
    if missing:
        raise ValueError(f"columns {missing} not found; the frame has {list(ddf.columns)}")


def by_series(ddf, id_col="unique_id"):
    """Repartition ``ddf`` so that every series lies in exactly one partition.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Long format with an ``id_col`` column.
    id_col : str, default="unique_id"

    Returns
    -------
    dask.dataframe.DataFrame
        Shuffled on ``id_col`` (same number of partitions).
    """
    _check_frame(ddf, [id_col])
    return ddf.shuffle(on=id_col)


def _refuse_future_covariates(future_covariates, name):
    """Future covariates need X_future at predict, which these functions cannot pass."""
    if future_covariates:
        raise ValueError(f"{name} cannot forecast with future_covariates {list(future_covariates)}: their values "
                         "over the horizon (X_future) are not supported here; forecast with "
                         "RNNForecaster.predict(X_future=...) instead")


def _meta(ddf, id_col, time_col, levels):
    cols = {id_col: pd.Series(dtype=ddf[id_col].dtype), time_col: pd.Series(dtype=ddf[time_col].dtype),
            "yhat": pd.Series(dtype="float64")}
    for lv in levels:
        name = _level_name(lv)
        cols[f"yhat-lo-{name}"] = pd.Series(dtype="float64")
        cols[f"yhat-hi-{name}"] = pd.Series(dtype="float64")
    return pd.DataFrame(cols)


def _as_meta(out, meta):
    """Cast a partition's forecasts to the frame's declared dtypes (ids, timestamps)."""
    return out[list(meta.columns)].astype(meta.dtypes.to_dict())


def _forecast_local_partition(pdf, params, h, level, meta):
    if len(pdf) == 0:
        return meta
    model = RNNForecaster(**params).fit(pdf)
    return _as_meta(model.predict(h=h, level=level), meta)


def forecast_local(ddf, h=None, level=None, shuffle=True, **params):
    """Fit one model per series where the series lives and forecast it.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Long format (``unique_id, ds, y`` by default; the names follow ``id_col``,
        ``time_col``, ``target_col`` in ``params``).
    h : int, optional
        Steps to forecast (default ``horizon``).
    level : float or list of float, optional
        Conformal interval levels in percent.
    shuffle : bool, default=True
        Repartition by series first (:func:`by_series`). Pass False only when every
        series is already within one partition (e.g. the frame was written
        partitioned by id); a series split across partitions would be fitted twice on
        parts of its history.
    **params
        :class:`RNNForecaster` parameters; ``local=True`` is implied. Every series'
        model, its choices and its intervals depend on that series alone: give an
        int ``random_state`` for results that do not depend on the partitioning.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy forecasts, the columns of ``RNNForecaster.predict``; ``.compute()`` runs it.

    Examples
    --------
    >>> from dask.distributed import Client  # doctest: +SKIP
    >>> client = Client("scheduler:8786")  # doctest: +SKIP
    >>> fc = forecast_local(ddf, horizon=12, input_size=24, random_state=0).compute()  # doctest: +SKIP
    """
    params = dict(params, local=True)
    params.setdefault("n_jobs", 1)  # one worker thread per partition; Dask runs partitions in parallel
    template = RNNForecaster(**params)
    template._check_params()  # bad parameters fail here, not on the workers
    _refuse_future_covariates(template.future_covariates, "forecast_local")
    id_col, time_col, target_col = template.id_col, template.time_col, template.target_col
    _check_frame(ddf, [id_col, time_col, target_col])
    if shuffle:
        ddf = by_series(ddf, id_col)
    meta = _meta(ddf, id_col, time_col, _check_levels(level))
    return ddf.map_partitions(_forecast_local_partition, params, h, level, meta, meta=meta)


def fit_global(ddf, n_series=None, random_state=None, **params):
    """Fit one global forecaster on (a sample of) the series of a Dask frame.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Long format.
    n_series : int, optional
        Series drawn at random (without replacement) for training; None uses all of
        them. The sample is gathered to the client, so it must fit in its memory.
    random_state : int or None, default=None
        Seeds the sample and the network.
    **params
        :class:`RNNForecaster` parameters.

    Returns
    -------
    RNNForecaster
        Fitted; apply it to the whole frame with :func:`forecast_global`.
    """
    model = RNNForecaster(random_state=random_state, **params)
    model._check_params()
    _check_frame(ddf, [model.id_col, model.time_col, model.target_col])
    if n_series is not None:
        if isinstance(n_series, bool) or not (isinstance(n_series, (int, np.integer)) and n_series >= 1):
            raise ValueError(f"n_series must be a positive int or None; got {n_series!r}")
        ids = np.sort(ddf[model.id_col].unique().compute().to_numpy())
        if n_series < len(ids):
            rng = np.random.default_rng(random_state)
            chosen = ids[np.sort(rng.choice(len(ids), size=n_series, replace=False))]
            ddf = ddf[ddf[model.id_col].isin(list(chosen))]
    return model.fit(ddf.compute())


def _forecast_global_partition(pdf, model, h, level, meta):
    if len(pdf) == 0:
        return meta
    return _as_meta(model.predict(h=h, df=pdf, level=level), meta)


def forecast_global(model, ddf, h=None, level=None, shuffle=True):
    """Apply a fitted global forecaster to every series of a Dask frame, partition by partition.

    Parameters
    ----------
    model : RNNForecaster
        Fitted with ``local=False`` (e.g. by :func:`fit_global`).
    ddf : dask.dataframe.DataFrame
        Histories to forecast from; each series needs ``input_size`` observations.
    h : int, optional
    level : float or list of float, optional
        Needs the model's conformal scores: call ``model.predict(level=...)`` once
        before, so the calibration runs on the client and not on every worker.
    shuffle : bool, default=True
        Repartition by series first (see :func:`forecast_local`).

    Returns
    -------
    dask.dataframe.DataFrame
    """
    from dask import delayed

    if not isinstance(model, RNNForecaster) or not hasattr(model, "panel_"):
        raise TypeError("model must be a fitted RNNForecaster")
    if model.local:
        raise ValueError("model was fitted with local=True; use forecast_local for per-series models")
    _refuse_future_covariates(model.future_covariates, "forecast_global")
    _check_frame(ddf, [model.id_col, model.time_col, model.target_col])
    if level is not None and not hasattr(model, "conformal_scores_"):
        model.predict(level=level)  # calibrate once, here
    if shuffle:
        ddf = by_series(ddf, model.id_col)
    meta = _meta(ddf, model.id_col, model.time_col, _check_levels(level))
    shipped = copy.copy(model)
    del shipped.panel_  # the training series stay on the client: workers get the networks' arrays only
    return ddf.map_partitions(_forecast_global_partition, delayed(shipped), h, level, meta, meta=meta)
