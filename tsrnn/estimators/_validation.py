"""Input validation for the estimators: sequences, vectors, lengths, targets."""

import numbers
import os
import sys
import warnings

import numpy as np

from ..exceptions import DataScaleWarning


def check_array(*args, **kwargs):
    """scikit-learn's ``check_array``, imported on first use (see ``_sklearn_base``)."""
    from sklearn.utils.validation import check_array as sklearn_check_array

    return sklearn_check_array(*args, **kwargs)


def _to_array(X, steps=None):
    """A list of variable-length sequences becomes one NaN-padded array.

    ``steps``: the number of time steps a model fitted on 2-D X (univariate sequences,
    one column per step) reads; a list of 1-D sequences up to that long is padded to it
    (the padding is trailing NaN, as in fit), whatever its own longest sequence.
    """
    if isinstance(X, (list, tuple)) and len(X) and all(hasattr(x, "__len__") for x in X):
        arrays = [np.asarray(x, dtype=float) for x in X]
        if any(a.ndim == 0 for a in arrays):
            return np.asarray(X, dtype=float)
        lengths = {a.shape[0] for a in arrays}
        T = max(lengths)
        if steps is not None and all(a.ndim == 1 for a in arrays) and T <= steps:
            T = steps  # padded to what the model reads
        if len(lengths) > 1 or T > max(lengths):
            if any(a.ndim > 2 for a in arrays):
                raise ValueError("each sequence in a list must be 1-D (steps) or 2-D (steps, features)")
            F = {a.shape[1] if a.ndim == 2 else 1 for a in arrays}
            if len(F) > 1:
                raise ValueError(f"sequences in a list must share their number of features, got {sorted(F)}")
            F = F.pop()
            out = np.full((len(arrays), T, F), np.nan)
            for i, a in enumerate(arrays):
                out[i, : a.shape[0]] = a.reshape(a.shape[0], F)
            return out if any(a.ndim == 2 for a in arrays) else out[:, :, 0]
    return X


def lengths_from_padding(X):
    """Valid steps per sample of a NaN-padded (n, T, F) array.

    A step is padding when all its features are NaN; padding must be trailing.

    Returns
    -------
    lengths : ndarray of shape (n,), int64
    """
    nan = np.isnan(X)
    pad_step = nan.all(axis=2)
    partial = nan.any(axis=2) & ~pad_step
    if partial.any():
        i, t = np.argwhere(partial)[0]
        raise ValueError(
            f"Input X contains NaN in some but not all features of sample {i} at step {t}: only whole "
            "padding steps (all features NaN) at the end of a sequence are supported"
        )
    lengths = np.where(pad_step.any(axis=1), pad_step.argmax(axis=1), X.shape[1]).astype(np.int64)
    after = np.arange(X.shape[1])[None, :] >= lengths[:, None]
    gap = after & ~pad_step
    if gap.any():
        i, t = np.argwhere(gap)[0]
        raise ValueError(
            f"Input X contains NaN at step {lengths[i]} of sample {i}, before its value at step {t}: "
            "NaN is only allowed as trailing padding of variable-length sequences"
        )
    if (lengths == 0).any():
        raise ValueError(
            f"Input X contains NaN only, in sample {int(np.argmin(lengths))}: every sequence needs at least one step"
        )
    return lengths


def check_lengths(lengths, n_samples, n_timesteps):
    """Validate a user ``lengths`` array: integers in [1, n_timesteps], shape (n_samples,)."""
    lengths = np.asarray(lengths)
    if lengths.shape != (n_samples,):
        raise ValueError(f"lengths must have shape ({n_samples},), got {lengths.shape}")
    if lengths.dtype.kind not in "iu":
        if lengths.dtype.kind == "f" and np.isfinite(lengths).all() and (lengths == np.round(lengths)).all():
            lengths = lengths.astype(np.int64)
        else:
            raise ValueError(f"lengths must be integers, got dtype {lengths.dtype}")
    if lengths.min() < 1 or lengths.max() > n_timesteps:
        raise ValueError(
            f"lengths must lie in [1, {n_timesteps}] (the number of time steps), "
            f"got min {lengths.min()} and max {lengths.max()}"
        )
    return lengths.astype(np.int64)


