"""RNNForecaster <-> model file (JSON state + arrays): the networks, the training series
(needed by ``predict()`` without new data), covariate statistics and conformal scores."""

import warnings

import numpy as np
import pandas as pd

from ..estimators import RNNRegressor
from ..estimators._persistence import _jsonable, _params_state, from_state, get_state, loadable_params
from ..estimators._sklearn_base import check_is_fitted
from ..windows import SCALERS
from ._intervals import INTERVAL_SCALE
from .calendar import CALENDAR_FEATURES

FITTED_SCALARS = ("input_size_", "n_windows_", "max_steps_", "max_epochs_", "covariate_names_", "differences_",
                  "scaler_", "calendar_")
FITTED_ARRAYS = ("cov_mean_", "cov_scale_", "conformal_scores_")


def _freq_to_json(freq):
    if isinstance(freq, (int, np.integer)):
        return {"int": int(freq)}
    return {"offset": pd.tseries.frequencies.to_offset(freq).freqstr}


def _freq_from_json(value):
    """A series' frequency as written by :func:`_freq_to_json` (else ValueError)."""
    if isinstance(value, dict) and set(value) == {"int"}:
        step = value["int"]
        if isinstance(step, int) and not isinstance(step, bool) and step >= 1:
            return step
    elif isinstance(value, dict) and set(value) == {"offset"} and isinstance(value["offset"], str):
        offset = pd.tseries.frequencies.to_offset(value["offset"])  # ValueError when not a frequency
        if offset is not None:
            return offset
    raise ValueError(f"a series frequency must be {{'int': step}} or {{'offset': alias}}, got {value!r:.60}")


ID_KINDS = (int, float, str)  # a mix of these is stored as strings plus each id's kind


def _id_code(value):
    if isinstance(value, (bool, np.bool_)):
        return None
    for code, kinds in enumerate(((int, np.integer), (float, np.floating), (str,))):
        if isinstance(value, kinds):
            return code
    return None


def _storable_ids(ids):
    """Series ids as arrays a model file holds without pickle.

    Returns ``(ids, as_objects, kinds)``: ids that are Python objects (``as_objects``) of
    one type (all integers, all floats or all strings) keep their values in an array of
    that type; a mix of those types is stored as strings plus ``kinds`` (int8, 0 int,
    1 float, 2 str per id), so 1 and "1" stay two series. Ids of other types are stored as
    strings (with a warning); ids that would then collide are refused.
    """
    ids = np.asarray(ids)
    if ids.dtype.kind != "O":
        return ids, False, None
    values = ids.tolist()
    codes = [_id_code(v) for v in values]
    if None not in codes:
        try:
            if len(set(codes)) == 1:
                return np.array(values, dtype=(np.int64, np.float64, str)[codes[0]]), True, None
            return np.array([str(v) for v in values], dtype=str), True, np.array(codes, dtype=np.int8)
        except OverflowError:  # ints beyond int64: stored as strings below
            pass
    as_text = ids.astype(str)
    if len(set(as_text.tolist())) < len(values):
        raise ValueError("series ids that differ only in type (e.g. a date and its text) would become the same "
                         "string in the model file; give the series ids of one type (e.g. df[id_col].astype(str)) "
                         "and fit again")
    warnings.warn("series ids that are not all integers, floats or strings are stored as strings in the model "
                  "file; the loaded model knows them as strings", UserWarning, stacklevel=4)
    return as_text, True, None


def _ids_from_storage(ids, kinds):
    """Invert :func:`_storable_ids` for a mix of kinds: one Python object per id."""
    if kinds.shape != ids.shape or not np.isin(kinds, (0, 1, 2)).all():
        raise ValueError("the model file's panel.id_kinds does not match its series ids")
    out = np.empty(ids.shape, dtype=object)
    for i, (text, code) in enumerate(zip(ids.tolist(), kinds.tolist())):
        try:
            out[i] = ID_KINDS[code](text)
        except ValueError:
            raise ValueError(f"the model file's series id {text!r} is not a valid {ID_KINDS[code].__name__}") from None
    return out


