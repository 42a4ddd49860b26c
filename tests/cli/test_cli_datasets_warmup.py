"""`tsrnn datasets` and `tsrnn warmup` through the installed console script."""

import pandas as pd


def test_datasets_list_and_show(run_cli):
    res = run_cli("datasets", "list")
    assert res.returncode == 0
    assert "airline" in res.stdout and "gunpoint" in res.stdout
    res = run_cli("datasets", "show", "sunspots_yearly")
    assert res.returncode == 0 and "statsmodels" in res.stdout


def test_datasets_export_never_overwrites(run_cli, tmp_path):
    out = tmp_path / "air.csv"
    assert run_cli("datasets", "export", "airline", "-o", out).returncode == 0
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["unique_id", "ds", "y"] and len(frame) == 144
    out.write_text("my precious notes")
    res = run_cli("datasets", "export", "airline", "-o", out)
    assert res.returncode == 2 and "--force" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert out.read_text() == "my precious notes"
    assert run_cli("datasets", "export", "airline", "-o", out, "--force").returncode == 0
    assert len(pd.read_csv(out)) == 144


def test_unknown_dataset_is_a_one_line_error(run_cli):
    res = run_cli("datasets", "show", "no_such_data")
    assert res.returncode == 2
    assert "airline" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_warmup(run_cli):
    res = run_cli("warmup", "--cells", "gru", "--dtypes", "float32")
    assert res.returncode == 0, res.stderr
    assert "kernels ready" in res.stderr