def check_sequences(estimator, X, dtype, reset, lengths=None):
    """Validate sequence input.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features)
        2-D input is a batch of univariate sequences (its columns are time steps, and
        sklearn's ``n_features_in_`` is their number); 3-D input carries features per step
        and may change its number of steps between fit and predict. A list of
        variable-length sequences is NaN-padded. Trailing all-NaN steps are padding.
    lengths : array-like of int of shape (n_samples,), optional
        Valid steps per sample; overrides NaN padding.

    Returns
    -------
    X3 : ndarray of shape (n_samples, n_timesteps, n_features), C-contiguous, ``dtype``,
        padding replaced by zeros
    lengths : ndarray of shape (n_samples,), int64
    """
    if not reset and lengths is None:
        fast = _fast_path(estimator, X, dtype)
        if fast is not None:
            return fast
    from sklearn.utils.validation import validate_data

    fitted_2d = not reset and getattr(estimator, "_input_ndim", None) == 2
    X = _to_array(X, steps=getattr(estimator, "n_features_in_", None) if fitted_2d else None)
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        ndim = np.asarray(X, dtype=object).ndim
    name = type(estimator).__name__
    if ndim < 2:
        try:
            check_array(X)  # raises sklearn's own "Expected 2D array, got 1D array instead" message
        except ValueError as exc:
            raise ValueError(f"{exc} {name} takes 2-D X (n_samples, n_timesteps) of univariate sequences or "
                             "3-D X (n_samples, n_timesteps, n_features).") from None
    fitted_ndim = getattr(estimator, "_input_ndim", None)
    if not reset and fitted_ndim is not None and ndim in (2, 3) and ndim != fitted_ndim:
        raise ValueError(f"{name} was fitted on {fitted_ndim}-D X, got {ndim}-D X")
    if ndim == 2 or hasattr(X, "columns"):
        try:
            # infinity is refused below, with the sample and step
            X = validate_data(estimator, X, reset=reset, ensure_all_finite=False, dtype=[np.float64, np.float32])
        except ValueError as exc:
            from pandas.api.types import is_numeric_dtype

            text_columns = [c for c in getattr(X, "columns", []) if not is_numeric_dtype(X[c])]
            if text_columns and "convert" in str(exc):
                raise ValueError(f"X has non-numeric column(s) {text_columns[:5]}: {exc}") from None
            if reset or "features, but" not in str(exc):
                raise
            raise ValueError(f"{exc} (2-D X holds univariate sequences: its columns are time steps; for sequences "
                             "of another length, pass trailing-NaN padding, or fit on 3-D X (n_samples, "
                             "n_timesteps, 1), which accepts any length)") from None
        X = X[:, :, None]
        input_ndim = 2
    elif ndim == 3:
        X = check_array(X, allow_nd=True, ensure_all_finite=False, dtype=[np.float64, np.float32])
        input_ndim = 3
        if reset:
            estimator.n_features_in_ = X.shape[2]
            if hasattr(estimator, "feature_names_in_"):
                del estimator.feature_names_in_
        elif X.shape[2] != estimator.n_features_in_:
            raise ValueError(
                f"X has {X.shape[2]} features per step, but {name} is expecting "
                f"{estimator.n_features_in_} features as input"
            )
    else:
        raise ValueError(
            f"X must be 2-D (n_samples, n_timesteps) or 3-D (n_samples, n_timesteps, n_features); got {ndim}-D"
        )
    if reset:
        estimator._input_ndim = input_ndim
    if X.shape[1] == 0:
        raise ValueError(f"X has no time steps (shape {X.shape})")
    if X.shape[2] == 0:
        raise ValueError(f"X has no features per step (shape {X.shape})")
    inf = np.isinf(X)
    if inf.any():
        i, t, f = np.argwhere(inf)[0]
        raise ValueError(f"Input X contains infinity or a value too large for its dtype (sample {i}, step {t}"
                         + (f", feature {f})" if X.shape[2] > 1 else ")"))
    if lengths is not None:
        lengths = check_lengths(lengths, X.shape[0], X.shape[1])
        valid = np.arange(X.shape[1])[None, :] < lengths[:, None]
        if np.isnan(X[valid]).any():
            raise ValueError("Input X contains NaN inside the valid steps given by lengths")
    elif np.isnan(X).any():
        lengths = lengths_from_padding(X)
    else:
        lengths = np.full(X.shape[0], X.shape[1], dtype=np.int64)
    X = np.where(np.isnan(X), 0, X) if np.isnan(X).any() else X
    _check_fits_dtype(X, dtype)
    if reset:
        _warn_far_from_unit_scale(X, name)
    return np.ascontiguousarray(X, dtype=dtype), lengths


