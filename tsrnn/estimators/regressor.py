"""RNNRegressor: recurrent network regression with the scikit-learn API."""

import numpy as np

from ..nn import get_loss
from ._validation import check_array, reject_ragged_y
from .base import BaseRNN

REGRESSION_LOSSES = ("mse", "mae", "huber")


def _weighted_mean_std(flat, y, sample_weight):
    """Mean and std of each target column over its valid (non-NaN) values, each sample
    weighted by ``sample_weight`` (a zero weight leaves a sample out, as in the loss).

    ``flat`` is ``y`` (n, ...) reshaped to (n * steps, k) with NaN where a value is not valid.
    Where the squares of large targets overflow (beyond ~1e154 in float64), the column is
    computed again divided by a power of two near its largest magnitude (an exact scaling).
    """
    mean, std = _unit_mean_std(flat, y, sample_weight)
    over = ~np.isfinite(std) & np.isfinite(mean)
    if over.any():
        big = flat[:, over].astype(np.float64)
        unit = np.ldexp(1.0, np.frexp(np.nanmax(np.abs(big), axis=0))[1])
        m, sd = _unit_mean_std(big / unit, y, sample_weight)
        mean, std = mean.astype(np.float64), std.astype(np.float64)
        mean[over], std[over] = m * unit, sd * unit
    return mean, std


