"""Shapes, dtypes and a few facts of every packaged data set (see datasets/PROVENANCE.md)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import clvkit.data.datasets as datasets
from clvkit.data.datasets import (
    load_cdnow,
    load_cdnow_summary,
    load_donations,
    load_retention_example,
)
from clvkit.errors import DataError


def test_cdnow_full_shape_and_dtypes():
    tx = load_cdnow()
    assert tx.shape == (69_659, 4)
    assert list(tx.columns) == ["customer_id", "date", "quantity", "amount"]
    assert tx.dtypes.to_dict() == {
        "customer_id": np.dtype("int64"),
        "date": np.dtype("datetime64[ns]"),
        "quantity": np.dtype("int64"),
        "amount": np.dtype("float64"),
    }
    assert tx["customer_id"].nunique() == 23_570
    assert tx["customer_id"].min() == 1 and tx["customer_id"].max() == 23_570
    assert tx["date"].min() == pd.Timestamp("1997-01-01")
    assert tx["date"].max() == pd.Timestamp("1998-06-30")
    assert (tx["amount"] >= 0).all() and (tx["quantity"] >= 1).all()
    # every customer's first purchase is in Q1 1997 (the cohort's definition)
    assert tx.groupby("customer_id")["date"].min().max() <= pd.Timestamp("1997-03-31")


def test_cdnow_sample_shape_and_dtypes():
    tx = load_cdnow(sample=True)
    assert tx.shape == (6_919, 5)
    assert list(tx.columns) == ["customer_id", "date", "quantity", "amount", "sample_id"]
    assert tx["date"].dtype == np.dtype("datetime64[ns]")
    assert tx["customer_id"].dtype == tx["sample_id"].dtype == tx["quantity"].dtype == np.dtype("int64")
    assert tx["amount"].dtype == np.dtype("float64")
    assert tx["customer_id"].nunique() == tx["sample_id"].nunique() == 2_357
    assert sorted(tx["sample_id"].unique()) == list(range(1, 2_358))
    # one master id per sample id and back
    assert (tx.groupby("sample_id")["customer_id"].nunique() == 1).all()
    assert (tx.groupby("customer_id")["sample_id"].nunique() == 1).all()


def test_cdnow_sample_rows_are_the_master_rows_of_its_customers():
    sample = load_cdnow(sample=True).drop(columns="sample_id")
    full = load_cdnow()
    full = full[full["customer_id"].isin(sample["customer_id"])]
    key = ["customer_id", "date", "quantity", "amount"]
    pd.testing.assert_frame_equal(sample.sort_values(key).reset_index(drop=True),
                                  full.sort_values(key).reset_index(drop=True))


def test_cdnow_summary_shape_and_dtypes():
    s = load_cdnow_summary()
    assert s.shape == (2_357, 4)
    assert list(s.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert s.index.name == "customer_id"
    assert s.index.tolist() == list(range(1, 2_358))
    assert s["frequency"].dtype == np.dtype("int64")
    assert all(s[c].dtype == np.dtype("float64") for c in ["recency", "T", "monetary_value"])
    assert int(s["frequency"].sum()) == 2_457
    assert int((s["frequency"] == 0).sum()) == 1_411
    assert s["T"].max() == 38.86
    assert (s["recency"] <= s["T"]).all()


def test_donations_shape_and_dtypes():
    d = load_donations()
    assert d.shape == (22, 4)
    assert list(d.columns) == ["frequency", "recency", "n_periods", "weight"]
    assert all(d[c].dtype == np.dtype("int64") for c in d.columns)
    assert int(d["weight"].sum()) == 11_104
    assert (d["n_periods"] == 6).all()
    assert (d["recency"] >= d["frequency"]).all()


@pytest.mark.parametrize(("name", "year7", "year12"), [("regular", 241, 173), ("high_end", 491, 394)])
def test_retention_examples(name, year7, year12):
    r = load_retention_example(name)
    assert r.shape == (13, 2)
    assert list(r.columns) == ["period", "alive"]
    assert r["period"].dtype == r["alive"].dtype == np.dtype("int64")
    assert r["period"].tolist() == list(range(13))
    assert r["alive"].iloc[0] == 1000
    assert r["alive"].iloc[7] == year7 and r["alive"].iloc[12] == year12
    assert (np.diff(r["alive"]) <= 0).all()


def test_retention_example_spelling_variants():
    pd.testing.assert_frame_equal(load_retention_example("High End"), load_retention_example("high_end"))


def test_unknown_retention_example_lists_valid_names():
    match = r"unknown retention example 'premium'.*\['regular', 'high_end'\]"
    with pytest.raises(ValueError, match=match) as e:
        load_retention_example("premium")
    assert isinstance(e.value, DataError)


@pytest.mark.parametrize(
    "loader",
    [load_cdnow, lambda: load_cdnow(sample=True), load_cdnow_summary, load_donations,
     lambda: load_retention_example("regular")],
)
def test_loaders_return_independent_copies(loader):
    first = loader()
    first.iloc[0, 0] = -999
    first["scribble"] = 1
    second = loader()
    assert "scribble" not in second.columns
    assert second.iloc[0, 0] != -999


def test_docstring_examples_run():
    result = doctest.testmod(datasets, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 3 and result.failed == 0
