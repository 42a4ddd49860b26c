"""Loaders for the shipped data files.

Files are parsed once (``functools.lru_cache``); every public loader returns a
fresh copy, so a caller that edits what it got cannot corrupt the cache.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ._registry import _entry, data_file

__all__ = [
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
]


_PANDAS_MAJOR = int(pd.__version__.split(".")[0])


def _read_csv(filename: str, **kwargs) -> pd.DataFrame:
    compression = "gzip" if filename.endswith(".gz") else None
    if _PANDAS_MAJOR < 3:
        # pandas < 3's default C parser can be 1 ulp off the source text; pandas 3
        # parses exactly by default and deprecates the argument
        kwargs["float_precision"] = "round_trip"
    with data_file(filename).open("rb") as fh:
        return pd.read_csv(fh, compression=compression, **kwargs)


# ----------------------------------------------------------------------------- cached parsers
@functools.lru_cache(maxsize=None)
def _forecasting_frame(name: str) -> pd.DataFrame:
    entry = _entry(name)
    value_cols = [c for c in entry["columns"] if c not in ("unique_id", "ds")]
    dtypes = {"unique_id": str, "ds": str} | {c: np.float64 for c in value_cols}
    df = _read_csv(entry["file"], dtype=dtypes, keep_default_na=False, na_values=[""])
    if entry.get("ds_type", "datetime") == "datetime":
        df["ds"] = pd.to_datetime(df["ds"], format="%Y-%m-%d").astype("datetime64[ns]")
    else:
        df["ds"] = df["ds"].astype(np.int64)
    return df


@functools.lru_cache(maxsize=None)
def _classification_arrays(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    entry = _entry(name)
    df = _read_csv(entry["file"], dtype={"split": str, "label": str}, keep_default_na=False)
    values = df.drop(columns=["split", "label"]).to_numpy(dtype=np.float64)
    labels = df["label"].to_numpy(dtype=str)
    if all(lab.lstrip("-").isdigit() for lab in labels):
        labels = labels.astype(np.int64)
    out = []
    for split in ("train", "test"):
        mask = (df["split"] == split).to_numpy()
        X = np.ascontiguousarray(values[mask][:, :, np.newaxis])
        y = np.ascontiguousarray(labels[mask])
        X.flags.writeable = False
        y.flags.writeable = False
        out += [X, y]
    return tuple(out)


@functools.lru_cache(maxsize=None)
def _text(name: str) -> str:
    entry = _entry(name)
    df = _read_csv(entry["file"], dtype={"line": str}, keep_default_na=False, na_filter=False)
    return "\n".join(df["line"].tolist())


# ----------------------------------------------------------------------------- generic
def load(name: str):
    """Load a shipped dataset by name.

    Parameters
    ----------
    name : str
        A name from :func:`list_datasets`.

    Returns
    -------
    data : pandas.DataFrame, tuple of ndarray, or str
        Depends on the dataset's kind:

        - ``"forecasting"``: a long-format DataFrame with columns ``unique_id``
          (str), ``ds`` (datetime64[ns]) and ``y`` (float64), plus one float64
          column per exogenous variable (see ``provenance(name)["exog"]``),
          sorted by ``unique_id`` then ``ds``.
        - ``"classification"``: ``(X_train, y_train, X_test, y_test)`` with
          ``X_*`` float64 of shape (n_samples, n_timesteps, 1) and ``y_*`` of
          shape (n_samples,), labels exactly as in the archive (int64 when all
          labels are integers, else str); the official train/test split.
        - ``"text"``: the text as one ``str`` with ``"\\n"`` line ends.

    Raises
    ------
    UnknownDatasetError
        If ``name`` is not registered (a ``KeyError`` and ``ValueError``
        subclass whose message lists the registered names).
    """
    kind = _entry(name)["kind"]
    if kind == "forecasting":
        return _forecasting_frame(name).copy(deep=True)
    if kind == "classification":
        return tuple(a.copy() for a in _classification_arrays(name))
    if kind == "text":
        return _text(name)
    raise AssertionError(f"unhandled dataset kind {kind!r}")  # pragma: no cover


# ----------------------------------------------------------------------------- forecasting
def load_airline() -> pd.DataFrame:
    """Box & Jenkins international airline passengers, monthly 1949-1960.

    Returns
    -------
    df : pandas.DataFrame of shape (144, 3)
        Columns ``unique_id`` (``"airline"``), ``ds`` (month start), ``y``
        (passengers, thousands). Frequency ``"MS"``, season length 12.
    """
    return load("airline")


def load_sunspots(frequency: str = "yearly") -> pd.DataFrame:
    """Sunspot numbers, yearly 1700-2008 or monthly 1749-1983.

    Parameters
    ----------
    frequency : {"yearly", "monthly"}, default="yearly"
        ``"yearly"``: 309 yearly means (NOAA NGDC, via statsmodels);
        ``"monthly"``: 2820 monthly means (R ``datasets::sunspots``, via pmdarima).

    Returns
    -------
    df : pandas.DataFrame of shape (309, 3) or (2820, 3)
        Columns ``unique_id``, ``ds``, ``y``.
    """
    if frequency not in ("yearly", "monthly"):
        raise ValueError(f"frequency must be 'yearly' or 'monthly', got {frequency!r}")
    return load(f"sunspots_{frequency}")


def load_co2() -> pd.DataFrame:
    """Mauna Loa atmospheric CO2 (ppm), monthly 1958-03 to 2001-12.

    Monthly means of the weekly samples shipped by statsmodels; the 5 months
    without a sample are linearly interpolated (see ``provenance("co2")``).

    Returns
    -------
    df : pandas.DataFrame of shape (526, 3)
        Columns ``unique_id``, ``ds``, ``y``.
    """
    return load("co2")


def load_nile() -> pd.DataFrame:
    """Annual flow of the Nile at Aswan, 1871-1970 (change point near 1898).

    Returns
    -------
    df : pandas.DataFrame of shape (100, 3)
        Columns ``unique_id``, ``ds``, ``y``.
    """
    return load("nile")


def load_lynx() -> pd.DataFrame:
    """Canadian lynx trappings, yearly 1821-1934 (about 10-year cycle).

    Returns
    -------
    df : pandas.DataFrame of shape (114, 3)
        Columns ``unique_id``, ``ds``, ``y``.
    """
    return load("lynx")


def load_elnino() -> pd.DataFrame:
    """Nino 1+2 sea surface temperature (degrees C), monthly 1950-2010.

    Returns
    -------
    df : pandas.DataFrame of shape (732, 3)
        Columns ``unique_id``, ``ds``, ``y``.
    """
    return load("elnino")


def load_us_macro() -> pd.DataFrame:
    """Panel of 12 quarterly US macroeconomic series, 1959Q1-2009Q3.

    Returns
    -------
    df : pandas.DataFrame of shape (2436, 3)
        Long format: 12 series (``unique_id`` = statsmodels column name, e.g.
        ``"realgdp"``, ``"cpi"``, ``"unemp"``) of 203 quarters each.
    """
    return load("us_macro")


def load_uschange() -> pd.DataFrame:
    """US consumption growth with exogenous drivers, quarterly 1970Q1-2016Q3.

    Returns
    -------
    df : pandas.DataFrame of shape (187, 7)
        Columns ``unique_id``, ``ds``, ``y`` (Consumption, % change) and the
        exogenous ``Income``, ``Production``, ``Savings``, ``Unemployment``.
    """
    return load("uschange")


def load_longley() -> pd.DataFrame:
    """Longley US employment data with exogenous variables, yearly 1947-1962.

    Returns
    -------
    df : pandas.DataFrame of shape (16, 8)
        Columns ``unique_id``, ``ds``, ``y`` (TOTEMP) and the exogenous
        ``GNPDEFL``, ``GNP``, ``UNEMP``, ``ARMED``, ``POP``.
    """
    return load("longley")


# ----------------------------------------------------------------------------- classification
def load_gunpoint() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """GunPoint (UCR archive), official split.

    Returns
    -------
    X_train : ndarray of shape (50, 150, 1), float64
    y_train : ndarray of shape (50,), int64, labels 1 (Gun-Draw) and 2 (Point)
    X_test : ndarray of shape (150, 150, 1), float64
    y_test : ndarray of shape (150,), int64
    """
    return load("gunpoint")


def load_italy_power_demand() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ItalyPowerDemand (UCR archive), official split.

    Returns
    -------
    X_train : ndarray of shape (67, 24, 1), float64
    y_train : ndarray of shape (67,), int64, labels 1 (Oct-Mar) and 2 (Apr-Sep)
    X_test : ndarray of shape (1029, 24, 1), float64
    y_test : ndarray of shape (1029,), int64
    """
    return load("italy_power_demand")


# ----------------------------------------------------------------------------- text
def load_alice() -> str:
    """Alice's Adventures in Wonderland (Lewis Carroll, 1865), public domain.

    Project Gutenberg's Millennium Fulcrum Edition 2.9 as in the Canterbury
    corpus (``alice29.txt``), ASCII with ``"\\n"`` line ends.

    Returns
    -------
    text : str
        About 148,000 characters.
    """
    return load("alice_in_wonderland")
