"""`tsrnn` outputs and inputs found wanting by a new-user review: ids kept as written,
output formats chosen by suffix (or refused), stdout, one file never named twice,
ragged wide tables, repeated options. In-process ``main([...])`` for speed."""

import os

import numpy as np
import pandas as pd
import pytest

from hardening._support import run_cli_in_process

FAST = ["--max-steps", "2", "--hidden-size", "2", "--input-size", "4", "--quiet"]


def run_main(args, cwd):
    return run_cli_in_process(args, cwd)


@pytest.fixture
def long_csv(tmp_path):
    t = pd.date_range("2021-01-01", periods=24, freq="D")
    pd.DataFrame({"unique_id": "a", "ds": t, "y": np.sin(np.arange(24.0))}).to_csv(tmp_path / "data.csv", index=False)
    return "data.csv"


def test_ids_keep_leading_zeros_and_stay_distinct(tmp_path):
    t = pd.date_range("2021-01-01", periods=40, freq="D")
    pd.concat([pd.DataFrame({"unique_id": "001", "ds": t[:20], "y": np.arange(20.0)}),
               pd.DataFrame({"unique_id": "1", "ds": t[20:], "y": np.arange(20.0)})]).to_csv(
        tmp_path / "codes.csv", index=False)
    code, _, err = run_main(["forecast", "codes.csv", "--horizon", "2", "-o", "fc.csv", *FAST], tmp_path)
    assert code == 0, err
    fc = pd.read_csv(tmp_path / "fc.csv", dtype={"unique_id": str})
    assert sorted(fc["unique_id"].unique()) == ["001", "1"]


def test_output_and_plot_naming_one_file_is_refused(tmp_path, long_csv):
    code, _, err = run_main(["forecast", long_csv, "--horizon", "2", "-o", "fc.csv", "--plot", "./fc.csv",
                             "--force", *FAST], tmp_path)
    assert code == 2 and "name the same file" in err
    assert not (tmp_path / "fc.csv").exists()


def test_parquet_output_is_parquet(tmp_path, long_csv):
    pytest.importorskip("pyarrow")
    code, _, err = run_main(["forecast", long_csv, "--horizon", "2", "-o", "fc.parquet", *FAST], tmp_path)
    assert code == 0, err
    assert (tmp_path / "fc.parquet").read_bytes()[:4] == b"PAR1"
    assert len(pd.read_parquet(tmp_path / "fc.parquet")) == 2


@pytest.mark.parametrize("name", ["fc.xlsx", "fc.json"])
def test_unknown_output_types_are_refused_before_fitting(tmp_path, long_csv, name):
    code, _, err = run_main(["forecast", long_csv, "--horizon", "2", "-o", name, *FAST], tmp_path)
    assert code == 2 and "cannot write" in err and not (tmp_path / name).exists()


def test_dash_writes_the_table_to_stdout(tmp_path, long_csv):
    code, out, err = run_main(["forecast", long_csv, "--horizon", "2", "-o", "-", *FAST], tmp_path)
    assert code == 0, err
    assert out.splitlines()[0] == "unique_id,ds,yhat" and len(out.splitlines()) == 3
    assert not (tmp_path / "-").exists()


def test_a_folder_as_output_is_refused(tmp_path, long_csv):
    (tmp_path / "out").mkdir()
    code, _, err = run_main(["forecast", long_csv, "--horizon", "2", "-o", "out", "--force", *FAST], tmp_path)
    assert code == 2 and "is a folder" in err and (tmp_path / "out").is_dir()


def test_ragged_wide_table_is_trimmed_not_refused(tmp_path):
    t = pd.date_range("2021-01-01", periods=30, freq="D")
    b = np.r_[[np.nan] * 5, np.arange(23.0), [np.nan] * 2]  # starts late, ends early
    pd.DataFrame({"ds": t, "a": np.arange(30.0), "b": b}).to_csv(tmp_path / "wide.csv", index=False)
    code, _, err = run_main(["forecast", "wide.csv", "--horizon", "2", "-o", "fc.csv", *FAST], tmp_path)
    assert code == 0, err
    fc = pd.read_csv(tmp_path / "fc.csv", parse_dates=["ds"])
    last_b = t[27]  # b's last value
    assert list(fc.loc[fc["unique_id"] == "b", "ds"]) == [last_b + pd.Timedelta(days=1), last_b + pd.Timedelta(days=2)]
    # a hole inside a series is still reported
    b[10] = np.nan
    pd.DataFrame({"ds": t, "a": np.arange(30.0), "b": b}).to_csv(tmp_path / "holes.csv", index=False)
    code, _, err = run_main(["forecast", "holes.csv", "--horizon", "2", "-o", "fc2.csv", *FAST], tmp_path)
    assert code == 2 and "NaN" in err


def test_repeated_level_options_add_up(tmp_path, long_csv):
    code, _, err = run_main(["forecast", long_csv, "--horizon", "2", "--level", "80", "--level", "95", "-o", "fc.csv",
                             *FAST], tmp_path)
    assert code == 0, err
    columns = pd.read_csv(tmp_path / "fc.csv").columns
    assert {"yhat-lo-80", "yhat-hi-95"} <= set(columns)


def test_backtest_season_length_must_be_positive(tmp_path, long_csv):
    code, _, err = run_main(["backtest", long_csv, "--horizon", "2", "--season-length", "0", *FAST], tmp_path)
    assert code == 2 and "--season-length" in err


