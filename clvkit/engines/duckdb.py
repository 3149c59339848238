"""Summarise transaction logs larger than memory with DuckDB (extra ``engines``).

The SQL computes exactly what :func:`clvkit.summarize` computes in pandas (same grain flooring,
same units, same holdout columns) after the same checks with the same messages;
tests/unit/test_engine_duckdb.py checks the two agree on the full CDNOW log, and
tests/integration/test_engine_duckdb_validation.py that they refuse bad logs alike.
"""

from __future__ import annotations

import datetime
import os
import warnings
from typing import Any

import pandas as pd

from clvkit.data.customer_data import CustomerData
from clvkit.data.transactions import (
    AMOUNT,
    AMOUNT_INFINITE,
    AMOUNT_NAN,
    AMOUNT_NEGATIVE,
    AMOUNT_NOT_NUMERIC,
    CUSTOMER,
    DATE,
    DATE_MAX,
    DATE_MIN,
    DATE_RANGE,
    NAN_DATE,
    NAN_ID,
    OFFSET_PATTERN,
    YYYYMMDD,
    ZONE_ADVICE,
    check_columns_present,
    check_distinct_roles,
    normalize_offset,
    parse_bound,
    unparseable_advice,
    validate_transactions,
    zone_problem,
)
from clvkit.data.units import DAYS_PER_UNIT, check_unit
from clvkit.errors import DataError, DataWarning

_TRUNC = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}


def _connect() -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("clvkit.engines.duckdb needs duckdb: pip install 'clvkit[engines]'") from exc
    return duckdb.connect()


def _source(con: Any, tx: str | os.PathLike[str], customer: str, date: str,
            amount: str | None) -> str:
    """Register a CSV / Parquet file as the view ``raw`` and return the path.

    CSV columns of the customer, the date and the amount are read as text (``VARCHAR``), so that
    ids keep their leading zeros (``"007"``, ``"7"`` and ``"0007"`` stay three customers) and
    dates keep their UTC offsets for the time-zone rule.
    """
    path = os.fspath(tx)
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file.")
    literal = "'" + path.replace("'", "''") + "'"
    if path.lower().endswith((".parquet", ".pq")):
        con.execute(f"CREATE VIEW raw AS SELECT * FROM read_parquet({literal})")
    else:
        names = [customer, date] + ([amount] if amount else [])
        types = ", ".join(f"{_text(n)}: 'VARCHAR'" for n in names)
        try:
            con.execute(f"CREATE VIEW raw AS SELECT * FROM read_csv_auto({literal}, types={{{types}}})")
            con.execute("DESCRIBE raw").fetchall()
        except Exception:  # a named column is missing: read without types, _columns names it
            con.execute("DROP VIEW IF EXISTS raw")
            con.execute(f"CREATE VIEW raw AS SELECT * FROM read_csv_auto({literal})")
    return path


def _text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _columns(con: Any, customer: str, date: str, amount: str | None) -> dict[str, str]:
    """Column name -> DuckDB type; DataError naming missing or doubled columns (as pandas does)."""
    types = {row[0]: row[1] for row in con.execute("DESCRIBE raw").fetchall()}
    roles = {"customer": customer, "date": date}
    if amount:
        roles["amount"] = amount
    check_columns_present(roles, list(types))
    check_distinct_roles(roles)
    return types


def _fail_sql(con: Any, n: int, column: str, condition: str, problem: str, advice: str = "") -> None:
    """The SQL twin of :func:`clvkit.errors.fail_rows`: same message, rows counted by DuckDB.

    The example row is the first offending row of the file (0-based row number as its index).
    """
    bad, first = con.execute(f"SELECT count(*), min(__row) FROM t WHERE {condition}").fetchone()
    if not bad:
        return
    cursor = con.execute("SELECT * FROM raw LIMIT 1 OFFSET ?", [int(first)])
    names = [d[0] for d in cursor.description]
    example = dict(zip(names, cursor.fetchone(), strict=True))
    message = (f"column {column!r} {problem} in {bad} of {n} rows "
               f"(first at index {int(first)!r}: {example}).")
    if advice:
        message += " " + advice
    raise DataError(message)


