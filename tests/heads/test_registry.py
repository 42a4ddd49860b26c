"""Head registry: names, instances, unknown names, third-party entry points."""

import importlib.metadata

import pytest

from tsrnn.heads import HEADS, LastStepHead, available_heads, get_head, register
from tsrnn.heads import registry as registry_module


def test_builtin_heads_are_registered():
    assert {"last", "sequence", "vec2seq", "encoder_decoder"} <= set(available_heads())


def test_unknown_head_lists_the_known_ones():
    with pytest.raises(ValueError, match="registered; choose one of .*encoder_decoder"):
        get_head("transformer")


def test_instance_is_copied_with_options():
    head = LastStepHead(pooling="mean")
    copy = get_head(head)
    assert copy is not head and copy.get_options() == {"pooling": "mean"}


def test_register_rejects_non_heads():
    with pytest.raises(TypeError, match="Head subclass"):
        register("bad")(object)


def test_entry_point_plugin_is_loaded_by_name(monkeypatch):
    class PluginHead(LastStepHead):
        pass

    ep = importlib.metadata.EntryPoint(name="plugin_head_for_test", value="x:y", group="tsrnn.heads")
    monkeypatch.setattr(importlib.metadata.EntryPoint, "load", lambda self: PluginHead)
    monkeypatch.setattr(registry_module.importlib.metadata, "entry_points",
                        lambda group=None: [ep] if group == "tsrnn.heads" else [])
    assert "plugin_head_for_test" in available_heads()
    head = get_head("plugin_head_for_test")
    assert isinstance(head, PluginHead)
    HEADS.pop("plugin_head_for_test", None)


@pytest.mark.parametrize("overridden", ["forward", "predict"])
def test_a_subclass_of_the_last_head_predicts_through_its_own_methods(overridden):
    """The fused small-batch kernels compute LastStepHead.forward; a subclass changing
    forward or predict must not be bypassed for batches of 16 or fewer."""
    import numpy as np

    from tsrnn import RNNRegressor

    class Shifted(LastStepHead):
        name = "shifted_for_test"

    if overridden == "forward":
        Shifted.forward = lambda self, X, lengths, y=None, training=False: (
            LastStepHead.forward(self, X, lengths, y, training) + 1000.0)
    else:
        Shifted.predict = lambda self, X, lengths: LastStepHead.predict(self, X, lengths) + 1000.0
    register("shifted_for_test")(Shifted)
    try:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(40, 6, 1))
        model = RNNRegressor(head="shifted_for_test", hidden_size=4, max_epochs=2, random_state=0).fit(X, X[:, -1, 0])
        plain = RNNRegressor(hidden_size=4, max_epochs=2, random_state=0, head_params=model.network_.get_options())
        plain.fit(X, X[:, -1, 0])
        small, full = model.predict(X[:3]), model.predict(X)[:3]
        np.testing.assert_allclose(small, full, rtol=1e-5)
        assert np.all(np.abs(small - plain.predict(X[:3])) > 100)  # the override took effect
    finally:
        HEADS.pop("shifted_for_test", None)


def test_built_in_heads_are_not_replaced():
    class Mine(LastStepHead):
        pass

    with pytest.raises(ValueError, match="'last' is a built-in head"):
        register("last")(Mine)
    assert HEADS["last"] is LastStepHead


def test_a_broken_plugin_head_is_named():
    import numpy as np

    from tsrnn import RNNRegressor
    from tsrnn.heads import Head

    X = np.random.default_rng(0).normal(size=(8, 5, 1))

    @register("broken_for_test")
    class Broken(Head):
        name = "broken_for_test"

        def build(self, spec):
            return None

    try:
        with pytest.raises(TypeError, match="head 'broken_for_test': build\\(spec\\) must return the list"):
            RNNRegressor(head="broken_for_test", max_epochs=1).fit(X, X[:, -1, 0])
        for wrong in ({"rnn": None}, "rnn"):  # iterable, but not components (was: "returned str")
            Broken.build = lambda self, spec, wrong=wrong: wrong
            with pytest.raises(TypeError, match=f"must return the list of its components, got {type(wrong).__name__}"):
                RNNRegressor(head="broken_for_test", max_epochs=1).fit(X, X[:, -1, 0])
        Broken.build = lambda self, spec: []
        with pytest.raises(NotImplementedError, match="head 'broken_for_test' \\(Broken\\) must implement forward"):
            RNNRegressor(head="broken_for_test", max_epochs=1).fit(X, X[:, -1, 0])
    finally:
        HEADS.pop("broken_for_test", None)


@pytest.mark.parametrize("estimator", ["RNNRegressor", "RNNClassifier"])
def test_a_plugin_head_returning_the_wrong_shape_is_named(estimator):
    """The loss would report a wrong *target* shape; the head is what is wrong."""
    import numpy as np

    import tsrnn

    @register("doubled_for_test")
    class Doubled(LastStepHead):
        name = "doubled_for_test"

        def forward(self, X, lengths, y=None, training=False):
            out = super().forward(X, lengths, y, training)
            return np.concatenate([out, out], axis=1)

    X = np.random.default_rng(0).normal(size=(12, 5, 1))
    y = (X[:, -1, 0] > 0).astype(int)
    try:
        model = getattr(tsrnn, estimator)(head="doubled_for_test", hidden_size=4, max_epochs=1, early_stopping=False)
        with pytest.raises(ValueError, match=r"head 'doubled_for_test' \(.*Doubled\) returned outputs of shape "
                                             r"\(12, [24]\) .* must return shape \(12, [12]\)"):
            model.fit(X, y)
    finally:
        HEADS.pop("doubled_for_test", None)
