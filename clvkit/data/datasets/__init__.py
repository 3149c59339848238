"""Real data sets from the customer-base-analysis literature, shipped with clvkit.

The files sit next to this module and are read through :mod:`importlib.resources`, so the
loaders work from an installed wheel as well as from a source checkout. Each file is read once
per process (``functools.cache``, an unbounded ``lru_cache``); every call returns a fresh copy
that the caller may modify freely. Where each file comes from is told in ``PROVENANCE.md`` in this folder.

Loaders
-------
load_cdnow
    The CDNOW transaction log (full, 23,570 customers, or the 1/10 sample of 2,357).
load_cdnow_summary
    The published calibration summary of the CDNOW sample (Fader, Hardie & Lee 2005).
load_donations
    Compressed annual-donation data for the BG/BB model (Fader, Hardie & Shang 2010).
load_retention_example
    Customers still active per year, "regular" and "high_end" (Fader & Hardie 2007).
"""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

from clvkit.errors import DataError

__all__ = [
    "RETENTION_EXAMPLES",
    "load_cdnow",
    "load_cdnow_summary",
    "load_donations",
    "load_retention_example",
]

#: Names accepted by :func:`load_retention_example` (the segments of Fader & Hardie 2007).
RETENTION_EXAMPLES: tuple[str, ...] = ("regular", "high_end")

_CDNOW_MASTER = "CDNOW_master.txt"
_CDNOW_SAMPLE = "CDNOW_sample.txt"
_CDNOW_SUMMARY = "cdnow_customers_summary_with_transactions.csv"
_DONATIONS = "donations.csv"
_RETENTION = "retention_fader_hardie_2007.csv"


def _read(filename: str, **read_csv_kwargs: object) -> pd.DataFrame:
    """Read one packaged file with :func:`pandas.read_csv`."""
    with resources.files(__name__).joinpath(filename).open("rb") as handle:
        return pd.read_csv(handle, **read_csv_kwargs)  # type: ignore[call-overload]


def _yyyymmdd(values: pd.Series) -> pd.Series:
    """Integer dates like 19970101 as ``datetime64[ns]``."""
    return pd.to_datetime(values.astype(str), format="%Y%m%d").astype("datetime64[ns]")


@functools.cache  # = lru_cache(maxsize=None)
def _cdnow(sample: bool) -> pd.DataFrame:
    if sample:
        raw = _read(_CDNOW_SAMPLE, sep=r"\s+", header=None,
                    names=["customer_id", "sample_id", "date", "quantity", "amount"])
    else:
        raw = _read(_CDNOW_MASTER, sep=r"\s+", header=0,
                    names=["customer_id", "date", "quantity", "amount"])
    frame = pd.DataFrame({
        "customer_id": raw["customer_id"].astype("int64"),
        "date": _yyyymmdd(raw["date"]),
        "quantity": raw["quantity"].astype("int64"),
        "amount": raw["amount"].astype("float64"),
    })
    if sample:
        frame["sample_id"] = raw["sample_id"].astype("int64")
    return frame


def load_cdnow(sample: bool = False) -> pd.DataFrame:
    """The CDNOW transaction log: every purchase of a cohort of first-time buyers.

    The 23,570 customers made their first purchase at the online music retailer CDNOW in
    the first quarter of 1997; their purchases are recorded through 1998-06-30. Several
    purchases on the same day are separate rows (``clvkit.summarize(..., grain="D")``
    merges them, as the literature does).

    Parameters
    ----------
    sample
        If true, return the 1/10 systematic sample of 2,357 customers (6,919 rows) analysed by
        Fader, Hardie & Lee (2005); otherwise the full log (23,570 customers, 69,659 rows).

    Returns
    -------
    pandas.DataFrame
        One row per transaction, in file order, with columns

        - ``customer_id`` (int64): the customer's id in the full log (1..23,570), also in the
          sample, so that a sample customer can be found in the full log;
        - ``date`` (datetime64[ns]): day of the purchase;
        - ``quantity`` (int64): number of CDs bought;
        - ``amount`` (float64): dollar value of the purchase;
        - ``sample_id`` (int64, sample only): the customer's id in the sample (1..2,357), the
          ``ID`` used by the published summary (:func:`load_cdnow_summary`).

    Examples
    --------
    >>> from clvkit.data.datasets import load_cdnow
    >>> tx = load_cdnow(sample=True)
    >>> tx.shape, tx["customer_id"].nunique()
    ((6919, 5), 2357)
    """
    return _cdnow(bool(sample)).copy()


