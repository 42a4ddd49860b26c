"""CLI review fixes: local models with `tsrnn fit`, the one-series fallback, output folders
checked before the fit and outputs written all or none, --plot never overwritten by
surprise, --level against quantile_levels before the fit, `-m -`, foreign input formats,
--seed / --config messages and repeated column names. In-process ``main([...])`` for speed."""

import os
import subprocess
from argparse import Namespace

import numpy as np
import pandas as pd
import pytest

import tsrnn
from hardening._support import run_cli_in_process
from tsrnn.cli._data import read_series

FAST = ["--max-steps", "2", "--hidden-size", "4", "--input-size", "4", "--n-models", "1", "--quiet"]


@pytest.fixture
def long_csv(tmp_path):
    """Two daily series under the id column 'series'."""
    parts = [pd.DataFrame({"series": uid, "ds": pd.date_range("2020-01-01", periods=30, freq="D"),
                           "y": base + np.sin(np.arange(30.0))}) for uid, base in (("a", 10.0), ("b", 20.0))]
    pd.concat(parts).to_csv(tmp_path / "data.csv", index=False)
    return "data.csv"


def _fitted(*args, **kwargs):
    raise AssertionError("the forecaster was fitted")


@pytest.fixture
def no_fit(monkeypatch):
    monkeypatch.setattr(tsrnn.RNNForecaster, "fit", _fitted)
    monkeypatch.setattr(tsrnn.RNNForecaster, "cross_validation", _fitted)


def after_fit(monkeypatch, action):
    """Run ``action()`` right after every RNNForecaster fit (something happening meanwhile)."""
    fit = tsrnn.RNNForecaster.fit

    def fit_then(self, *args, **kwargs):
        result = fit(self, *args, **kwargs)
        action()
        return result

    monkeypatch.setattr(tsrnn.RNNForecaster, "fit", fit_then)


@pytest.fixture
def immutable(tmp_path):
    """``make(folder)``: a folder nobody, root included, can create files in (chattr +i)."""
    made = []

    def make(folder):
        folder.mkdir(exist_ok=True)
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not available here")
        made.append(folder)
        return folder

    yield make
    for folder in made:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def one_line_error(err, command="forecast"):
    assert err.startswith(f"tsrnn {command}: error: ") and len(err.strip().splitlines()) == 1, err
    return err


# 1. local models


def test_fit_local_models_without_checkpoint(tmp_path, long_csv):
    (tmp_path / "local.toml").write_text("local = true\n")
    args = ["fit", long_csv, "--id-col", "series", "--horizon", "2", "--config", "local.toml", *FAST]
    code, _, err = run_cli_in_process([*args, "-m", "m.tsrnn"], tmp_path)
    assert code == 0, err
    model = tsrnn.load(tmp_path / "m.tsrnn")
    assert model.local and model.checkpoint is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "local.toml", "m.tsrnn"]  # no checkpoint


@pytest.mark.parametrize("option", [["--resume"], ["--checkpoint", "c.ckpt"]])
def test_fit_local_models_refuses_checkpoint_options(tmp_path, long_csv, no_fit, option):
    (tmp_path / "local.toml").write_text("local = true\n")
    code, _, err = run_cli_in_process(["fit", long_csv, "--id-col", "series", "--horizon", "2", "--config",
                                       "local.toml", "-m", "m.tsrnn", *option, *FAST], tmp_path)
    assert code == 2
    assert one_line_error(err, "fit").endswith(f"error: {option[0]} is not available with local = true: local "
                                               "models are fitted without a checkpoint (each fits in seconds)\n")
    assert not (tmp_path / "m.tsrnn").exists() and not (tmp_path / "c.ckpt").exists()


# 2. the one-series fallback


def test_one_series_fallback_with_repeated_times_names_the_id_column(tmp_path, long_csv, no_fit):
    code, out, err = run_cli_in_process(["forecast", long_csv, "--horizon", "2", "-o", "fc.csv", *FAST], tmp_path)
    assert code == 2 and out == ""
    assert one_line_error(err).endswith(
        "error: duplicate timestamps in data.csv (e.g. 2020-01-01); no 'unique_id' column: the file was read as "
        "one series; name the series column with --id-col (columns: ['series', 'ds', 'y'])\n")
    assert not (tmp_path / "fc.csv").exists()


