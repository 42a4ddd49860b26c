"""Shipped datasets: registry, loaders, values against their sources, packaging hygiene.

The literal numbers below were read from the source files (inside the statsmodels,
sktime, aeon, pmdarima and brotli archives named in datasets/EXPORT.md) at export time.
"""

from __future__ import annotations

import ast
import hashlib
import math
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsrnn import datasets
from tsrnn.datasets import UnknownDatasetError

DATA = resources.files("tsrnn.datasets").joinpath("data")
REPO = Path(__file__).resolve().parents[2]

FORECASTING = datasets.dataset_names("forecasting")
CLASSIFICATION = datasets.dataset_names("classification")
ALL = datasets.dataset_names()


def _series(df: pd.DataFrame, uid: str) -> pd.DataFrame:
    return df[df["unique_id"] == uid].reset_index(drop=True)


# ----------------------------------------------------------------------------- registry
def test_expected_datasets_are_registered():
    expected = {
        "airline", "sunspots_yearly", "sunspots_monthly", "co2", "nile", "lynx", "elnino",
        "us_macro", "uschange", "longley", "gunpoint", "italy_power_demand", "alice_in_wonderland",
    }
    assert expected <= set(ALL)
    assert set(CLASSIFICATION) == {"gunpoint", "italy_power_demand"}
    assert datasets.dataset_names("text") == ["alice_in_wonderland"]


def test_list_datasets_table():
    table = datasets.list_datasets()
    for col in ("name", "kind", "n_series", "length", "frequency", "source"):
        assert col in table.columns
    assert table["name"].tolist() == ALL
    assert set(table["kind"]) == {"forecasting", "classification", "text"}
    row = table.set_index("name").loc["airline"]
    assert (row["n_series"], row["length"], row["frequency"]) == (1, 144, "MS")
    assert row["source"] == "sktime==1.2.0"
    assert table.set_index("name").loc["us_macro", "n_series"] == 12
    only = datasets.list_datasets("classification")
    assert only["name"].tolist() == ["gunpoint", "italy_power_demand"]


def test_list_datasets_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        datasets.list_datasets("images")


@pytest.mark.parametrize("name", ALL)
def test_provenance_is_complete(name):
    info = datasets.provenance(name)
    for key in ("title", "description", "original_source", "exported_from", "checks", "kind", "file"):
        assert info[key], key
    src = info["exported_from"]
    for key in ("package", "version", "archive", "package_licence", "licence_statement"):
        assert src[key], key
    if info["kind"] == "forecasting":
        assert info["frequency"] in {"MS", "QS", "YS"}
        assert isinstance(info["season_length"], int) and info["season_length"] >= 1
        assert isinstance(info["horizon"], int) and info["horizon"] >= 1
        assert info["horizon_basis"]


def test_provenance_returns_a_copy():
    info = datasets.provenance("airline")
    info["exported_from"]["package"] = "corrupted"
    info["checks"].clear()
    again = datasets.provenance("airline")
    assert again["exported_from"]["package"] == "sktime"
    assert again["checks"]


@pytest.mark.parametrize("call", [
    lambda: datasets.load("no_such_data"),
    lambda: datasets.provenance("no_such_data"),
    lambda: datasets.load(3),
])
def test_unknown_name_lists_what_exists(call):
    with pytest.raises(UnknownDatasetError) as err:
        call()
    assert isinstance(err.value, KeyError) and isinstance(err.value, ValueError)
    msg = str(err.value)
    assert "available datasets" in msg
    for name in ALL:
        assert name in msg
    assert not msg.startswith("'")  # not KeyError's repr-quoting


def test_unknown_name_caught_as_value_error_and_key_error():
    with pytest.raises(ValueError):
        datasets.load("airplane")
    with pytest.raises(KeyError):
        datasets.load("airplane")