def _unit_mean_std(flat, y, sample_weight):
    if sample_weight is None:
        mean = np.nanmean(flat, axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            return mean, np.nanstd(flat, axis=0)
    if len(sample_weight) != y.shape[0]:  # sample_weight was checked against X
        raise ValueError(f"X has {len(sample_weight)} samples but y has {y.shape[0]}")
    w = np.broadcast_to(np.asarray(sample_weight, np.float64).reshape((-1,) + (1,) * (y.ndim - 1)), y.shape)
    w = np.where(np.isnan(flat), 0.0, w.reshape(flat.shape))
    values = np.where(w > 0, flat, 0.0)
    total = w.sum(axis=0)
    if not (total > 0).all():
        raise ValueError("sample_weight is zero for every valid value of a target column")
    with np.errstate(over="ignore", invalid="ignore"):
        mean = (w * values).sum(axis=0) / total
        return mean, np.sqrt((w * (values - mean) ** 2).sum(axis=0) / total)


def _r2_score(y, pred, sample_weight=None, valid=None):
    """R^2 of :meth:`RNNRegressor.score` and of its validation scores.

    ``y`` and ``pred`` are (n,) or (n, k) for vector outputs: scikit-learn's
    ``r2_score``, averaged uniformly over the k outputs. Sequence outputs are
    (n, T, k): each output's values at the ``valid`` (n, T) steps (default: all) are
    pooled, each weighted by its sample's weight, and their R^2 is averaged uniformly
    over k. Each output is divided by a power of two near its largest magnitude first:
    an exact scaling that leaves R^2 as it is, but keeps its squares from overflowing
    for |y| beyond ~1e154.
    """
    from sklearn.metrics import r2_score

    y, pred = np.asarray(y, np.float64), np.asarray(pred, np.float64)
    if y.ndim == 3:
        if valid is None:
            valid = np.ones(y.shape[:2], bool)
        if sample_weight is not None:
            sample_weight = np.broadcast_to(np.asarray(sample_weight, np.float64)[:, None], valid.shape)[valid]
        y, pred = y[valid], pred[valid]
    elif y.ndim and pred.ndim:  # (n,) is one output, as for r2_score
        y, pred = y.reshape(len(y), -1), pred.reshape(len(pred), -1)
    if y.shape == pred.shape and y.size:  # else r2_score says what is wrong
        big = np.fmax(np.abs(y).max(axis=0), np.abs(pred).max(axis=0))
        unit = np.ldexp(1.0, np.frexp(np.where(np.isfinite(big), big, 0.0))[1])  # NaN, inf: r2_score refuses them
        y, pred = y / unit, pred / unit
    return float(r2_score(y, pred, sample_weight=sample_weight))


class RNNRegressor(BaseRNN):
    """Recurrent network regressor (RNN, LSTM or GRU) on Numba kernels.

    The defaults (GRU, max pooling over time, Adam at 1e-2 on batches of 16, early
    stopping on a fifth of the samples with patience 20) were chosen on
    ``benchmarks/bench_regression.py`` (mean test R^2 over 3 seeds; inputs
    standardised): Covid3Month, CardanoSentiment and Tecator from the Monash/UEA
    regression archive and three generated tasks. The earlier defaults (LSTM, last step,
    1e-3, batch 32, no early stopping) scored 0.517 there, these 0.636 (ridge regression
    on the flattened sequences 0.455): on the small real sets the old ones overfit
    (CardanoSentiment, 74 samples: -0.71 against -0.08). On a task generated after the
    choice (a random walk's drift from 100 samples): 0.487 against 0.685. To train the
    last-step model on every sample, pass ``head_params={"pooling": "last"},
    early_stopping=False``.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}, default="gru"
    hidden_size : int, default=32
    num_layers : int, default=1
    head : str or Head, default="last"
        Task shape: "last" (sequence -> vector), "sequence" (aligned sequence ->
        sequence), "vec2seq" (vector -> sequence), "encoder_decoder" (sequence ->
        sequence of ``output_length`` steps), or a registered plugin head.
    head_params : dict or None, default=None
        Head options, e.g. ``{"pooling": "mean"}`` or ``{"teacher_forcing": 0.5}``.
        None: max pooling over time for the "last" head (``{"pooling": "max"}``), the
        head's own defaults for the others.
    output_length : int, optional
        Output steps of "vec2seq" / "encoder_decoder" (default: taken from y in fit;
        may be changed before predict).
    nonlinearity : {"tanh", "relu"}, default="tanh"
        Activation of the Elman RNN cell.
    loss : {"mse", "mae", "huber"} or None, default=None
        None: "mse" (mean squared error).
    max_epochs : int, default=200
    batch_size : int, default=16
    learning_rate : float, default=1e-2
    optimizer : {"adam", "adamw", "sgd", "rmsprop"}, default="adam"
    weight_decay : float, default=0.0
    clip_norm : float or None, default=1.0
        Global gradient-norm clipping.
    lr_schedule : {"constant", "step", "cosine", "reduce_on_plateau"}, default="constant"
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the samples, stop when the validation loss
        has not improved by ``tol`` for ``patience`` epochs and restore the best weights.
        Without it, training stops when the training loss stalls the same way.
        (``partial_fit`` trains on every sample it is given.)
    validation_fraction : float, default=0.2
    patience : int, default=20
    tol : float, default=1e-4
    random_state : int, RandomState or None
        Weights, shuffling and validation split. Same seed, same predictions,
        bitwise, whatever ``n_jobs``.
    n_jobs : int or None
        Numba threads for the kernels (None: leave the current setting; -1 all cores,
        -2 all but one, as in scikit-learn). BLAS runs
        one thread inside a fit or predict whatever ``n_jobs`` (its threading would
        change the rounding with the thread count).
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where the recurrent layers run. "cuda" needs a usable NVIDIA GPU (fit raises
        DeviceUnavailableError naming the reason otherwise); "auto" uses one for large
        batches when usable. Model files do not record the device: a loaded model
        predicts on the CPU (``model.network_.set_device("cuda")`` moves it).
    dtype : {"float32", "float64"}, default="float32"
    verbose : int, default=0
        Progress bar on stderr when > 0.
    warm_start : bool, default=False
        Continue from the current weights on the next ``fit``.
    checkpoint : str or Path, optional
        File written every ``checkpoint_every`` epochs, at most once a second (see
        ``fit(resume=True)``). It records a fingerprint of the training data and stays
        after the fit (a resume with the same data returns the finished model at once);
        delete it when done.
    checkpoint_every : int, default=1
    embedding_dim : int, optional
        Token input: X holds integer token ids of shape (n_samples, n_timesteps) (or a
        list of 1-D id sequences), looked up in a trainable embedding of this many
        columns that shares the model's flat parameter vector. Non-integer X raises
        TypeError; ids outside ``[0, vocab_size_)`` raise ValueError.
    vocab_size : int, optional
        Number of token ids (default: the largest id seen in fit + 1).
    padding_idx : int or None, default=0
        Padding token of token input: trailing padding marks shorter sequences, its
        embedding row stays zero and gets no gradient.

    Attributes
    ----------
    network_ : Head
        The fitted model; all weights in ``network_.flat_params``.
    n_features_in_ : int
        Columns of 2-D X (time steps), or features per step of 3-D X.
    loss_curve_ : list of float
        Training loss per epoch (on standardised targets).
    validation_loss_curve_, validation_scores_ : list of float
        Validation loss and R^2 (as :meth:`score` computes it) per epoch (with early_stopping).
    best_loss_ : float
        Best monitored loss (validation loss with early_stopping, else training loss).
    n_iter_ : int
        Epochs run.
    y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        Target standardisation learned in fit and inverted in predict.
    vocab_size_ : int
        Token input only: the vocabulary size the embedding was built with.

    Notes
    -----
    2-D X is a batch of univariate sequences whose columns are the time steps; 3-D X
    is (n_samples, n_timesteps, n_features). Variable-length sequences are given by
    trailing all-NaN steps or the ``lengths`` argument; for the aligned "sequence"
    head, predictions past a sample's length are NaN.
    """

    _task = "regression"
    _estimator_type = "regressor"  # read by older tools; scikit-learn itself reads the tags

    def _loss_fn(self):
        name = self.loss or "mse"
        if name not in REGRESSION_LOSSES:
            raise ValueError(f"loss={name!r} is not supported by RNNRegressor; choose one of {list(REGRESSION_LOSSES)}")
        return get_loss(name)

    def _encode_y(self, y, head, X, lengths, reset, classes=None, sample_weight=None):
        self._loss_fn()
        if head.output_kind == "sequence":
            reject_ragged_y(y, "give y as one array of shape (n_samples, n_steps[, n_outputs]); steps past each "
                               "sample's input length may hold NaN (they are not scored)")
        else:
            reject_ragged_y(y, "give y of shape (n_samples,) or (n_samples, n_outputs)", "rows", "outputs")
        y = check_array(y, ensure_2d=False, allow_nd=True, ensure_all_finite="allow-nan", dtype=[np.float64, np.float32])
        if head.output_kind == "vector":
            if y.ndim not in (1, 2):
                raise ValueError(f"head {head.name!r} needs y of shape (n_samples,) or (n_samples, n_outputs); got {y.shape}")
            y_ndim = y.ndim
            y = y.reshape(y.shape[0], -1)
            valid = np.ones(y.shape, bool)
            output_length = None
        else:
            if y.ndim not in (2, 3):
                raise ValueError(
                    f"head {head.name!r} needs y of shape (n_samples, n_steps) or (n_samples, n_steps, n_outputs); got {y.shape}"
                )
            y_ndim = y.ndim
            y = y.reshape(y.shape[0], y.shape[1], -1)
            output_length = y.shape[1]
            if head.aligned:
                if y.shape[1] != X.shape[1]:
                    raise ValueError(f"head {head.name!r} needs one target per input step: X has {X.shape[1]} steps, y has {y.shape[1]}")
                valid = np.broadcast_to((np.arange(y.shape[1])[None, :] < lengths[:, None])[:, :, None], y.shape)
                output_length = None
            else:
                valid = np.ones(y.shape, bool)
                if self.output_length is not None and self.output_length != output_length and reset:
                    raise ValueError(f"output_length={self.output_length} but y has {output_length} steps")
                fitted = None if reset else getattr(getattr(self, "network_", None), "spec", None)
                if fitted is not None and fitted.output_length is not None and fitted.output_length != output_length:
                    raise ValueError(f"y has {output_length} steps but the model was fitted with "
                                     f"{fitted.output_length}; another length needs a new fit (warm_start=False)")
        if not np.isfinite(y[valid]).all():
            raise ValueError("y contains NaN or infinite values")
        k = y.shape[-1]
        if reset:
            flat = np.where(valid, y, np.nan).reshape(-1, k)
            self.y_mean_, scale = _weighted_mean_std(flat, y, sample_weight)
            # predictions are mean + scale * (a network output of a few units): both must
            # stay far from float64 overflow
            limit = np.finfo(np.float64).max / 1e6
            if not (np.abs(self.y_mean_) < limit).all() or not (scale < limit).all():
                raise ValueError(
                    f"y has values too large to standardise (largest |y| {np.nanmax(np.abs(flat)):.3g}); "
                    "rescale y, e.g. divide it by a constant"
                )
            # a constant target column is scaled by its level (1 at level 0), as the
            # forecaster's constant windows: a network output of ~1e-2 stays ~1e-2 of it
            self.y_scale_ = np.where(scale > 0, scale, np.where(np.abs(self.y_mean_) > 1e-290,
                                                                np.abs(self.y_mean_), 1.0))
            self._y_ndim = y_ndim
        elif k != self.y_mean_.shape[0]:
            raise ValueError(f"y has {k} outputs but the model was fitted with {self.y_mean_.shape[0]}")
        y = np.where(valid, (y - self.y_mean_) / self.y_scale_, 0.0)
        return np.ascontiguousarray(y, dtype=self._dtype), k, output_length

    def __sklearn_tags__(self):
        from sklearn.utils import RegressorTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.regressor_tags = RegressorTags()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        return tags

    def partial_fit(self, X, y, sample_weight=None, lengths=None):
        """One epoch over (X, y), starting from the current weights (built on first call)."""
        return self._fit(X, y, sample_weight, lengths, incremental=True)

    def predict(self, X, lengths=None):
        """Predictions, shaped like the y given to fit.

        Parameters
        ----------
        X : array-like, as in fit
        lengths : array-like of int of shape (n_samples,), optional

        Returns
        -------
        y_pred : ndarray of shape (n_samples[, n_outputs]) or (n_samples, n_steps[, n_outputs])
        """
        if hasattr(self, "network_") and not hasattr(self, "y_mean_"):
            raise ValueError("this RNNRegressor is a network trained by RNNForecaster on scaled windows (e.g. "
                             "loaded from a forecaster's checkpoint); forecast with the RNNForecaster")
        scaling = (self.y_scale_, self.y_mean_) if hasattr(self, "y_mean_") else None  # unfitted: raises below
        out, lengths = self._raw_predict(X, lengths, target_scaling=scaling)
        if (lengths is not None and self.network_.output_kind == "sequence" and self.network_.aligned
                and lengths.min() < out.shape[1]):
            out[np.arange(out.shape[1])[None, :] >= lengths[:, None]] = np.nan
        if self._y_ndim < out.ndim:
            out = out[..., 0]
        return out

    def _score_from_outputs(self, out, y, lengths, sample_weight=None):
        """The validation score: :meth:`score`'s R^2 on model-space outputs and targets
        (standardising each output column leaves its R^2 unchanged)."""
        net = self.network_
        if net.output_kind != "sequence":
            return _r2_score(y.reshape(y.shape[0], -1), out.reshape(out.shape[0], -1), sample_weight)
        valid = None
        if net.aligned and lengths is not None:
            valid = np.arange(out.shape[1])[None, :] < lengths[:, None]
        shape = out.shape[:2] + (-1,)
        return _r2_score(y.reshape(shape), out.reshape(shape), sample_weight, valid)

    def score(self, X, y, sample_weight=None, lengths=None):
        """Coefficient of determination R^2 of the predictions.

        For vector outputs (the "last" head), scikit-learn's ``r2_score`` (averaged
        uniformly over the outputs). For sequence outputs, the R^2 of each output
        dimension over all its valid (sample, step) values pooled together, averaged
        uniformly over the output dimensions: y of shape (n, T) and (n, T, 1) give the
        same score, and steps past a sample's length (padding) are left out.

        Parameters
        ----------
        X : array-like, as in fit
        y : array-like, shaped as the predictions (NaN allowed on padded steps)
        sample_weight : array-like of shape (n_samples,), optional
            Weight of each sample (of each of its valid steps for sequence outputs).
        lengths : array-like of int of shape (n_samples,), optional
            As in :meth:`fit` (else trailing-NaN padding marks them).

        Returns
        -------
        score : float
        """
        pred = self.predict(X, lengths)
        y = np.asarray(y, dtype=float)
        if self.network_.output_kind != "sequence":
            return _r2_score(y, pred, sample_weight)
        if y.shape[:2] != pred.shape[:2] or y.size != pred.size:
            raise ValueError(f"y has shape {y.shape}; the predictions have shape {pred.shape}")
        shape = pred.shape[:2] + (-1,)
        valid = ~np.isnan(pred.reshape(shape)[:, :, 0])  # predict writes NaN past each length
        return _r2_score(y.reshape(shape), pred.reshape(shape), sample_weight, valid)