def test_text_dataset_is_not_exported_as_a_table(tmp_path):
    code, _, err = run_main(["datasets", "export", "alice_in_wonderland", "-o", "alice.csv"], tmp_path)
    assert code == 2 and "alice.txt" in err and not (tmp_path / "alice.csv").exists()


def test_fit_checkpoint_paths(tmp_path, long_csv):
    # the model file itself is not a checkpoint path
    code, _, err = run_main(["fit", long_csv, "--horizon", "2", "-m", "m.tsrnn", "--checkpoint", "m.tsrnn", *FAST],
                            tmp_path)
    assert code == 2 and "name the same file" in err
    # a real checkpoint left by an interrupted fit: resume it or start over with --force
    code, _, err = run_main(["fit", long_csv, "--horizon", "2", "-m", "m.tsrnn", "--n-models", "1", *FAST], tmp_path)
    assert code == 0, err
    os.replace(tmp_path / "m.tsrnn", tmp_path / "left.ckpt")  # any tsrnn file without a loop state is not one
    code, _, err = run_main(["fit", long_csv, "--horizon", "2", "-m", "n.tsrnn", "--checkpoint", "left.ckpt",
                             "--force", *FAST], tmp_path)
    assert code == 2 and "not a tsrnn checkpoint" in err and (tmp_path / "left.ckpt").exists()


def test_future_covariates_from_a_file(tmp_path):
    t = pd.date_range("2021-01-01", periods=30, freq="D")
    x = np.cos(np.arange(33.0))
    pd.DataFrame({"unique_id": "007", "ds": t, "y": np.sin(np.arange(30.0)) + x[:30], "x": x[:30]}).to_csv(
        tmp_path / "data.csv", index=False)
    pd.DataFrame({"unique_id": "007", "ds": pd.date_range("2021-01-31", periods=3, freq="D"), "x": x[30:]}).to_csv(
        tmp_path / "future.csv", index=False)
    (tmp_path / "cfg.toml").write_text('future_covariates = ["x"]\n')
    args = ["forecast", "data.csv", "--horizon", "3", "--config", "cfg.toml", *FAST]
    code, _, err = run_main([*args, "-o", "missing.csv"], tmp_path)
    assert code == 2 and "--future" in err and not (tmp_path / "missing.csv").exists()
    code, _, err = run_main([*args, "--future", "future.csv", "-o", "fc.csv"], tmp_path)
    assert code == 0, err
    fc = pd.read_csv(tmp_path / "fc.csv", dtype={"unique_id": str})
    assert list(fc["unique_id"]) == ["007"] * 3 and np.isfinite(fc["yhat"]).all()
    # the same through a model file
    code, _, err = run_main(["fit", "data.csv", "--horizon", "3", "--config", "cfg.toml", "-m", "m.tsrnn", *FAST],
                            tmp_path)
    assert code == 0, err
    code, _, err = run_main(["predict", "-m", "m.tsrnn", "--future", "future.csv", "-o", "fc2.csv"], tmp_path)
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "fc2.csv", dtype={"unique_id": str}), fc)
    # a forecaster without future covariates takes no --future
    code, _, err = run_main(["forecast", "data.csv", "--horizon", "3", "--future", "future.csv", "-o", "x.csv", *FAST],
                            tmp_path)
    assert code == 2 and "future_covariates" in err


@pytest.mark.parametrize("freq, expect", [
    # hourly across the spring-forward change: UTC instants step evenly
    ("h", ["2021-03-15 17:00:00+00:00", "2021-03-15 18:00:00+00:00"]),  # 36 h after 05:00 UTC
    # daily at local midnight: the local dates
    ("D", ["2021-03-21", "2021-03-22"]),
])
def test_timestamps_with_changing_utc_offsets_are_read(tmp_path, freq, expect):
    """tz-aware data across a daylight-saving change, as pandas writes it to CSV (the
    offset changes from -05:00 to -04:00): it used to be refused as unparseable."""
    n = 36 if freq == "h" else 20
    ds = pd.date_range("2021-03-14" if freq == "h" else "2021-03-01", periods=n, freq=freq, tz="US/Eastern")
    pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.sin(np.arange(n))}).to_csv(tmp_path / "dst.csv", index=False)
    text = (tmp_path / "dst.csv").read_text()
    assert "-05:00" in text and "-04:00" in text
    code, _, err = run_main(["forecast", "dst.csv", "--horizon", "2", "-o", "fc.csv", *FAST], tmp_path)
    assert code == 0, err
    assert pd.read_csv(tmp_path / "fc.csv")["ds"].tolist() == expect


def test_the_automatic_choices_are_reported(tmp_path):
    import re

    import tsrnn

    t = pd.date_range("2015-01-01", periods=72, freq="MS")
    y = 10 + 3 * np.sin(2 * np.pi * np.arange(72) / 12)
    pd.DataFrame({"unique_id": "a", "ds": t, "y": y}).to_csv(tmp_path / "m.csv", index=False)
    quiet_free = [a for a in FAST if a != "--quiet"]
    code, _, err = run_main(["forecast", "m.csv", "--horizon", "2", "-o", "fc.csv", *quiet_free], tmp_path)
    assert code == 0, err
    assert re.search(r"chose differences (none|\[\d+\]), scaler \w+, calendar features (none|\['\w+'\])", err)
    code, _, err = run_main(["fit", "m.csv", "--horizon", "2", "-m", "m.tsrnn", *quiet_free], tmp_path)
    model = tsrnn.load(tmp_path / "m.tsrnn")
    calendar = model.calendar_ if model.calendar_ else "none"
    assert code == 0 and f"scaler {model.scaler_}, calendar features {calendar}" in err