# ----------------------------------------------------------------------------- forecasting
@pytest.mark.parametrize("name", FORECASTING)
def test_forecasting_frames(name):
    info = datasets.provenance(name)
    df = datasets.load(name)
    assert list(df.columns) == info["columns"]
    assert list(df.columns[:3]) == ["unique_id", "ds", "y"]
    assert pd.api.types.is_string_dtype(df["unique_id"])
    assert all(isinstance(u, str) for u in df["unique_id"].unique())
    assert df["ds"].dtype == "datetime64[ns]"
    for col in df.columns[2:]:
        assert df[col].dtype == np.float64, col
        assert df[col].notna().all(), col
    assert df["unique_id"].nunique() == info["n_series"]
    assert len(df) == info["n_series"] * info["length"]
    assert df.equals(df.sort_values(["unique_id", "ds"]).reset_index(drop=True))
    assert not df.duplicated(["unique_id", "ds"]).any()
    for _, g in df.groupby("unique_id", sort=False):
        expected = pd.date_range(g["ds"].iloc[0], periods=len(g), freq=info["frequency"])
        assert (g["ds"].to_numpy() == expected.to_numpy()).all()


@pytest.mark.parametrize("name", FORECASTING)
def test_forecasting_checks_recorded_at_export(name):
    info = datasets.provenance(name)
    checks = info["checks"]
    df = datasets.load(name)
    assert len(df) == checks["n_rows"]
    if info["n_series"] == 1:
        assert df["ds"].iloc[0] == pd.Timestamp(checks["first"][0])
        assert df["y"].iloc[0] == checks["first"][1]
        assert df["ds"].iloc[-1] == pd.Timestamp(checks["last"][0])
        assert df["y"].iloc[-1] == checks["last"][1]
        assert math.isclose(math.fsum(df["y"]), checks["sum_y"], rel_tol=1e-12)
    for col, total in checks.get("sum_exog", {}).items():
        assert math.isclose(math.fsum(df[col]), total, rel_tol=1e-12), col
    for uid, total in checks.get("sum_by_series", {}).items():
        assert math.isclose(math.fsum(_series(df, uid)["y"]), total, rel_tol=1e-12, abs_tol=1e-9), uid


# Values read from the source files at export time: (first ds, first y, last ds, last y, sum y, n).
SOURCE_VALUES = {
    "airline": ("1949-01-01", 112.0, "1960-12-01", 432.0, 40363.0, 144),
    "sunspots_yearly": ("1700-01-01", 5.0, "2008-01-01", 2.9, 15373.4, 309),
    "sunspots_monthly": ("1749-01-01", 58.0, "1983-12-01", 33.4, 144570.0, 2820),
    "nile": ("1871-01-01", 1120.0, "1970-01-01", 740.0, 91935.0, 100),
    "lynx": ("1821-01-01", 269.0, "1934-01-01", 3396.0, 175334.0, 114),
    "elnino": ("1950-01-01", 23.11, "2010-12-01", 22.07, 16903.8, 732),
    "longley": ("1947-01-01", 60323.0, "1962-01-01", 70551.0, 1045072.0, 16),
    "uschange": ("1970-01-01", 0.615986218, "2016-07-01", 0.729597795, 139.590038266, 187),
}


@pytest.mark.parametrize("name", sorted(SOURCE_VALUES))
def test_values_match_source(name):
    first_ds, first_y, last_ds, last_y, total, n = SOURCE_VALUES[name]
    df = datasets.load(name)
    assert len(df) == n
    assert df["ds"].iloc[0] == pd.Timestamp(first_ds) and df["y"].iloc[0] == first_y
    assert df["ds"].iloc[-1] == pd.Timestamp(last_ds) and df["y"].iloc[-1] == last_y
    assert math.isclose(math.fsum(df["y"]), total, rel_tol=1e-12)


def test_sunspots_monthly_matches_pmdarima_docstring():
    y = datasets.load_sunspots("monthly")["y"].to_numpy()
    np.testing.assert_array_equal(y[:5], [58.0, 62.6, 70.0, 55.7, 85.0])
    np.testing.assert_array_equal(y[-3:], [55.8, 33.3, 33.4])


def test_load_sunspots_frequency_argument():
    assert len(datasets.load_sunspots()) == 309
    with pytest.raises(ValueError, match="frequency"):
        datasets.load_sunspots("weekly")


