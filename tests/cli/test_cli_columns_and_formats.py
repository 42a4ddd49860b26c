"""Found by the new-user review of 2026-12-07 (sixth session): column names from the
command line, a --config file or the saved model; --plot's format from its suffix;
checks that must come before a fit; --debug after the command."""

import numpy as np
import pandas as pd
import pytest

from hardening._support import run_cli_in_process

FAST = ["--max-steps", "2", "--hidden-size", "2", "--input-size", "4", "--n-models", "1", "--quiet"]


@pytest.fixture
def frames(tmp_path):
    t = pd.date_range("2021-01-01", periods=30, freq="D")
    y = 10 + np.sin(np.arange(30.0))
    pd.DataFrame({"unique_id": "a", "ds": t, "y": y}).to_csv(tmp_path / "good.csv", index=False)
    pd.DataFrame({"unique_id": "a", "date": t, "value": y}).to_csv(tmp_path / "renamed.csv", index=False)
    return tmp_path


def test_predict_reads_data_with_the_column_options_given(frames):
    code, _, err = run_cli_in_process(["fit", "good.csv", "--horizon", "3", *FAST, "-m", "m.tsrnn"], frames)
    assert code == 0, err
    code, _, err = run_cli_in_process(["predict", "-m", "m.tsrnn", "renamed.csv", "--time-col", "date",
                                       "--target-col", "value", "-o", "renamed_fc.csv"], frames)
    assert code == 0, err
    renamed = pd.read_csv(frames / "renamed_fc.csv")
    assert list(renamed.columns) == ["unique_id", "date", "yhat"]  # named as the user's data
    code, _, err = run_cli_in_process(["predict", "-m", "m.tsrnn", "good.csv", "-o", "fc.csv"], frames)
    assert code == 0, err
    same = pd.read_csv(frames / "fc.csv")
    assert np.array_equal(same["yhat"].to_numpy(), renamed["yhat"].to_numpy())
    # an option naming a column the file lacks is not ignored
    code, _, err = run_cli_in_process(["predict", "-m", "m.tsrnn", "good.csv", "--time-col", "date",
                                       "-o", "other.csv"], frames)
    assert code == 2 and "no time column 'date'" in err


def test_config_sets_column_names_and_options_win(frames):
    (frames / "c.toml").write_text('time_col = "date"\ntarget_col = "value"\n')
    code, _, err = run_cli_in_process(["forecast", "renamed.csv", "--horizon", "3", *FAST, "--config", "c.toml",
                                       "-o", "fc.csv"], frames)
    assert code == 0, err
    assert list(pd.read_csv(frames / "fc.csv").columns) == ["unique_id", "date", "yhat"]
    code, _, err = run_cli_in_process(["forecast", "good.csv", "--horizon", "3", *FAST, "--config", "c.toml",
                                       "--time-col", "ds", "--target-col", "y", "-o", "fc2.csv"], frames)
    assert code == 0, err


@pytest.mark.parametrize("name, magic", [("plot.pdf", b"%PDF"), ("plot.svg", b"<?xml"), ("plot.png", b"\x89PNG"),
                                         ("plot.jpg", b"\xff\xd8\xff")])
def test_plot_format_follows_the_suffix(frames, name, magic):
    code, _, err = run_cli_in_process(["forecast", "good.csv", "--horizon", "3", *FAST, "-o", "fc.csv",
                                       "--plot", name], frames)
    assert code == 0, err
    assert (frames / name).read_bytes().startswith(magic)


def test_unknown_plot_suffix_and_bad_level_are_refused_before_fitting(frames):
    code, _, err = run_cli_in_process(["forecast", "good.csv", "--horizon", "3", *FAST, "-o", "fc.csv",
                                       "--plot", "plot.xyz"], frames)
    assert code == 2 and "cannot write '.xyz' files; name the output plot.png" in err
    code, _, err = run_cli_in_process(["forecast", "good.csv", "--horizon", "3", *FAST, "-o", "fc.csv",
                                       "--level", "150"], frames)
    assert code == 2 and "--level" in err and "(0, 100)" in err
    assert not (frames / "fc.csv").exists()