# Root mean square of a feature above which fit warns (DataScaleWarning). With
# Glorot-initialised input weights a value of 50 drives a gate's pre-activation to ~15: the
# cells saturate and learn almost nothing (a regressor that reached R^2 0.53 on unit-scale
# inputs reached 0.13 on the same inputs times 10 plus 50, and nothing at times 1000). The
# typical size, not the largest value, is what matters: standardised heavy-tailed data
# (a few values 30 standard deviations out) trains fine and gets no warning.
UNIT_SCALE_LIMIT = 10.0


def _warn_far_from_unit_scale(X, name):
    """Warn once per fit when a feature of ``X`` (n, T, F) is far from unit scale: its
    root mean square (offset and spread together) above :data:`UNIT_SCALE_LIMIT`."""
    if X.size == 0:
        return
    with np.errstate(over="ignore"):  # squares of huge values: inf, which warns as it should
        rms = np.sqrt(np.mean(np.square(X), axis=(0, 1), dtype=np.float64))  # one copy of X, as np.abs made
    worst = int(np.argmax(rms))
    if rms[worst] > UNIT_SCALE_LIMIT:
        warnings.warn(
            f"X's feature {worst} has a root mean square of {rms[worst]:.3g} (values up to "
            f"{np.abs(X[..., worst]).max():.3g} in absolute value); recurrent cells saturate on inputs "
            f"far from unit scale and then learn little. Standardise X first: StandardScaler before {name} "
            "in a Pipeline for 2-D X, or each feature of 3-D X.",
            DataScaleWarning, stacklevel=_caller_level(),
        )


