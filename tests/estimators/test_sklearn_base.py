"""EstimatorBase: scikit-learn's estimator protocol without importing scikit-learn.

The forecaster's fit / predict / model files and ``tsrnn forecast`` must not load
scikit-learn (about 0.7 s of start-up); scikit-learn's own tools must still see full
estimators.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.base import clone as sklearn_clone
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state as sklearn_check_random_state
from sklearn.utils import get_tags

from tsrnn import RNNClassifier, RNNForecaster, RNNLanguageModel, RNNRegressor
from tsrnn.estimators._sklearn_base import EstimatorBase, check_random_state, clone


def _run_without_sklearn(code, tmp_path):
    """Run ``code`` in a fresh interpreter; fail if it imported scikit-learn."""
    script = textwrap.dedent(code) + textwrap.dedent("""
        import sys
        loaded = sorted(m for m in sys.modules if m == "sklearn" or m.startswith("sklearn."))
        assert not loaded, f"scikit-learn was imported: {loaded[:5]}"
        print("NO-SKLEARN")
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "NO-SKLEARN" in result.stdout


@pytest.mark.slow
def test_forecaster_fit_predict_and_model_file_do_not_import_sklearn(tmp_path):
    _run_without_sklearn("""
        import numpy as np
        import tsrnn
        from tsrnn import RNNForecaster
        from tsrnn.datasets import load_airline
        df = load_airline()
        model = RNNForecaster(horizon=6, max_steps=20, random_state=0).fit(df)
        fc = model.predict(level=[80])
        model.save("m.tsrnn")
        again = tsrnn.load("m.tsrnn").predict(level=[80])
        assert np.array_equal(fc["yhat"].to_numpy(), again["yhat"].to_numpy())
        cv = model.cross_validation(df, n_windows=2)
        assert len(cv) == 12
    """, tmp_path)


@pytest.mark.slow
def test_forecast_command_does_not_import_sklearn(tmp_path):
    _run_without_sklearn("""
        from tsrnn.cli.main import main
        code = main(["forecast", "--dataset", "airline", "--horizon", "6", "--max-steps", "20", "--quiet",
                     "-o", "fc.csv", "--plot", "fc.png"])
        assert code == 0
    """, tmp_path)


@pytest.mark.parametrize("make", [lambda: RNNRegressor(hidden_size=5, cell="gru"),
                                  lambda: RNNClassifier(max_epochs=3),
                                  lambda: RNNForecaster(horizon=3, n_models=1),
                                  lambda: RNNLanguageModel()])
def test_clone_equals_sklearn_clone(make):
    est = make()
    ours, theirs = clone(est), sklearn_clone(est)
    assert type(ours) is type(theirs) is type(est)
    assert ours is not est
    assert ours.get_params() == theirs.get_params() == est.get_params()


def test_clone_copies_mutable_parameters_and_drops_fitted_state():
    est = RNNRegressor(head_params={"pooling": "mean"})
    est.network_ = "fitted"
    copy = clone(est)
    assert copy.head_params == est.head_params and copy.head_params is not est.head_params
    assert not hasattr(copy, "network_")


def test_clone_refuses_an_init_that_changes_its_parameters():
    class Bad(EstimatorBase):
        def __init__(self, value=1):
            self.value = value + 1

    with pytest.raises(RuntimeError, match="modifies parameter value"):
        clone(Bad())


def test_get_and_set_params_follow_sklearn_rules():
    est = RNNRegressor()
    params = est.get_params()
    assert list(params) == sorted(params) and "hidden_size" in params and "self" not in params
    assert est.set_params(hidden_size=7, cell="rnn") is est
    assert (est.hidden_size, est.cell) == (7, "rnn")
    with pytest.raises(ValueError, match="Invalid parameter 'hidden' for estimator"):
        est.set_params(hidden=3)


def test_nested_parameters_through_a_pipeline_and_inside_an_estimator():
    pipe = Pipeline([("scale", StandardScaler()), ("rnn", RNNRegressor())])
    pipe.set_params(rnn__hidden_size=4)
    assert pipe.get_params()["rnn__hidden_size"] == 4

    class Wrapper(EstimatorBase):
        def __init__(self, inner=None, alpha=1.0):
            self.inner = inner
            self.alpha = alpha

    wrapper = Wrapper(inner=RNNRegressor())
    assert wrapper.get_params()["inner__cell"] == "gru"
    wrapper.set_params(inner__cell="lstm", alpha=2.0)
    assert wrapper.inner.cell == "lstm" and wrapper.alpha == 2.0
    copy = clone(wrapper)
    assert copy.inner is not wrapper.inner and copy.inner.cell == "lstm"


def test_varargs_init_is_refused():
    class Bad(EstimatorBase):
        def __init__(self, *args):
            self.args = args

    with pytest.raises(RuntimeError, match="no \\*args"):
        Bad().get_params()


def test_tags_say_what_each_estimator_is():
    assert is_regressor(RNNRegressor()) and not is_classifier(RNNRegressor())
    assert is_classifier(RNNClassifier()) and not is_regressor(RNNClassifier())
    assert get_tags(RNNRegressor()).target_tags.multi_output
    assert not get_tags(RNNRegressor()).input_tags.allow_nan
    assert get_tags(RNNForecaster()).estimator_type is None


def test_repr_lists_changed_parameters_only():
    assert repr(RNNRegressor()) == "RNNRegressor()"
    assert repr(RNNRegressor(cell="lstm", hidden_size=8)) == "RNNRegressor(cell='lstm', hidden_size=8)"
    assert repr(RNNForecaster(horizon=12)) == "RNNForecaster(horizon=12)"


@pytest.mark.parametrize("seed", [None, 0, 7, np.int64(3), np.random.RandomState(5)])
def test_check_random_state_matches_sklearn(seed):
    ours, theirs = check_random_state(seed), sklearn_check_random_state(seed)
    if seed is None or isinstance(seed, np.random.RandomState):
        assert ours is theirs
    else:
        assert ours.randint(0, 2**31 - 1, size=4).tolist() == theirs.randint(0, 2**31 - 1, size=4).tolist()


def test_check_random_state_refuses_other_seeds():
    with pytest.raises(ValueError, match="cannot be used to seed"):
        check_random_state("seed")


@pytest.mark.parametrize("call", [lambda: RNNRegressor().predict(np.zeros((2, 3))),
                                  lambda: RNNForecaster(horizon=2).predict(),
                                  lambda: RNNLanguageModel().generate("a")])
def test_unfitted_use_raises_sklearns_not_fitted_error(call):
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        call()


def test_repr_lists_every_parameter_when_sklearn_says_so():
    import sklearn

    with sklearn.config_context(print_changed_only=False):
        text = repr(RNNRegressor(cell="gru"))
    assert "cell='gru'" in text and "hidden_size=32" in text and "max_epochs=200" in text


def test_nan_defaults_count_as_unchanged_whatever_the_float_type():
    from tsrnn.estimators._sklearn_base import _differs

    assert not _differs(np.float32("nan"), float("nan"))
    assert _differs(np.float64(1.0), float("nan"))


def test_clone_uses_a_parameters_own_sklearn_clone_hook():
    class Hooked:
        def __sklearn_clone__(self):
            return "cloned by its hook"

    class Wrapper(EstimatorBase):
        def __init__(self, inner=None):
            self.inner = inner

    assert clone(Wrapper(inner=Hooked())).inner == "cloned by its hook"


def test_older_tools_see_the_estimator_type():
    assert RNNRegressor._estimator_type == "regressor" and RNNClassifier._estimator_type == "classifier"
