"""The examples in docstrings run and print what they show (those marked +SKIP aside:
fits whose numbers vary by machine)."""

import doctest
import importlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE_DIRS = {"tsrnn": "tsrnn", "cli": "tsrnn.cli", "datasets": "tsrnn.datasets"}


def _modules_with_examples():
    names = []
    for folder, package in PACKAGE_DIRS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            if ">>>" in path.read_text(encoding="utf-8") and "cuda" not in path.parts:
                parts = path.relative_to(ROOT / folder).with_suffix("").parts
                parts = parts[:-1] if parts[-1] == "__init__" else parts
                names.append(".".join((package,) + parts))
    return names


def test_some_modules_have_examples():
    assert len(_modules_with_examples()) >= 8


@pytest.mark.parametrize("name", _modules_with_examples())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed (see the output)"
