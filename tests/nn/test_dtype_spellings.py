"""dtype accepts NumPy's spellings of float32 / float64, and models keep them through files."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn import RNNForecaster, RNNRegressor
from tsrnn.nn import Recurrent
from tsrnn.nn.recurrent import resolve_dtype


@pytest.mark.parametrize("spelling, expected", [("float32", np.float32), ("f4", np.float32), ("single", np.float32),
                                                (np.float32, np.float32), (np.dtype("float32"), np.float32),
                                                ("float64", np.float64), ("f8", np.float64), ("double", np.float64),
                                                ("float", np.float64), (np.float64, np.float64)])
def test_numpy_spellings_resolve(spelling, expected):
    assert resolve_dtype(spelling) is expected
    assert Recurrent("gru", 1, 4, dtype=spelling).flat_params.dtype == expected


@pytest.mark.parametrize("spelling", ["float16", "int32", "bogus", None, 3, np.int64])
def test_other_dtypes_are_refused_by_name(spelling):
    with pytest.raises(ValueError, match=r"dtype=.* is not supported; choose 'float32' or 'float64'"):
        resolve_dtype(spelling)


@pytest.mark.parametrize("spelling", ["f8", np.float64, np.dtype("float32")])
def test_estimator_with_a_numpy_dtype_saves_and_loads(tmp_path, spelling):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 5, 1))
    model = RNNRegressor(hidden_size=4, max_epochs=1, dtype=spelling, random_state=0).fit(X, X[:, -1, 0])
    model.save(tmp_path / "m.tsrnn")  # np.float64 (a type) was refused: "cannot store type in a model file"
    loaded = tsrnn.load(tmp_path / "m.tsrnn")
    assert loaded.network_.flat_params.dtype == resolve_dtype(spelling)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_forecaster_and_language_model_with_a_numpy_dtype_save(tmp_path):
    from tsrnn.text import RNNLanguageModel

    df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000", periods=40, freq="MS"),
                       "y": np.sin(np.arange(40.0))})
    forecaster = RNNForecaster(horizon=3, input_size=6, max_steps=3, n_models=1, dtype=np.float64).fit(df)
    forecaster.save(tmp_path / "f.tsrnn")
    pd.testing.assert_frame_equal(tsrnn.load(tmp_path / "f.tsrnn").predict(), forecaster.predict())
    lm = RNNLanguageModel(hidden_size=8, max_epochs=1, dtype=np.float64, learning_rate=np.float32(0.01),
                          random_state=0).fit(["abc abd"] * 4)
    lm.save(tmp_path / "lm.tsrnn")
    assert tsrnn.load(tmp_path / "lm.tsrnn").network_.flat_params.dtype == np.float64