def test_predict_refuses_file_without_the_id_column_of_a_multi_series_model(tmp_path, long_csv):
    code, _, err = run_cli_in_process(["fit", long_csv, "--id-col", "series", "--horizon", "2",
                                       "-m", "m.tsrnn", *FAST], tmp_path)
    assert code == 0, err
    data = pd.read_csv(tmp_path / long_csv)
    data[data["series"] == "a"].drop(columns="series").to_csv(tmp_path / "a.csv", index=False)  # was forecast as 'a'
    data.rename(columns={"series": "unique_id"}).to_csv(tmp_path / "new.csv", index=False)
    for name, columns in (("a.csv", ["ds", "y"]), ("new.csv", ["unique_id", "ds", "y"])):
        code, out, err = run_cli_in_process(["predict", "-m", "m.tsrnn", name, "-o", "fc.csv"], tmp_path)
        assert code == 2 and out == ""
        assert one_line_error(err, "predict").endswith(
            f"error: {name} has no id column 'series' (columns: {columns}), and the model was fitted "
            "on several series: name the series column with --id-col\n")
        assert not (tmp_path / "fc.csv").exists()
    code, _, err = run_cli_in_process(["predict", "-m", "m.tsrnn", "new.csv", "--id-col", "unique_id",
                                       "-o", "fc.csv"], tmp_path)
    assert code == 0, err
    assert sorted(pd.read_csv(tmp_path / "fc.csv")["unique_id"].unique()) == ["a", "b"]


def test_one_series_file_is_still_read_as_one_series(tmp_path):
    pd.DataFrame({"ds": pd.date_range("2020-01-01", periods=5), "y": np.arange(5.0)}).to_csv(
        tmp_path / "shop.csv", index=False)
    args = Namespace(data=str(tmp_path / "shop.csv"), dataset=None, format="auto", id_col="unique_id",
                     time_col="ds", target_col="y")
    assert read_series(args)["unique_id"].unique().tolist() == ["shop"]


# 3. output folders


@pytest.mark.parametrize("outputs", [["-o", "ro/fc.csv"], ["-o", "fc.csv", "--plot", "ro/p.png"]])
def test_unwritable_output_folder_is_refused_before_the_fit(tmp_path, long_csv, no_fit, immutable, outputs):
    immutable(tmp_path / "ro")
    code, _, err = run_cli_in_process(["forecast", long_csv, "--id-col", "series", "--horizon", "2", *outputs,
                                       *FAST], tmp_path)
    assert code == 2
    assert one_line_error(err).endswith(f"error: cannot write {outputs[-1]}: folder {tmp_path / 'ro'} "
                                        "is not writable\n")
    assert not (tmp_path / "fc.csv").exists()


def test_unwritable_model_folder_is_refused_before_the_fit(tmp_path, long_csv, no_fit, immutable):
    immutable(tmp_path / "ro")
    code, _, err = run_cli_in_process(["fit", long_csv, "--id-col", "series", "--horizon", "2", "-m", "ro/m.tsrnn",
                                       *FAST], tmp_path)
    assert code == 2
    assert one_line_error(err, "fit").endswith(f"error: cannot write ro/m.tsrnn: folder {tmp_path / 'ro'} "
                                               "is not writable\n")


def test_plot_that_cannot_be_written_leaves_no_csv(tmp_path, long_csv, monkeypatch, immutable):
    (tmp_path / "img").mkdir()
    after_fit(monkeypatch, lambda: immutable(tmp_path / "img"))  # writable when checked, not after the fit
    code, _, err = run_cli_in_process(["forecast", long_csv, "--id-col", "series", "--horizon", "2",
                                       "-o", "fc.csv", "--plot", "img/p.png", *FAST], tmp_path)
    assert code == 2
    assert one_line_error(err).endswith(f"error: cannot write img/p.png: folder {tmp_path / 'img'} is not writable\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "img"]
    assert list((tmp_path / "img").iterdir()) == []


def test_write_files_names_the_output_not_its_temporary_file(tmp_path, monkeypatch, immutable):
    from tsrnn.cli._common import UsageError, write_files

    immutable(tmp_path / "ro")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: True)  # a folder that says yes, then fails
    with pytest.raises(UsageError, match=r"^cannot write ro/p.png: Operation not permitted$"):
        write_files([("fc.csv", b"a\n"), ("ro/p.png", b"png")], force=False)
    assert list(tmp_path.iterdir()) == [tmp_path / "ro"] and list((tmp_path / "ro").iterdir()) == []


