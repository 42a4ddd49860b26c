"""Checkpoints: an interrupted fit resumed from its checkpoint ends with the weights of an
uninterrupted fit, bit for bit."""

import numpy as np
import pytest

import tsrnn
from tsrnn import RNNRegressor


class Interrupt(Exception):
    pass


@pytest.fixture(autouse=True)
def checkpoint_every_epoch(monkeypatch):
    """These tests interrupt at a given epoch: lift the once-a-second limit on writes."""
    monkeypatch.setattr("tsrnn.estimators.base.CHECKPOINT_MIN_INTERVAL_S", 0.0)


def test_checkpoints_are_written_at_most_once_a_second(tmp_path, rng, monkeypatch):
    # A small model's epoch takes milliseconds; writing (and fsyncing) a checkpoint after
    # each one used to double the fit time of the CLI's ``tsrnn fit``.
    monkeypatch.undo()
    clock = iter(np.arange(0.0, 1000.0, 0.35))  # each reading of the clock: 0.35 s later
    monkeypatch.setattr("tsrnn.estimators.base.monotonic", lambda: next(clock))
    written_at = []
    original = RNNRegressor._write_checkpoint

    def recording(self, loop, best):
        written_at.append(self.n_iter_)
        original(self, loop, best)

    monkeypatch.setattr(RNNRegressor, "_write_checkpoint", recording)
    X = rng.normal(size=(32, 5, 1))
    RNNRegressor(hidden_size=4, max_epochs=12, batch_size=16, random_state=0, patience=100,
                 checkpoint=str(tmp_path / "c")).fit(X, X[:, -1, 0])
    # epochs end 0.35, 0.70, 1.05 s after the start -> the 3rd writes; likewise 3 epochs after each write
    assert written_at == [3, 6, 9, 12]


@pytest.mark.parametrize("early_stopping", [False, True])
def test_resume_equals_uninterrupted(tmp_path, rng, monkeypatch, early_stopping):
    X = rng.normal(size=(64, 8, 2))
    y = X[:, -1, 0] + 0.1 * rng.normal(size=64)
    params = dict(cell="gru", hidden_size=6, max_epochs=7, batch_size=16, random_state=3,
                  early_stopping=early_stopping, patience=100)
    reference = RNNRegressor(**params).fit(X, y)

    ckpt = tmp_path / "fit.ckpt"
    original = RNNRegressor._write_checkpoint

    def write_then_die(self, loop, best):
        original(self, loop, best)
        if self.n_iter_ == 4:
            raise Interrupt

    monkeypatch.setattr(RNNRegressor, "_write_checkpoint", write_then_die)
    with pytest.raises(Interrupt):
        RNNRegressor(**params, checkpoint=str(ckpt)).fit(X, y)
    monkeypatch.setattr(RNNRegressor, "_write_checkpoint", original)
    assert tsrnn.load(ckpt).n_iter_ == 4  # a checkpoint is also a loadable model

    resumed = RNNRegressor(**params, checkpoint=str(ckpt)).fit(X, y, resume=True)
    assert resumed.n_iter_ == reference.n_iter_ == 7
    assert np.array_equal(resumed.network_.flat_params, reference.network_.flat_params)
    assert resumed.loss_curve_ == reference.loss_curve_


def test_resume_refuses_other_parameters(tmp_path, rng):
    X, y = rng.normal(size=(20, 5)), rng.normal(size=20)
    ckpt = tmp_path / "a.ckpt"
    RNNRegressor(cell="gru", hidden_size=4, max_epochs=2, random_state=0, checkpoint=str(ckpt)).fit(X, y)
    with pytest.raises(ValueError, match="other parameters"):
        RNNRegressor(cell="gru", hidden_size=5, max_epochs=2, random_state=0, checkpoint=str(ckpt)).fit(X, y, resume=True)
    with pytest.raises(ValueError, match="checkpoint parameter"):
        RNNRegressor(max_epochs=1).fit(X, y, resume=True)