def _caller_level():
    """``stacklevel`` of the first frame outside tsrnn (the user's ``fit`` call) for a
    warning issued by the function that calls this one."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame, level = frame.f_back, level + 1
    return level


INPUT_MARGIN = 2.0**-20  # |X| above this fraction of the dtype's maximum is refused


def _check_fits_dtype(X, dtype):
    """Refuse values that overflow in the model's arithmetic: beyond the dtype (float64 X,
    float32 model), or so close to its limit that a weighted sum of a few of them in the
    gate pre-activations overflows (inf - inf gives NaN predictions)."""
    if not X.size:
        return
    limit = float(np.finfo(dtype).max) * INPUT_MARGIN
    largest = max(float(X.max()), -float(X.min()))
    if largest > limit:
        raise ValueError(
            f"Input X has values too large for {np.dtype(dtype).name} arithmetic (largest |X| {largest:.3g} > "
            f"{limit:.3g}); scale X" + (" or use dtype='float64'" if np.dtype(dtype) == np.float32 else "")
        )


def check_tokens(estimator, X, reset, lengths=None):
    """Validate token input (estimators with ``embedding_dim`` set).

    Parameters
    ----------
    X : array-like of int of shape (n_samples, n_timesteps), or a list of 1-D int sequences
        Token ids in ``[0, vocab_size)``. A list of variable-length sequences is padded
        with ``padding_idx``; in an array, trailing ``padding_idx`` tokens are padding
        (unless ``lengths`` is given).
    lengths : array-like of int of shape (n_samples,), optional

    In fit (``reset``) ``estimator.vocab_size_`` is set: the ``vocab_size`` parameter, or
    the largest id seen + 1. Afterwards ids must lie in ``[0, vocab_size_)``.

    Returns
    -------
    ids : ndarray of shape (n_samples, n_timesteps), int64, C-contiguous
    lengths : ndarray of shape (n_samples,), int64
    """
    name = type(estimator).__name__
    pad = estimator.padding_idx
    hint = "encode text first, e.g. with tsrnn.text.Tokenizer"
    if isinstance(X, str) or hasattr(X, "columns"):
        raise TypeError(f"{name} with embedding_dim set needs integer token ids, got {type(X).__name__}; {hint}")
    list_lengths = None
    if isinstance(X, (list, tuple)) and len(X) and all(hasattr(x, "__len__") and not isinstance(x, str) for x in X):
        seqs = [np.asarray(x) for x in X]
        if any(a.ndim != 1 for a in seqs):
            raise ValueError("token input as a list needs 1-D sequences of token ids")
        empty = [i for i, a in enumerate(seqs) if a.shape[0] == 0]
        if empty:
            raise ValueError(f"sample {empty[0]} is an empty sequence: every sample needs at least one token")
        for a in seqs:
            _check_int_dtype(a, name, hint)
        T = max(a.shape[0] for a in seqs)
        out = np.full((len(seqs), T), 0 if pad is None else pad, dtype=np.int64)
        for i, a in enumerate(seqs):
            out[i, : a.shape[0]] = a
        list_lengths = np.array([a.shape[0] for a in seqs], dtype=np.int64)
        X = out
    else:
        X = np.asarray(X)
        if X.size == 0:
            raise ValueError(f"token input is empty (shape {X.shape}): empty texts cannot be used")
        if X.dtype.kind in "US":
            raise TypeError(f"{name} with embedding_dim set needs integer token ids, got strings; {hint}")
        _check_int_dtype(X, name, hint)
        if X.ndim != 2:
            raise ValueError(f"token input must be 2-D (n_samples, n_timesteps) of ids; got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"token input has 0 samples (shape {X.shape}); at least 1 is required")
    if X.shape[1] == 0:
        raise ValueError(f"token input has no time steps (shape {X.shape}): empty texts cannot be used")
    X = X.astype(np.int64, copy=False)
    if (X < 0).any():
        i, t = np.argwhere(X < 0)[0]
        raise ValueError(f"token id {X[i, t]} (sample {i}, step {t}) is negative: ids must lie in [0, vocab_size)")
    if reset:
        vocab = estimator.vocab_size
        if vocab is None:
            vocab = int(X.max()) + 1
            if pad is not None:
                vocab = max(vocab, pad + 1)
        estimator.vocab_size_ = int(vocab)
        estimator.n_features_in_ = 1  # one token id per step; the number of steps may vary
        estimator._input_ndim = 2
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    vocab = estimator.vocab_size_
    if (X >= vocab).any():
        i, t = np.argwhere(X >= vocab)[0]
        raise ValueError(
            f"token id {X[i, t]} (sample {i}, step {t}) is outside the vocabulary [0, {vocab}) the model was "
            "fitted with; map unknown tokens to an <unk> id (tsrnn.text.Tokenizer does)"
        )
    if lengths is not None:
        lengths = check_lengths(lengths, X.shape[0], X.shape[1])
    elif list_lengths is not None:
        lengths = list_lengths
    elif pad is not None:
        is_pad = X == pad
        trailing = np.cumprod(is_pad[:, ::-1], axis=1).sum(axis=1)  # trailing padding tokens
        lengths = (X.shape[1] - trailing).astype(np.int64)
    else:
        lengths = np.full(X.shape[0], X.shape[1], dtype=np.int64)
    if (lengths == 0).any():
        i = int(np.argmin(lengths))
        raise ValueError(f"sample {i} holds only padding tokens (padding_idx={pad}): empty texts cannot be used")
    return np.ascontiguousarray(X), lengths


def _check_int_dtype(a, name, hint):
    if a.dtype.kind not in "iu":
        raise TypeError(
            f"{name} with embedding_dim set needs integer token ids, got dtype {a.dtype}; {hint}"
        )


_INPUT_LIMITS = {}


def _input_limit(dtype):
    """Largest accepted ``|X|`` for a network dtype (``np.finfo`` costs a microsecond a call)."""
    limit = _INPUT_LIMITS.get(dtype)
    if limit is None:
        limit = _INPUT_LIMITS[dtype] = float(np.finfo(dtype).max) * INPUT_MARGIN
    return limit


def reject_ragged_y(y, hint, what="sequences", unit="steps"):
    """ValueError when ``y`` is a list or tuple of sequences of different lengths (NumPy's
    "inhomogeneous shape" error otherwise): sequence targets are one rectangular array."""
    if not isinstance(y, (list, tuple)) or not y:
        return
    sizes = {len(v) for v in y if np.ndim(v) >= 1 and not isinstance(v, (str, bytes))}
    if len(sizes) > 1:
        raise ValueError(f"y holds {what} of different lengths ({min(sizes)} to {max(sizes)} {unit}): {hint}")


def shaped_as_fitted(estimator, X, dtype):
    """A float ndarray shaped as in fit, as a C-contiguous (n, T, F) array of ``dtype``
    (its values unchecked); None for anything else (lists, frames, other shapes), which
    the full validation handles."""
    fitted = estimator.__dict__  # (hasattr of a missing attribute costs an exception)
    if type(X) is not np.ndarray or X.dtype.kind != "f" or X.ndim != fitted.get("_input_ndim"):
        return None
    if "feature_names_in_" in fitted or X.shape[0] == 0 or X.shape[1] == 0:
        return None
    n_features = X.shape[1] if X.ndim == 2 else X.shape[2]
    if n_features != estimator.n_features_in_:
        return None
    if X.ndim == 3 and X.dtype == dtype and X.flags.c_contiguous:
        return X
    return np.ascontiguousarray(X[:, :, None] if X.ndim == 2 else X, dtype=dtype)


def _fast_path(estimator, X, dtype):
    """Prediction on a finite float ndarray shaped as in fit: skip sklearn's validation,
    which costs more than a one-sample forward pass. None when the full path is needed."""
    X3 = shaped_as_fitted(estimator, X, dtype)
    if X3 is None:
        return None
    # X, not X3: values beyond dtype's range became inf in X3; NaN makes the max NaN
    if not float(np.abs(X).max()) <= _input_limit(dtype):
        return None  # NaN padding, inf or values too large: the full path handles or explains them
    return X3, np.full(X3.shape[0], X3.shape[1], dtype=np.int64)


def check_vectors(estimator, X, dtype, reset):
    """Validate vector input (vec2seq): array-like of shape (n_samples, n_features), finite."""
    from sklearn.utils.validation import validate_data

    X = validate_data(estimator, X, reset=reset, dtype=[np.float64, np.float32])
    if reset:
        estimator._input_ndim = 2
    _check_fits_dtype(X, dtype)
    if reset:
        _warn_far_from_unit_scale(X[:, None, :], type(estimator).__name__)
    return np.ascontiguousarray(X, dtype=dtype), None


def check_int(name, value, low=1, allow_none=False):
    """An integer >= ``low`` (or None when allowed), as a Python int; ValueError naming ``name``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        what = "a positive integer" if low == 1 else f"an integer >= {low}"
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return int(value)


def check_positive_int(name, value, allow_none=False):
    return check_int(name, value, 1, allow_none)


def check_float(name, value, low=None, high=None, low_open=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}")
    return float(value)


def check_option(name, value, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}={value!r} is not supported; choose one of {sorted(allowed)}")
    return value
