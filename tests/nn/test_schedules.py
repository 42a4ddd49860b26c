"""Tests of tsrnn.nn.schedules against torch.optim.lr_scheduler."""

import math

import numpy as np
import pytest

from tsrnn.nn.schedules import (
    SCHEDULES,
    ConstantSchedule,
    CosineSchedule,
    ReduceOnPlateauSchedule,
    Schedule,
    StepSchedule,
    get_schedule,
)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


N_EPOCHS = 30

# A scripted validation loss: descent, a long plateau, tiny (sub-threshold)
# gains, a NaN, a new best, then noise.
METRICS = [
    1.0, 0.8, 0.7, 0.69, 0.69, 0.69995, 0.7, 0.71, 0.6999, 0.69,
    0.68, 0.68, 0.68, 0.680001, 0.679999, float("nan"), 0.68, 0.5, 0.51, 0.52,
    0.52, 0.5, 0.49999, 0.53, 0.51, 0.3, 0.31, 0.3, 0.3, 0.29,
    0.29, 0.29, 0.3, 0.4, 0.29,
]


def torch_lrs(torch, make_scheduler, base_lr, metrics=None, n=N_EPOCHS):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make_scheduler(opt)
    lrs = []
    for epoch in range(n):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[epoch])
        lrs.append(opt.param_groups[0]["lr"])
    return lrs, sched


def our_lrs(sched, metrics=None, n=N_EPOCHS):
    if metrics is None:
        return [sched.step() for _ in range(n)]
    return [sched.step(metrics[e]) for e in range(n)]


# ---------------------------------------------------------------------------
# parity with torch
# ---------------------------------------------------------------------------
def test_constant():
    sched = get_schedule("constant", base_lr=0.05)
    assert sched.lr == 0.05
    assert our_lrs(sched) == [0.05] * N_EPOCHS
    assert sched.epoch == N_EPOCHS


@pytest.mark.parametrize("step_size, gamma", [(1, 0.9), (3, 0.5), (7, 0.1), (40, 0.1)])
def test_step_matches_torch(torch, step_size, gamma):
    expected, _ = torch_lrs(
        torch, lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma), 0.1
    )
    sched = get_schedule("step", base_lr=0.1, step_size=step_size, gamma=gamma)
    assert sched.lr == 0.1
    np.testing.assert_allclose(our_lrs(sched), expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("T_max, eta_min", [(10, 0.0), (7, 1e-4), (30, 1e-3), (1, 0.0)])
def test_cosine_matches_torch(torch, T_max, eta_min):
    expected, tsched = torch_lrs(
        torch,
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max, eta_min),
        0.1,
    )
    sched = get_schedule("cosine", base_lr=0.1, T_max=T_max, eta_min=eta_min)
    got = our_lrs(sched)
    # torch's recursive (chainable) form agrees with the closed form to rounding.
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    # and the closed form agrees exactly.
    assert got[-1] == tsched._get_closed_form_lr()[0]


def test_cosine_closed_form_values():
    sched = CosineSchedule(base_lr=1.0, T_max=4, eta_min=0.2)
    lrs = our_lrs(sched, n=8)
    assert lrs[3] == pytest.approx(0.2)  # epoch 4 = T_max: minimum
    assert lrs[1] == pytest.approx(0.6)  # epoch 2: midway
    assert lrs[7] == pytest.approx(1.0)  # epoch 8 = 2 T_max: back to base_lr


PLATEAU_CONFIGS = [
    dict(),
    dict(patience=4),
    dict(patience=2),  # decays to 1e-8, where the next cut (9e-9) is below eps
    dict(patience=1, factor=0.5, cooldown=2),
    dict(patience=0, factor=0.5, min_lr=0.02),
    dict(patience=2, threshold=0.05),
    dict(patience=2, threshold=0.01, threshold_mode="abs", cooldown=1),
    dict(patience=1, factor=0.5, min_lr=0.0999),
    dict(patience=1, factor=0.5, min_lr=0.1 - 5e-9),  # cut below eps: skipped
]


@pytest.mark.parametrize("kwargs", PLATEAU_CONFIGS)
@pytest.mark.parametrize("mode", ["min", "max"])
def test_reduce_on_plateau_matches_torch(torch, kwargs, mode):
    metrics = METRICS if mode == "min" else [-m for m in METRICS]
    expected, _ = torch_lrs(
        torch,
        lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, mode=mode, **kwargs),
        0.1,
        metrics,
    )
    sched = get_schedule("reduce_on_plateau", base_lr=0.1, mode=mode, **kwargs)
    got = our_lrs(sched, metrics)
    assert got == expected  # same float arithmetic: bitwise equal


def test_reduce_on_plateau_reduces():
    sched = ReduceOnPlateauSchedule(base_lr=1.0, patience=2, factor=0.5)
    lrs = our_lrs(sched, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], n=7)
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    assert sched.best == 1.0