@functools.cache  # = lru_cache(maxsize=None)
def _cdnow_summary() -> pd.DataFrame:
    raw = _read(_CDNOW_SUMMARY)
    frame = pd.DataFrame({
        "frequency": raw["x"].astype("int64").to_numpy(),
        "recency": raw["t_x"].astype("float64").to_numpy(),
        "T": raw["T"].astype("float64").to_numpy(),
        "monetary_value": raw["zbar"].astype("float64").to_numpy(),
    }, index=pd.Index(raw["ID"].astype("int64").to_numpy(), name="customer_id"))
    return frame


def load_cdnow_summary() -> pd.DataFrame:
    """The published calibration summary of the CDNOW sample, in weeks.

    Fader, Hardie & Lee (2005) summarise the 2,357 sample customers over the calibration
    period 1997-01-01 .. 1997-09-30 (39 weeks), same-day purchases merged. Recency and T are
    printed to two decimals (weeks), mean spend to cents.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``, which here is the *sample* id (1..2,357; the
        ``sample_id`` column of ``load_cdnow(sample=True)``), with columns ``frequency``
        (int64, repeat purchases; ``x`` in the file), ``recency`` (``t_x``), ``T`` and
        ``monetary_value`` (``zbar``: mean value of the repeat purchases, 0 without any).

    Examples
    --------
    >>> from clvkit.data.datasets import load_cdnow_summary
    >>> load_cdnow_summary()["frequency"].sum()
    np.int64(2457)
    >>> load_cdnow_summary().attrs["unit"]
    'W'
    """
    frame = _cdnow_summary().copy()
    frame.attrs["unit"] = "W"
    return frame


@functools.cache  # = lru_cache(maxsize=None)
def _donations() -> pd.DataFrame:
    raw = _read(_DONATIONS)
    return pd.DataFrame({
        "frequency": raw["frequency"].astype("int64"),
        "recency": raw["recency"].astype("int64"),
        "n_periods": raw["periods"].astype("int64"),
        "weight": raw["weights"].astype("int64"),
    })


def load_donations() -> pd.DataFrame:
    """Annual donations of 11,104 first-time donors, compressed for the BG/BB model.

    Fader, Hardie & Shang (2010): donors first giving in 1995, observed over the six annual
    opportunities 1996..2001.

    Returns
    -------
    pandas.DataFrame
        22 rows, one per distinct history, with int64 columns ``frequency`` (years with a
        donation), ``recency`` (the last such year, 0 if none), ``n_periods`` (6: the number
        of opportunities) and ``weight`` (donors with that history; they sum to 11,104).
        ``attrs["unit"]`` is ``"Y"``: one opportunity a year.
    """
    frame = _donations().copy()
    frame.attrs["unit"] = "Y"
    return frame


@functools.cache  # = lru_cache(maxsize=None)
def _retention() -> pd.DataFrame:
    return _read(_RETENTION).astype("int64")


def load_retention_example(name: str) -> pd.DataFrame:
    """Customers still active each year out of 1,000 acquired (Fader & Hardie 2007, Table 1).

    Parameters
    ----------
    name
        ``"regular"`` or ``"high_end"`` (the two customer segments of the paper).

    Returns
    -------
    pandas.DataFrame
        13 rows with int64 columns ``period`` (year 0..12) and ``alive`` (customers still
        active at the start of that year; 1,000 in year 0); ``attrs["unit"]`` is ``"Y"``. The paper fits years 1..7 and
        projects years 8..12.

    Raises
    ------
    clvkit.errors.DataError
        For an unknown ``name``; the message lists the valid names.
    """
    key = name.strip().lower().replace("-", "_").replace(" ", "_") if isinstance(name, str) else name
    if key not in RETENTION_EXAMPLES:
        raise DataError(
            f"unknown retention example {name!r}; valid names are {list(RETENTION_EXAMPLES)}.")
    raw = _retention()
    frame = pd.DataFrame({"period": raw["year"].to_numpy(), "alive": raw[key].to_numpy()})
    frame.attrs["unit"] = "Y"
    return frame
