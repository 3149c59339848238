"""Summarise transaction logs larger than memory with DuckDB (extra ``engines``).

The SQL computes exactly what :func:`clvkit.summarize` computes in pandas (same grain flooring,
same units, same holdout columns); tests/unit/test_engine_duckdb.py checks the two agree on the
full CDNOW log.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from clvkit.data.customer_data import CustomerData
from clvkit.data.units import DAYS_PER_UNIT, check_unit
from clvkit.errors import DataError, DataWarning

_TRUNC = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}


def _connect() -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("clvkit.engines.duckdb needs duckdb: pip install 'clvkit[engines]'") from exc
    return duckdb.connect()


def _source(con: Any, tx: str | os.PathLike[str] | pd.DataFrame) -> str:
    """Register the input as the view ``raw`` and return its name."""
    if isinstance(tx, pd.DataFrame):
        con.register("raw_df", tx)
        con.execute("CREATE VIEW raw AS SELECT * FROM raw_df")
    else:
        path = os.fspath(tx)
        if not os.path.exists(path):
            raise DataError(f"{path}: no such file.")
        reader = "read_parquet" if path.lower().endswith((".parquet", ".pq")) else "read_csv_auto"
        literal = "'" + path.replace("'", "''") + "'"
        con.execute(f"CREATE VIEW raw AS SELECT * FROM {reader}({literal})")
    return "raw"


def _check(con: Any, customer: str, date: str, amount: str | None) -> None:
    columns = [row[0] for row in con.execute("DESCRIBE raw").fetchall()]
    for name in [customer, date] + ([amount] if amount else []):
        if name not in columns:
            raise DataError(f"column {name!r} not found in the transaction log; columns are {columns}.")
    n = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    if n == 0:
        raise DataError("the transaction log is empty: there is nothing to summarise.")
    checks = [
        (customer, f'"{customer}" IS NULL', "is missing"),
        (date, f'"{date}" IS NULL', "is missing"),
        (date, f'"{date}" IS NOT NULL AND TRY_CAST("{date}" AS TIMESTAMP) IS NULL', "is not a parseable date"),
    ]
    if amount:
        checks += [(amount, f'"{amount}" IS NULL', "is NaN or missing"),
                   (amount, f'"{amount}" IS NOT NULL AND TRY_CAST("{amount}" AS DOUBLE) IS NULL', "is not numeric"),
                   (amount, f'TRY_CAST("{amount}" AS DOUBLE) < 0', "is negative")]
    for column, condition, problem in checks:
        bad, example = con.execute(
            f"SELECT count(*), any_value(CAST(raw AS VARCHAR)) FILTER (WHERE {condition}) "
            f"FROM raw WHERE {condition}").fetchone()
        if bad:
            raise DataError(f"column {column!r} {problem} in {bad} of {n} rows (e.g. {example}).")


def summarize_duckdb(
    tx: str | os.PathLike[str] | pd.DataFrame,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    unit: str = "W",
    grain: str = "D",
    end: Any = None,
    calibration_end: Any = None,
) -> CustomerData:
    """:func:`clvkit.summarize`, computed by DuckDB on a CSV / Parquet file or a DataFrame.

    Parameters are those of :func:`clvkit.summarize`, except that ``grain`` cannot be ``None`` and
    dates must be ISO dates or timestamps DuckDB can cast. Only the per-customer result (one row per
    customer) is brought into memory.
    """
    unit = check_unit(unit)
    if grain not in _TRUNC:
        raise DataError(f"grain must be one of {sorted(_TRUNC)} for the DuckDB engine, got {grain!r}.")
    con = _connect()
    _source(con, tx)
    _check(con, customer, date, amount)
    trunc = _TRUNC[grain]
    value = f'TRY_CAST("{amount}" AS DOUBLE)' if amount else "0.0"
    con.execute(f"""CREATE TEMP TABLE tx AS SELECT "{customer}" AS customer,
        date_trunc('{trunc}', CAST("{date}" AS TIMESTAMP)) AS d, {value} AS amount FROM raw""")
    last = con.execute("SELECT max(d) FROM tx").fetchone()[0]
    end_ts = pd.Timestamp(last) if end is None else pd.Timestamp(end)
    end_ts = pd.Timestamp(con.execute(f"SELECT date_trunc('{trunc}', ?::TIMESTAMP)", [end_ts]).fetchone()[0])
    cal_ts = None
    if calibration_end is not None:
        cal_ts = pd.Timestamp(con.execute(f"SELECT date_trunc('{trunc}', ?::TIMESTAMP)",
                                          [pd.Timestamp(calibration_end)]).fetchone()[0])
        if cal_ts > end_ts:
            raise DataError(f"calibration_end ({cal_ts.date()}) is after end ({end_ts.date()}).")
    n_total, n_after = con.execute("SELECT count(*), count(*) FILTER (WHERE d > ?) FROM tx", [end_ts]).fetchone()
    split = cal_ts if cal_ts is not None else end_ts
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
    con.close()
    if n_after:
        import warnings

        warnings.warn(f"left {n_after} of {n_total} transactions after end ({end_ts.date()}) out of the summary.",
                      DataWarning, stacklevel=2)
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
                  "customers_first_seen_after_calibration": int(first_after) if cal_ts is not None else 0,
                  "n_customers": len(frame), "grain": grain, "unit": unit}
    return CustomerData(frame=frame, unit=unit, grain=grain, end=end_ts, calibration_end=cal_ts,
                        provenance=provenance)
