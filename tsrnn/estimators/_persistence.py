"""Estimator <-> (JSON-able state, arrays) for model files and checkpoints."""

import numbers

import numpy as np

from ..heads import Head, ModelSpec, get_head
from ..nn.recurrent import resolve_dtype

SCALAR_ATTRS = ("n_features_in_", "_input_ndim", "_n_step_features", "loss_curve_", "validation_loss_curve_",
                "validation_scores_", "best_loss_", "n_iter_", "t_", "best_validation_score_", "_y_ndim", "vocab_size_")
ARRAY_ATTRS = ("classes_", "y_mean_", "y_scale_", "feature_names_in_")


def _jsonable(value):
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name  # dtype=np.float64 is stored as "float64"
    raise TypeError(f"cannot store {type(value).__name__} in a model file")


def _params_state(estimator):
    params = estimator.get_params(deep=False)
    if isinstance(params.get("head"), Head):
        head = params["head"]
        params["head"] = head.name
        params["head_params"] = head.get_options() | dict(params.get("head_params") or {})
    params.pop("checkpoint", None)  # where a checkpoint went is not part of the model
    params.pop("device", None)  # nor where it ran: a model trained on "cuda" loads on any machine
    if not (params.get("random_state") is None or isinstance(params["random_state"], numbers.Integral)):
        params["random_state"] = None  # a RandomState object has no safe file form
    return _jsonable(params)


def loadable_params(params):
    """A model file's parameters for the constructor: ``device`` dropped (files before
    2026-12-07 stored it; a model loads on this machine's CPU)."""
    return {k: v for k, v in params.items() if k != "device"}


def _check_head_is_registered(net):
    """A model file names its head: refuse a head class that name does not load."""
    from ..heads.registry import HEADS, _from_entry_points

    name = getattr(net, "name", None)
    registered = HEADS.get(name) if isinstance(name, str) else None
    if registered is None and isinstance(name, str):
        registered = _from_entry_points(name)
    if registered is not type(net):
        raise ValueError(
            f"the model's head {type(net).__name__} is not registered"
            + (f" (the name {name!r} it inherits loads {registered.__name__})" if registered is not None else "")
            + ": a model file names its head, so decorate the class with tsrnn.heads.register('a_name') "
            "(or pickle the model instead)")


def get_state(estimator):
    """(state, arrays) of a fitted BaseRNN."""
    net = estimator.network_
    _check_head_is_registered(net)
    spec = net.spec
    state = {
        "params": _params_state(estimator),
        "network": {
            "head": net.name,
            "options": _jsonable(net.get_options()),
            "spec": {"cell": spec.cell, "hidden_size": spec.hidden_size, "num_layers": spec.num_layers,
                     "nonlinearity": spec.nonlinearity, "dtype": np.dtype(spec.dtype).name,
                     "n_features": spec.n_features, "n_outputs": spec.n_outputs,
                     "output_length": spec.output_length, "task": spec.task,
                     "vocab_size": spec.vocab_size, "embedding_dim": spec.embedding_dim,
                     "padding_idx": spec.padding_idx},
        },
        "fitted": {k: _jsonable(getattr(estimator, k)) for k in SCALAR_ATTRS if hasattr(estimator, k)},
        "optimizer": {},
        "schedule": _jsonable(estimator._schedule.state_dict()),
    }
    arrays = {"network.flat_params": net.flat_params}
    as_objects = []
    for k in ARRAY_ATTRS:
        if hasattr(estimator, k):
            value = np.asarray(getattr(estimator, k))
            if value.dtype.kind == "O":
                if not all(isinstance(v, str) for v in value.ravel()):
                    raise TypeError(f"{k} holds objects that are not strings; it cannot be stored safely")
                value = value.astype(str)
                as_objects.append(k)  # restored as objects: predict returns what it returned before
            arrays[f"attr.{k}"] = value
    state["object_arrays"] = as_objects
    for key, value in estimator._optimizer.state_dict().items():
        if isinstance(value, np.ndarray):
            arrays[f"optimizer.{key}"] = value
        else:
            state["optimizer"][key] = _jsonable(value)
    return state, arrays


_INT_ATTRS = {"n_features_in_": 1, "_input_ndim": 2, "_n_step_features": 1, "n_iter_": 0, "t_": 0, "_y_ndim": 1,
              "vocab_size_": 1}
_REQUIRED = ("n_features_in_", "_input_ndim", "_n_step_features")


