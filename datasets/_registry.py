"""The dataset registry: ``data/PROVENANCE.json`` read once, and look-ups into it.

Every shipped file has one entry in ``PROVENANCE.json`` (written by the export
script documented in ``EXPORT.md``): its kind, file name, shape, frequency,
source, the package and version it was exported from, the licence statement and
the check values recorded from the source at export time.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources

import pandas as pd

__all__ = ["UnknownDatasetError", "list_datasets", "provenance", "dataset_names"]

_PACKAGE = __name__.rpartition(".")[0]  # "tsrnn.datasets"
_PROVENANCE_FILE = "PROVENANCE.json"
_KINDS = ("forecasting", "classification", "text")

_LIST_COLUMNS = [
    "name",
    "kind",
    "n_series",
    "length",
    "frequency",
    "source",
    "season_length",
    "horizon",
    "title",
]


class UnknownDatasetError(KeyError, ValueError):
    """Raised for a dataset name that is not registered.

    Subclasses both :class:`KeyError` and :class:`ValueError`, so either
    ``except`` clause catches it. The message lists the registered names.
    """

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


def data_file(filename: str):
    """Return a :class:`importlib.resources.abc.Traversable` for a shipped data file."""
    return resources.files(_PACKAGE).joinpath("data", filename)


@functools.lru_cache(maxsize=1)
def _registry() -> dict:
    with data_file(_PROVENANCE_FILE).open("r", encoding="utf-8") as fh:
        return json.load(fh)


def dataset_names(kind: str | None = None) -> list[str]:
    """Names of the registered datasets, sorted, optionally of one kind.

    Parameters
    ----------
    kind : {"forecasting", "classification", "text"} or None, default=None
        Only return datasets of this kind.

    Returns
    -------
    names : list of str
    """
    if kind is not None and kind not in _KINDS:
        raise ValueError(f"kind must be one of {list(_KINDS)} or None, got {kind!r}")
    entries = _registry()["datasets"]
    return sorted(n for n, e in entries.items() if kind is None or e["kind"] == kind)


def _entry(name: str) -> dict:
    """The registry entry of ``name`` (not a copy: callers must not mutate it)."""
    entries = _registry()["datasets"]
    if not isinstance(name, str) or name not in entries:
        raise UnknownDatasetError(
            f"unknown dataset {name!r}; available datasets: {', '.join(dataset_names())}"
        )
    return entries[name]


def provenance(name: str) -> dict:
    """Where a shipped dataset comes from.

    Parameters
    ----------
    name : str
        A name from :func:`list_datasets`.

    Returns
    -------
    info : dict
        A fresh copy of the registry entry: ``title``, ``description``,
        ``original_source``, ``exported_from`` (package, version, archive and
        member file with their SHA-256, package licence and the licence
        statement found in the package), ``frequency``, ``season_length``,
        ``horizon`` (with ``horizon_basis``), ``checks`` (values recorded from
        the source at export time) and, for exogenous sets, ``target`` and
        ``exog``.

    Raises
    ------
    UnknownDatasetError
        If ``name`` is not registered; the message lists the registered names.
    """
    return copy.deepcopy(_entry(name))


def list_datasets(kind: str | None = None) -> pd.DataFrame:
    """Table of the shipped datasets.

    Parameters
    ----------
    kind : {"forecasting", "classification", "text"} or None, default=None
        Only list datasets of this kind.

    Returns
    -------
    table : pandas.DataFrame
        One row per dataset with columns ``name``, ``kind``, ``n_series``
        (series in the panel; instances, train + test, for classification),
        ``length`` (observations per series; characters for text),
        ``frequency`` (pandas offset alias, missing when undated), ``source``
        (``"package==version"`` the file was exported from), ``season_length``,
        ``horizon`` and ``title``.
    """
    rows = []
    for name in dataset_names(kind):
        e = _entry(name)
        src = e["exported_from"]
        rows.append(
            {
                "name": name,
                "kind": e["kind"],
                "n_series": int(e["n_series"]),
                "length": int(e["length"]),
                "frequency": e.get("frequency"),
                "source": f"{src['package']}=={src['version']}",
                "season_length": e.get("season_length"),
                "horizon": e.get("horizon"),
                "title": e["title"],
            }
        )
    table = pd.DataFrame(rows, columns=_LIST_COLUMNS)
    for col in ("season_length", "horizon"):
        table[col] = table[col].astype("Int64")
    return table