def test_co2_monthly_derivation():
    df = datasets.load_co2()
    assert (df["ds"].iloc[0], df["ds"].iloc[-1]) == (pd.Timestamp("1958-03-01"), pd.Timestamp("2001-12-01"))
    assert df["y"].iloc[0] == 316.1  # the one March 1958 sample
    assert math.isclose(df["y"].iloc[-1], 371.02, rel_tol=1e-12)  # mean of December 2001's weekly samples
    checks = datasets.provenance("co2")["checks"]
    assert (checks["source_weekly_rows"], checks["source_weekly_missing"], checks["months_interpolated"]) == (2284, 59, 5)
    assert checks["source_weekly_sum"] == 756816.5
    # 1958-06 had no sample: interpolated halfway between May and July (time-weighted)
    s = df.set_index("ds")["y"]
    may, jun, jul = s["1958-05-01"], s["1958-06-01"], s["1958-07-01"]
    assert min(may, jul) < jun < max(may, jul)


def test_us_macro_panel():
    df = datasets.load_us_macro()
    ids = sorted(df["unique_id"].unique())
    assert ids == sorted(["realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1",
                          "tbilrate", "unemp", "pop", "infl", "realint"])
    gdp = _series(df, "realgdp")
    assert len(gdp) == 203
    assert gdp["ds"].iloc[0] == pd.Timestamp("1959-01-01") and gdp["ds"].iloc[-1] == pd.Timestamp("2009-07-01")
    assert gdp["y"].iloc[0] == 2710.349 and gdp["y"].iloc[-1] == 12990.341
    assert math.isclose(math.fsum(gdp["y"]), 1465897.896, rel_tol=1e-12)
    assert _series(df, "unemp")["y"].iloc[-1] == 9.6


def test_exogenous_datasets():
    us = datasets.load_uschange()
    info = datasets.provenance("uschange")
    assert info["target"] == "Consumption"
    assert info["exog"] == ["Income", "Production", "Savings", "Unemployment"]
    assert list(us.columns) == ["unique_id", "ds", "y", *info["exog"]]
    first = us.iloc[0]
    assert (first["Income"], first["Production"], first["Savings"], first["Unemployment"]) == (
        0.9722610429999999, -2.4527003119999997, 4.810311502, 0.9)
    last = us.iloc[-1]
    assert (last["Income"], last["Savings"], last["Unemployment"]) == (0.6447008089999999, -0.572857926, 0.0)

    lo = datasets.load_longley()
    assert datasets.provenance("longley")["exog"] == ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP"]
    assert lo.iloc[0][["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP"]].tolist() == [83.0, 234289.0, 2356.0, 1590.0, 107608.0]
    assert lo.iloc[-1][["GNPDEFL", "GNP", "POP"]].tolist() == [116.9, 554894.0, 130081.0]


def test_named_loaders_match_load():
    pairs = {
        "airline": datasets.load_airline, "co2": datasets.load_co2, "nile": datasets.load_nile,
        "lynx": datasets.load_lynx, "elnino": datasets.load_elnino, "us_macro": datasets.load_us_macro,
        "uschange": datasets.load_uschange, "longley": datasets.load_longley,
        "sunspots_monthly": lambda: datasets.load_sunspots("monthly"),
    }
    for name, fn in pairs.items():
        pd.testing.assert_frame_equal(fn(), datasets.load(name))


def test_loaded_frames_are_copies():
    df = datasets.load_airline()
    df.loc[0, "y"] = -1.0
    df["extra"] = 1
    fresh = datasets.load_airline()
    assert fresh["y"].iloc[0] == 112.0
    assert "extra" not in fresh.columns


# ----------------------------------------------------------------------------- classification
UCR = {
    # name: (n_train, n_test, length, train counts, test counts, X_train[0,0], y_train[0], X_test[-1,-1], y_test[-1])
    "gunpoint": (50, 150, 150, {1: 24, 2: 26}, {1: 76, 2: 74}, -0.6478854, 2, -1.222043, 1),
    "italy_power_demand": (67, 1029, 24, {1: 34, 2: 33}, {1: 513, 2: 516}, -0.71051757, 1, -0.0025421181, 2),
}


