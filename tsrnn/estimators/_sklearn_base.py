"""scikit-learn's estimator protocol, without importing scikit-learn.

Importing anything from scikit-learn costs about 0.7 s on these machines
(``sklearn/__init__`` loads ``sklearn.base``, which loads ``scipy.stats``): more than
fitting a small forecaster, and most of the ``tsrnn forecast`` command's start-up.
:class:`EstimatorBase` implements what scikit-learn asks of an estimator the way
``sklearn.base.BaseEstimator`` does — ``get_params`` / ``set_params`` read from the
``__init__`` signature, ``__sklearn_tags__``, ``__sklearn_clone__``, a repr of the
changed parameters — and imports scikit-learn only when one of its tools calls in
(``get_tags``, ``clone``, ``Pipeline``, ``GridSearchCV``, the estimator checks), by
which time it is loaded anyway. scikit-learn supports such duck-typed estimators.

Not carried over from ``BaseEstimator``: metadata routing (``set_fit_request`` ...;
meta-estimators route nothing to these estimators when routing is enabled) and the
HTML repr in notebooks (the text repr is shown).
"""

import copy
import inspect
import math
import numbers
import sys

import numpy as np


def check_random_state(seed):
    """A ``numpy.random.RandomState`` from None, an int or a RandomState (as scikit-learn's)."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, numbers.Integral):
        return np.random.RandomState(seed)
    if isinstance(seed, np.random.RandomState):
        return seed
    raise ValueError(f"{seed!r} cannot be used to seed a numpy.random.RandomState instance")


def check_is_fitted(estimator, attribute):
    """Raise scikit-learn's ``NotFittedError`` unless ``estimator`` has ``attribute``."""
    if not hasattr(estimator, attribute):
        from sklearn.exceptions import NotFittedError  # the error path may pay the import

        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        )


def clone(estimator):
    """An unfitted copy with the same parameters (``sklearn.base.clone``).

    tsrnn estimators are cloned here, so that cloning needs no scikit-learn import;
    other objects go to scikit-learn's ``clone``.
    """
    if not isinstance(estimator, EstimatorBase):
        from sklearn.base import clone as sklearn_clone

        return sklearn_clone(estimator)
    params = estimator.get_params(deep=False)
    copied = {name: _clone_param(value) for name, value in params.items()}
    new = type(estimator)(**copied)
    after = new.get_params(deep=False)
    for name, value in copied.items():
        if after[name] is not value:
            raise RuntimeError(
                f"Cannot clone object {estimator!r}, as the constructor either does not set or modifies parameter {name}"
            )
    return new


def _clone_param(value):
    """Estimators in a parameter are cloned, containers walked, anything else deep-copied (as scikit-learn)."""
    if type(value) is dict:
        return {k: _clone_param(v) for k, v in value.items()}
    if type(value) in (list, tuple, set, frozenset):
        return type(value)(_clone_param(v) for v in value)
    if (hasattr(value, "get_params") or hasattr(value, "__sklearn_clone__")) and not isinstance(value, type):
        return clone(value)
    return copy.deepcopy(value)


def _differs(value, default):
    """Whether a parameter differs from its default, for the repr (as scikit-learn decides)."""
    if value is default:
        return False
    if (isinstance(value, numbers.Real) and isinstance(default, numbers.Real)
            and math.isnan(value) and math.isnan(default)):
        return False
    return repr(value) != repr(default)


class EstimatorBase:
    """Base class of tsrnn's estimators: scikit-learn's parameter and tag protocol.

    As with ``sklearn.base.BaseEstimator``, ``__init__`` must store every parameter
    under its own name and do nothing else; fitted state ends in ``_``.
    """

    @classmethod
    def _get_param_names(cls):
        init = cls.__init__
        if init is object.__init__:
            return []
        names = []
        for p in inspect.signature(init).parameters.values():
            if p.name == "self" or p.kind == p.VAR_KEYWORD:
                continue
            if p.kind == p.VAR_POSITIONAL:
                raise RuntimeError(f"{cls.__name__}.__init__ must list its parameters explicitly (no *args)")
            names.append(p.name)
        return sorted(names)

    def get_params(self, deep=True):
        """Parameters of this estimator.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of contained estimators, as ``name__param``.

        Returns
        -------
        params : dict
        """
        out = {}
        for key in self._get_param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{key}__{k}", v) for k, v in value.get_params().items())
            out[key] = value
        return out

    def set_params(self, **params):
        """Set parameters (``name`` or ``component__name`` for contained estimators).

        Returns
        -------
        self
        """
        if not params:
            return self
        valid = self.get_params(deep=True)
        nested = {}
        for key, value in params.items():
            key, delim, sub_key = key.partition("__")
            if key not in valid:
                raise ValueError(
                    f"Invalid parameter {key!r} for estimator {self}. Valid parameters are: {self._get_param_names()!r}."
                )
            if delim:
                nested.setdefault(key, {})[sub_key] = value
            else:
                setattr(self, key, value)
                valid[key] = value
        for key, sub_params in nested.items():
            valid[key].set_params(**sub_params)
        return self

    def __sklearn_clone__(self):
        return clone(self)

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False), transformer_tags=None,
                    regressor_tags=None, classifier_tags=None)

    def __repr__(self):
        """``Name(param=value, ...)``: the parameters that differ from their defaults (all of
        them after ``sklearn.set_config(print_changed_only=False)``)."""
        everything = "sklearn" in sys.modules and not sys.modules["sklearn"].get_config()["print_changed_only"]
        defaults = {name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items()}
        shown = [f"{name}={value!r}" for name, value in self.get_params(deep=False).items()
                 if everything or _differs(value, defaults.get(name, inspect.Parameter.empty))]
        return f"{type(self).__name__}({', '.join(shown)})"
