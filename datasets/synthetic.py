"""Synthetic sequence data with a ``random_state``.

Every generator validates its arguments (a ``ValueError`` naming the argument)
and is reproducible: the same ``random_state`` gives the same data.
``random_state`` may be None, a non-negative int, a
:class:`numpy.random.Generator` or a :class:`numpy.random.RandomState`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

__all__ = [
    "make_sine_mixture",
    "make_mackey_glass",
    "make_adding_problem",
    "make_copy_task",
    "make_random_walk_panel",
]


# ----------------------------------------------------------------------------- validation
def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_float(name: str, value, minimum: float | None = None, strict: bool = False,
                 maximum: float | None = None, strict_max: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    value = float(value)
    if minimum is not None and (value < minimum or (strict and value == minimum)):
        op = ">" if strict else ">="
        raise ValueError(f"{name} must be {op} {minimum}, got {value!r}")
    if maximum is not None and (value > maximum or (strict_max and value == maximum)):
        op = "<" if strict_max else "<="
        raise ValueError(f"{name} must be {op} {maximum}, got {value!r}")
    return value


def _check_range(name: str, value, minimum: float, strict: bool) -> tuple[float, float]:
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {value!r}") from None
    lo = _check_float(f"{name}[0]", lo, minimum, strict)
    hi = _check_float(f"{name}[1]", hi, minimum, strict)
    if hi < lo:
        raise ValueError(f"{name} must satisfy low <= high, got {value!r}")
    return lo, hi


def _rng(random_state) -> np.random.Generator:
    """A numpy Generator from None, an int, a Generator or a RandomState."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool) and random_state >= 0:
        return np.random.default_rng(int(random_state))
    raise ValueError(
        "random_state must be None, a non-negative int, a numpy Generator or a numpy RandomState, "
        f"got {random_state!r}"
    )


def _series_ids(prefix: str, n_series: int) -> np.ndarray:
    width = len(str(n_series - 1))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(n_series)], dtype=object)


# ----------------------------------------------------------------------------- generators
def make_sine_mixture(
    n_series: int = 1,
    length: int = 500,
    n_components: int = 3,
    period_range: tuple[float, float] = (4.0, 100.0),
    amplitude_range: tuple[float, float] = (0.5, 1.5),
    noise: float = 0.1,
    as_frame: bool = False,
    random_state=None,
):
    """Sums of sines with random periods, amplitudes and phases, plus Gaussian noise.

    Series ``i`` is ``y[i, t] = sum_k a[i, k] * sin(2 * pi * t / p[i, k] + phi[i, k])
    + noise * e[i, t]`` with ``p`` log-uniform in ``period_range``, ``a``
    uniform in ``amplitude_range``, ``phi`` uniform in [0, 2 pi) and
    ``e`` standard normal.

    Parameters
    ----------
    n_series : int, default=1
        Number of series, >= 1.
    length : int, default=500
        Time steps per series, >= 1.
    n_components : int, default=3
        Sines per series, >= 1.
    period_range : (float, float), default=(4.0, 100.0)
        Bounds of the periods in time steps, > 0.
    amplitude_range : (float, float), default=(0.5, 1.5)
        Bounds of the amplitudes, >= 0.
    noise : float, default=0.1
        Standard deviation of the additive Gaussian noise, >= 0.
    as_frame : bool, default=False
        Return a long-format DataFrame instead of an array.
    random_state : None, int, numpy Generator or RandomState, default=None
        Seed or generator; the same value gives the same data.

    Returns
    -------
    y : ndarray of shape (n_series, length), float64
        When ``as_frame`` is False.
    df : pandas.DataFrame of shape (n_series * length, 3)
        When ``as_frame`` is True: columns ``unique_id`` (``"sine_0"``, ...),
        ``ds`` (int64 time step from 0) and ``y``.
    """
    n_series = _check_int("n_series", n_series, 1)
    length = _check_int("length", length, 1)
    n_components = _check_int("n_components", n_components, 1)
    p_lo, p_hi = _check_range("period_range", period_range, 0.0, strict=True)
    a_lo, a_hi = _check_range("amplitude_range", amplitude_range, 0.0, strict=False)
    noise = _check_float("noise", noise, 0.0)
    rng = _rng(random_state)

    shape = (n_series, n_components, 1)
    periods = np.exp(rng.uniform(np.log(p_lo), np.log(p_hi), size=shape))
    amplitudes = rng.uniform(a_lo, a_hi, size=shape)
    phases = rng.uniform(0.0, 2.0 * np.pi, size=shape)
    t = np.arange(length, dtype=np.float64)
    y = (amplitudes * np.sin(2.0 * np.pi * t / periods + phases)).sum(axis=1)
    y += noise * rng.standard_normal((n_series, length))
    if not as_frame:
        return y
    return pd.DataFrame(
        {
            "unique_id": np.repeat(_series_ids("sine_", n_series), length),
            "ds": np.tile(np.arange(length, dtype=np.int64), n_series),
            "y": y.ravel(),
        }
    )