def test_resume_refuses_other_data(tmp_path, rng):
    """A checkpoint records what it was trained on: resuming on other data continued from the
    old weights and target scaling (a model with R^2 -0.01 on its own data) without a word."""
    X = rng.normal(size=(32, 5, 2))
    y = X[:, -1, 0]
    ckpt = str(tmp_path / "c.ckpt")
    params = dict(hidden_size=4, max_epochs=2, random_state=0, checkpoint=ckpt)
    first = RNNRegressor(**params).fit(X, y)
    again = RNNRegressor(**params).fit(X, y, resume=True)  # the finished fit, at once
    assert np.array_equal(again.network_.flat_params, first.network_.flat_params)
    for X2, y2 in ((X, 1000 * y + 5), (X[:20], y[:20]), (X + 1.0, y)):
        with pytest.raises(ValueError, match="written by a fit on other data"):
            RNNRegressor(**params).fit(X2, y2, resume=True)
    with pytest.raises(ValueError, match="written by a fit on other data|other parameters|features"):
        RNNRegressor(**params).fit(np.concatenate([X, X[..., :1]], axis=2), y, resume=True)
    RNNRegressor(**params).fit(X + 1.0, y)  # without resume: starts over, replacing the checkpoint
    assert RNNRegressor(**params).fit(X + 1.0, y, resume=True).n_iter_ == 2


def test_forecaster_resume_refuses_other_data_or_windows(tmp_path):
    from tsrnn.datasets.synthetic import make_random_walk_panel

    df = make_random_walk_panel(2, 40, random_state=0)
    kw = dict(horizon=3, input_size=6, hidden_size=4, max_steps=10, random_state=0, checkpoint=str(tmp_path / "f"))
    first = tsrnn.RNNForecaster(**kw).fit(df)
    again = tsrnn.RNNForecaster(**kw).fit(df, resume=True)
    assert again.predict().equals(first.predict())
    with pytest.raises(ValueError, match="written by a fit on other data"):
        tsrnn.RNNForecaster(**kw).fit(df.assign(y=df.y * 2.0 + 1.0), resume=True)
    with pytest.raises(ValueError, match="written by a fit on other data"):
        tsrnn.RNNForecaster(**{**kw, "input_size": 8}).fit(df, resume=True)  # forecast from the old windows before
    with pytest.raises(ValueError, match="written by a fit on other data"):
        tsrnn.RNNForecaster(**kw, scaler="robust").fit(df, resume=True)  # ("auto" chose "series")


def _interrupted(monkeypatch, make, at):
    """``make()`` fitted until its checkpoint after epoch ``at`` is written, then stopped."""
    from tsrnn.estimators.base import BaseRNN

    original = BaseRNN._write_checkpoint

    def write_then_die(self, loop, best):
        original(self, loop, best)
        if self.n_iter_ == at:
            raise Interrupt

    with monkeypatch.context() as m:
        m.setattr(BaseRNN, "_write_checkpoint", write_then_die)
        with pytest.raises(Interrupt):
            make()


def test_resume_accepts_what_does_not_change_the_data(tmp_path, rng, monkeypatch):
    X = rng.normal(size=(40, 5, 2))
    y = X[:, -1, 0]
    ckpt = str(tmp_path / "c.ckpt")
    # random_state=None draws a new validation split each fit: the data is still the same
    _interrupted(monkeypatch, lambda: RNNRegressor(hidden_size=4, max_epochs=6, checkpoint=ckpt).fit(X, y), 2)
    assert RNNRegressor(hidden_size=4, max_epochs=6, checkpoint=ckpt, n_jobs=2).fit(X, y, resume=True).n_iter_ == 6
    labels = (y > 0).astype(np.int64)
    kw = dict(hidden_size=4, max_epochs=5, random_state=0, checkpoint=ckpt)
    _interrupted(monkeypatch, lambda: tsrnn.RNNClassifier(**kw).fit(X, labels), 2)
    assert tsrnn.RNNClassifier(**kw).fit(X, labels.astype(np.int32), resume=True).n_iter_ == 5  # same labels