_OFFSET_SQL = OFFSET_PATTERN.replace("'", "''")


def _date_sql(kind: str, col: str, date_format: str | None, tz: str | None) -> tuple[str, str, str | None]:
    """SQL for (zone label, wall-clock TIMESTAMP, format used) of the raw date column."""
    upper = kind.upper()
    if upper.startswith("TIMESTAMP WITH TIME ZONE"):
        zone = tz or "UTC"
        if zone.startswith(("+", "-")):
            sign = -1 if zone[0] == "-" else 1
            hours, minutes = [*zone[1:].split(":"), "0"][:2]
            shift = sign * (int(hours) * 60 + int(minutes))
            return "''", f"timezone('UTC', {col}) + INTERVAL ({shift}) MINUTE", None
        return "''", f"timezone({_text(zone)}, {col})", None
    if upper == "DATE" or upper.startswith("TIMESTAMP"):
        return "''", f"CAST({col} AS TIMESTAMP)", None
    if upper in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "FLOAT", "DOUBLE"} or upper.startswith("DECIMAL"):
        fmt = date_format or YYYYMMDD
        text = f"CASE WHEN {col} = round({col}) THEN CAST(CAST({col} AS BIGINT) AS VARCHAR) END"
        return "''", f"try_strptime({text}, {_text(fmt)})", fmt
    text = f"trim(CAST({col} AS VARCHAR))"
    label = (f"CASE WHEN regexp_matches({text}, '{_OFFSET_SQL}') "
             f"THEN regexp_extract({text}, '{_OFFSET_SQL}', 1) ELSE '' END")
    if date_format is not None:
        return label, f"try_strptime({text}, {_text(date_format)})", date_format
    time_then_offset = r"(\d{2}:\d{2}(:\d{2}(\.\d+)?)?)\s*(Z|[+-]\d{2}(:?\d{2})?)$"
    wall = f"regexp_replace({text}, '{time_then_offset}', '\\1')"
    parsed = (f"CASE WHEN regexp_full_match({text}, '\\d{{8}}') THEN try_strptime({text}, '%Y%m%d') "
              f"ELSE TRY_CAST({wall} AS TIMESTAMP) END")
    return label, parsed, None


def _arrow_zone(path: str, date: str) -> str | None:
    """The time zone a Parquet file records for its zone-aware date column (None if unknown)."""
    if not path.lower().endswith((".parquet", ".pq")):
        return None
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow comes with the engines extra
        return None
    kind = pq.read_schema(path).field(date).type
    return getattr(kind, "tz", None)