def make_mackey_glass(
    length: int = 1000,
    tau: float = 17.0,
    beta: float = 0.2,
    gamma: float = 0.1,
    n: float = 10.0,
    x0: float = 1.2,
    dt: float = 0.1,
    sample_step: float = 1.0,
    discard: int = 500,
    noise: float = 0.0,
    random_state=None,
) -> np.ndarray:
    """The Mackey-Glass delay differential equation, sampled at a fixed step.

    Integrates ``dx/dt = beta * x(t - tau) / (1 + x(t - tau)**n) - gamma * x(t)``
    with fourth-order Runge-Kutta at step ``dt`` (the delayed term at half steps
    is the mean of its neighbours). The history on ``[-tau, 0]`` is
    ``x0`` plus a small uniform perturbation drawn from ``random_state``;
    ``tau = 17`` gives the classic chaotic series.

    Parameters
    ----------
    length : int, default=1000
        Samples returned, >= 1.
    tau : float, default=17.0
        Delay, >= ``dt``.
    beta, gamma, n : float, default=0.2, 0.1, 10.0
        Equation parameters, > 0.
    x0 : float, default=1.2
        Level of the initial history, > 0.
    dt : float, default=0.1
        Integration step, > 0.
    sample_step : float, default=1.0
        Time between returned samples; must be a whole multiple of ``dt``.
    discard : int, default=500
        Samples dropped at the start (transient), >= 0.
    noise : float, default=0.0
        Standard deviation of Gaussian noise added to the samples, >= 0.
    random_state : None, int, numpy Generator or RandomState, default=None
        Seed or generator for the initial history and the noise.

    Returns
    -------
    x : ndarray of shape (length,), float64
    """
    length = _check_int("length", length, 1)
    dt = _check_float("dt", dt, 0.0, strict=True)
    tau = _check_float("tau", tau, dt)
    beta = _check_float("beta", beta, 0.0, strict=True)
    gamma = _check_float("gamma", gamma, 0.0, strict=True)
    n = _check_float("n", n, 0.0, strict=True)
    x0 = _check_float("x0", x0, 0.0, strict=True)
    sample_step = _check_float("sample_step", sample_step, dt)
    discard = _check_int("discard", discard, 0)
    noise = _check_float("noise", noise, 0.0)
    steps_per_sample = round(sample_step / dt)
    if abs(steps_per_sample * dt - sample_step) > 1e-9 * sample_step:
        raise ValueError(f"sample_step must be a whole multiple of dt={dt}, got {sample_step!r}")
    rng = _rng(random_state)

    delay = max(1, round(tau / dt))
    total = (discard + length) * steps_per_sample
    x = np.empty(delay + total + 1, dtype=np.float64)
    x[: delay + 1] = x0 + 0.1 * (rng.random(delay + 1) - 0.5)
    x[: delay + 1] = np.maximum(x[: delay + 1], 1e-6)
    xs = x.tolist()  # scalar Python loop: list indexing is much faster than ndarray indexing

    def f(xt: float, xd: float) -> float:
        return beta * xd / (1.0 + xd**n) - gamma * xt

    h2, h6 = dt / 2.0, dt / 6.0
    for i in range(delay, delay + total):
        xt = xs[i]
        d0 = xs[i - delay]
        d1 = xs[i - delay + 1]
        dm = 0.5 * (d0 + d1)
        k1 = f(xt, d0)
        k2 = f(xt + h2 * k1, dm)
        k3 = f(xt + h2 * k2, dm)
        k4 = f(xt + dt * k3, d1)
        xs[i + 1] = xt + h6 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    x = np.asarray(xs[delay:], dtype=np.float64)
    out = x[discard * steps_per_sample :: steps_per_sample][:length].copy()
    if noise > 0:
        out += noise * rng.standard_normal(length)
    return out


