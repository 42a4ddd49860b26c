"""The `tsrnn` command line on generated CSV files (in-process ``main([...])``, plus a few
subprocess runs): every run exits 0 with finite forecasts, or 2 with a one-line message
that names the problem, never a traceback, and never touches an existing output."""

import subprocess
import sys

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from hardening._support import HARDENING, LEAKS, run_cli_in_process

FAST = ["--max-steps", "2", "--hidden-size", "2", "--quiet"]
IDS = ["a", "é", "日本", "two words", "a,b", "Ω😀", "x\"y", "0"]


@st.composite
def csv_files(draw):
    """(bytes of a CSV file, options) from valid and hostile variants."""
    hostile = draw(st.booleans())
    wide = draw(st.integers(0, 4)) == 0
    n_series = draw(st.integers(1, 3))
    ids = draw(st.lists(st.sampled_from(IDS), min_size=n_series, max_size=n_series, unique=True))
    freq = draw(st.sampled_from(["D", "MS", "h"]))
    rows = []
    for uid in ids:
        n = draw(st.integers(1, 5)) if hostile and draw(st.booleans()) else draw(st.integers(10, 16))
        freq_i = draw(st.sampled_from(["D", "W-SUN", "MS"])) if hostile and draw(st.booleans()) else freq
        ds = pd.date_range("2021-01-01", periods=n, freq=freq_i)
        level = draw(st.sampled_from([0.0, 100.0, -5.0, 1e9]))
        y = level + np.round(np.asarray(draw(st.lists(st.floats(-10, 10), min_size=n, max_size=n))), 3)
        rows += [[uid, str(t.date()) if freq_i != "h" else str(t), repr(float(v))] for t, v in zip(ds, y)]
    if hostile:
        fault = draw(st.sampled_from(["duplicate", "shuffle", "text-y", "empty-y", "inf", "nan", "bad-date",
                                      "mixed-dates", "short-row", "extra-col", "latin1", "bom", "semicolon",
                                      "header-only", "empty", "huge", "int-ds", "binary"]))
    else:
        fault = "shuffle" if draw(st.booleans()) else None
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    header = ["unique_id", "ds", "y"]
    if fault == "duplicate":
        rows.append(list(rows[len(rows) // 2]))
    elif fault == "shuffle":
        rows = [rows[i] for i in rng.permutation(len(rows))]
    elif fault == "text-y":
        rows[rng.integers(len(rows))][2] = "n/a"
    elif fault == "empty-y":
        rows[rng.integers(len(rows))][2] = ""
    elif fault in ("inf", "nan"):
        rows[rng.integers(len(rows))][2] = fault
    elif fault == "bad-date":
        rows[rng.integers(len(rows))][1] = "2021-13-45"
    elif fault == "mixed-dates":
        r = rows[rng.integers(len(rows))]
        r[1] = pd.Timestamp(r[1]).strftime("%d/%m/%Y")
    elif fault == "short-row":
        rows[rng.integers(len(rows))] = rows[0][:1]
    elif fault == "extra-col":
        rows[rng.integers(len(rows))].append("surprise")
    elif fault == "huge":
        rows[rng.integers(len(rows))][2] = "1e308"
    elif fault == "int-ds":
        for i, r in enumerate(rows):
            r[1] = str(i)
    if wide and not hostile:
        frame = pd.DataFrame(rows, columns=header)
        frame["y"] = frame["y"].astype(float)
        text = frame.pivot_table(index="ds", columns="unique_id", values="y").reset_index().to_csv(index=False)
    else:
        sep = ";" if fault == "semicolon" else ","
        text = "\n".join(sep.join(_quote(c) for c in r) for r in [header] + rows) + "\n"
    if fault == "header-only":
        text = ",".join(header) + "\n"
    elif fault == "empty":
        text = ""
    data = text.encode("utf-8")
    if fault == "latin1":
        data = text.encode("utf-8").replace("é".encode(), b"\xe9") + b"caf\xe9,2021-01-01,1\n"
    elif fault == "bom":
        data = b"\xef\xbb\xbf" + data
    elif fault == "binary":
        data = bytes(rng.integers(0, 256, 300, dtype=np.uint8))
    return data, draw(st.integers(1, 3))


def _quote(cell):
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',";\n') else cell


def run_main(args, cwd):
    """main(args) in-process in ``cwd``: (exit code, stderr)."""
    code, _, err = run_cli_in_process(args, cwd)
    return code, err


def check_outcome(code, stderr):
    assert code in (0, 2), f"exit code {code}: {stderr}"
    if code == 2:
        assert "Traceback" not in stderr
        assert len(stderr.strip().splitlines()) == 1, stderr
        assert not any(word in stderr.lower() for word in LEAKS), stderr


@HARDENING
@given(csv=csv_files(), command=st.sampled_from(["forecast", "backtest", "fit-predict"]))
def test_cli_on_generated_csv(tmp_path_factory, csv, command, cases):
    cases[f"CLI {command}"] += 1
    data, horizon = csv
    work = tmp_path_factory.mktemp("cli")
    (work / "data.csv").write_bytes(data)
    if command == "forecast":
        code, err = run_main(["forecast", "data.csv", "--horizon", horizon, "-o", "out.csv", *FAST], work)
    elif command == "backtest":
        code, err = run_main(["backtest", "data.csv", "--horizon", horizon, "-o", "out.csv", *FAST], work)
    else:
        code, err = run_main(["fit", "data.csv", "--horizon", horizon, "-m", "m.tsrnn", *FAST], work)
        if code == 0:
            assert not (work / "m.tsrnn.ckpt").exists()
            code, err = run_main(["predict", "-m", "m.tsrnn", "data.csv", "-o", "new.csv"], work)
            assert code == 0, err  # from DATA's end: the data it was fitted on
            code, err = run_main(["predict", "-m", "m.tsrnn", "-o", "out.csv"], work)
            assert code == 0, err
    check_outcome(code, err)
    if code == 0:
        cases[f"CLI {command} (exit 0)"] += 1
        out = pd.read_csv(work / "out.csv")
        assert len(out) and np.isfinite(out["yhat"]).all()
    else:
        assert not (work / "out.csv").exists()
    leftovers = [p.name for p in work.iterdir() if p.name.startswith(".")]
    assert not leftovers, f"temporary files left behind: {leftovers}"


@HARDENING
@given(args=st.lists(st.sampled_from(
    ["--horizon", "0", "-3", "1e9", "x", "--input-size", "--max-steps", "--level", "150", "80", "--windows",
     "--seed", "-1", "--config", "nope.toml", "--cell", "transformer", "--batch-size", "--n-models", "--force",
     "--learning-rate", "nan", "inf", "--dataset", "airline", "missing", "-o", "o.csv", "data.csv"]),
    max_size=10), command=st.sampled_from(["forecast", "backtest", "fit", "predict"]))
def test_cli_on_generated_arguments(tmp_path_factory, args, command, cases):
    """Random argument lists: exit 0 (with outputs) or 2 (argparse or a one-line error)."""
    cases["CLI arguments"] += 1
    work = tmp_path_factory.mktemp("args")
    pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2021-01-01", periods=30, freq="D"),
                  "y": np.arange(30.0)}).to_csv(work / "data.csv", index=False)
    code, err = run_main([command, *args, "--max-steps", "2", "--hidden-size", "2", "--quiet"], work)
    if code == 2 and err.startswith("usage:"):
        return  # argparse's own usage error
    check_outcome(code, err)


