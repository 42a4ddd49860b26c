"""RNNClassifier: recurrent network classification with the scikit-learn API."""

import numpy as np

from ..nn import get_loss, softmax
from ._validation import reject_ragged_y
from .base import BaseRNN


class RNNClassifier(BaseRNN):
    """Recurrent network classifier (RNN, LSTM or GRU) on Numba kernels.

    Takes the same parameters as :class:`RNNRegressor` (the loss is always softmax
    cross-entropy; GRU, max pooling over time for the "last" head, Adam at 1e-2 on
    batches of 16), with other defaults where classification is better served:

    early_stopping : default=False
        A tenth of the 36-50 training series of a small UCR set is 4-5 series; early
        stopping on them scored 0.760 against 0.817 on the sets below.
    validation_fraction : default=0.1
    patience : default=10

    The GRU, pooling, rate and batch were chosen on real sequence sets
    (``benchmarks/bench_classification.py``, mean test accuracy over 3 seeds): the
    regressor's LSTM defaults of the time (last step, lr 1e-3, batch 32) scored 0.735 over GunPoint, ItalyPowerDemand and five UCR/UEA sets from
    aeon's wheel, these 0.817; on three sets no choice had looked at (Trace,
    UnitTest, ACSF1) 0.492 against 0.849. No single change did it: the GRU alone
    0.669 (two seeds), max pooling alone 0.738, GRU with max pooling 0.749.

    With the "last" head, y holds one label per sample; with "sequence", "vec2seq" or
    "encoder_decoder" heads, one label per output step (y of shape (n_samples,
    n_steps)) and ``predict`` returns labels of that shape.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    network_, n_features_in_, loss_curve_, validation_loss_curve_, validation_scores_,
    best_loss_, n_iter_ :
        As in :class:`RNNRegressor` (validation scores are accuracies).
    """

    _task = "classification"
    _estimator_type = "classifier"  # read by older tools; scikit-learn itself reads the tags

    # scikit-learn reads parameters and defaults from this signature: every one is listed
    def __init__(
        self,
        cell="gru",
        hidden_size=32,
        num_layers=1,
        head="last",
        head_params=None,
        output_length=None,
        nonlinearity="tanh",
        loss=None,
        max_epochs=200,
        batch_size=16,
        learning_rate=1e-2,
        optimizer="adam",
        weight_decay=0.0,
        clip_norm=1.0,
        lr_schedule="constant",
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        tol=1e-4,
        random_state=None,
        n_jobs=None,
        device="cpu",
        dtype="float32",
        verbose=0,
        warm_start=False,
        checkpoint=None,
        checkpoint_every=1,
        embedding_dim=None,
        vocab_size=None,
        padding_idx=0,
    ):
        super().__init__(
            cell=cell, hidden_size=hidden_size, num_layers=num_layers, head=head, head_params=head_params,
            output_length=output_length, nonlinearity=nonlinearity, loss=loss, max_epochs=max_epochs,
            batch_size=batch_size, learning_rate=learning_rate, optimizer=optimizer, weight_decay=weight_decay,
            clip_norm=clip_norm, lr_schedule=lr_schedule, early_stopping=early_stopping,
            validation_fraction=validation_fraction, patience=patience, tol=tol, random_state=random_state,
            n_jobs=n_jobs, device=device, dtype=dtype, verbose=verbose, warm_start=warm_start, checkpoint=checkpoint,
            checkpoint_every=checkpoint_every, embedding_dim=embedding_dim, vocab_size=vocab_size,
            padding_idx=padding_idx,
        )

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags

    def _loss_fn(self):
        if self.loss not in (None, "cross_entropy"):
            raise ValueError(f"loss={self.loss!r} is not supported by RNNClassifier; use 'cross_entropy' (or None)")
        return get_loss("cross_entropy")

    def _encode_y(self, y, head, X, lengths, reset, classes=None, sample_weight=None):
        import pandas as pd
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import column_or_1d

        if head.output_kind == "vector":
            y = column_or_1d(y, warn=True)
            valid = np.ones(y.shape, bool)
        else:
            reject_ragged_y(y, "give y as one array of shape (n_samples, n_steps) of labels; steps past each "
                               "sample's input length may hold any label (they are not scored)")
            y = np.asarray(y)
            if y.ndim != 2:
                raise ValueError(f"head {head.name!r} needs y of shape (n_samples, n_steps) (one label per step); got {y.shape}")
            if head.aligned:
                if y.shape[1] != X.shape[1]:
                    raise ValueError(f"head {head.name!r} needs one label per input step: X has {X.shape[1]} steps, y has {y.shape[1]}")
                valid = np.arange(y.shape[1])[None, :] < lengths[:, None]
            else:
                valid = np.ones(y.shape, bool)
                if reset and self.output_length is not None and self.output_length != y.shape[1]:
                    raise ValueError(f"output_length={self.output_length} but y has {y.shape[1]} steps")
        if y.dtype == object and pd.isna(y[valid]).any():  # None, NaN, pd.NA (e.g. a categorical's missing)
            raise ValueError("y contains missing labels (None or NaN); drop those samples or give them a label")
        check_classification_targets(y[valid])
        if reset:
            try:
                labels = np.unique(y[valid]) if classes is None else np.unique(np.asarray(classes))
            except TypeError:  # e.g. numbers and strings mixed: no order to sort them in
                raise ValueError("y (or classes) mixes label types that cannot be ordered, e.g. numbers and "
                                 "strings; use one type") from None
            if labels.shape[0] < 2:
                raise ValueError(
                    f"RNNClassifier needs at least 2 classes to train; y has only one class: {labels.tolist()}"
                )
            self.classes_ = labels
        unknown = ~np.isin(y[valid], self.classes_)
        if unknown.any():
            raise ValueError(f"y contains labels not in classes_: {np.unique(y[valid][unknown]).tolist()[:10]}")
        codes = np.zeros(y.shape, dtype=np.int64)
        codes[valid] = np.searchsorted(self.classes_, y[valid])
        output_length = y.shape[1] if head.output_kind == "sequence" and not head.aligned else None
        return codes, len(self.classes_), output_length

    def partial_fit(self, X, y, classes=None, sample_weight=None, lengths=None):
        """One epoch over (X, y) from the current weights; ``classes`` is required on the first call."""
        if not hasattr(self, "network_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        if hasattr(self, "classes_") and classes is not None:
            given = np.unique(np.asarray(classes))
            if given.shape != self.classes_.shape or not (given == self.classes_).all():
                raise ValueError(f"classes={given.tolist()} is not the same as on the first call to partial_fit "
                                 f"(classes_={self.classes_.tolist()}); a fitted classifier keeps its classes")
        return self._fit(X, y, sample_weight, lengths, incremental=True, classes=classes)

    def _padded_steps(self, out, lengths):
        """Mask (n_samples, n_steps) of the steps past each sample's length for aligned
        sequence heads (None when there are none)."""
        if (lengths is None or not (self.network_.output_kind == "sequence" and self.network_.aligned)
                or lengths.min() >= out.shape[1]):
            return None
        return np.arange(out.shape[1])[None, :] >= lengths[:, None]

    def decision_function(self, X, lengths=None):
        """Logits: shape (n_samples, n_classes) ((n_samples,) for binary: logit of classes_[1]
        minus logit of classes_[0]); sequence heads add a step axis, NaN on the steps past
        a sample's length (as the regressor's predictions)."""
        out, lengths = self._raw_predict(X, lengths)
        out = out.astype(np.float64)
        padded = self._padded_steps(out, lengths)
        if padded is not None:
            out[padded] = np.nan
        if out.shape[-1] == 2:
            return out[..., 1] - out[..., 0]
        return out

    def predict_proba(self, X, lengths=None):
        """Class probabilities of shape (n_samples, n_classes) (or (n_samples, n_steps,
        n_classes), NaN on the steps past a sample's length)."""
        out, lengths = self._raw_predict(X, lengths)
        proba = softmax(out.astype(np.float64), axis=-1)
        padded = self._padded_steps(proba, lengths)
        if padded is not None:
            proba[padded] = np.nan
        return proba

    def predict_log_proba(self, X, lengths=None):
        return np.log(self.predict_proba(X, lengths))

    def predict(self, X, lengths=None):
        """Labels of shape (n_samples,) (or (n_samples, n_steps) for sequence heads).

        A label array has no missing value: on the steps past a sample's length (its
        padding) the labels mean nothing; mask them with ``lengths``, or read
        :meth:`predict_proba`, which is NaN there."""
        out, _ = self._raw_predict(X, lengths)
        return self.classes_[out.argmax(axis=-1)]

    def _score_from_outputs(self, out, y, lengths, sample_weight=None):
        """The validation score: accuracy as :meth:`score` computes it, on class codes."""
        hits = (out.argmax(axis=-1) == y).astype(np.float64)
        w = np.ones(hits.shape) if sample_weight is None else np.broadcast_to(
            np.asarray(sample_weight, np.float64).reshape((-1,) + (1,) * (hits.ndim - 1)), hits.shape)
        if self.network_.output_kind == "sequence" and self.network_.aligned and lengths is not None:
            w = w * (np.arange(hits.shape[1])[None, :] < lengths[:, None])
        return float((hits * w).sum() / w.sum())

    def score(self, X, y, sample_weight=None, lengths=None):
        """Accuracy (per step for sequence heads, over each sample's valid steps only).

        ``lengths`` as in :meth:`fit` (else trailing-NaN padding marks them).
        """
        out, lengths = self._raw_predict(X, lengths)
        pred = self.classes_[out.argmax(axis=-1)]
        y = np.asarray(y)
        if pred.ndim == 1:
            from sklearn.metrics import accuracy_score

            return accuracy_score(y, pred, sample_weight=sample_weight)
        if y.shape != pred.shape:
            raise ValueError(f"y has shape {y.shape}; the predictions have shape {pred.shape}")
        hits = (pred == y).astype(float)
        w = np.ones(hits.shape) if sample_weight is None else np.broadcast_to(
            np.asarray(sample_weight, float)[:, None], hits.shape)
        if lengths is not None and self.network_.aligned:  # padded steps are not predictions
            w = w * (np.arange(hits.shape[1])[None, :] < lengths[:, None])
        return float((hits * w).sum() / w.sum())
