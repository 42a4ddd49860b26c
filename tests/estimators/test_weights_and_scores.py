"""sample_weight in the target scaling; score over valid steps, with lengths."""

import numpy as np
import pytest

from tsrnn import RNNClassifier, RNNRegressor


def test_zero_weight_samples_do_not_set_the_target_scaling():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6, 1))
    y = X[:, :, 0].sum(axis=1)
    bad = y.copy()
    bad[:5] = 1e6  # wrong labels, weighted out
    w = np.r_[np.zeros(5), np.ones(55)]
    weighted = RNNRegressor(hidden_size=4, max_epochs=1, random_state=0).fit(X, bad, sample_weight=w)
    dropped = RNNRegressor(hidden_size=4, max_epochs=1, random_state=0).fit(X[5:], y[5:])
    np.testing.assert_allclose(weighted.y_mean_, dropped.y_mean_, rtol=1e-12)
    np.testing.assert_allclose(weighted.y_scale_, dropped.y_scale_, rtol=1e-12)


def test_weights_scale_the_target_statistics():
    X = np.random.default_rng(0).normal(size=(4, 3, 1))
    y = np.array([0.0, 0.0, 0.0, 4.0])
    model = RNNRegressor(hidden_size=4, max_epochs=1).fit(X, y, sample_weight=[1, 1, 1, 3])
    np.testing.assert_allclose(model.y_mean_, [2.0])  # as if the last sample were there three times
    np.testing.assert_allclose(model.y_scale_, [2.0])


def test_classifier_sequence_score_ignores_padded_steps():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 10, 2))
    y = (np.cumsum(X[:, :, 0], axis=1) > 0).astype(int)
    short = np.arange(20) < 10
    X[short, 6:] = np.nan
    y[short, 6:] = 1 - y[short, 6:]  # filler labels on the padding: counted, they would change the score
    model = RNNClassifier(head="sequence", hidden_size=8, max_epochs=3, random_state=0).fit(X, y)
    pred = model.predict(X)
    valid = np.arange(10)[None, :] < np.where(short, 6, 10)[:, None]
    assert model.score(X, y) == pytest.approx((pred[valid] == y[valid]).mean())


@pytest.mark.parametrize("estimator", [RNNRegressor, RNNClassifier])
def test_score_takes_lengths(estimator):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 8, 1))
    lengths = rng.integers(3, 9, size=30)
    y = X[np.arange(30), lengths - 1, 0]
    if estimator is RNNClassifier:
        y = (y > 0).astype(int)
    model = estimator(hidden_size=4, max_epochs=2, random_state=0).fit(X, y, lengths=lengths)
    expected = model.score(np.where(np.arange(8)[None, :, None] < lengths[:, None, None], X, np.nan), y)
    assert model.score(X, y, lengths=lengths) == pytest.approx(expected)
    if estimator is RNNRegressor:  # (an accuracy over 30 samples may coincide)
        assert model.score(X, y, lengths=lengths) != pytest.approx(model.score(X, y))


def test_inputs_far_from_unit_scale_warn_once_standardised_heavy_tails_do_not():
    import warnings

    from tsrnn import DataScaleWarning

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6, 2))
    y = X[:, :, 0].sum(axis=1)
    raw = X.copy()
    raw[:, :, 1] = raw[:, :, 1] * 10 + 50  # a level around 50: the cells saturate
    with pytest.warns(DataScaleWarning, match=r"feature 1 has a root mean square of 5\d\.\d") as caught:
        RNNRegressor(hidden_size=4, max_epochs=1, random_state=0).fit(raw, y)
    assert len([w for w in caught if w.category is DataScaleWarning]) == 1
    assert caught[0].filename == __file__  # points at the user's fit call
    heavy = X.copy()
    heavy[0, 0, 1] = 36.0  # standardised, with one value 36 standard deviations out
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataScaleWarning)
        RNNRegressor(hidden_size=4, max_epochs=1, random_state=0).fit(heavy, y)


@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
@pytest.mark.parametrize("size", [1e-300, 1e300])
def test_weights_beyond_float32_train_as_their_ratios(Estimator, size):
    # float32 would hold 1e-300 as 0 ("no positive weight") and 1e300 as inf; only ratios matter
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 5, 1)).astype(np.float32)
    y = X[:, -1, 0] > 0 if Estimator is RNNClassifier else X[:, -1, 0]
    w = np.where(np.arange(24) % 3 == 0, 2.0, 1.0)
    params = dict(hidden_size=4, max_epochs=2, random_state=0, early_stopping=False)
    reference = Estimator(**params).fit(X, y, sample_weight=w / 2)
    extreme = Estimator(**params).fit(X, y, sample_weight=w * size)
    np.testing.assert_array_equal(extreme.predict(X), reference.predict(X))
    assert extreme.loss_curve_ == reference.loss_curve_