def test_existing_outputs_are_never_overwritten(tmp_path):
    pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2021-01-01", periods=30, freq="D"),
                  "y": np.arange(30.0)}).to_csv(tmp_path / "data.csv", index=False)
    for name in ("out.csv", "m.tsrnn", "plot.png"):
        (tmp_path / name).write_text("user data")
    runs = [["forecast", "data.csv", "--horizon", "2", "-o", "out.csv"],
            ["forecast", "data.csv", "--horizon", "2", "-o", "new.csv", "--plot", "plot.png"],
            ["fit", "data.csv", "--horizon", "2", "-m", "m.tsrnn"],
            ["backtest", "data.csv", "--horizon", "2", "-o", "out.csv"]]
    for args in runs:
        code, err = run_main([*args, *FAST], tmp_path)
        assert code == 2 and "--force" in err
    for name in ("out.csv", "m.tsrnn", "plot.png"):
        assert (tmp_path / name).read_text() == "user data"
    assert not (tmp_path / "new.csv").exists()
    # the checkpoint `tsrnn fit` writes next to the model (and deletes when done) is a user file too
    # (with --force too: --force replaces outputs, never a file that is not a checkpoint)
    (tmp_path / "new.tsrnn.ckpt").write_text("user data")
    for force in ([], ["--force"]):
        code, err = run_main(["fit", "data.csv", "--horizon", "2", "-m", "new.tsrnn", *force, *FAST], tmp_path)
        assert code == 2 and "not a tsrnn checkpoint" in err
        assert (tmp_path / "new.tsrnn.ckpt").read_text() == "user data" and not (tmp_path / "new.tsrnn").exists()
    code, err = run_main(["fit", "data.csv", "--horizon", "2", "-m", "other.tsrnn", "--checkpoint", "out.csv", *FAST],
                         tmp_path)
    assert code == 2 and (tmp_path / "out.csv").read_text() == "user data"


def test_console_script_in_a_subprocess_on_a_hostile_csv(tmp_path):
    """The real process boundary once: exit code 2, one line, no traceback."""
    (tmp_path / "bad.csv").write_bytes("unique_id,ds,y\né,2021-01-01,1\né,2021-01-01,2\n".encode())
    res = subprocess.run([sys.executable, "-m", "tsrnn.cli.main", "forecast", "bad.csv", "--horizon", "1",
                          "-o", "o.csv", *FAST], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 2, res.stderr
    assert "duplicate timestamps" in res.stderr and "'é'" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
