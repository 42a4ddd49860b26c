"""`tsrnn backtest --season-length` checked before any fit (naming the series), and
boolean covariate columns read from CSV. In-process ``main([...])`` for speed."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from hardening._support import run_cli_in_process

FAST = ["--max-steps", "2", "--hidden-size", "4", "--input-size", "4", "--n-models", "1", "--quiet"]


@pytest.fixture
def weekly_csv(tmp_path):
    parts = [pd.DataFrame({"item": uid, "week": pd.date_range("2022-01-02", periods=n, freq="W-SUN"),
                           "sales": 100 + np.sin(np.arange(n, dtype=float))}) for uid, n in (("a", 70), ("b", 50))]
    pd.concat(parts).to_csv(tmp_path / "sales.csv", index=False)
    return ["sales.csv", "--id-col", "item", "--time-col", "week", "--target-col", "sales"]


def test_backtest_season_length_is_checked_before_fitting(tmp_path, weekly_csv, monkeypatch):
    def no_fit(*args, **kwargs):
        raise AssertionError("cross_validation ran")

    monkeypatch.setattr(tsrnn.RNNForecaster, "cross_validation", no_fit)
    code, out, err = run_cli_in_process(["backtest", *weekly_csv, "--horizon", "4", "--windows", "2",
                                         "--season-length", "52", "-o", "bt.csv", *FAST], tmp_path)
    assert code == 2 and out == ""
    assert err.startswith("tsrnn backtest: error: --season-length 52: MASE needs each series' training part")
    assert "too short: 'b' (42). Lower --season-length or --windows" in err and "'a'" not in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "bt.csv").exists()


def test_backtest_season_length_counts_observed_training_values(tmp_path, weekly_csv):
    # 'b' misses one week before the cutoff: fill inserts it, MASE does not count it (41 values)
    data = pd.read_csv(tmp_path / "sales.csv")
    data.drop(index=data.index[(data["item"] == "b")][5]).to_csv(tmp_path / "sales.csv", index=False)
    (tmp_path / "cfg.toml").write_text('fill = "ffill"\n')
    code, _, err = run_cli_in_process(["backtest", *weekly_csv, "--config", "cfg.toml", "--horizon", "4",
                                       "--windows", "2", "--season-length", "41", *FAST], tmp_path)
    assert code == 2 and "too short: 'b' (41)" in err
    code, out, err = run_cli_in_process(["backtest", *weekly_csv, "--config", "cfg.toml", "--horizon", "4",
                                         "--windows", "2", "--season-length", "40", "-o", "bt.csv", *FAST], tmp_path)
    assert code == 0, err
    assert "mase" in out and (tmp_path / "bt.csv").exists()


def test_boolean_covariate_column_from_csv(tmp_path, weekly_csv):
    data = pd.read_csv(tmp_path / "sales.csv")
    data["holiday"] = np.arange(len(data)) % 5 == 0
    data.to_csv(tmp_path / "sales.csv", index=False)
    assert pd.read_csv(tmp_path / "sales.csv")["holiday"].dtype == bool  # written as True/False
    (tmp_path / "cfg.toml").write_text('covariates = ["holiday"]\n')
    code, _, err = run_cli_in_process(["forecast", *weekly_csv, "--config", "cfg.toml", "--horizon", "2",
                                       "-o", "fc.csv", *FAST], tmp_path)
    assert code == 0, err
    fc = pd.read_csv(tmp_path / "fc.csv")
    assert len(fc) == 4 and np.isfinite(fc["yhat"]).all()
