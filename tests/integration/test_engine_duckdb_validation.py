"""The DuckDB engine refuses the same bad logs as clvkit.summarize, with the same message.

Messages are compared up to the example row (``first at index ...: {...}``), which differs only
in how each engine shows the offending row. Each case runs on a DataFrame and on a CSV file.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import clvkit as ck

pytest.importorskip("duckdb")
from clvkit.engines.duckdb import summarize_duckdb


def log(**overrides) -> pd.DataFrame:
    columns = {"customer_id": ["1", "1", "2", "2"],
               "date": ["2020-01-01", "2020-01-08", "2020-01-02", "2020-02-01"],
               "amount": [10.0, 20.0, 5.0, 2.5]}
    columns.update(overrides)
    return pd.DataFrame(columns)


def message(fn, *args, **kwargs) -> str:
    with pytest.raises(ck.DataError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", ck.DataWarning)
        fn(*args, **kwargs)
    return str(info.value)


def without_example(text: str) -> str:
    return re.sub(r"\(first at index .*?\}\)", "(first at ...)", text)


CASES = {
    "mixed time zones": (log(date=["2020-01-01T10:00+01:00", "2020-01-08T10:00+01:00",
                                   "2020-01-02T10:00+05:00", "2020-02-01T10:00+01:00"]), {},
                         r"column 'date' is in another time zone than most rows \(\+01:00\) in 1 of 4 rows"),
    "aware and naive": (log(date=["2020-01-01T10:00", "2020-01-08T10:00",
                                  "2020-01-02T10:00Z", "2020-02-01T10:00"]), {},
                        r"column 'date' is in another time zone than most rows \(no time zone\) in 1 of 4"),
    "+inf amount": (log(amount=[10.0, np.inf, 5.0, 2.5]), {}, r"column 'amount' is infinite in 1 of 4 rows"),
    "NaN amount": (log(amount=[10.0, np.nan, 5.0, 2.5]), {}, r"column 'amount' is NaN in 1 of 4 rows"),
    "negative amount": (log(amount=[10.0, -1.0, 5.0, -2.0]), {}, r"column 'amount' is negative in 2 of 4 rows"),
    "bad end": (log(), {"end": "soon"}, r"end='soon' is not a date"),
    "end in 9999": (log(), {"end": "9999-12-31"}, r"end=9999-12-31 00:00:00 is outside the plausible range"),
    "NaN id": (log(customer_id=["1", None, "2", "2"]), {},
               r"column 'customer_id' is NaN \(no customer id\) in 1 of 4 rows"),
    "date in 9999": (log(date=["2020-01-01", "9999-12-31", "2020-01-02", "2020-02-01"]), {},
                     r"column 'date' is outside the plausible range 1900-01-01..2200-12-31 in 1 of 4"),
    "date in 1066": (log(date=["1066-10-14", "2020-01-08", "1066-10-14", "2020-02-01"]), {},
                     r"column 'date' is outside the plausible range 1900-01-01..2200-12-31 in 2 of 4"),
    "unparseable date": (log(date=["2020-01-01", "soon", "2020-01-02", "2020-02-01"]), {},
                         r"column 'date' cannot be parsed as a date in 1 of 4 rows"),
    "calibration_end after end": (log(), {"calibration_end": "2020-03-01", "end": "2020-02-01"},
                                  r"calibration_end=2020-03-01 00:00:00 is after end=2020-02-01"),
    "all after end": (log(), {"end": "2019-12-31"}, r"all 4 transactions are after end=2019-12-31"),
}


@pytest.mark.parametrize("source", ["frame", "csv"])
@pytest.mark.parametrize("case", list(CASES))
def test_duckdb_refuses_what_pandas_refuses_with_the_same_message(case, source, tmp_path):
    tx, kwargs, pattern = CASES[case]
    expected = message(ck.summarize, tx, **kwargs)
    assert re.search(pattern, expected), expected
    if source == "csv":
        path = tmp_path / "tx.csv"
        tx.to_csv(path, index=False)
        got = message(summarize_duckdb, path, **kwargs)
    else:
        got = message(summarize_duckdb, tx, **kwargs)
    assert without_example(got) == without_example(expected)


def test_duckdb_keeps_leading_zeros_of_csv_ids(tmp_path):
    path = tmp_path / "tx.csv"
    pd.DataFrame({"customer_id": ["007", "0007", "007"], "date": ["2020-01-01", "2020-01-02", "2020-01-09"],
                  "amount": [1.0, 2.0, 3.0]}).to_csv(path, index=False)
    frame = summarize_duckdb(path).frame
    assert list(frame.index) == ["0007", "007"]
    assert frame.loc["007", "frequency"] == 1


def test_duckdb_same_offset_everywhere_is_wall_clock_like_pandas(tmp_path):
    tx = log(date=["2020-01-01T23:30+05:00", "2020-01-08T10:00+05:00", "2020-01-02T10:00+05:00",
                   "2020-02-01T00:30+05:00"])
    path = tmp_path / "tx.csv"
    tx.to_csv(path, index=False)
    expected = ck.summarize(tx)
    got = summarize_duckdb(path)
    pd.testing.assert_frame_equal(got.frame, expected.frame, check_dtype=False, check_index_type=False)


def test_duckdb_reads_a_zone_aware_parquet_column_in_its_zone(tmp_path):
    tx = log(date=pd.to_datetime(["2020-01-01 23:30", "2020-01-08 10:00", "2020-01-02 10:00",
                                  "2020-02-01 00:30"]).tz_localize("Asia/Kolkata"))
    path = tmp_path / "tx.parquet"
    tx.to_parquet(path)
    expected = ck.summarize(tx)
    got = summarize_duckdb(path)
    pd.testing.assert_frame_equal(got.frame, expected.frame, check_dtype=False, check_index_type=False)
