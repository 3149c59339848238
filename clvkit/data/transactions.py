"""Transaction logs: reading them from files and checking them before they are summarised.

:func:`validate_transactions` is the gate every transaction log passes before
:func:`clvkit.summarize` (or anything else) reads it. It raises a :class:`~clvkit.errors.DataError`
that names the column, the number of offending rows, one example row and what to do; it never
drops a row silently.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from clvkit.errors import DataError, fail_rows, plain

__all__ = ["AMOUNT", "CUSTOMER", "DATE", "DATE_MAX", "DATE_MIN", "parse_bound", "read_transactions",
           "validate_transactions"]

#: Standard internal column names of a validated transaction log.
CUSTOMER = "customer"
DATE = "date"
AMOUNT = "amount"

#: Format used for integer dates (``19970101``) when no ``date_format`` is given.
YYYYMMDD = "%Y%m%d"

#: The plausible range of transaction dates (and of ``end`` / ``calibration_end``), inclusive.
#: Dates outside it are typos or placeholders (``9999-12-31`` for "unknown", ``1066``), and a
#: summary built on them would be silently wrong (a ``T`` of 400,000 weeks), so they are refused.
DATE_MIN = pd.Timestamp("1900-01-01")
DATE_MAX = pd.Timestamp("2200-12-31")

# Problems and advice shared by every engine, so that pandas and DuckDB say the same thing.
NAN_ID = ("is NaN (no customer id)",
          "Every transaction needs a customer; drop or fill these rows explicitly.")
NAN_DATE = ("is NaN (no date)", "Every transaction needs a date; drop or fill these rows explicitly.")
DATE_RANGE = (f"is outside the plausible range {DATE_MIN.date()}..{DATE_MAX.date()}",
              "Such dates are typos or placeholders (e.g. 9999-12-31 for 'unknown'); fix or drop "
              "these rows explicitly.")
AMOUNT_NOT_NUMERIC = ("is not numeric",
                      "Amounts must be numbers (or strings of numbers); clean these values first.")
AMOUNT_NAN = ("is NaN", "Fill the missing amounts (e.g. with 0) or drop these rows explicitly.")
AMOUNT_INFINITE = ("is infinite", "Amounts must be finite; fix these values or drop these rows explicitly.")
AMOUNT_NEGATIVE = ("is negative",
                   "Returns and refunds are not purchases: net them out of the purchase they belong "
                   "to, or drop them, before summarising.")
ZONE_ADVICE = ("Dates of one log must share one time zone, or their days do not line up: convert the "
               "column with pandas.to_datetime(..., utc=True) (or .dt.tz_convert(zone) for that "
               "zone's days) and pass the result.")


def zone_problem(majority: str) -> str:
    """The problem text for rows whose time zone differs from most rows' (``""``: no zone)."""
    return f"is in another time zone than most rows ({majority or 'no time zone'})"


def unparseable_advice(fmt: str | None) -> str:
    """The advice for dates that cannot be parsed with format ``fmt`` (``None``: inferred)."""
    return f"Pass date_format=... (used: {fmt!r}) or fix these values."


#: A UTC offset at the end of a time of day: ``10:00+01:00``, ``10:00:00.5Z``, ``10:00 -0500``.
OFFSET_PATTERN = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)\s*$"


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
        Column holding the customer id, kept exactly as given (``"007"``, ``"7"`` and ``"0007"``
        are three customers). NaN is not allowed, nor a column mixing types (``1`` and ``"1"``
        would be two customers that print alike).
    date
        Column holding the transaction time: ``datetime64`` (time-zone aware or not, numpy or
        ``date32`` / ``timestamp`` pyarrow), strings that :func:`pandas.to_datetime` reads, or
        integers written ``YYYYMMDD`` (``19970101``). Dates must lie in
        ``DATE_MIN..DATE_MAX`` (1900-01-01..2200-12-31). Time zones: a column in one time zone
        is read in that zone's wall-clock time (a day is a local day); a column mixing time
        zones, or zone-aware and naive times, is refused (the same rule on every engine).
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
        missing (the message lists the columns there are); if a customer id is missing or the
        ids mix types; if a date is missing, cannot be parsed, mixes time zones or lies outside
        the plausible range; or if an amount is missing, not a number, infinite or negative.

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
    fail_rows(tx, ids.isna(), str(customer), *NAN_ID)
    check_id_types(tx, ids, str(customer))

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
    check_columns_present(roles, list(tx.columns))
    check_distinct_roles(roles)
    for role, col in roles.items():
        if isinstance(tx[col], pd.DataFrame):
            raise DataError(f"column {col!r} ({role}) appears {tx[col].shape[1]} times in the "
                            "transaction log; rename the duplicates.")


