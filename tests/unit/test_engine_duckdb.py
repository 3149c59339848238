"""The DuckDB engine computes the same summary as the pandas data layer."""

from contextlib import nullcontext

import pandas as pd
import pytest

import clvkit as ck
from clvkit.engines.duckdb import summarize_duckdb


@pytest.mark.parametrize("settings", [
    {"unit": "W", "grain": "D", "calibration_end": "1997-09-30", "end": "1998-06-30"},
    {"unit": "D", "grain": "D"},
    {"unit": "M", "grain": "W", "end": "1998-01-31"},
])
def test_duckdb_equals_pandas_on_the_full_cdnow_log(settings, tmp_path):
    tx = ck.datasets.load_cdnow()[["customer_id", "date", "amount"]]
    path = tmp_path / "tx.parquet"
    tx.to_parquet(path)
    with pytest.warns(ck.DataWarning) if "end" in settings and settings["end"] < "1998-06-30" else nullcontext():
        expected = ck.summarize(tx, **settings)
    with pytest.warns(ck.DataWarning) if "end" in settings and settings["end"] < "1998-06-30" else nullcontext():
        got = summarize_duckdb(path, **settings)
    pd.testing.assert_frame_equal(got.frame, expected.frame, check_dtype=False, check_index_type=False,
                                  rtol=1e-12)
    assert got.end == expected.end and got.calibration_end == expected.calibration_end
    for key in ("n_transactions", "n_purchases_after_merge", "merged", "left_out_after_end", "n_customers"):
        assert got.provenance[key] == expected.provenance[key], key


def test_duckdb_names_bad_rows(tmp_path):
    path = tmp_path / "tx.csv"
    pd.DataFrame({"customer_id": [1, 2, 3], "date": ["2020-01-01", "2020-01-02", "2020-01-03"],
                  "amount": [1.0, -2.0, -3.0]}).to_csv(path, index=False)
    with pytest.raises(ck.DataError, match=r"'amount' is negative in 2 of 3 rows"):
        summarize_duckdb(path)
    with pytest.raises(ck.DataError, match="1 column\\(s\\) not found in the transaction log: amount='spend'"):
        summarize_duckdb(path, amount="spend")
    with pytest.raises(ck.DataError, match="no such file"):
        summarize_duckdb(tmp_path / "missing.csv")