def _validate_file(con: Any, path: str, customer: str, date: str, amount: str | None,
                   date_format: str | None) -> tuple[int, Any]:
    """Build the temp table ``clean`` (customer, d, amount) from ``raw``; same checks as pandas.

    Returns the number of rows and the log's time zone (a fixed offset or a zone name, or None).
    """
    types = _columns(con, customer, date, amount)
    n = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    if n == 0:
        raise DataError(
            f"the transaction log is empty (0 rows; columns {list(types)}): there is nothing "
            "to summarise. Check the filter or file that produced it.")
    cust, dcol = _ident(customer), _ident(date)
    tz = _arrow_zone(path, date) if types[date].upper().startswith("TIMESTAMP WITH TIME ZONE") else None
    label, parsed, fmt = _date_sql(types[date], dcol, date_format, tz)
    if amount:
        acol = _ident(amount)
        amount_sql = f"{acol} AS amount_raw, TRY_CAST({acol} AS DOUBLE) AS amount"
    else:
        amount_sql = "NULL AS amount_raw, 0.0 AS amount"
    cust_nan = f" OR isnan(TRY_CAST({cust} AS DOUBLE))" if types[customer].upper() in {"FLOAT", "DOUBLE"} else ""
    con.execute(f"""CREATE TEMP TABLE t AS SELECT row_number() OVER () - 1 AS __row,
        {cust} AS customer, ({cust} IS NULL{cust_nan}) AS customer_nan, {dcol} IS NULL AS date_nan,
        {label} AS zone, {parsed} AS ts, {amount_sql} FROM raw""")
    _fail_sql(con, n, customer, "customer_nan", *NAN_ID)
    _fail_sql(con, n, date, "date_nan", *NAN_DATE)
    zones = con.execute("SELECT zone, count(*) AS k, min(__row) AS r FROM t WHERE NOT date_nan "
                        "GROUP BY ALL ORDER BY k DESC, r").fetchall()
    labels = {normalize_offset(z) if z else "" for z, _, _ in zones}
    majority = normalize_offset(zones[0][0]) if zones and zones[0][0] else ""
    if len(labels) > 1:
        same = [z for z, _, _ in zones if (normalize_offset(z) if z else "") == majority]
        listed = ", ".join(_text(z) for z in same)
        _fail_sql(con, n, date, f"NOT date_nan AND zone NOT IN ({listed})", zone_problem(majority), ZONE_ADVICE)
    if majority and tz is None:
        tz = majority
    _fail_sql(con, n, date, "NOT date_nan AND ts IS NULL", "cannot be parsed as a date", unparseable_advice(fmt))
    outside = f"ts < TIMESTAMP '{DATE_MIN.date()}' OR ts >= TIMESTAMP '{DATE_MAX.date()}' + INTERVAL 1 DAY"
    _fail_sql(con, n, date, outside, *DATE_RANGE)
    if amount:
        if types[amount].upper() == "BOOLEAN":
            raise DataError(f"column {amount!r} (amount) is boolean in all {n} rows; it must hold "
                            "the value of each transaction.")
        _fail_sql(con, n, amount, "amount IS NULL AND amount_raw IS NOT NULL", *AMOUNT_NOT_NUMERIC)
        _fail_sql(con, n, amount, "amount_raw IS NULL OR isnan(amount)", *AMOUNT_NAN)
        _fail_sql(con, n, amount, "isinf(amount)", *AMOUNT_INFINITE)
        _fail_sql(con, n, amount, "amount < 0", *AMOUNT_NEGATIVE)
    con.execute("CREATE TEMP TABLE clean AS SELECT customer, ts AS d, amount FROM t ORDER BY __row")
    con.execute("DROP TABLE t")
    return n, _as_tzinfo(tz)


def _as_tzinfo(tz: str | None) -> Any:
    """A zone label as something ``Timestamp.tz_convert`` takes."""
    if tz is None or not tz.startswith(("+", "-")):
        return tz
    sign = -1 if tz[0] == "-" else 1
    hours, minutes = tz[1:].split(":")
    return datetime.timezone(sign * datetime.timedelta(hours=int(hours), minutes=int(minutes)))


def _load_frame(con: Any, tx: pd.DataFrame, customer: str, date: str, amount: str | None,
                date_format: str | None) -> tuple[int, Any]:
    """Validate an in-memory log with pandas (the same code as clvkit.summarize) and register it."""
    clean = validate_transactions(tx, customer, date, amount, date_format=date_format)
    dates = clean[DATE]
    tz = dates.dt.tz
    if tz is not None:
        dates = dates.dt.tz_localize(None)
    frame = pd.DataFrame({"customer": clean[CUSTOMER].to_numpy(), "d": dates.to_numpy(),
                          "amount": clean[AMOUNT].to_numpy() if amount else 0.0})
    con.register("clean_df", frame)
    con.execute("CREATE TEMP TABLE clean AS SELECT customer, CAST(d AS TIMESTAMP) AS d, amount FROM clean_df")
    con.unregister("clean_df")
    return len(clean), tz


