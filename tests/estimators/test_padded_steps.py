"""Sequence classifiers: probabilities and logits are NaN on padded steps, as the
regressor's predictions are (labels cannot be; the docstring says so)."""

import numpy as np

from tsrnn import RNNClassifier, RNNRegressor


def test_padded_steps_are_nan_in_probabilities_and_logits():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 8, 2))
    y = (X[..., 0] > 0).astype(int)
    X[:5, 6:] = np.nan  # trailing padding: the first five samples have 6 steps
    model = RNNClassifier(head="sequence", hidden_size=6, max_epochs=2, random_state=0).fit(X, y)
    proba = model.predict_proba(X[:6])
    logits = model.decision_function(X[:6])
    assert np.isnan(proba[:5, 6:]).all() and not np.isnan(proba[:5, :6]).any() and not np.isnan(proba[5]).any()
    assert np.isnan(logits[:5, 6:]).all() and not np.isnan(logits[:5, :6]).any()
    np.testing.assert_allclose(proba[:5, :6].sum(axis=-1), 1.0)
    lengths = np.full(6, 8)
    lengths[0] = 3  # lengths= marks padding too
    assert np.isnan(model.predict_proba(np.nan_to_num(X[:6]), lengths=lengths)[0, 3:]).all()
    # the regressor's aligned predictions, for comparison
    reg = RNNRegressor(head="sequence", hidden_size=6, max_epochs=2, random_state=0).fit(X, y.astype(float))
    assert np.isnan(reg.predict(X[:5])[:, 6:]).all()
