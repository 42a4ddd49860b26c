"""The guarantees SECURITY.md states that no other test file covers: tsrnn never touches the
network (at run time and in its source), and model files are written atomically."""

import re
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
NETWORK_MODULES = re.compile(r"^\s*(import|from)\s+(socket|urllib|http|requests|httpx|aiohttp|ftplib|smtplib)\b", re.M)


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[:2]}")

    for name in ("connect", "connect_ex", "sendto", "bind"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_no_network_module_is_imported_by_the_source():
    files = [p for d in ("tsrnn", "cli", "datasets") for p in (ROOT / d).rglob("*.py")]
    assert files
    offenders = [str(p.relative_to(ROOT)) for p in files if NETWORK_MODULES.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_fit_predict_save_load_and_cli_without_network(no_network, tmp_path, capsys):
    from tsrnn import datasets

    df = datasets.load_airline()
    model = tsrnn.RNNForecaster(horizon=3, input_size=12, cell="gru", hidden_size=4, max_steps=5, random_state=0)
    model.fit(df)
    model.save(tmp_path / "m.tsrnn")
    assert tsrnn.load(tmp_path / "m.tsrnn").predict().equals(model.predict())
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 5, 1))
    tsrnn.RNNClassifier(hidden_size=2, max_epochs=1).fit(X, X[:, 0, 0] > 0).predict(X)
    code = main(["forecast", "--dataset", "airline", "--horizon", "2", "--max-steps", "3", "--hidden-size", "2",
                 "-o", str(tmp_path / "f.csv"), "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert len(pd.read_csv(tmp_path / "f.csv")) == 2


def test_interrupted_model_write_keeps_the_previous_file(tmp_path, monkeypatch):
    import os

    from tsrnn.io import model_file

    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 5, 1))
    model = tsrnn.RNNRegressor(hidden_size=2, max_epochs=1, random_state=0).fit(X, X[:, 0, 0])
    path = tmp_path / "m.tsrnn"
    model.save(path)
    before = path.read_bytes()

    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        model_file.save_model(model, path, overwrite=True)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.tsrnn"]  # no temporary file left
