"""warm_start and partial_fit: what continues, what is refused, what is rebuilt."""

import numpy as np
import pytest

from tsrnn import RNNClassifier, RNNRegressor


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 6, 2))
    return X, X[:, :, 0].sum(axis=1)


@pytest.mark.parametrize("change", [{"hidden_size": 16}, {"cell": "lstm"}, {"num_layers": 2},
                                    {"head_params": {"pooling": "mean"}}, {"dtype": "float64"}])
def test_warm_start_refuses_another_architecture(data, change):
    X, y = data
    model = RNNRegressor(hidden_size=8, max_epochs=1, warm_start=True, random_state=0).fit(X, y)
    before = model.network_.flat_params.copy()
    name = next(iter(change))
    with pytest.raises(ValueError, match=f"warm_start=True continues training the fitted network, built with "
                                         f"{name}=.*now say {name}="):
        model.set_params(**change).fit(X, y)
    np.testing.assert_array_equal(model.network_.flat_params, before)


@pytest.mark.parametrize("change", [{"embedding_dim": 6}, {"embedding_dim": None}, {"padding_idx": None}])
def test_warm_start_refuses_another_embedding(change):
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 9, size=(24, 5))
    model = RNNRegressor(hidden_size=4, max_epochs=1, embedding_dim=4, warm_start=True, random_state=0)
    model.fit(tokens, tokens.sum(axis=1).astype(float))
    name = next(iter(change))  # each was ignored: the network kept its embedding
    with pytest.raises(ValueError, match=f"built with {name}=.*now say {name}="):
        model.set_params(**change).fit(tokens, tokens.sum(axis=1).astype(float))


def test_partial_fit_refuses_another_architecture(data):
    X, y = data
    model = RNNRegressor(hidden_size=8, random_state=0).partial_fit(X, y)
    with pytest.raises(ValueError, match="partial_fit continues training .* hidden_size=8; .* hidden_size=4"):
        model.set_params(hidden_size=4).partial_fit(X, y)


def test_warm_start_trains_with_the_current_learning_rate(data):
    X, y = data
    model = RNNRegressor(hidden_size=8, max_epochs=2, warm_start=True, random_state=0).fit(X, y)
    before = model.network_.flat_params.copy()
    model.set_params(learning_rate=1e-30).fit(X, y)  # was ignored: the first fit's optimizer went on at 1e-3
    assert model._optimizer.lr == 1e-30
    np.testing.assert_allclose(model.network_.flat_params, before, rtol=0, atol=1e-12)


def test_warm_start_restarts_the_schedule(data):
    """A finished cosine schedule ends at lr 0; another warm fit trains again (a fresh
    optimizer and schedule per fit, as scikit-learn's MLP)."""
    X, y = data
    model = RNNRegressor(hidden_size=8, max_epochs=3, lr_schedule="cosine", warm_start=True, random_state=0).fit(X, y)
    before = model.network_.flat_params.copy()
    model.fit(X, y)
    assert np.abs(model.network_.flat_params - before).max() > 1e-4


def test_partial_fit_keeps_its_optimizer_unless_its_settings_change(data):
    X, y = data
    model = RNNRegressor(hidden_size=8, random_state=0).partial_fit(X, y)
    optimizer = model._optimizer
    model.partial_fit(X, y)
    assert model._optimizer is optimizer  # Adam's moments go on
    model.set_params(learning_rate=1e-3).partial_fit(X, y)
    assert model._optimizer is not optimizer and model._optimizer.lr == 1e-3


def test_partial_fit_accepts_a_weighted_batch_of_one_class():
    """Streams often deliver batches of one class; the classes were given on the first call."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(10, 5, 1))
    model = RNNClassifier(hidden_size=4, random_state=0)
    model.partial_fit(X, np.zeros(10, int), classes=[0, 1], sample_weight=np.ones(10))
    model.partial_fit(X, np.ones(10, int), sample_weight=np.ones(10))
    assert model.classes_.tolist() == [0, 1]
    with pytest.raises(ValueError, match="at least 2 classes with positive sample_weight"):
        RNNClassifier(hidden_size=4).fit(X, np.r_[np.zeros(9, int), 1], sample_weight=np.r_[np.ones(9), 0])


def test_warm_start_refuses_another_vocabulary_size():
    tokens = np.random.default_rng(0).integers(1, 9, size=(24, 5))
    y = tokens.sum(axis=1).astype(float)
    model = RNNRegressor(hidden_size=4, max_epochs=1, embedding_dim=4, vocab_size=10, warm_start=True, random_state=0)
    model.fit(tokens, y)
    with pytest.raises(ValueError, match="built with vocab_size=10.*now say vocab_size=20"):  # ignored before
        model.set_params(vocab_size=20).fit(tokens, y)
