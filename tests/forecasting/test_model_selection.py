"""tsrnn.model_selection.SeriesTimeSplit and RNNForecaster.score with scikit-learn's model selection."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, cross_validate

from tsrnn import RNNForecaster
from tsrnn.datasets.synthetic import make_random_walk_panel
from tsrnn.model_selection import SeriesTimeSplit

TINY = dict(horizon=3, input_size=6, hidden_size=4, max_steps=10, random_state=0)


def test_splits_cut_every_series_at_the_same_offsets_from_its_end():
    df = make_random_walk_panel(3, 20, random_state=0).sample(frac=1.0, random_state=1)  # unsorted rows
    splits = list(SeriesTimeSplit(n_splits=2, horizon=3, step_size=2).split(df))
    assert len(splits) == 2
    for k, (train, test) in enumerate(splits):
        back = 3 + (1 - k) * 2
        assert len(test) == 3 * 3 and len(train) == 3 * (20 - back)
        for uid, group in df.iloc[test].groupby("unique_id"):
            ds = df.loc[df.unique_id == uid, "ds"].sort_values().to_numpy()
            np.testing.assert_array_equal(np.sort(group["ds"].to_numpy()), ds[20 - back: 20 - back + 3])
            assert df.iloc[train].loc[lambda d: d.unique_id == uid, "ds"].max() == ds[20 - back - 1]


def test_score_is_negative_mase_of_the_test_rows():
    df = make_random_walk_panel(2, 30, random_state=0)
    train, test = next(SeriesTimeSplit(n_splits=1, horizon=3).split(df))
    model = RNNForecaster(**TINY).fit(df.iloc[train])
    pred = model.predict()
    truth = df.iloc[test]
    expected = []
    for uid in ["rw_0", "rw_1"]:
        y_train = df.iloc[train].loc[lambda d: d.unique_id == uid, "y"].to_numpy()
        err = np.abs(pred.loc[pred.unique_id == uid, "yhat"].to_numpy() - truth.loc[truth.unique_id == uid, "y"].to_numpy())
        expected.append(err.mean() / np.abs(np.diff(y_train)).mean())
    assert model.score(truth) == pytest.approx(-np.mean(expected))
    with pytest.raises(ValueError, match="do not follow the training data"):
        model.score(df.iloc[train].groupby("unique_id").head(3))


def test_grid_search_and_cross_validate_run_on_long_frames():
    df = make_random_walk_panel(3, 40, random_state=2)
    cv = SeriesTimeSplit(n_splits=2, horizon=3)
    search = GridSearchCV(RNNForecaster(**TINY), {"hidden_size": [4, 8]}, cv=cv).fit(df)
    assert search.best_params_["hidden_size"] in (4, 8)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    scores = cross_validate(RNNForecaster(**TINY), df, cv=cv)["test_score"]
    assert scores.shape == (2,) and (scores < 0).all()


def test_bad_splitter_input_is_named():
    df = make_random_walk_panel(2, 5, random_state=0)
    with pytest.raises(ValueError, match="shorter than the 10 time steps"):
        list(SeriesTimeSplit(n_splits=3, horizon=3).split(df))
    with pytest.raises(ValueError, match="n_splits must be a positive int"):
        list(SeriesTimeSplit(n_splits=0).split(df))
    with pytest.raises(TypeError, match="long DataFrames"):
        list(SeriesTimeSplit().split(np.zeros((4, 2))))
    with pytest.raises(ValueError, match=r"\['ds'\] not found"):
        list(SeriesTimeSplit().split(pd.DataFrame({"unique_id": ["a"]})))
