"""Found by the estimator review of 2026-12-07 (sixth session): zero sample weights in a
batch or a split, AdamW's weight_decay=0, early stopping of a warm-started fit, a stale
best_validation_score_, and the language model's progress stream and tiny temperatures."""

import contextlib
import io

import numpy as np
import pytest

from tsrnn import RNNRegressor
from tsrnn.text import RNNLanguageModel

KW = dict(hidden_size=4, max_epochs=3, random_state=0, early_stopping=False)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 6, 2))
    return X, X[:, :, 0].sum(1)


def test_batches_of_zero_weights_are_skipped_and_equal_dropping_those_samples(data):
    X, y = data
    w = np.r_[np.zeros(10), np.ones(10)]
    weighted = RNNRegressor(batch_size=1, **KW).fit(X, y, sample_weight=w)  # ten batches weigh nothing
    assert weighted.n_iter_ == 3 and np.isfinite(weighted.predict(X)).all()
    assert weighted.t_ == 3 * 10  # an optimizer step per batch with weight, none for the others


def test_a_split_of_zero_weights_is_named():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6, 2))
    w = np.zeros(40)
    w[[0, 20, 30]] = 1
    with pytest.raises(ValueError, match="validation split .* holds only samples of weight 0"):
        RNNRegressor(hidden_size=4, max_epochs=2, random_state=0).fit(X, X[:, :, 0].sum(1), sample_weight=w)


def test_adamw_weight_decay_zero_means_none(data):
    X, y = data
    none = RNNRegressor(optimizer="adamw", weight_decay=0.0, **KW).fit(X, y)
    some = RNNRegressor(optimizer="adamw", weight_decay=0.01, **KW).fit(X, y)
    assert none._optimizer.weight_decay == 0.0
    assert not np.array_equal(none.predict(X), some.predict(X))


def test_warm_started_early_stopping_judges_its_own_epochs():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 8, 2))
    y = X[:, :, 0].sum(1)
    model = RNNRegressor(hidden_size=6, max_epochs=6, patience=3, learning_rate=0.1, batch_size=4,
                         random_state=0, warm_start=True).fit(X, y)
    first = len(model.validation_scores_)
    model.fit(X, y + 3 * rng.normal(size=30))
    second = model.validation_scores_[first:]
    assert model.best_validation_score_ == max(second)
    assert model.best_loss_ == min(model.validation_loss_curve_[first:])


def test_a_fit_without_validation_drops_the_previous_best_score(data):
    X, y = data
    model = RNNRegressor(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    assert hasattr(model, "best_validation_score_")
    model.set_params(early_stopping=False).fit(X, y)
    assert not hasattr(model, "best_validation_score_")


def test_language_model_progress_goes_to_stderr_and_tiny_temperatures_are_greedy():
    lm = RNNLanguageModel(hidden_size=8, max_epochs=1, verbose=1, random_state=0)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        lm.fit(["hello world hello there"] * 5)
    assert out.getvalue() == "" and "epoch 1: loss=" in err.getvalue()
    assert lm.generate("hel", n=6, temperature=1e-309) == lm.generate("hel", n=6, temperature=0)


@pytest.mark.parametrize("head", ["encoder_decoder", "vec2seq"])
def test_continuing_with_targets_of_another_length_is_named(head):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 8, 2)) if head == "encoder_decoder" else rng.normal(size=(30, 3))
    y4, y7 = rng.normal(size=(30, 4)), rng.normal(size=(30, 7))
    model = RNNRegressor(head=head, warm_start=True, **KW).fit(X, y4)
    for call in (model.fit, model.partial_fit):
        with pytest.raises(ValueError, match="y has 7 steps but the model was fitted with 4"):
            call(X, y7)
    model.partial_fit(X, y4)  # the same length continues
    assert model.predict(X).shape == (30, 4)


def test_a_list_of_ragged_univariate_sequences_predicts_at_any_length_up_to_the_fitted_one():
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=k) for k in [3, 4, 5, 6] * 3]
    model = RNNRegressor(**KW).fit(seqs, [s.sum() for s in seqs])
    assert model.n_features_in_ == 6
    padded = np.full((1, 6), np.nan)
    padded[0, :3] = seqs[0]
    assert model.predict(seqs[:1])[0] == model.predict(padded)[0] == model.predict(seqs)[0]
    with pytest.raises(ValueError, match="X has 8 features"):
        model.predict([rng.normal(size=8)])  # longer than any training sequence: named
