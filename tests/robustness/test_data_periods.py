"""Bad inputs to the period panels and survival tables raise a DataError, never a raw error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clvkit.data import periods
from clvkit.errors import DataError

TX = pd.DataFrame({"customer_id": ["007", "7", "007"],
                   "date": pd.to_datetime(["2020-01-05", "2020-02-01", "2020-05-01"]), "amount": [1.0, 2.0, 3.0]})


@pytest.mark.parametrize("end, pattern", [
    ("9999-01-01", r"end=9999-01-01 00:00:00 is outside the plausible range 1900-01-01..2200-12-31"),
    ("1066-10-14", r"end=1066-10-14 00:00:00 is outside the plausible range"),
    ("soon", r"end='soon' is not a date"),
])
def test_period_panel_bad_end(end, pattern):
    with pytest.raises(DataError, match=pattern):
        periods.period_panel(TX, unit="M", end=end)


def test_period_panel_integer_end_is_yyyymmdd():
    panel = periods.period_panel(TX, unit="M", end=20200630)
    assert panel.provenance["end"] == "2020-06-30"


def test_period_panel_date_in_9999():
    tx = TX.assign(date=pd.to_datetime(["2020-01-05", "9999-02-01", "2020-05-01"]))
    with pytest.raises(DataError, match=r"column 'date' is outside the plausible range .* in 1 of 3 rows"):
        periods.period_panel(tx, unit="M")


def test_period_panel_keeps_leading_zeros():
    panel = periods.period_panel(TX, unit="M", end="2020-06-30")
    assert sorted(panel.purchases.index) == ["007", "7"]


@pytest.mark.parametrize("table, pattern", [
    (pd.DataFrame({"period": [], "alive": []}), r"survival table is empty \(0 rows\)"),
    (pd.DataFrame([[0, 10, 5], [1, 8, 4]], columns=["period", "alive", "alive"]),
     r"column\(s\) \['alive'\] appear more than once"),
    (pd.DataFrame({"period": [0, np.inf], "alive": [10, 8]}), r"column 'period' is infinite in 1 of 2 rows"),
    (np.array([[0, 10], [1, 8]]), r"expected a DataFrame"),
])
def test_validate_survival_bad_tables(table, pattern):
    with pytest.raises(DataError, match=pattern):
        periods.validate_survival(table)


def test_empty_panel_and_bad_states():
    empty = periods.PeriodPanel(pd.DataFrame(), pd.DataFrame(), pd.Series(dtype=np.int64), "M")
    for fn in (periods.cohort_survival, periods.lost_for_good_status):
        with pytest.raises(DataError, match=r"the period panel is empty \(0 customers x 0 periods\)"):
            fn(empty)
    with pytest.raises(DataError, match="expected a PeriodPanel"):
        periods.cohort_survival(TX)
    panel = periods.period_panel(TX, unit="M", end="2020-06-30")
    for fn in (periods.recency_state, periods.recency_transitions):
        with pytest.raises(DataError, match=r"states must be a whole number >= 1, got 0"):
            fn(panel, 0)