# 4. --plot created during the fit


def test_plot_created_during_the_fit_is_not_overwritten(tmp_path, long_csv, monkeypatch):
    after_fit(monkeypatch, lambda: (tmp_path / "p.png").write_text("precious"))
    code, _, err = run_cli_in_process(["forecast", long_csv, "--id-col", "series", "--horizon", "2",
                                       "-o", "fc.csv", "--plot", "p.png", *FAST], tmp_path)
    assert code == 2
    assert one_line_error(err).endswith("error: p.png exists; pass --force to overwrite it\n")
    assert (tmp_path / "p.png").read_text() == "precious" and not (tmp_path / "fc.csv").exists()


def test_model_file_created_during_the_fit_is_not_overwritten(tmp_path, long_csv, monkeypatch):
    after_fit(monkeypatch, lambda: (tmp_path / "m.tsrnn").write_text("precious"))
    code, _, err = run_cli_in_process(["fit", long_csv, "--id-col", "series", "--horizon", "2",
                                       "-m", "m.tsrnn", *FAST], tmp_path)
    assert code == 2
    assert one_line_error(err, "fit").endswith("error: m.tsrnn exists; pass --force to overwrite it\n")
    assert (tmp_path / "m.tsrnn").read_text() == "precious"


# 5. --level and quantile_levels


@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_level_not_learned_is_refused_before_the_fit(tmp_path, long_csv, no_fit, command):
    (tmp_path / "q.toml").write_text("quantile_levels = [80]\n")
    code, _, err = run_cli_in_process([command, long_csv, "--id-col", "series", "--horizon", "2", "--config",
                                       "q.toml", "--level", "95", "-o", "fc.csv", *FAST], tmp_path)
    assert code == 2
    assert one_line_error(err, command).endswith(
        "error: level [95.0] was not learned: this model emits the quantile_levels [80.0]\n")
    assert not (tmp_path / "fc.csv").exists()


# 6. -m -


def test_model_path_dash_is_refused(tmp_path, long_csv, no_fit):
    code, _, err = run_cli_in_process(["fit", long_csv, "--id-col", "series", "--horizon", "2", "-m", "-", *FAST],
                                      tmp_path)
    assert code == 2
    assert one_line_error(err, "fit").endswith(
        "error: a model file cannot be written to stdout: give -m a file name, e.g. model.tsrnn\n")
    assert not (tmp_path / "-").exists()


# 7. input formats


@pytest.mark.parametrize("name", ["air.json", "air.xlsx", "air.feather", "air.pkl", "air.h5", "air.tsv",
                                  "air.json.gz"])
def test_foreign_input_format_is_refused(tmp_path, no_fit, name):
    (tmp_path / name).write_text("ds,y\n2020-01-01,1\n")
    code, _, err = run_cli_in_process(["forecast", name, "--horizon", "2", "-o", "fc.csv", *FAST], tmp_path)
    assert code == 2
    kind = ".json" if name.endswith(".gz") else name[name.index("."):]
    assert one_line_error(err).endswith(f"error: cannot read {kind} files ({name}): give CSV (comma-separated; "
                                        ".csv, .txt or no suffix) or Parquet (.parquet, .pq)\n")
    assert not (tmp_path / "fc.csv").exists()


