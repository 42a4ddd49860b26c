"""A fit that refuses its input leaves the estimator as it was (fitted or fresh)."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn import RNNClassifier, RNNRegressor

rng = np.random.default_rng(0)
X = rng.normal(size=(30, 8))
LABELS = rng.choice(["a", "b", "c"], 30)


def state(model):
    return {k: v for k, v in vars(model).items() if k.endswith("_") or k.startswith("_")}


def same_state(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] is b[k], k  # nothing replaced


@pytest.mark.parametrize("bad", [
    dict(y=np.array(["w", "x", "y", "z"])[rng.integers(0, 4, 29)]),  # wrong length, after new classes
    dict(y=np.array(["u", "v"] * 15), sample_weight=[1.0, 0.0] * 15),  # weights leave one class
])
def test_classifier_keeps_its_classes_and_network(bad):
    model = RNNClassifier(hidden_size=8, max_epochs=2, random_state=0).fit(X, LABELS)
    before, predicted = state(model), model.predict(X)
    with pytest.raises(ValueError):
        model.fit(X, bad["y"], sample_weight=bad.get("sample_weight"))
    same_state(before, state(model))
    np.testing.assert_array_equal(model.predict(X), predicted)  # was: labels never trained ('w', 'x', ...)


def test_regressor_keeps_its_target_scaling_and_features():
    X3 = rng.normal(size=(30, 8, 2))
    model = RNNRegressor(hidden_size=8, max_epochs=2, random_state=0).fit(X3, X3.sum(axis=(1, 2)))
    predicted = model.predict(X3)
    with pytest.raises(ValueError, match="X has 30 samples but y has 29"):
        model.fit(X3, 1000 + X3.sum(axis=(1, 2))[:29])  # replaced y_mean_ / y_scale_ before
    with pytest.raises(ValueError, match="X has 30 samples but y has 29"):
        model.fit(rng.normal(size=(30, 8, 3)), X3.sum(axis=(1, 2))[:29])  # set n_features_in_ = 3 before
    np.testing.assert_array_equal(model.predict(X3), predicted)
    with pytest.raises(ValueError, match="expecting 2 features"):
        model.predict(rng.normal(size=(1, 8, 3)))  # the one-sample path no longer drops the third feature


def test_a_refused_first_partial_fit_leaves_no_classes_behind():
    model = RNNClassifier(hidden_size=8, max_epochs=1, random_state=0)
    with pytest.raises(ValueError, match="X has 30 samples but y has 29"):
        model.partial_fit(X, LABELS[:29], classes=["a", "b", "c", "d"])
    assert not hasattr(model, "classes_") and not hasattr(model, "n_features_in_")
    model.partial_fit(X, LABELS, classes=["a", "b", "c"])  # was: "classes ... not the same as on the first call"
    assert model.classes_.tolist() == ["a", "b", "c"]


@pytest.mark.parametrize("labels", [
    np.array(["a", "b", np.nan, "a"] * 5, dtype=object),
    pd.Series(pd.Categorical(["a", "b", None, "a"] * 5)),
    np.array(["a", "b", None, "a"] * 5, dtype=object),
])
def test_missing_labels_are_named(labels):
    with pytest.raises(ValueError, match=r"y contains missing labels \(None or NaN\)"):
        RNNClassifier(max_epochs=1).fit(rng.normal(size=(20, 5)), labels)


def test_object_labels_come_back_as_objects_from_a_model_file(tmp_path):
    model = RNNClassifier(hidden_size=8, max_epochs=1, random_state=0).fit(X, LABELS.astype(object))
    model.save(tmp_path / "m.tsrnn")
    loaded = tsrnn.load(tmp_path / "m.tsrnn")
    assert loaded.classes_.dtype == object and loaded.predict(X).dtype == model.predict(X).dtype == object
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