def summarize_duckdb(
    tx: str | os.PathLike[str] | pd.DataFrame,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    unit: str = "W",
    grain: str = "D",
    end: Any = None,
    calibration_end: Any = None,
    date_format: str | None = None,
) -> CustomerData:
    """:func:`clvkit.summarize`, computed by DuckDB on a CSV / Parquet file or a DataFrame.

    Parameters are those of :func:`clvkit.summarize`, except that ``grain`` cannot be ``None``.
    Only the per-customer result (one row per customer) is brought into memory.

    The input is checked as :func:`clvkit.summarize` checks it, with the same messages: a
    DataFrame goes through :func:`~clvkit.data.transactions.validate_transactions` itself; a
    file is checked in SQL (the example row's index is its 0-based row number in the file).
    Customer ids are kept exactly as written: CSV ids are read as text, so ``007`` and ``7``
    are two customers. Dates in a CSV are ISO dates or times (optionally with a UTC offset,
    the same offset on every row), ``YYYYMMDD``, or read with ``date_format`` (DuckDB's
    ``strptime``); a Parquet ``TIMESTAMP WITH TIME ZONE`` is read in the zone the file records.
    Dates must lie in 1900-01-01..2200-12-31.
    """
    unit = check_unit(unit)
    if grain not in _TRUNC:
        raise DataError(f"grain must be one of {sorted(_TRUNC)} for the DuckDB engine, got {grain!r}.")
    con = _connect()
    try:
        return _summarize(con, tx, customer, date, amount, unit, grain, end, calibration_end, date_format)
    finally:
        con.close()