@pytest.mark.parametrize("name", ["shop", "shop.csv", "shop.txt", "shop.dat", "shop.csv.gz"])
def test_csv_input_names_are_read(tmp_path, name):
    pd.DataFrame({"ds": pd.date_range("2020-01-01", periods=5), "y": np.arange(5.0)}).to_csv(
        tmp_path / name, index=False)
    args = Namespace(data=str(tmp_path / name), dataset=None, format="auto", id_col="unique_id",
                     time_col="ds", target_col="y")
    assert read_series(args)["y"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


# 8. --seed, --config, repeated columns


def test_seed_out_of_range_names_the_option(tmp_path, long_csv, no_fit):
    code, _, err = run_cli_in_process(["forecast", long_csv, "--id-col", "series", "--horizon", "2", "-o", "fc.csv",
                                       *FAST, "--seed", "-1"], tmp_path)
    assert code == 2
    assert one_line_error(err).endswith("error: --seed must be between 0 and 2**32 - 1, got -1\n")
    (tmp_path / "s.toml").write_text(f"random_state = {2**32}\n")
    code, _, err = run_cli_in_process(["forecast", long_csv, "--id-col", "series", "--horizon", "2", "-o", "fc.csv",
                                       "--config", "s.toml", *FAST], tmp_path)
    assert code == 2
    assert one_line_error(err).endswith(f"error: random_state in s.toml must be between 0 and 2**32 - 1, got {2**32}\n")
    assert not (tmp_path / "fc.csv").exists()


@pytest.mark.parametrize("config, message", [
    ("bad.toml", "cannot read bad.toml: it is not UTF-8 text (invalid start byte at byte 0); save it as UTF-8"),
    (".", "--config . is a folder; give a TOML file"),
])
def test_config_that_cannot_be_read_is_named(tmp_path, long_csv, no_fit, config, message):
    (tmp_path / "bad.toml").write_bytes(b"\xff\xfe bad")
    code, _, err = run_cli_in_process(["forecast", long_csv, "--id-col", "series", "--horizon", "2", "-o", "fc.csv",
                                       "--config", config, *FAST], tmp_path)
    assert code == 2
    assert one_line_error(err).endswith(f"error: {message}\n")
    assert not (tmp_path / "fc.csv").exists()


@pytest.mark.parametrize("header", ["ds,a,b,a", "unique_id,ds,y,y"])
def test_repeated_column_names_are_refused(tmp_path, no_fit, header):
    width = header.count(",")
    (tmp_path / "d.csv").write_text(header + "\n" + "".join(f"2020-01-0{i + 1}" + ",1" * width + "\n"
                                                            for i in range(5)))
    code, _, err = run_cli_in_process(["forecast", "d.csv", "--horizon", "2", "-o", "fc.csv", *FAST], tmp_path)
    assert code == 2
    name = header.rsplit(",", 1)[1]
    assert one_line_error(err).endswith(f"error: d.csv has repeated column names [{name!r}]: rename them (each "
                                        "column needs its own name)\n")
    assert not (tmp_path / "fc.csv").exists()


def test_checkpoint_into_a_missing_folder_is_refused_before_the_fit(tmp_path, long_csv, no_fit):
    code, _, err = run_cli_in_process(["fit", long_csv, "--id-col", "series", "--horizon", "2", "-m", "m.tsrnn",
                                       "--checkpoint", "missing/c.ckpt", *FAST], tmp_path)
    assert code == 2
    assert "error: cannot write the checkpoint missing/c.ckpt: folder" in one_line_error(err, "fit")
    assert "does not exist" in err and not (tmp_path / "m.tsrnn").exists()


def test_checkpoint_from_the_config_is_used(tmp_path, long_csv, monkeypatch):
    seen = []
    monkeypatch.setattr(tsrnn.RNNForecaster, "fit", lambda self, *a, **k: seen.append(self.checkpoint) or self)
    monkeypatch.setattr(tsrnn.RNNForecaster, "save", lambda self, path, overwrite=False: None)
    (tmp_path / "c.toml").write_text('checkpoint = "from_config.ckpt"\n')
    run_cli_in_process(["fit", long_csv, "--id-col", "series", "--horizon", "2", "--config", "c.toml", "-m",
                        "m.tsrnn", *FAST], tmp_path)
    assert seen == ["from_config.ckpt"]  # was replaced by m.tsrnn.ckpt


def test_local_models_refuse_a_checkpoint_from_the_config(tmp_path, long_csv, no_fit):
    (tmp_path / "local.toml").write_text('local = true\ncheckpoint = "c.ckpt"\n')
    code, _, err = run_cli_in_process(["fit", long_csv, "--id-col", "series", "--horizon", "2", "--config",
                                       "local.toml", "-m", "m.tsrnn", *FAST], tmp_path)
    assert code == 2 and "checkpoint in local.toml is not available with local = true" in err
