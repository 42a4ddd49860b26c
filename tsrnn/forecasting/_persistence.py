"""RNNForecaster <-> model file (JSON state + arrays): the networks, the training series
(needed by ``predict()`` without new data), covariate statistics and conformal scores."""

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..estimators import RNNRegressor
from ..estimators._persistence import _jsonable, from_state, get_state

FITTED_SCALARS = ("input_size_", "n_windows_", "max_epochs_", "covariate_names_")
FITTED_ARRAYS = ("cov_mean_", "cov_scale_", "conformal_scores_")


def _freq_to_json(freq):
    if isinstance(freq, (int, np.integer)):
        return {"int": int(freq)}
    return {"offset": pd.tseries.frequencies.to_offset(freq).freqstr}


def _freq_from_json(value):
    return value["int"] if "int" in value else pd.tseries.frequencies.to_offset(value["offset"])


def _panel_state(panel):
    ids = np.asarray(panel.ids)
    if ids.dtype.kind == "O":
        ids = ids.astype(str)
    state = {"freqs": [_freq_to_json(f) for f in panel.freqs], "covariate_names": list(panel.covariate_names),
             "id_col": panel.id_col, "time_col": panel.time_col, "target_col": panel.target_col,
             "ds_datetime": bool(panel.is_datetime)}
    ds = panel.ds.astype("datetime64[ns]").view(np.int64) if panel.is_datetime else panel.ds
    arrays = {"panel.ids": ids, "panel.offsets": panel.offsets, "panel.y": panel.y, "panel.ds": ds}
    if panel.X is not None:
        arrays["panel.X"] = panel.X
    return state, arrays


def _panel_from_state(state, arrays):
    from ..windows import Panel

    ds = arrays["panel.ds"]
    if state["ds_datetime"]:
        ds = ds.view("datetime64[ns]")
    return Panel(ids=arrays["panel.ids"], offsets=arrays["panel.offsets"], y=arrays["panel.y"],
                 X=arrays.get("panel.X"), ds=ds, freqs=[_freq_from_json(f) for f in state["freqs"]],
                 covariate_names=state["covariate_names"], id_col=state["id_col"], time_col=state["time_col"],
                 target_col=state["target_col"])


def _networks_state(forecaster, prefix=""):
    """JSON state + arrays of a forecaster's fitted attributes and networks (not its data)."""
    state = {"models": [], "fitted": {k: _jsonable(getattr(forecaster, k)) for k in FITTED_SCALARS
                                      if hasattr(forecaster, k)}}
    arrays = {f"{prefix}attr.{k}": getattr(forecaster, k) for k in FITTED_ARRAYS if hasattr(forecaster, k)}
    for i, model in enumerate(getattr(forecaster, "models_", [])):
        model_state, model_arrays = get_state(model)
        state["models"].append(model_state)
        arrays.update({f"{prefix}model{i}.{k}": v for k, v in model_arrays.items()})
    return state, arrays


def _networks_from_state(forecaster, state, arrays, prefix=""):
    for k, v in state["fitted"].items():
        setattr(forecaster, k, v)
    for k in FITTED_ARRAYS:
        if f"{prefix}attr.{k}" in arrays:
            setattr(forecaster, k, arrays[f"{prefix}attr.{k}"])
    if not state["models"] and prefix:
        raise ValueError(f"local model {prefix!r} has no networks")
    models = []
    for i, model_state in enumerate(state["models"]):
        p = f"{prefix}model{i}."
        model_arrays = {k[len(p):]: v for k, v in arrays.items() if k.startswith(p)}
        models.append(from_state(RNNRegressor, model_state, model_arrays))
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
        params = self.get_params(deep=False)
        params.pop("checkpoint", None)  # where training checkpoints went is not part of the model
        if not (params.get("random_state") is None or isinstance(params["random_state"], (int, np.integer))):
            params["random_state"] = None
        panel_state, arrays = _panel_state(self.panel_)
        state, own_arrays = _networks_state(self)
        state.update(params=_jsonable(params), panel=panel_state)
        arrays.update(own_arrays)
        if params.get("local"):
            state["local"] = []
            for j, sub in enumerate(self.local_models_):
                sub_state, sub_arrays = _networks_state(sub, prefix=f"local{j}.")
                state["local"].append(sub_state)
                arrays.update(sub_arrays)
        return state, arrays

    @classmethod
    def _from_state(cls, state, arrays):
        forecaster = cls(**state["params"])
        forecaster._check_params()
        forecaster.panel_ = _panel_from_state(state["panel"], arrays)
        _networks_from_state(forecaster, state, arrays)
        if forecaster.local:
            local = state.get("local") or []
            if len(local) != forecaster.panel_.n_series:
                raise ValueError(f"{len(local)} local models for {forecaster.panel_.n_series} series")
            sub_params = dict(state["params"], local=False, n_jobs=1)
            forecaster.local_models_ = []
            for j, sub_state in enumerate(local):
                sub = cls(**sub_params)
                _networks_from_state(sub, sub_state, arrays, prefix=f"local{j}.")
                forecaster.local_models_.append(sub)
        return forecaster
