"""The conformal calibration copy trains as long as the model it calibrates."""

import pandas as pd
import pytest

import tsrnn
from tsrnn import RNNForecaster
from tsrnn.datasets.synthetic import make_random_walk_panel
from tsrnn.forecasting import forecaster as forecaster_module

TINY = dict(horizon=3, input_size=6, hidden_size=4, batch_size=8, random_state=0, n_models=1)


@pytest.fixture
def fits(monkeypatch):
    """Every forecaster fitted, in call order."""
    calls = []
    real = forecaster_module.RNNForecaster._fit_panel

    def spy(self, panel, input_size, resume=False):
        calls.append(self)
        return real(self, panel, input_size, resume=resume)

    monkeypatch.setattr(forecaster_module.RNNForecaster, "_fit_panel", spy)
    return calls


def test_the_calibration_copy_trains_for_the_models_auto_steps(fits):
    # one short series: "auto" caps training at 25 epochs, so fewer windows get fewer steps
    f = RNNForecaster(**TINY).fit(make_random_walk_panel(1, 40, random_state=0))
    f.predict(level=[80])
    assert len(fits) == 2
    copy = fits[1]
    assert copy.n_windows_ < f.n_windows_
    assert f._training_steps(copy.n_windows_) < f.max_steps_  # what "auto" would have chosen for the copy
    assert copy.max_steps == copy.max_steps_ == f.max_steps_ == f._training_steps(f.n_windows_)


def test_local_calibration_copies_train_for_each_series_steps(fits):
    df = make_random_walk_panel(2, 40, random_state=0)
    short = df.unique_id == df.unique_id.iloc[0]
    df = df[~short | (df.groupby("unique_id").cumcount() >= 12)]  # the first series 12 steps shorter
    f = RNNForecaster(local=True, **TINY).fit(df)
    steps = [m.max_steps_ for m in f.local_models_]
    assert steps[0] < steps[1] and f.max_steps_ == steps[1]
    n_fits = len(fits)
    f.predict(level=[80])
    copies = fits[n_fits:]  # each local model calibrates on its own series with a copy of itself
    assert len(copies) == 2 and not any(c.local for c in copies)
    assert [c.max_steps for c in copies] == [c.max_steps_ for c in copies] == steps


def test_a_model_file_calibrates_as_the_model_would(tmp_path):
    f = RNNForecaster(**TINY).fit(make_random_walk_panel(1, 40, random_state=0))
    path = tmp_path / "model.tsrnn"
    f.save(path)  # before any interval: the loaded model calibrates itself, with the same training length
    loaded = tsrnn.load(path)
    assert loaded.max_steps_ == f.max_steps_ and not hasattr(loaded, "conformal_scores_")
    pd.testing.assert_frame_equal(loaded.predict(level=[80]), f.predict(level=[80]))


@pytest.mark.parametrize("forged", [0, -3, "100", 2.5, True, None])
def test_a_model_file_with_a_bad_step_count_is_refused(forged):
    f = RNNForecaster(**TINY).fit(make_random_walk_panel(1, 40, random_state=0))
    state, arrays = f._get_state()
    state["fitted"]["max_steps_"] = forged
    with pytest.raises(ValueError, match="max_steps_ must be a positive integer"):
        RNNForecaster._from_state(state, arrays)
    del state["fitted"]["max_steps_"]  # as files before max_steps_ was kept: calibrates with max_steps
    old = RNNForecaster._from_state(state, arrays)
    assert not hasattr(old, "max_steps_") and len(old.predict(level=[80])) == 3