def test_resume_of_a_second_warm_started_fit(tmp_path, rng, monkeypatch):
    X = rng.normal(size=(40, 5, 2))
    y = X[:, -1, 0]
    kw = dict(hidden_size=4, max_epochs=6, random_state=0, warm_start=True, early_stopping=False)
    reference = RNNRegressor(**kw).fit(X, y).fit(X, y)
    model = RNNRegressor(**kw, checkpoint=str(tmp_path / "c.ckpt")).fit(X, y)
    _interrupted(monkeypatch, lambda: model.fit(X, y), 8)
    model.fit(X, y, resume=True)  # ran no epoch: n_iter_ counts the first fit's too
    assert model.n_iter_ == 12
    np.testing.assert_array_equal(model.network_.flat_params, reference.network_.flat_params)
    # with early stopping (it crashed on max() of no scores), interrupted twice
    kw_es = {**kw, "early_stopping": True, "max_epochs": 10, "patience": 100}
    reference = RNNRegressor(**kw_es).fit(X, y).fit(X, y)
    es = RNNRegressor(**kw_es, checkpoint=str(tmp_path / "e.ckpt")).fit(X, y)
    _interrupted(monkeypatch, lambda: es.fit(X, y), 13)
    _interrupted(monkeypatch, lambda: es.fit(X, y, resume=True), 16)  # (it then ran 13 epochs, not 10)
    es.fit(X, y, resume=True)
    assert es.n_iter_ == 20
    # the resumed fits draw the interrupted fit's validation split (seeded with its first epoch)
    np.testing.assert_array_equal(es.network_.flat_params, reference.network_.flat_params)
    assert es.validation_loss_curve_ == reference.validation_loss_curve_


def test_a_finished_fit_leaves_its_final_checkpoint(tmp_path, rng, monkeypatch):
    monkeypatch.setattr("tsrnn.estimators.base.CHECKPOINT_MIN_INTERVAL_S", 1e9)  # only the last epoch writes
    X = rng.normal(size=(20, 5, 1))
    ckpt = tmp_path / "c.ckpt"
    model = RNNRegressor(hidden_size=4, max_epochs=3, random_state=0, checkpoint=str(ckpt)).fit(X, X[:, -1, 0])
    assert ckpt.exists()
    again = RNNRegressor(hidden_size=4, max_epochs=3, random_state=0, checkpoint=str(ckpt)).fit(X, X[:, -1, 0],
                                                                                               resume=True)
    np.testing.assert_array_equal(again.network_.flat_params, model.network_.flat_params)


@pytest.mark.parametrize("strategy", ["direct", "encoder_decoder"])
def test_forecaster_checkpoints_see_the_data_of_every_strategy(tmp_path, strategy):
    from tsrnn.datasets.synthetic import make_random_walk_panel

    df = make_random_walk_panel(2, 40, random_state=0)
    kw = dict(horizon=3, input_size=6, hidden_size=4, max_steps=10, random_state=0, n_models=1, strategy=strategy,
              checkpoint=str(tmp_path / "f"))
    tsrnn.RNNForecaster(**kw).fit(df)
    with pytest.raises(ValueError, match="written by a fit on other data"):  # encoder_decoder: accepted before
        tsrnn.RNNForecaster(**kw).fit(df.assign(y=df.y + 0.5), resume=True)
    if strategy == "direct":
        tsrnn.RNNForecaster(**kw, quantile_levels=[80]).fit(df)
        with pytest.raises(ValueError, match="written by a fit on other data"):  # another loss, as many quantiles
            tsrnn.RNNForecaster(**kw, quantile_levels=[95]).fit(df, resume=True)
