"""summarize() against lifetimes' summary_data_from_transaction_data on the full CDNOW log.

Expected values come from lifetimes 0.11.3 (the library our users know) run on the same log:
``summary_data_from_transaction_data(tx, "customer_id", "date", monetary_value_col="amount",
observation_period_end=..., freq=..., freq_multiplier=...)``. lifetimes'
``calibration_and_holdout_data`` fails on pandas 3, so the holdout columns are checked against
an independent plain-pandas computation written out below.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clvkit.data.datasets import load_cdnow
from clvkit.data.summarize import summarize
from clvkit.errors import DataWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # lifetimes imports pkg_resources
    import setuptools  # noqa: F401  (provides pkg_resources for lifetimes)
    from lifetimes.utils import summary_data_from_transaction_data

CAL_END = "1997-09-30"
END = "1998-06-30"
COLUMNS = ["frequency", "recency", "T", "monetary_value"]


@pytest.fixture(scope="module")
def full_tx() -> pd.DataFrame:
    return load_cdnow(sample=False)


def lifetimes_summary(tx: pd.DataFrame, end: str | None, freq: str, multiplier: int) -> pd.DataFrame:
    return summary_data_from_transaction_data(
        tx, "customer_id", "date", monetary_value_col="amount", observation_period_end=end,
        freq=freq, freq_multiplier=multiplier)


def assert_same(ours: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert len(ours) == len(expected) > 0
    assert ours.index.equals(expected.index)
    for col in COLUMNS:
        np.testing.assert_allclose(ours[col].to_numpy(float), expected[col].to_numpy(float),
                                   rtol=0, atol=1e-9, err_msg=col)


@pytest.mark.parametrize(
    ("unit", "grain", "freq", "multiplier"),
    [("W", "D", "D", 7),    # the literature's convention: days between dates / 7
     ("D", "D", "D", 1),
     ("W", "W", "W", 1)],   # weekly grain: lifetimes' W periods start on Monday, as ours do
)
def test_whole_window_matches_lifetimes(full_tx, unit, grain, freq, multiplier):
    expected = lifetimes_summary(full_tx, END, freq, multiplier)
    data = summarize(full_tx, unit=unit, grain=grain, end=END)
    assert_same(data.frame, expected)
    assert data.provenance["left_out_after_end"] == 0


def test_default_end_is_last_date(full_tx):
    expected = lifetimes_summary(full_tx, None, "D", 7)
    data = summarize(full_tx, unit="W", grain="D")
    assert_same(data.frame, expected)
    assert data.end == full_tx["date"].max()


def test_calibration_columns_match_lifetimes_at_calibration_end(full_tx):
    """With calibration_end, T is measured to it; lifetimes sees only the calibration window."""
    expected = lifetimes_summary(full_tx, CAL_END, "D", 7)
    data = summarize(full_tx, unit="W", grain="D", calibration_end=CAL_END, end=END)
    assert_same(data.frame, expected)
    # every CDNOW customer's first purchase is in Q1 1997, so none is left out of calibration
    assert data.provenance["customers_first_seen_after_calibration"] == 0


def test_end_inside_the_log_matches_lifetimes_and_warns(full_tx):
    expected = lifetimes_summary(full_tx, CAL_END, "D", 7)
    n_after = int((full_tx["date"] > pd.Timestamp(CAL_END)).sum())
    with pytest.warns(DataWarning, match=f"left out {n_after} of {len(full_tx)} transactions"):
        data = summarize(full_tx, unit="W", grain="D", end=CAL_END)
    assert_same(data.frame, expected)
    assert data.provenance["left_out_after_end"] == n_after == 20573


def test_holdout_columns_match_plain_pandas(full_tx):
    data = summarize(full_tx, unit="W", grain="D", calibration_end=CAL_END, end=END)
    f = data.frame

    # independent computation: merge same-day rows, then count and average the holdout days
    daily = full_tx.groupby(["customer_id", full_tx["date"].dt.normalize()])["amount"].sum().reset_index()
    hold = daily[(daily["date"] > pd.Timestamp(CAL_END)) & (daily["date"] <= pd.Timestamp(END))]
    per_customer = hold.groupby("customer_id")["amount"].agg(["size", "mean"])
    per_customer = per_customer.reindex(f.index).fillna(0.0)

    np.testing.assert_array_equal(f["frequency_holdout"].to_numpy(), per_customer["size"].to_numpy())
    np.testing.assert_allclose(f["monetary_value_holdout"].to_numpy(), per_customer["mean"].to_numpy(),
                               rtol=0, atol=1e-9)
    assert np.all(f["duration_holdout"] == 273 / 7)
    assert int(f["frequency_holdout"].sum()) == len(hold)
    assert list(f.columns) == [*COLUMNS, "frequency_holdout", "monetary_value_holdout", "duration_holdout"]
