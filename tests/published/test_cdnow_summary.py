"""summarize() on the CDNOW sample reproduces the published calibration summary.

Expected values: Fader, Hardie & Lee (2005), "Counting your customers the easy way", and the
summary file they circulated (clvkit/data/datasets/cdnow_customers_summary_with_transactions.csv;
REFERENCE.md "CDNOW 1/10 sample"). The file prints recency and T to 0.01 week and zbar to the
cent, so the tolerance is half of that, plus 1e-9: 140 customers have a mean spend that sits
exactly on half a cent (two repeat purchases summing to an odd number of cents).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

PRINTED_HALF_DIGIT = 0.005 + 1e-9


@pytest.fixture(scope="module")
def ours_by_sample_id(cdnow_sample_tx, cdnow_sample_data) -> pd.DataFrame:
    """Our summary re-indexed by the sample id, the key of the published file."""
    sample_id = cdnow_sample_tx.groupby("customer_id")["sample_id"].first()
    frame = cdnow_sample_data.frame.copy()
    frame.index = pd.Index(sample_id.loc[frame.index].to_numpy(), name="customer_id")
    return frame.sort_index()


def test_published_summary_facts(cdnow_sample_data):
    f = cdnow_sample_data.frame
    assert len(f) == 2357
    assert int((f["frequency"] == 0).sum()) == 1411
    assert int(f["frequency"].sum()) == 2457
    assert int((f["frequency"] > 0).sum()) == 946


def test_units_and_window(cdnow_sample_data):
    assert cdnow_sample_data.unit == "W"
    assert cdnow_sample_data.grain == "D"
    assert cdnow_sample_data.calibration_end == pd.Timestamp("1997-09-30")
    assert cdnow_sample_data.end == pd.Timestamp("1998-06-30")
    # 1997-09-30 .. 1998-06-30 is 273 days = 39 weeks exactly
    assert np.all(cdnow_sample_data.frame["duration_holdout"] == 39.0)
    prov = cdnow_sample_data.provenance
    assert prov["n_transactions"] == 6919
    assert prov["left_out_after_end"] == 0
    assert prov["customers_first_seen_after_calibration"] == 0
    assert prov["merged"] == prov["n_transactions"] - prov["n_purchases_after_merge"] > 0


def test_T_of_first_day_buyer_is_272_over_7(cdnow_sample_tx, cdnow_sample_data):
    firsts = cdnow_sample_tx.groupby("customer_id")["date"].min()
    jan1 = firsts.index[firsts == pd.Timestamp("1997-01-01")]
    assert len(jan1) > 0
    assert np.all(cdnow_sample_data.frame.loc[jan1, "T"] == 272 / 7)


def test_same_customers_as_published(ours_by_sample_id, cdnow_published_summary):
    assert ours_by_sample_id.index.equals(cdnow_published_summary.frame.index.sort_values())


def test_frequency_equal_for_every_customer(ours_by_sample_id, cdnow_published_summary):
    pub = cdnow_published_summary.frame.sort_index()
    np.testing.assert_array_equal(ours_by_sample_id["frequency"].to_numpy(), pub["frequency"].to_numpy())


@pytest.mark.parametrize("column", ["recency", "T", "monetary_value"])
def test_agrees_with_published_to_printed_precision(ours_by_sample_id, cdnow_published_summary, column):
    pub = cdnow_published_summary.frame.sort_index()
    diff = np.abs(ours_by_sample_id[column].to_numpy() - pub[column].to_numpy())
    worst = pub.index[int(np.argmax(diff))]
    assert diff.max() <= PRINTED_HALF_DIGIT, f"{column}: {diff.max()} at sample id {worst}"