def _panel_state(panel):
    ids, as_objects, kinds = _storable_ids(panel.ids)
    state = {"freqs": [_freq_to_json(f) for f in panel.freqs], "covariate_names": list(panel.covariate_names),
             "ids_object": as_objects,
             "id_col": panel.id_col, "time_col": panel.time_col, "target_col": panel.target_col,
             "ds_datetime": bool(panel.is_datetime), "tz": None if panel.tz is None else str(panel.tz),
             "tz_wall": bool(panel.tz_wall)}
    ds = panel.ds.astype("datetime64[ns]").view(np.int64) if panel.is_datetime else panel.ds
    arrays = {"panel.ids": ids, "panel.offsets": panel.offsets, "panel.y": panel.y, "panel.ds": ds}
    if kinds is not None:
        arrays["panel.id_kinds"] = kinds
    if panel.X is not None:
        arrays["panel.X"] = panel.X
    return state, arrays


def _check_panel_arrays(arrays, state):
    """The training series of a model file: consistent offsets, finite values, one
    timestamp per value and one frequency per series (else ValueError)."""
    ids, offsets, y, ds = (arrays[f"panel.{k}"] for k in ("ids", "offsets", "y", "ds"))
    n = ids.shape[0] if ids.ndim == 1 else -1
    if n < 1 or offsets.dtype.kind not in "iu" or offsets.shape != (n + 1,):
        raise ValueError(f"panel.offsets must hold {n + 1} integers for {n} series")
    if offsets[0] != 0 or (np.diff(offsets) < 1).any() or y.ndim != 1 or offsets[-1] != y.shape[0]:
        raise ValueError("panel.offsets do not cut panel.y into non-empty series")
    if y.dtype.kind != "f" or not np.isfinite(y).all():
        raise ValueError("panel.y must hold finite floats")
    if ds.shape != y.shape or ds.dtype.kind not in "iu":
        raise ValueError("panel.ds must hold one integer timestamp per value of panel.y")
    X = arrays.get("panel.X")
    if X is not None and (X.ndim != 2 or X.shape[0] != y.shape[0] or X.dtype.kind != "f" or not np.isfinite(X).all()):
        raise ValueError("panel.X must hold finite covariates, one row per value of panel.y")
    if not isinstance(state.get("freqs"), list) or len(state["freqs"]) != n:
        raise ValueError(f"the panel needs one frequency per series ({n})")
    names = state.get("covariate_names")
    if not isinstance(names, list) or len(names) != (0 if X is None else X.shape[1]):
        raise ValueError("covariate names do not match panel.X")


def _panel_from_state(state, arrays):
    from ..windows import Panel

    ds = arrays["panel.ds"]
    _check_panel_arrays(arrays, state)
    if state["ds_datetime"]:
        ds = ds.view("datetime64[ns]")
    ids = arrays["panel.ids"]
    if "panel.id_kinds" in arrays:
        ids = _ids_from_storage(ids, arrays["panel.id_kinds"])
    elif state.get("ids_object") is True:
        ids = ids.astype(object)
    return Panel(ids=ids, offsets=arrays["panel.offsets"], y=arrays["panel.y"],
                 X=arrays.get("panel.X"), ds=ds, freqs=[_freq_from_json(f) for f in state["freqs"]],
                 covariate_names=state["covariate_names"], id_col=state["id_col"], time_col=state["time_col"],
                 target_col=state["target_col"], tz=_tz_from_json(state.get("tz"), state["ds_datetime"]),
                 tz_wall=state.get("tz_wall") is True)


