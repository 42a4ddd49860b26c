"""Token input (embedding_dim): validation, learning, model files."""

import numpy as np
import pytest

import tsrnn
from tsrnn import RNNClassifier, RNNRegressor

FAST = dict(hidden_size=8, embedding_dim=4, max_epochs=3, batch_size=16, random_state=0)


@pytest.fixture
def tokens():
    rng = np.random.default_rng(0)
    X = rng.integers(1, 9, size=(40, 7))
    X[::3, 5:] = 0  # trailing padding: shorter sequences
    y = (X == 3).any(axis=1).astype(int)
    return X, y


def test_classifier_learns_token_presence():
    rng = np.random.default_rng(1)
    X = rng.integers(1, 9, size=(200, 10))
    y = (X == 3).any(axis=1)
    model = RNNClassifier(cell="gru", hidden_size=16, embedding_dim=8, max_epochs=40, learning_rate=1e-2,
                          random_state=0).fit(X, y)
    assert model.score(X, y) > 0.95
    assert model.vocab_size_ == 9
    assert model.network_.embedding.weight.base is not None  # a view into the flat vector
    assert np.all(model.network_.embedding.weight[0] == 0)  # padding row never trained


def test_lists_of_variable_length_and_lengths(tokens):
    X, y = tokens
    model = RNNClassifier(**FAST).fit(X, y)
    seqs = [row[row > 0] for row in X[:5]]
    proba_list = model.predict_proba(seqs)
    proba_arr = model.predict_proba(X[:5])
    np.testing.assert_allclose(proba_list, proba_arr, rtol=1e-5)
    lengths = np.array([len(s) for s in seqs])
    np.testing.assert_allclose(model.predict_proba(X[:5], lengths=lengths), proba_arr, rtol=1e-5)


def test_sequence_head_and_regressor(tokens):
    X, _ = tokens
    y = np.cumsum(X == 3, axis=1).astype(float)
    model = RNNRegressor(head="sequence", **FAST).fit(X, y)
    pred = model.predict(X)
    assert pred.shape == X.shape
    assert np.isnan(pred[0, 5:]).all()  # padded steps


def test_model_file_round_trip_includes_embedding(tokens, tmp_path):
    X, y = tokens
    model = RNNClassifier(**FAST).fit(X, y)
    model.save(tmp_path / "m.tsrnn")
    loaded = tsrnn.load(tmp_path / "m.tsrnn")
    assert loaded.network_.embedding is not None
    assert loaded.vocab_size_ == model.vocab_size_
    np.testing.assert_array_equal(loaded.network_.embedding.weight, model.network_.embedding.weight)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("bad,err,match", [
    (lambda X: X.astype(float), TypeError, "integer token ids"),
    (lambda X: X.astype(str), TypeError, "strings"),
    (lambda X: np.where(X == 3, 42, X), ValueError, "token id 42"),
    (lambda X: np.where(X == 3, -1, X), ValueError, "token id -1"),
    (lambda X: [[1, 2], []], ValueError, "empty"),
    (lambda X: np.zeros((2, 0), int), ValueError, "empty"),
    (lambda X: np.zeros((2, 3), int), ValueError, "only padding"),
    (lambda X: X[:, :, None], ValueError, "2-D"),
])
def test_bad_token_input(tokens, bad, err, match):
    X, y = tokens
    model = RNNClassifier(**FAST).fit(X, y)
    with pytest.raises(err, match=match):
        model.predict(bad(X))


def test_bad_parameters(tokens):
    X, y = tokens
    with pytest.raises(ValueError, match="padding_idx"):
        RNNClassifier(**FAST, vocab_size=5, padding_idx=7).fit(X, y)
    with pytest.raises(ValueError, match="vocabulary"):
        RNNClassifier(**FAST, vocab_size=5).fit(X, y)  # ids up to 8
    with pytest.raises(ValueError, match="embedding_dim"):
        RNNClassifier(**(FAST | {"embedding_dim": 0})).fit(X, y)
    with pytest.raises(ValueError, match="sequence head"):
        RNNRegressor(head="vec2seq", **FAST).fit(X, np.zeros((40, 3)))


def test_float_estimators_unchanged_by_token_support():
    X = np.random.default_rng(0).standard_normal((20, 6, 2))
    model = RNNRegressor(hidden_size=4, max_epochs=2, random_state=0).fit(X, X[:, -1, 0])
    assert model.network_.embedding is None
    assert "embedding" not in " ".join(model.network_.named_parameters())


def test_partial_fit_warm_start_and_pickle(tokens):
    import pickle

    X, y = tokens
    model = RNNClassifier(**FAST).partial_fit(X, y, classes=[0, 1])
    before = model.network_.embedding.weight.copy()
    model.partial_fit(X, y)
    assert not np.array_equal(before, model.network_.embedding.weight)  # the embedding trains
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model.partial_fit(X + 5, y)
    model.set_params(warm_start=True, max_epochs=1).fit(X, y)
    clone = pickle.loads(pickle.dumps(model))
    assert np.shares_memory(clone.network_.embedding.weight, clone.network_.flat_params)
    np.testing.assert_array_equal(clone.predict_proba(X), model.predict_proba(X))