def test_model_file_named_like_data_is_refused(frames):
    code, _, err = run_cli_in_process(["fit", "good.csv", "--horizon", "3", *FAST, "-m", "model.csv"], frames)
    assert code == 2 and "name it model.tsrnn" in err
    assert not (frames / "model.csv").exists()


def test_debug_is_accepted_after_the_command(frames):
    from tsrnn.cli._common import UsageError

    with pytest.raises(UsageError, match="no such file"):  # --debug: the error itself, with its traceback
        run_cli_in_process(["forecast", "missing.csv", "--horizon", "3", "-o", "fc.csv", "--debug"], frames)
    with pytest.raises(UsageError):  # a nested command too
        run_cli_in_process(["datasets", "show", "no-such-dataset", "--debug"], frames)


def test_predict_refuses_a_column_that_would_be_duplicated(frames):
    code, _, err = run_cli_in_process(["fit", "good.csv", "--horizon", "3", *FAST, "-m", "m.tsrnn"], frames)
    assert code == 0, err
    data = pd.read_csv(frames / "renamed.csv").assign(y=2021)  # a "y" (a year, say) besides the target "value"
    data.to_csv(frames / "both.csv", index=False)
    code, _, err = run_cli_in_process(["predict", "-m", "m.tsrnn", "both.csv", "--time-col", "date",
                                       "--target-col", "value", "-o", "fc.csv"], frames)
    assert code == 2 and "has a column 'y' besides 'value'" in err


def test_long_file_read_as_wide_and_folder_as_data_are_named(frames):
    code, _, err = run_cli_in_process(["forecast", "good.csv", "--format", "wide", "--horizon", "3", *FAST,
                                       "-o", "fc.csv"], frames)
    assert code == 2 and "use --format long" in err
    pd.DataFrame({"ds": pd.date_range("2021-01-01", periods=30), "s1": np.arange(30.0),
                  "notes": ["ok"] * 30}).to_csv(frames / "wide.csv", index=False)
    code, _, err = run_cli_in_process(["forecast", "wide.csv", "--horizon", "3", *FAST, "-o", "fc.csv"], frames)
    assert code == 2 and "series column 'notes' has non-numeric values" in err
    code, _, err = run_cli_in_process(["forecast", ".", "--horizon", "3", *FAST, "-o", "fc.csv"], frames)
    assert code == 2 and "is a folder" in err


def test_warnings_are_one_line_messages_of_the_command(frames):
    code, _, err = run_cli_in_process(["forecast", "good.csv", "--horizon", "3", *FAST, "-o", "fc.csv",
                                       "--level", "80", "99"], frames)
    assert code == 0, err
    assert "tsrnn forecast: warning: level(s) 99%: the calibration has" in err
    assert "UserWarning" not in err and ".py:" not in err


def test_option_help_states_the_forecasters_defaults():
    """The help texts repeat RNNForecaster's defaults: this keeps them from drifting."""
    import inspect

    from tsrnn.cli.forecast_cmd import MODEL_OPTIONS
    from tsrnn import RNNForecaster

    defaults = {k: v.default for k, v in inspect.signature(RNNForecaster.__init__).parameters.items()}
    expected = {"--cell": f"{defaults['cell']} (default)", "--hidden-size": f"(default {defaults['hidden_size']})",
                "--num-layers": f"(default {defaults['num_layers']})",
                "--learning-rate": f"(default {defaults['learning_rate']:g})",
                "--batch-size": f"(default {defaults['batch_size']})", "--n-models": f"(default {defaults['n_models']})"}
    for flag, text in expected.items():
        assert text in MODEL_OPTIONS[flag][1], (flag, MODEL_OPTIONS[flag][1])
    assert defaults["input_size"] is None and "2 x horizon" in MODEL_OPTIONS["--input-size"][1]
