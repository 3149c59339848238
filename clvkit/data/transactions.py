"""Transaction logs: reading them from files and checking them before they are summarised.

:func:`validate_transactions` is the gate every transaction log passes before
:func:`clvkit.summarize` (or anything else) reads it. It raises a :class:`~clvkit.errors.DataError`
that names the column, the number of offending rows, one example row and what to do; it never
drops a row silently.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from clvkit.errors import DataError, fail_rows, plain

__all__ = ["AMOUNT", "CUSTOMER", "DATE", "read_transactions", "validate_transactions"]

#: Standard internal column names of a validated transaction log.
CUSTOMER = "customer"
DATE = "date"
AMOUNT = "amount"

#: Format used for integer dates (``19970101``) when no ``date_format`` is given.
YYYYMMDD = "%Y%m%d"


def validate_transactions(
    tx: pd.DataFrame,
    customer: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = None,
    *,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Check a transaction log and return a clean copy with standard column names.

    Parameters
    ----------
    tx
        One row per transaction.
    customer
        Column holding the customer id (any hashable values; NaN is not allowed).
    date
        Column holding the transaction time: ``datetime64`` (time-zone aware or not), strings
        that :func:`pandas.to_datetime` reads, or integers written ``YYYYMMDD`` (``19970101``).
    amount
        Column holding the value of each transaction (numbers >= 0, or strings of numbers), or
        ``None`` when there are no amounts.
    date_format
        Passed to :func:`pandas.to_datetime` as ``format`` for string or integer dates, e.g.
        ``"%d/%m/%Y"``. By default integers are read as ``YYYYMMDD`` and the format of strings
        is inferred (ISO 8601 strings that do not fit the inferred format are read as ISO 8601).

    Returns
    -------
    pandas.DataFrame
        A new frame with the original index and the columns ``customer`` (as given), ``date``
        (``datetime64``) and, if ``amount`` was given, ``amount`` (float64). Other columns of
        ``tx`` are not carried over. Row order is kept.

    Raises
    ------
    clvkit.errors.DataError
        (also a ``ValueError``) if ``tx`` is not a DataFrame or has no rows; if a named column is
        missing (the message lists the columns there are); if a customer id or a date is
        missing; if a date cannot be parsed; or if an amount is missing, not a number,
        infinite or negative.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"id": [1, 1], "day": [19970101, 19970105], "spend": [10.0, 5.5]})
    >>> validate_transactions(tx, customer="id", date="day", amount="spend")
       customer       date  amount
    0         1 1997-01-01    10.0
    1         1 1997-01-05     5.5
    """
    if not isinstance(tx, pd.DataFrame):
        raise DataError(
            f"expected the transaction log as a pandas DataFrame, got {type(tx).__name__}. "
            "Read files with clvkit.data.transactions.read_transactions() or pandas.read_csv().")
    roles = {"customer": customer, "date": date}
    if amount is not None:
        roles["amount"] = amount
    _check_columns(tx, roles)
    if len(tx) == 0:
        raise DataError(
            f"the transaction log is empty (0 rows; columns {list(tx.columns)}): there is nothing "
            "to summarise. Check the filter or file that produced it.")

    ids = tx[customer]
    fail_rows(tx, ids.isna(), str(customer), "is NaN (no customer id)",
              "Every transaction needs a customer; drop or fill these rows explicitly.")

    out = pd.DataFrame({CUSTOMER: ids.copy()}, index=tx.index.copy())
    out[DATE] = _parse_dates(tx, date, date_format)
    if amount is not None:
        out[AMOUNT] = _parse_amounts(tx, amount)
    return out


