"""Learning evidence on generated data, fixed seeds (slow: real training runs)."""

import numpy as np
import pytest

from tsrnn import RNNClassifier, RNNRegressor
from tsrnn.datasets.synthetic import make_adding_problem

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_adding_problem_T50(cell):
    """Hochreiter & Schmidhuber's adding problem: predicting the mean scores ~0.167."""
    X, y = make_adding_problem(2000, 50, random_state=0)
    Xte, yte = make_adding_problem(500, 50, random_state=1)
    model = RNNRegressor(cell=cell, hidden_size=32, max_epochs=25, learning_rate=3e-3, random_state=0)
    model.fit(X, y)
    baseline = np.mean((yte - y.mean()) ** 2)
    mse = np.mean((model.predict(Xte) - yte) ** 2)
    assert baseline > 0.1
    assert mse < 0.02, (mse, baseline)


def _reversal(rng, n, length=5, vocab=8):
    tokens = rng.integers(0, vocab, size=(n, length))
    return np.eye(vocab)[tokens], tokens[:, ::-1].copy()


def test_encoder_decoder_learns_sequence_reversal():
    rng = np.random.default_rng(0)
    X, y = _reversal(rng, 2000)
    Xte, yte = _reversal(rng, 300)
    model = RNNClassifier(cell="lstm", hidden_size=64, head="encoder_decoder", max_epochs=12,
                          learning_rate=5e-3, random_state=0).fit(X, y)
    pred = model.predict(Xte)
    assert pred.shape == yte.shape
    assert (pred == yte).mean() > 0.95
    assert model.predict_proba(Xte).shape == (300, 5, 8)


def _sines(rng, n, length=30):
    freq = rng.uniform(0.5, 2.0, n)
    phase = rng.uniform(0, 2 * np.pi, n)
    t = np.linspace(0, 2 * np.pi, length)
    return np.c_[freq, phase], np.sin(freq[:, None] * t[None, :] + phase[:, None])


def test_vec2seq_generates_sines_from_frequency_and_phase():
    rng = np.random.default_rng(0)
    X, y = _sines(rng, 3000)
    Xte, yte = _sines(rng, 300)
    model = RNNRegressor(cell="lstm", hidden_size=64, head="vec2seq", max_epochs=15, learning_rate=5e-3,
                         random_state=0).fit(X, y)
    pred = model.predict(Xte)
    assert pred.shape == yte.shape
    assert np.mean((pred - yte) ** 2) < 0.01