def _parse_dates(tx: pd.DataFrame, column: Hashable, date_format: str | None) -> pd.Series:
    """The date column as datetime64; DataError for missing, unparseable, mixed-zone or implausible values."""
    raw = tx[column]
    fail_rows(tx, raw.isna(), str(column), *NAN_DATE)
    arrow = _arrow_to_numpy_dates(raw)
    if arrow is not None:
        parsed = arrow
    elif ptypes.is_datetime64_any_dtype(raw.dtype):
        parsed = raw.copy()
    else:
        parsed = _parse_date_values(tx, column, raw, date_format)
    check_date_range(tx, parsed, str(column))
    return parsed


def _parse_date_values(tx: pd.DataFrame, column: Hashable, raw: pd.Series,
                       date_format: str | None) -> pd.Series:
    """Strings, integers or date objects as datetime64."""
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
        check_zones(tx, raw, str(column))
        raise DataError(
            f"column {str(column)!r} (date) could not be read as dates ({str(exc).rstrip('.')}). "
            "Pass date_format=... "
            "(e.g. '%Y-%m-%d'), or convert the column with pandas.to_datetime(..., utc=True) for "
            "mixed time zones.") from exc
    if not ptypes.is_datetime64_any_dtype(parsed.dtype):
        check_zones(tx, raw, str(column))
        raise DataError(
            f"column {str(column)!r} (date) mixes time-zone-aware and naive times (or several time "
            f"zones) in its {len(parsed)} rows (first: {plain(raw.iloc[0])!r}); convert it with "
            "pandas.to_datetime(..., utc=True) and pass the result.")
    bad = parsed.isna() & raw.notna()
    if bad.any():
        check_zones(tx, raw, str(column))
    fail_rows(tx, bad, str(column), "cannot be parsed as a date", unparseable_advice(fmt))
    return parsed


def _arrow_to_numpy_dates(raw: pd.Series) -> pd.Series | None:
    """A pyarrow ``date32`` / ``date64`` / ``timestamp`` column as numpy datetime64 (else None)."""
    dtype = raw.dtype
    if not isinstance(dtype, pd.ArrowDtype):
        return None
    import pyarrow as pa

    kind = dtype.pyarrow_dtype
    if pa.types.is_date(kind):
        return raw.astype("datetime64[us]")
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            return raw.astype(pd.DatetimeTZDtype("us", kind.tz))
        return raw.astype("datetime64[us]")
    return None


def check_date_range(frame: pd.DataFrame, dates: pd.Series, column: str) -> None:
    """DataError for dates (wall-clock for zone-aware ones) outside ``DATE_MIN..DATE_MAX``."""
    wall = dates.dt.tz_localize(None) if dates.dt.tz is not None else dates
    day = wall.to_numpy().astype("datetime64[D]")
    bad = (day < np.datetime64(DATE_MIN.date())) | (day > np.datetime64(DATE_MAX.date()))
    fail_rows(frame, bad, column, *DATE_RANGE)


def check_bound_range(ts: pd.Timestamp, name: str) -> None:
    """DataError for an ``end`` / ``calibration_end`` outside ``DATE_MIN..DATE_MAX``."""
    day = ts.tz_localize(None).normalize() if ts.tzinfo is not None else ts.normalize()
    if day < DATE_MIN or day > DATE_MAX:
        raise DataError(f"{name}={ts} {DATE_RANGE[0]}; pass a real date, e.g. {name}='1997-09-30'.")


def parse_bound(value: Any, name: str, date_format: str | None, tz: Any) -> pd.Timestamp | None:
    """``end`` / ``calibration_end`` as a naive Timestamp in the log's wall-clock time.

    ``None`` stays ``None``; integers are ``YYYYMMDD`` (or ``date_format``); a zone-aware value
    is converted to the log's zone ``tz`` (refused if the log has none). DataError for anything
    that is not a date, for NaT and for dates outside ``DATE_MIN..DATE_MAX``.
    """
    if value is None:
        return None
    try:
        if isinstance(value, bool | np.bool_):
            raise TypeError("a boolean is not a date")
        if isinstance(value, int | np.integer):
            ts = pd.to_datetime(str(int(value)), format=date_format or YYYYMMDD)
        elif isinstance(value, str) and date_format is not None:
            try:
                ts = pd.to_datetime(value, format=date_format)
            except ValueError:
                ts = pd.Timestamp(value)
        else:
            ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise DataError(f"{name}={value!r} is not a date ({exc}); pass e.g. {name}='1997-09-30'.") from exc
    if pd.isna(ts):
        raise DataError(f"{name} is NaT; pass a date or None.")
    check_bound_range(ts, name)
    if ts.tzinfo is not None:
        if tz is None:
            raise DataError(
                f"{name}={ts} has a time zone but the log's dates do not; pass a naive date.")
        ts = ts.tz_convert(tz).tz_localize(None)
    return ts


