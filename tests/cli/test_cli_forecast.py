"""`tsrnn forecast` through the installed console script: outputs, plots, bad CSVs."""

import numpy as np
import pandas as pd
import pytest

FAST = ["--max-steps", "40", "--hidden-size", "8", "--quiet"]


def test_quickstart_forecast_with_plot(run_cli, tmp_path):
    res = run_cli("forecast", "--dataset", "airline", "--horizon", "12", "--level", "80", "95",
                  "-o", "fc.csv", "--plot", "fc.png", *FAST)
    assert res.returncode == 0, res.stderr
    fc = pd.read_csv(tmp_path / "fc.csv", parse_dates=["ds"])
    assert len(fc) == 12 and np.isfinite(fc["yhat"]).all()
    assert list(fc["ds"].dt.strftime("%Y-%m")) == [f"1961-{m:02d}" for m in range(1, 13)]
    assert (fc["yhat-lo-95"] <= fc["yhat-lo-80"]).all() and (fc["yhat-lo-80"] <= fc["yhat"]).all()
    assert (tmp_path / "fc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_max_steps_takes_auto_or_a_number(run_cli, tmp_path):
    ok = run_cli("forecast", "--dataset", "airline", "--horizon", "3", "--max-steps", "auto", "--hidden-size", "4",
                 "--quiet", "-o", "fc.csv")
    assert ok.returncode == 0, ok.stderr
    bad = run_cli("forecast", "--dataset", "airline", "--horizon", "3", "--max-steps", "many", "-o", "x.csv")
    assert bad.returncode == 2 and "expected a number of steps or 'auto'" in bad.stderr
    assert not (tmp_path / "x.csv").exists()


def test_wide_csv_and_custom_columns(run_cli, tmp_path):
    t = pd.date_range("2020-01-01", periods=60, freq="D")
    wide = pd.DataFrame({"when": t, "a": np.sin(np.arange(60) / 3), "b": np.cos(np.arange(60) / 3)})
    wide.to_csv(tmp_path / "wide.csv", index=False)
    res = run_cli("forecast", "wide.csv", "--time-col", "when", "--horizon", "5", "-o", "out.csv", *FAST)
    assert res.returncode == 0, res.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert sorted(out["unique_id"].unique()) == ["a", "b"] and len(out) == 10


@pytest.mark.parametrize(
    "content,message",
    [
        ("", "empty"),
        ("unique_id,ds\nA,2020-01-01\n", "no column 'y'"),
        ("unique_id,ds,y\nA,not a date,1\nA,2020-01-02,2\n", "cannot parse the dates"),
        ("unique_id,ds,y\nA,2020-01-01,one\nA,2020-01-02,two\n", "non-numeric"),
        ("id,time,value\nA,2020-01-01,1\n", "no time column 'ds'"),
    ],
)
def test_bad_csv_is_one_line_exit_2(run_cli, tmp_path, content, message):
    (tmp_path / "bad.csv").write_text(content)
    res = run_cli("forecast", "bad.csv", "--horizon", "3", "-o", "out.csv", *FAST)
    assert res.returncode == 2
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert not (tmp_path / "out.csv").exists()


def test_existing_output_is_kept(run_cli, tmp_path):
    (tmp_path / "fc.csv").write_text("keep me")
    res = run_cli("forecast", "--dataset", "airline", "--horizon", "3", "-o", "fc.csv", *FAST)
    assert res.returncode == 2 and "--force" in res.stderr
    assert (tmp_path / "fc.csv").read_text() == "keep me"


def test_missing_data_and_unknown_dataset(run_cli):
    res = run_cli("forecast", "--horizon", "3", "-o", "x.csv")
    assert res.returncode == 2 and "DATA" in res.stderr
    res = run_cli("forecast", "--dataset", "nope", "--horizon", "3", "-o", "x.csv")
    assert res.returncode == 2 and "airline" in res.stderr


def test_backtest_table_and_json(run_cli, tmp_path):
    import json

    res = run_cli("backtest", "--dataset", "airline", "--horizon", "6", "--windows", "2", "--level", "80",
                  "--season-length", "12", "-o", "cv.csv", *FAST)
    assert res.returncode == 0, res.stderr
    assert "mase" in res.stdout and "coverage-80" in res.stdout
    cv = pd.read_csv(tmp_path / "cv.csv")
    assert len(cv) == 12 and cv["cutoff"].nunique() == 2
    res = run_cli("backtest", "--dataset", "airline", "--horizon", "6", "--json", *FAST)
    assert res.returncode == 0, res.stderr
    metrics = json.loads(res.stdout)["metrics"]
    assert set(metrics["airline"]) >= {"mae", "rmse", "smape", "mase"}


def test_progress_says_when_intervals_need_a_second_fit(run_cli, tmp_path):
    quick = ["--max-steps", "20", "--hidden-size", "4"]
    res = run_cli("forecast", "--dataset", "airline", "--horizon", "3", "--level", "80", "-o", "a.csv", *quick)
    assert res.returncode == 0, res.stderr
    assert "calibrating the intervals" in res.stderr
    res = run_cli("forecast", "--dataset", "airline", "--horizon", "3", "-o", "b.csv", *quick)
    assert res.returncode == 0 and "calibrating" not in res.stderr