def make_adding_problem(n_samples: int, length: int, random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015 form).

    Each sequence has two channels: values drawn uniformly from [0, 1) and a
    marker channel that is 1 at exactly two steps, one in the first half
    (``t < length // 2``) and one in the second half, and 0 elsewhere. The
    target is the sum of the two marked values; always predicting 1 gives a
    mean squared error of about 1/6.

    Parameters
    ----------
    n_samples : int
        Number of sequences, >= 1.
    length : int
        Time steps per sequence, >= 2.
    random_state : None, int, numpy Generator or RandomState, default=None
        Seed or generator; the same value gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, length, 2), float64
        ``X[..., 0]`` the values, ``X[..., 1]`` the markers.
    y : ndarray of shape (n_samples,), float64
        Sum of the two marked values.
    """
    n_samples = _check_int("n_samples", n_samples, 1)
    length = _check_int("length", length, 2)
    rng = _rng(random_state)
    half = length // 2
    X = np.zeros((n_samples, length, 2), dtype=np.float64)
    X[:, :, 0] = rng.random((n_samples, length))
    rows = np.arange(n_samples)
    first = rng.integers(0, half, size=n_samples)
    second = rng.integers(half, length, size=n_samples)
    X[rows, first, 1] = 1.0
    X[rows, second, 1] = 1.0
    y = X[rows, first, 0] + X[rows, second, 0]
    return X, y


def make_copy_task(
    n_samples: int,
    length: int,
    n_symbols: int = 8,
    reverse: bool = False,
    delay: int = 0,
    random_state=None,
) -> tuple[np.ndarray, np.ndarray]:
    """The copy (or reversal) memory task, one target per time step.

    The input shows ``length`` random symbols, then ``delay`` blanks, then a
    delimiter, then ``length`` blanks during which the network must emit the
    symbols (in reverse order when ``reverse``). Codes: 0 = blank,
    1..n_symbols = symbols, n_symbols + 1 = delimiter. The total number of
    steps is ``T = 2 * length + delay + 1``.

    Parameters
    ----------
    n_samples : int
        Number of sequences, >= 1.
    length : int
        Symbols to remember, >= 1.
    n_symbols : int, default=8
        Alphabet size, >= 1.
    reverse : bool, default=False
        Ask for the symbols in reverse order.
    delay : int, default=0
        Blank steps between the symbols and the delimiter, >= 0.
    random_state : None, int, numpy Generator or RandomState, default=None
        Seed or generator; the same value gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, T, n_symbols + 2), float64
        One-hot input codes.
    y : ndarray of shape (n_samples, T), int64
        Target code per step: 0 (blank) for the first ``length + delay + 1``
        steps, then the symbols.
    """
    n_samples = _check_int("n_samples", n_samples, 1)
    length = _check_int("length", length, 1)
    n_symbols = _check_int("n_symbols", n_symbols, 1)
    delay = _check_int("delay", delay, 0)
    if not isinstance(reverse, (bool, np.bool_)):
        raise ValueError(f"reverse must be a bool, got {reverse!r}")
    rng = _rng(random_state)

    T = 2 * length + delay + 1
    symbols = rng.integers(1, n_symbols + 1, size=(n_samples, length))
    codes = np.zeros((n_samples, T), dtype=np.int64)
    codes[:, :length] = symbols
    codes[:, length + delay] = n_symbols + 1
    y = np.zeros((n_samples, T), dtype=np.int64)
    y[:, T - length :] = symbols[:, ::-1] if reverse else symbols
    X = np.zeros((n_samples, T, n_symbols + 2), dtype=np.float64)
    np.put_along_axis(X, codes[:, :, np.newaxis], 1.0, axis=2)
    return X, y


def make_random_walk_panel(
    n_series: int,
    length: int,
    n_exog: int = 0,
    freq: str | None = "D",
    start: str = "2000-01-01",
    drift: float = 0.0,
    sigma: float = 1.0,
    exog_ar: float = 0.9,
    return_coef: bool = False,
    random_state=None,
):
    """A long-format panel of random walks, optionally driven by exogenous series.

    ``y[i, t] = level[i, t] + sum_k b[i, k] * x[i, k, t]`` where ``level`` is a
    Gaussian random walk (start N(0, 1), steps ``drift + sigma * N(0, 1)``),
    each exogenous ``x[i, k]`` is a stationary AR(1) series with coefficient
    ``exog_ar`` and unit variance, and ``b[i, k] ~ N(0, 1)``. Meant for scale
    tests of the windowing and forecasting code.

    Parameters
    ----------
    n_series : int
        Number of series, >= 1.
    length : int
        Observations per series, >= 1.
    n_exog : int, default=0
        Exogenous drivers, >= 0; they become columns ``exog_0``, ``exog_1``, ...
    freq : str or None, default="D"
        pandas offset alias of ``ds``; None gives integer time steps from 0.
    start : str, default="2000-01-01"
        First timestamp (ignored when ``freq`` is None).
    drift : float, default=0.0
        Mean step of the random walks.
    sigma : float, default=1.0
        Standard deviation of the steps, >= 0.
    exog_ar : float, default=0.9
        AR(1) coefficient of the exogenous series, in (-1, 1).
    return_coef : bool, default=False
        Also return the coefficients ``b``.
    random_state : None, int, numpy Generator or RandomState, default=None
        Seed or generator; the same value gives the same data.

    Returns
    -------
    df : pandas.DataFrame of shape (n_series * length, 3 + n_exog)
        Columns ``unique_id`` (``"rw_0"``, ... zero-padded), ``ds``
        (datetime64[ns], or int64 when ``freq`` is None), ``y`` and
        ``exog_0`` ... ``exog_{n_exog-1}``; sorted by ``unique_id``, ``ds``.
    coef : ndarray of shape (n_series, n_exog)
        Only when ``return_coef`` is True.
    """
    n_series = _check_int("n_series", n_series, 1)
    length = _check_int("length", length, 1)
    n_exog = _check_int("n_exog", n_exog, 0)
    drift = _check_float("drift", drift)
    sigma = _check_float("sigma", sigma, 0.0)
    exog_ar = _check_float("exog_ar", exog_ar, -1.0, strict=True, maximum=1.0, strict_max=True)
    if freq is None:
        ds_one = np.arange(length, dtype=np.int64)
    else:
        try:
            ds_one = pd.date_range(start=start, periods=length, freq=freq).astype("datetime64[ns]")
        except (ValueError, TypeError) as exc:
            raise ValueError(f"freq={freq!r} with start={start!r} does not give a date range: {exc}") from None
    rng = _rng(random_state)

    steps = drift + sigma * rng.standard_normal((n_series, length))
    steps[:, 0] = rng.standard_normal(n_series)
    y = np.cumsum(steps, axis=1)
    columns = {}
    coef = rng.standard_normal((n_series, n_exog))
    if n_exog:
        from scipy.signal import lfilter

        e = rng.standard_normal((n_series, n_exog, length)) * math.sqrt(1.0 - exog_ar**2)
        e[:, :, 0] /= math.sqrt(1.0 - exog_ar**2)  # stationary start: x[0] ~ N(0, 1)
        x = lfilter([1.0], [1.0, -exog_ar], e, axis=-1)
        y += np.einsum("ik,ikt->it", coef, x)
        for k in range(n_exog):
            columns[f"exog_{k}"] = x[:, k, :].ravel()
    df = pd.DataFrame(
        {
            "unique_id": np.repeat(_series_ids("rw_", n_series), length),
            "ds": np.tile(np.asarray(ds_one), n_series),
            "y": y.ravel(),
        }
        | columns
    )
    return (df, coef) if return_coef else df