def _tz_from_json(value, ds_datetime):
    """The time zone of a model file's training timestamps (None: naive), validated."""
    if value is None:
        return None
    if not (ds_datetime and isinstance(value, str) and len(value) <= 64):
        raise ValueError(f"the panel's time zone must be a zone name of datetime timestamps, got {value!r:.60}")
    try:
        return pd.api.types.pandas_dtype(f"datetime64[ns, {value}]").tz
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"unknown time zone {value!r} in the model file ({type(exc).__name__})") from None


def _networks_state(forecaster, prefix=""):
    """JSON state + arrays of a forecaster's fitted attributes and networks (not its data)."""
    state = {"models": [], "fitted": {k: _jsonable(getattr(forecaster, k)) for k in FITTED_SCALARS
                                      if hasattr(forecaster, k)}, "interval_scale": INTERVAL_SCALE}
    arrays = {f"{prefix}attr.{k}": getattr(forecaster, k) for k in FITTED_ARRAYS if hasattr(forecaster, k)}
    for i, model in enumerate(getattr(forecaster, "models_", [])):
        model_state, model_arrays = get_state(model)
        state["models"].append(model_state)
        arrays.update({f"{prefix}model{i}.{k}": v for k, v in model_arrays.items()})
    return state, arrays


def _check_seed(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise ValueError(f"a local model's random_state must be an integer seed, got {value!r:.50}")


def _check_positive_int(name, value):
    # a model file's value: the message shows at most 50 characters of it
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r:.50}")


def _networks_from_state(forecaster, state, arrays, prefix=""):
    unknown = sorted(set(state["fitted"]) - set(FITTED_SCALARS))
    if unknown:  # a model file never sets arbitrary attributes
        raise ValueError(f"unknown fitted attributes {unknown[:5]}")
    for k, v in state["fitted"].items():
        setattr(forecaster, k, v)
    _check_positive_int("input_size_", getattr(forecaster, "input_size_", None))
    _check_positive_int("max_steps_", getattr(forecaster, "max_steps_", 1))  # absent in files before 2026-12-07
    if hasattr(forecaster, "differences_"):
        from ._transforms import check_differences

        if not isinstance(forecaster.differences_, list):
            raise ValueError("differences_ must be a list of lags")
        check_differences(forecaster.differences_ or None)
    calendar = getattr(forecaster, "calendar_", [])
    if (not isinstance(calendar, list) or not all(isinstance(c, str) and c in CALENDAR_FEATURES for c in calendar)
            or len(set(calendar)) != len(calendar)):
        raise ValueError(f"calendar_ must list distinct calendar features of {list(CALENDAR_FEATURES)}, "
                         f"got {calendar!r:.60}")
    # conformal scores normalised by another interval scale (older files): recalibrate
    stale_scores = state.get("interval_scale") != INTERVAL_SCALE
    local_parent = forecaster.local and not prefix  # its models hold the choices and scores
    if not hasattr(forecaster, "scaler_") and not local_parent:  # tsrnn 0.1.0 scaled as the parameter said
        forecaster.scaler_ = forecaster.scaler
        stale_scores = True
    if hasattr(forecaster, "scaler_") and forecaster.scaler_ not in SCALERS + ("series",):
        raise ValueError(f"scaler_ must be one of {list(SCALERS + ('series',))}, got {forecaster.scaler_!r:.50}")
    names = getattr(forecaster, "covariate_names_", [])
    if not isinstance(names, list) or not all(isinstance(c, str) for c in names):
        raise ValueError("covariate_names_ must be a list of column names")
    for k in FITTED_ARRAYS:
        if f"{prefix}attr.{k}" in arrays and not (stale_scores and k == "conformal_scores_"):
            setattr(forecaster, k, arrays[f"{prefix}attr.{k}"])
    if names and (prefix or not forecaster.local):  # a local parent keeps no statistics; its models do
        for k in ("cov_mean_", "cov_scale_"):
            a = getattr(forecaster, k, None)
            if a is None or a.dtype.kind != "f" or a.shape != (len(names),) or not np.isfinite(a).all():
                raise ValueError(f"attr.{k} must hold one finite float per covariate ({len(names)})")
        if not (forecaster.cov_scale_ > 0).all():
            raise ValueError("attr.cov_scale_ must be positive")
    scores = getattr(forecaster, "conformal_scores_", None)
    if scores is not None and (scores.ndim != 2 or scores.shape[0] < 1 or scores.shape[1] < forecaster.horizon
                               or scores.dtype.kind != "f" or not np.isfinite(scores).all()):
        raise ValueError("attr.conformal_scores_ must hold finite scores of shape (n, horizon)")
    if not state["models"] and (prefix or not forecaster.local):
        raise ValueError(f"{'local model ' + repr(prefix) if prefix else 'the forecaster'} has no networks")
    models = []
    for i, model_state in enumerate(state["models"]):
        p = f"{prefix}model{i}."
        model_arrays = {k[len(p):]: v for k, v in arrays.items() if k.startswith(p)}
        models.append(from_state(RNNRegressor, model_state, model_arrays))
        if np.dtype(models[-1].dtype) != np.dtype(forecaster.dtype):
            raise ValueError(f"network {i} is {models[-1].dtype} but the forecaster's dtype is {forecaster.dtype!r}")
    if models or not forecaster.local:
        forecaster.models_ = models