def _summarize(con: Any, tx: Any, customer: str, date: str, amount: str | None, unit: str, grain: str,
               end: Any, calibration_end: Any, date_format: str | None) -> CustomerData:
    if isinstance(tx, pd.DataFrame):
        n_total, tz = _load_frame(con, tx, customer, date, amount, date_format)
    else:
        path = _source(con, tx, customer, date, amount)
        n_total, tz = _validate_file(con, path, customer, date, amount, date_format)
    end_raw = parse_bound(end, "end", date_format, tz)
    cal_raw = parse_bound(calibration_end, "calibration_end", date_format, tz)
    trunc = _TRUNC[grain]
    if cal_raw is not None:
        last = end_raw if end_raw is not None else pd.Timestamp(con.execute("SELECT max(d) FROM clean").fetchone()[0])
        if cal_raw > last:
            which = "end" if end_raw is not None else "end (the last transaction date; end was not given)"
            raise DataError(
                f"calibration_end={cal_raw} is after {which}={last}: 1 date out of order. The "
                "calibration period must end on or before the end of observation.")
    con.execute(f"CREATE TEMP TABLE tx AS SELECT customer, date_trunc('{trunc}', d) AS d, amount FROM clean")
    con.execute("DROP TABLE clean")

    def floor(ts: pd.Timestamp) -> pd.Timestamp:
        return pd.Timestamp(con.execute(f"SELECT date_trunc('{trunc}', ?::TIMESTAMP)", [ts]).fetchone()[0])

    end_ts = pd.Timestamp(con.execute("SELECT max(d) FROM tx").fetchone()[0]) if end_raw is None else floor(end_raw)
    cal_ts = None if cal_raw is None else floor(cal_raw)
    n_after, first_after_end, first_row = con.execute(
        "SELECT count(*) FILTER (WHERE d > ?), "
        "(SELECT count(*) FROM (SELECT customer FROM tx GROUP BY customer HAVING min(d) > ?)), "
        "min(d) FILTER (WHERE d <= ?) FROM tx", [end_ts, end_ts, end_ts]).fetchone()
    if n_after == n_total:
        raise DataError(
            f"all {n_total} transactions are after end={end_ts.date()} "
            f"(first at index 0); there is nothing to summarise. Check end.")
    split = cal_ts if cal_ts is not None else end_ts
    if cal_ts is not None and pd.Timestamp(first_row) > cal_ts:
        n_window_customers = con.execute("SELECT count(DISTINCT customer) FROM tx WHERE d <= ?",
                                         [end_ts]).fetchone()[0]
        raise DataError(
            f"no customer made a purchase on or before calibration_end={cal_raw} "
            f"(0 of {n_window_customers} customers; the first purchase is on "
            f"{pd.Timestamp(first_row).date()}). Move calibration_end later.")
    days = DAYS_PER_UNIT[unit]
    frame = con.execute(f"""
        WITH purchases AS (
            SELECT customer, d, sum(amount) AS amount, count(*) AS n FROM tx WHERE d <= ? GROUP BY customer, d),
        calib AS (SELECT * FROM purchases WHERE d <= ?),
        hold AS (SELECT customer, count(*) AS n, avg(amount) AS mean_amount FROM purchases WHERE d > ?
                 GROUP BY customer),
        per_customer AS (
            SELECT customer, count(*) - 1 AS frequency, min(d) AS first_d, max(d) AS last_d,
                   sum(amount) - arg_min(amount, d) AS repeat_amount
            FROM calib GROUP BY customer)
        SELECT c.customer AS customer_id, c.frequency,
               date_diff('day', c.first_d, c.last_d) / {days} AS recency,
               date_diff('day', c.first_d, ?::TIMESTAMP) / {days} AS "T",
               CASE WHEN c.frequency > 0 THEN c.repeat_amount / c.frequency ELSE 0.0 END AS monetary_value,
               coalesce(h.n, 0) AS frequency_holdout, coalesce(h.mean_amount, 0.0) AS monetary_value_holdout
        FROM per_customer c LEFT JOIN hold h USING (customer) ORDER BY customer_id
    """, [end_ts, split, split, split]).df().set_index("customer_id")
    n_purchases, n_window = con.execute(
        "SELECT (SELECT count(*) FROM (SELECT DISTINCT customer, d FROM tx WHERE d <= ?)), "
        "(SELECT count(*) FROM tx WHERE d <= ?)", [end_ts, end_ts]).fetchone()
    first_after = con.execute("SELECT count(*) FROM (SELECT customer FROM tx WHERE d <= ? GROUP BY customer "
                              "HAVING min(d) > ?)", [end_ts, split]).fetchone()[0]
    if n_after:
        warnings.warn(
            f"left out {n_after} of {n_total} transactions dated after end={end_ts.date()} "
            f"(see provenance['left_out_after_end']); they are outside the observation window.",
            DataWarning, stacklevel=3)
    frame["frequency"] = frame["frequency"].astype("int64")
    if cal_ts is None:
        frame = frame.drop(columns=["frequency_holdout", "monetary_value_holdout"])
    else:
        frame["frequency_holdout"] = frame["frequency_holdout"].astype("int64")
        frame["duration_holdout"] = (end_ts - cal_ts).days / days
    if not amount:
        frame = frame.drop(columns=[c for c in ("monetary_value", "monetary_value_holdout") if c in frame])
    provenance = {"source": "summarize_duckdb", "n_transactions": int(n_total),
                  "n_transactions_in_window": int(n_window), "n_purchases_after_merge": int(n_purchases),
                  "merged": int(n_window - n_purchases), "left_out_after_end": int(n_after),
                  "customers_first_seen_after_end": int(first_after_end),
                  "customers_first_seen_after_calibration": int(first_after) if cal_ts is not None else 0,
                  "n_customers": len(frame), "grain": grain, "unit": unit,
                  "time_zone": None if tz is None else str(tz)}
    return CustomerData(frame=frame, unit=unit, grain=grain, end=end_ts, calibration_end=cal_ts,
                        provenance=provenance)