def _checked_fitted(fitted):
    """The fitted scalars of a model file: known names and sane types only (a file never
    sets arbitrary attributes)."""
    if not isinstance(fitted, dict):
        raise TypeError("fitted attributes must be a mapping")
    unknown = sorted(set(fitted) - set(SCALAR_ATTRS))
    if unknown:
        raise ValueError(f"unknown fitted attributes {unknown[:5]}")
    missing = [k for k in _REQUIRED if k not in fitted]
    if missing:
        raise ValueError(f"missing fitted attributes {missing}")
    for k, v in fitted.items():
        if k in _INT_ATTRS:
            if isinstance(v, bool) or not isinstance(v, int) or v < _INT_ATTRS[k]:
                raise ValueError(f"fitted attribute {k} must be an integer >= {_INT_ATTRS[k]}, got {v!r:.50}")
        elif k.endswith("_curve_") or k == "validation_scores_":
            if not isinstance(v, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
                raise ValueError(f"fitted attribute {k} must be a list of numbers")
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"fitted attribute {k} must be a number, got {v!r:.50}")
    if fitted["_input_ndim"] not in (2, 3):
        raise ValueError(f"_input_ndim must be 2 or 3, got {fitted['_input_ndim']}")
    return fitted


def _check_fitted_arrays(estimator, spec):
    """Target statistics / classes consistent with the network (finite, right shapes).

    A regressor without any target statistics is a forecaster's network (its targets are
    scaled by the forecaster; a checkpoint file holds one): it loads, and its predict()
    says why it cannot be used alone."""
    if spec.task == "regression" and any(hasattr(estimator, k) for k in ("y_mean_", "y_scale_", "_y_ndim")):
        if not hasattr(estimator, "_y_ndim"):
            raise ValueError("a regression model needs the fitted attribute _y_ndim")
        for k in ("y_mean_", "y_scale_"):
            a = getattr(estimator, k, None)
            if a is None:
                raise ValueError(f"a regression model needs attr.{k}")
            if a.dtype.kind != "f" or a.shape != (spec.n_outputs,) or not np.isfinite(a).all():
                raise ValueError(f"attr.{k} must hold {spec.n_outputs} finite floats, got {a.dtype} {a.shape}")
        if not (estimator.y_scale_ > 0).all():
            raise ValueError("attr.y_scale_ must be positive")
    elif spec.task == "classification":
        classes = getattr(estimator, "classes_", None)
        if classes is None or classes.ndim != 1 or classes.shape[0] != spec.n_outputs or spec.n_outputs < 2:
            raise ValueError(f"attr.classes_ must list the model's {spec.n_outputs} classes")
    fn = getattr(estimator, "feature_names_in_", None)
    if fn is not None and (fn.ndim != 1 or fn.shape[0] != estimator.n_features_in_):
        raise ValueError("attr.feature_names_in_ does not match n_features_in_")


def from_state(cls, state, arrays):
    """Rebuild a fitted estimator of class ``cls`` from :func:`get_state`'s output."""
    estimator = cls(**loadable_params(state["params"]))
    estimator._dtype = resolve_dtype(estimator.dtype)
    net_state = state["network"]
    spec_kwargs = dict(net_state["spec"])
    spec_kwargs["dtype"] = resolve_dtype(spec_kwargs["dtype"])
    if spec_kwargs["dtype"] != estimator._dtype:
        raise ValueError(f"the network is {np.dtype(spec_kwargs['dtype']).name} but dtype={estimator.dtype!r}")
    head = get_head(net_state["head"], net_state["options"]).initialize(ModelSpec(**spec_kwargs, random_state=0))
    params = arrays["network.flat_params"]
    if params.shape != head.flat_params.shape or params.dtype != head.flat_params.dtype:
        raise ValueError(f"network.flat_params has shape {params.shape} {params.dtype}, the model needs "
                         f"{head.flat_params.shape} {head.flat_params.dtype}")
    if not np.isfinite(params).all():
        raise ValueError("network.flat_params holds NaN or infinite weights")
    head.flat_params[...] = params
    estimator.network_ = head
    for k, v in _checked_fitted(state["fitted"]).items():
        setattr(estimator, k, v)
    for k in ARRAY_ATTRS:
        if f"attr.{k}" in arrays:
            setattr(estimator, k, arrays[f"attr.{k}"])
    if hasattr(estimator, "feature_names_in_"):  # stored as text; sklearn keeps column names as objects
        estimator.feature_names_in_ = estimator.feature_names_in_.astype(object)
    objects = state.get("object_arrays", [])
    if not isinstance(objects, list) or not set(objects) <= set(ARRAY_ATTRS):
        raise ValueError("object_arrays must list stored attributes")
    for k in objects:
        if hasattr(estimator, k):
            setattr(estimator, k, getattr(estimator, k).astype(object))
    _check_fitted_arrays(estimator, head.spec)
    estimator._optimizer = estimator._make_optimizer()
    opt_state = dict(state["optimizer"])
    opt_state.update({k[len("optimizer."):]: v for k, v in arrays.items() if k.startswith("optimizer.")})
    estimator._optimizer.load_state_dict(opt_state)
    estimator._schedule = estimator._make_schedule()
    estimator._schedule.load_state_dict(state["schedule"])
    return estimator