def check_id_types(frame: pd.DataFrame, ids: pd.Series, column: str) -> None:
    """DataError if an object column of ids mixes kinds (text, numbers, ...).

    ``1`` and ``"1"`` would be two customers that print alike. Numbers of different Python
    types (``1`` and ``1.0``) are one kind: pandas treats them as one customer.
    """
    values = ids.cat.categories if isinstance(ids.dtype, pd.CategoricalDtype) else ids
    if values.dtype != object:
        return
    if ptypes.infer_dtype(values, skipna=True) not in {"mixed", "mixed-integer"}:
        return
    kinds = pd.Series([_id_kind(v) for v in ids], index=ids.index)
    majority = Counter(kinds).most_common(1)[0][0]
    if (kinds == majority).all():
        return
    fail_rows(frame, kinds != majority, column,
              f"holds ids of another type than most ids ({majority})",
              f"The types are {sorted(set(kinds))}: 1 and '1' would be two customers that print "
              "alike. Convert the ids to one type first, e.g. with .astype(str).")


def _id_kind(value: Any) -> str:
    if isinstance(value, str):
        return "str"
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number"
    return type(value).__name__


def zone_label(value: Any) -> str:
    """The UTC offset a date value carries, as ``+HH:MM`` (``""`` for none); see check_zones."""
    if isinstance(value, str):
        match = re.search(OFFSET_PATTERN, value.strip())
        return "" if match is None else normalize_offset(match.group(1))
    tzinfo = getattr(value, "tzinfo", None)
    if tzinfo is None:
        return ""
    offset = value.utcoffset()
    return str(tzinfo) if offset is None else _format_offset(offset.total_seconds())


def normalize_offset(text: str) -> str:
    """``Z``, ``+01``, ``+0100`` or ``+01:00`` as ``+01:00`` (``Z`` is ``+00:00``)."""
    if text == "Z":
        return "+00:00"
    digits = text[1:].replace(":", "")
    hours, minutes = digits[:2], digits[2:4] or "00"
    if hours == "00" and minutes == "00":
        return "+00:00"
    return f"{text[0]}{hours}:{minutes}"


def _format_offset(seconds: float) -> str:
    sign = "-" if seconds < 0 else "+"
    minutes = int(abs(seconds)) // 60
    return normalize_offset(f"{sign}{minutes // 60:02d}:{minutes % 60:02d}")


def check_zones(frame: pd.DataFrame, raw: pd.Series, column: str) -> None:
    """DataError naming the rows whose UTC offset (or lack of one) differs from most rows'."""
    labels = pd.Series([zone_label(v) for v in raw], index=raw.index)
    majority = Counter(labels).most_common(1)[0][0]
    fail_rows(frame, labels != majority, column, zone_problem(majority), ZONE_ADVICE)


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
    fail_rows(tx, values.isna() & raw.notna(), name, *AMOUNT_NOT_NUMERIC)
    fail_rows(tx, raw.isna(), name, *AMOUNT_NAN)
    arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    fail_rows(tx, ~np.isfinite(arr), name, *AMOUNT_INFINITE)
    fail_rows(tx, arr < 0, name, *AMOUNT_NEGATIVE)
    return pd.Series(arr, index=tx.index, name=AMOUNT)


def check_distinct_roles(roles: dict[str, Hashable]) -> None:
    """A :class:`DataError` when one column is given for two roles (say, customer and amount)."""
    seen: dict[Hashable, str] = {}
    for role, col in roles.items():
        if col in seen:
            raise DataError(f"column {col!r} was given both as {seen[col]} and as {role}; "
                            "each needs a column of its own.")
        seen[col] = role


def check_columns_present(roles: dict[str, Hashable], columns: list[Hashable]) -> None:
    """A :class:`DataError` naming every role whose column the log lacks (pandas and DuckDB alike)."""
    missing = [(role, col) for role, col in roles.items() if col not in columns]
    if missing:
        named = ", ".join(f"{role}={col!r}" for role, col in missing)
        raise DataError(
            f"{len(missing)} column(s) not found in the transaction log: {named}; the columns "
            f"are {list(columns)}. Pass the right names, e.g. customer=..., date=..., amount=....")