class ForecasterPersistence:
    """Mixin: ``save(path)`` and the model-file protocol for RNNForecaster."""

    def save(self, path, overwrite=False):
        """Save the fitted forecaster to one safe file (see :func:`tsrnn.load`).

        Parameters
        ----------
        path : str or Path
        overwrite : bool, default=False
        """
        from ..io import save_model

        check_is_fitted(self, "panel_")
        save_model(self, path, overwrite=overwrite)

    def _get_state(self):
        params = _params_state(self)  # as an estimator's: no checkpoint, no device, a safe random_state
        panel_state, arrays = _panel_state(self.panel_)
        state, own_arrays = _networks_state(self)
        state.update(params=params, panel=panel_state)
        arrays.update(own_arrays)
        if params.get("local"):
            state["local"] = []
            for j, sub in enumerate(self.local_models_):
                sub_state, sub_arrays = _networks_state(sub, prefix=f"local{j}.")
                sub_state["random_state"] = int(sub.random_state)  # its series' seed (its calibration refits)
                state["local"].append(sub_state)
                arrays.update(sub_arrays)
        return state, arrays

    @classmethod
    def _from_state(cls, state, arrays):
        params = loadable_params(state["params"])
        forecaster = cls(**params)
        forecaster._check_params()
        forecaster.panel_ = _panel_from_state(state["panel"], arrays)
        _networks_from_state(forecaster, state, arrays)
        if forecaster.local:
            local = state.get("local") or []
            if len(local) != forecaster.panel_.n_series:
                raise ValueError(f"{len(local)} local models for {forecaster.panel_.n_series} series")
            sub_params = dict(params, local=False, n_jobs=1)
            forecaster.local_models_ = []
            seeds = None
            for j, sub_state in enumerate(local):
                seed = sub_state.get("random_state")
                if seed is None and isinstance(forecaster.random_state, int):  # files before 2026-12-07
                    if seeds is None:
                        from .forecaster import series_seeds

                        seeds = series_seeds(forecaster.random_state, forecaster.panel_.ids)
                    seed = int(seeds[j])
                if seed is not None:
                    _check_seed(seed)
                sub = cls(**dict(sub_params, random_state=seed))
                _networks_from_state(sub, sub_state, arrays, prefix=f"local{j}.")
                # its series (for its calibration) with the calendar features it chose
                sub.panel_ = sub._with_calendar(forecaster.panel_.select([j]), from_frame=False)
                forecaster.local_models_.append(sub)
            for attr in ("differences_", "scaler_"):  # files before 2026-12-07: one choice for all
                if hasattr(forecaster, attr):
                    delattr(forecaster, attr)
        return forecaster