@pytest.mark.parametrize("name", sorted(UCR))
def test_classification_sets(name):
    n_tr, n_te, T, c_tr, c_te, x00, y0, x_last, y_last = UCR[name]
    X_train, y_train, X_test, y_test = datasets.load(name)
    assert X_train.shape == (n_tr, T, 1) and X_test.shape == (n_te, T, 1)
    assert y_train.shape == (n_tr,) and y_test.shape == (n_te,)
    assert X_train.dtype == np.float64 and X_test.dtype == np.float64
    assert X_train.flags.c_contiguous and X_test.flags.c_contiguous
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    assert dict(zip(*np.unique(y_train, return_counts=True))) == c_tr
    assert dict(zip(*np.unique(y_test, return_counts=True))) == c_te
    assert X_train[0, 0, 0] == x00 and y_train[0] == y0
    assert X_test[-1, -1, 0] == x_last and y_test[-1] == y_last
    assert np.isfinite(X_train).all() and np.isfinite(X_test).all()
    checks = datasets.provenance(name)["checks"]
    assert math.isclose(math.fsum(X_train.ravel()), checks["train"]["sum_X"], rel_tol=1e-12)
    assert math.isclose(math.fsum(X_test.ravel()), checks["test"]["sum_X"], rel_tol=1e-12)


def test_classification_named_loaders_and_copies():
    a = datasets.load_gunpoint()
    b = datasets.load("gunpoint")
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    a[0][0, 0, 0] = 123.0  # user arrays are writable copies
    a[1][0] = 99
    c = datasets.load_gunpoint()
    assert c[0][0, 0, 0] == -0.6478854 and c[1][0] == 2
    X_train, _, X_test, _ = datasets.load_italy_power_demand()
    assert X_train.shape == (67, 24, 1) and X_test.shape == (1029, 24, 1)


# ----------------------------------------------------------------------------- text
def test_alice_text():
    text = datasets.load_alice()
    assert text == datasets.load("alice_in_wonderland")
    checks = datasets.provenance("alice_in_wonderland")["checks"]
    assert len(text) == checks["n_chars"] == 148480
    assert hashlib.sha256(text.encode("ascii")).hexdigest() == checks["sha256"]
    assert "\r" not in text and "\x1a" not in text
    assert text.isascii()
    assert "ALICE'S ADVENTURES IN WONDERLAND" in text[:100]
    assert text.rstrip().endswith("THE END")
    assert "Down the Rabbit-Hole" in text
    # the source file (CRLF, 152,089 bytes) minus one byte per line end minus the trailing 0x1A
    assert 152089 - text.count("\n") - 1 == len(text)


# ----------------------------------------------------------------------------- files
def _data_files():
    return sorted(p.name for p in DATA.iterdir() if p.is_file())


def test_every_registered_file_exists_and_is_unchanged():
    for name in ALL:
        info = datasets.provenance(name)
        blob = DATA.joinpath(info["file"]).read_bytes()
        assert hashlib.sha256(blob).hexdigest() == info["file_sha256"], name


def test_data_files_are_small_csv_and_all_registered():
    files = [f for f in _data_files() if f != "PROVENANCE.json"]
    registered = {datasets.provenance(n)["file"] for n in ALL}
    assert set(files) == registered
    total = sum(len(DATA.joinpath(f).read_bytes()) for f in _data_files())
    assert total < 3 * 2**20, total
    for f in files:
        assert f.endswith((".csv", ".csv.gz")), f
        with DATA.joinpath(f).open("rb") as fh:
            df = pd.read_csv(fh, compression="gzip" if f.endswith(".gz") else None, nrows=5)
        assert len(df.columns) >= 1


def test_export_md_holds_a_valid_script():
    md = (REPO / "datasets" / "EXPORT.md").read_text()
    match = re.search(r"## The script.*?```python\n(.*?)```", md, re.S)
    assert match, "EXPORT.md lost its script block"
    tree = ast.parse(match.group(1))
    imported = {a.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"statsmodels", "sktime", "aeon", "pmdarima", "brotli"}


def test_package_code_does_not_import_source_packages():
    for path in (REPO / "datasets").glob("*.py"):
        src = path.read_text()
        for pkg in ("statsmodels", "sktime", "aeon", "pmdarima", "pickle"):
            assert not re.search(rf"^\s*(import|from)\s+{pkg}\b", src, re.M), (path.name, pkg)
