"""Estimator inputs found wanting by a new-user review: a checkpoint path never replaces
a user's file, classes stay fixed across partial_fit, unusable labels and sequence
lengths get messages that say what to do."""

import numpy as np
import pytest

from tsrnn import RNNClassifier, RNNRegressor

SMALL = dict(hidden_size=4, max_epochs=2, random_state=0)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 6, 1))
    return X, X[:, -1, 0]


def test_checkpoint_never_replaces_a_user_file(tmp_path, data):
    X, y = data
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    with pytest.raises(ValueError, match="not a tsrnn checkpoint"):
        RNNRegressor(checkpoint=str(notes), **SMALL).fit(X, y)
    assert notes.read_text() == "my notes"
    with pytest.raises(ValueError, match="is a folder"):
        RNNRegressor(checkpoint=str(tmp_path), **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="does not exist"):
        RNNRegressor(checkpoint=str(tmp_path / "no" / "ckpt"), **SMALL).fit(X, y)
    # a saved model is not a checkpoint either
    saved = tmp_path / "model.tsrnn"
    RNNRegressor(**SMALL).fit(X, y).save(saved)
    with pytest.raises(ValueError, match="not a tsrnn checkpoint"):
        RNNRegressor(checkpoint=str(saved), **SMALL).fit(X, y)


def test_a_previous_checkpoint_is_replaced(tmp_path, data):
    X, y = data
    ckpt = tmp_path / "run.ckpt"
    stops_at_once = dict(patience=1, tol=1e9)  # a stopping fit writes its checkpoint whatever the time
    RNNRegressor(checkpoint=str(ckpt), **SMALL, **stops_at_once).fit(X, y)
    assert ckpt.exists()
    before = ckpt.read_bytes()
    RNNRegressor(checkpoint=str(ckpt), **{**SMALL, "random_state": 1}, **stops_at_once).fit(X, y)
    assert ckpt.read_bytes() != before


def test_partial_fit_keeps_its_classes(data):
    X, _ = data
    y = np.arange(len(X)) % 2
    clf = RNNClassifier(**SMALL).partial_fit(X, y, classes=[0, 1])
    clf.partial_fit(X, y, classes=[0, 1])  # the same classes again: fine
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    assert clf.classes_.tolist() == [0, 1]


def test_unusable_labels_are_named(data):
    X, _ = data
    y = np.array(["a", "b"] * 12, dtype=object)
    y[3] = None
    with pytest.raises(ValueError, match="missing labels"):
        RNNClassifier(**SMALL).fit(X, y)


def test_two_d_input_of_another_length_says_how_to_pass_it(data):
    X, y = data
    reg = RNNRegressor(**SMALL).fit(X[:, :, 0], y)
    with pytest.raises(ValueError, match="features, but RNNRegressor is expecting 6 features.*3-D X"):
        reg.predict(X[:, :4, 0])
    with pytest.raises(ValueError, match="(?s)Expected 2D array.*3-D X"):
        reg.predict(X[0, :, 0])


def test_token_and_head_options_are_checked(data):
    X, y = data
    with pytest.raises(ValueError, match="vocab_size is for token input"):
        RNNRegressor(vocab_size=10, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="head_params must be a dict"):
        RNNRegressor(head_params=["mean"], **SMALL).fit(X, y)