def read_transactions(path: str | os.PathLike[str], **read_kwargs: Any) -> pd.DataFrame:
    """Read a transaction log from a CSV or Parquet file (no checks; see validate_transactions).

    Parameters
    ----------
    path
        A ``.csv``, ``.tsv`` or ``.txt`` file (optionally compressed, e.g. ``.csv.gz``) or a
        ``.parquet`` / ``.pq`` file.
    **read_kwargs
        Passed to :func:`pandas.read_csv` or :func:`pandas.read_parquet`.

    Returns
    -------
    pandas.DataFrame
        The file's rows as read; dates stay as written until :func:`validate_transactions`.

    Raises
    ------
    clvkit.errors.DataError
        If the file does not exist or its suffix is not one of the above.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"transaction file {str(p)!r} does not exist.")
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] in {".gz", ".bz2", ".zip", ".xz", ".zst"}:
        suffixes = suffixes[:-1]
    kind = suffixes[-1] if suffixes else ""
    if kind in {".parquet", ".pq"}:
        return pd.read_parquet(p, **read_kwargs)
    if kind == ".tsv":
        read_kwargs.setdefault("sep", "\t")
    if kind in {".csv", ".tsv", ".txt"}:
        return pd.read_csv(p, **read_kwargs)
    raise DataError(
        f"cannot tell the format of {str(p)!r} from its suffix {kind or '(none)'!r}; "
        "use a .csv, .tsv, .txt or .parquet file, or read it yourself and pass the DataFrame.")


# ---------------------------------------------------------------------------------- helpers
def _check_columns(tx: pd.DataFrame, roles: dict[str, Hashable]) -> None:
    """Every role's column exists once, and no column plays two roles."""
    missing = [(role, col) for role, col in roles.items() if col not in tx.columns]
    if missing:
        named = ", ".join(f"{role}={col!r}" for role, col in missing)
        raise DataError(
            f"{len(missing)} column(s) not found in the transaction log: {named}; the columns "
            f"are {list(tx.columns)}. Pass the right names, e.g. customer=..., date=..., amount=....")
    seen: dict[Hashable, str] = {}
    for role, col in roles.items():
        if col in seen:
            raise DataError(f"column {col!r} was given both as {seen[col]} and as {role}; "
                            "each needs a column of its own.")
        seen[col] = role
        if isinstance(tx[col], pd.DataFrame):
            raise DataError(f"column {col!r} ({role}) appears {tx[col].shape[1]} times in the "
                            "transaction log; rename the duplicates.")


def _parse_dates(tx: pd.DataFrame, column: Hashable, date_format: str | None) -> pd.Series:
    """The date column as datetime64; DataError for missing or unparseable values."""
    raw = tx[column]
    fail_rows(tx, raw.isna(), str(column), "is NaN (no date)",
              "Every transaction needs a date; drop or fill these rows explicitly.")
    if ptypes.is_datetime64_any_dtype(raw.dtype):
        return raw.copy()
    if ptypes.is_numeric_dtype(raw.dtype) and not ptypes.is_bool_dtype(raw.dtype):
        text = _integers_as_text(raw)
        fmt = date_format or YYYYMMDD
    else:
        text, fmt = raw, date_format
    try:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if date_format is None and fmt is None:
            retry = parsed.isna() & raw.notna()
            if retry.any():  # e.g. "2020-01-02 10:00" after an inferred "%Y-%m-%d"
                again = pd.to_datetime(text[retry], format="ISO8601", errors="coerce")
                if again.notna().any():
                    parsed = pd.concat([parsed[~retry], again]).reindex(parsed.index)
    except (ValueError, TypeError, OverflowError) as exc:
        raise DataError(
            f"column {str(column)!r} (date) could not be read as dates ({str(exc).rstrip('.')}). "
            "Pass date_format=... "
            "(e.g. '%Y-%m-%d'), or convert the column with pandas.to_datetime(..., utc=True) for "
            "mixed time zones.") from exc
    if not ptypes.is_datetime64_any_dtype(parsed.dtype):
        raise DataError(
            f"column {str(column)!r} (date) mixes time-zone-aware and naive times (or several time "
            f"zones) in its {len(parsed)} rows (first: {plain(raw.iloc[0])!r}); convert it with "
            "pandas.to_datetime(..., utc=True) and pass the result.")
    fail_rows(tx, parsed.isna() & raw.notna(), str(column), "cannot be parsed as a date",
              f"Pass date_format=... (used: {fmt!r}) or fix these values.")
    return parsed


def _integers_as_text(raw: pd.Series) -> pd.Series:
    """Whole numbers as digit strings (19970101 -> "19970101"); anything else becomes None."""
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    whole = np.isfinite(values) & (values == np.round(values))
    text = pd.Series(None, index=raw.index, dtype=object)
    if whole.any():
        text[whole] = values[whole].astype(np.int64).astype(str)
    return text


def _parse_amounts(tx: pd.DataFrame, column: Hashable) -> pd.Series:
    """The amount column as float64; DataError for missing, non-numeric, infinite, negative."""
    raw = tx[column]
    name = str(column)
    if ptypes.is_bool_dtype(raw.dtype):
        raise DataError(f"column {name!r} (amount) is boolean in all {len(raw)} rows; it must hold "
                        "the value of each transaction.")
    values = pd.to_numeric(raw, errors="coerce")
    fail_rows(tx, values.isna() & raw.notna(), name, "is not numeric",
              "Amounts must be numbers (or strings of numbers); clean these values first.")
    fail_rows(tx, raw.isna(), name, "is NaN",
              "Fill the missing amounts (e.g. with 0) or drop these rows explicitly.")
    arr = values.to_numpy(dtype=np.float64)
    fail_rows(tx, ~np.isfinite(arr), name, "is infinite")
    fail_rows(tx, arr < 0, name, "is negative",
              "Returns and refunds are not purchases: net them out of the purchase they belong to, "
              "or drop them, before summarising.")
    return pd.Series(arr, index=tx.index, name=AMOUNT)
