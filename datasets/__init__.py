"""Datasets for tsrnn: shipped real series, classification sets, a text, and generators.

Installed as ``tsrnn.datasets`` (the folder is ``datasets/`` at the top of the
repository). Everything loads offline from small CSV files under ``data/``;
``data/PROVENANCE.json`` records where each file comes from (original source,
the package and version it was exported from, licence statement, frequency,
season length, conventional horizon and check values). ``EXPORT.md`` holds the
one-off export script.

Examples
--------
>>> from tsrnn import datasets
>>> datasets.list_datasets()[["name", "kind", "n_series", "length"]]  # doctest: +SKIP
>>> df = datasets.load_airline()          # long format: unique_id, ds, y
>>> X_tr, y_tr, X_te, y_te = datasets.load_gunpoint()
>>> X, y = datasets.synthetic.make_adding_problem(256, 100, random_state=0)
"""

from . import synthetic
from ._loaders import (
    load,
    load_airline,
    load_alice,
    load_co2,
    load_elnino,
    load_gunpoint,
    load_italy_power_demand,
    load_longley,
    load_lynx,
    load_nile,
    load_sunspots,
    load_us_macro,
    load_uschange,
)
from ._registry import UnknownDatasetError, dataset_names, list_datasets, provenance
from .synthetic import (
    make_adding_problem,
    make_copy_task,
    make_mackey_glass,
    make_random_walk_panel,
    make_sine_mixture,
)

__all__ = [
    "UnknownDatasetError",
    "dataset_names",
    "list_datasets",
    "provenance",
    "load",
    "load_airline",
    "load_sunspots",
    "load_co2",
    "load_nile",
    "load_lynx",
    "load_elnino",
    "load_us_macro",
    "load_uschange",
    "load_longley",
    "load_gunpoint",
    "load_italy_power_demand",
    "load_alice",
    "synthetic",
    "make_sine_mixture",
    "make_mackey_glass",
    "make_adding_problem",
    "make_copy_task",
    "make_random_walk_panel",
]