def test_reduce_on_plateau_accepts_numpy_metric():
    sched = ReduceOnPlateauSchedule(base_lr=1.0)
    assert sched.step(np.float32(0.5)) == 1.0
    assert sched.step(np.array(0.25)) == 1.0
    assert sched.best == 0.25


# ---------------------------------------------------------------------------
# state_dict
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("constant", {}),
        ("step", dict(step_size=4, gamma=0.5)),
        ("cosine", dict(T_max=12, eta_min=1e-3)),
        ("reduce_on_plateau", dict(patience=1, factor=0.5, cooldown=2)),
    ],
)
def test_state_dict_round_trip(name, kwargs):
    sched = get_schedule(name, base_lr=0.1, **kwargs)
    our_lrs(sched, METRICS, n=12)
    state = sched.state_dict()
    for value in state.values():
        assert isinstance(value, (int, float))
    resumed = get_schedule(name, base_lr=0.1, **kwargs)
    resumed.load_state_dict(state)
    assert resumed.lr == sched.lr and resumed.epoch == 12
    rest = METRICS[12:]
    assert our_lrs(resumed, rest, n=len(rest)) == our_lrs(sched, rest, n=len(rest))


def test_state_dict_accepts_numpy_scalars():
    sched = ReduceOnPlateauSchedule(base_lr=0.1)
    state = {k: np.asarray(v) for k, v in sched.state_dict().items()}
    sched.load_state_dict(state)
    assert sched.best == math.inf and isinstance(sched.epoch, int)


def test_load_state_dict_errors():
    sched = StepSchedule(0.1, step_size=2)
    with pytest.raises(ValueError, match="expected"):
        sched.load_state_dict({"epoch": 3})
    with pytest.raises(ValueError, match="epoch must be >= 0"):
        sched.load_state_dict({"epoch": -3, "lr": 0.1})
    with pytest.raises(ValueError, match="lr must be >= 0"):
        sched.load_state_dict({"epoch": 3, "lr": -0.1})
    with pytest.raises(ValueError, match="must be a dict"):
        sched.load_state_dict([("epoch", 3)])


def test_reset():
    sched = CosineSchedule(0.1, T_max=5)
    first = our_lrs(sched, n=6)
    sched.reset()
    assert sched.lr == 0.1 and sched.epoch == 0
    assert our_lrs(sched, n=6) == first


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------
def test_registry_and_unknown_name():
    assert SCHEDULES == {
        "constant": ConstantSchedule,
        "step": StepSchedule,
        "cosine": CosineSchedule,
        "reduce_on_plateau": ReduceOnPlateauSchedule,
    }
    with pytest.raises(ValueError, match=r"Unknown schedule 'cos'.*'constant'.*'cosine'"):
        get_schedule("cos", base_lr=0.1)
    with pytest.raises(TypeError, match=r"unexpected parameter.*'gamma'.*T_max"):
        get_schedule("cosine", base_lr=0.1, T_max=3, gamma=0.1)
    with pytest.raises(TypeError, match=r"requires parameter\(s\) \['step_size'\]"):
        get_schedule("step", base_lr=0.1)
    assert isinstance(get_schedule("constant", base_lr=0.1), Schedule)
    assert "T_max=3" in repr(get_schedule("cosine", base_lr=0.1, T_max=3))


@pytest.mark.parametrize(
    "name, kwargs, match",
    [
        ("constant", dict(base_lr=-1.0), "base_lr must be >= 0"),
        ("step", dict(base_lr=0.1, step_size=0), "step_size must be >= 1"),
        ("step", dict(base_lr=0.1, step_size=2.5), "step_size must be an integer"),
        ("cosine", dict(base_lr=0.1, T_max=0), "T_max must be >= 1"),
        ("cosine", dict(base_lr=0.1, T_max=5, eta_min=-1.0), "eta_min must be >= 0"),
        ("reduce_on_plateau", dict(base_lr=0.1, mode="minimum"),
         r"Unknown mode 'minimum'; valid values are \['max', 'min'\]"),
        ("reduce_on_plateau", dict(base_lr=0.1, threshold_mode="relative"),
         r"Unknown threshold_mode 'relative'; valid values are \['abs', 'rel'\]"),
        ("reduce_on_plateau", dict(base_lr=0.1, factor=1.0), "factor must be < 1"),
        ("reduce_on_plateau", dict(base_lr=0.1, patience=-1), "patience must be >= 0"),
        ("reduce_on_plateau", dict(base_lr=0.1, min_lr=-1e-3), "min_lr must be >= 0"),
    ],
)
def test_bad_hyperparameters(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        get_schedule(name, **kwargs)


def test_plateau_needs_metric():
    sched = get_schedule("reduce_on_plateau", base_lr=0.1)
    with pytest.raises(ValueError, match="needs the epoch's metric"):
        sched.step()
    with pytest.raises(ValueError, match="metric must be a real number"):
        sched.step("low")
    assert sched.epoch == 0
