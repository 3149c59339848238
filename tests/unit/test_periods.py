"""Period panels, cohort survival (lost-for-good rule) and recency transitions on a log small
enough to work out by hand; expected values are written out below from the log itself."""

import numpy as np
import pandas as pd
import pytest

from clvkit.data.periods import (
    cohort_survival,
    lost_for_good_status,
    period_panel,
    recency_state,
    recency_transitions,
    validate_survival,
)
from clvkit.errors import DataError, DataWarning

# quarters 1997Q1..1997Q4:  A buys Q1 Q2 Q3 Q4 (twice in Q2); B buys Q1 only; C buys Q1 and Q3;
# D is acquired in Q2 and buys Q2 Q3; E is acquired in Q3 and buys Q3 Q4.
LOG = pd.DataFrame({
    "customer_id": ["A", "A", "A", "A", "A", "B", "C", "C", "D", "D", "E", "E"],
    "date": pd.to_datetime(["1997-01-05", "1997-04-02", "1997-05-20", "1997-08-01", "1997-12-31",
                            "1997-02-01", "1997-03-31", "1997-07-01", "1997-06-30", "1997-09-30",
                            "1997-07-15", "1997-10-01"]),
    "amount": [10.0, 20.0, 5.0, 30.0, 40.0, 7.0, 8.0, 9.0, 11.0, 12.0, 13.0, 14.0],
})


def test_panel_counts_and_amounts():
    panel = period_panel(LOG, unit="Q")
    assert [str(p) for p in panel.periods] == ["1997Q1", "1997Q2", "1997Q3", "1997Q4"]
    expected = pd.DataFrame([[1, 2, 1, 1], [1, 0, 0, 0], [1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 1, 1]],
                            index=list("ABCDE"))
    np.testing.assert_array_equal(panel.purchases.to_numpy(), expected.to_numpy())
    assert list(panel.purchases.index) == list("ABCDE")
    np.testing.assert_allclose(panel.amount.loc["A"].to_numpy(), [10, 25, 30, 40])
    np.testing.assert_allclose(panel.amount.loc["E"].to_numpy(), [0, 0, 13, 14])
    assert panel.first_period.tolist() == [0, 0, 0, 1, 2]
    assert panel.provenance["transactions"] == 12 and panel.provenance["after_end"] == 0
    assert "5 customers x 4 periods" in repr(panel)


def test_months_and_years():
    monthly = period_panel(LOG, unit="M")
    assert len(monthly.periods) == 12 and monthly.purchases.to_numpy().sum() == 12
    assert monthly.purchases.loc["A"].tolist()[3:5] == [1, 1]  # April and May
    yearly = period_panel(LOG, unit="Y")
    assert yearly.purchases[yearly.periods[0]].tolist() == [5, 1, 2, 2, 2]


def test_lost_for_good_status_and_cohort_survival():
    panel = period_panel(LOG, unit="Q")
    status = lost_for_good_status(panel)
    # A: alive all 3 observed quarters; B: lost in Q2; C: lost in Q2 (Q3 return does not count)
    # D: acquired Q2, bought Q3, lost in Q4; E: acquired Q3, bought Q4
    assert status["tenure"].tolist() == [3, 0, 0, 1, 1]
    assert status["observed"].tolist() == [3, 3, 3, 2, 1]
    assert status["alive"].tolist() == [True, False, False, False, True]
    table = cohort_survival(panel)
    assert table.attrs["unit"] == "Q"
    got = {(c, p): a for c, p, a in table.itertuples(index=False)}
    assert got == {("1997Q1", 0): 3, ("1997Q1", 1): 1, ("1997Q1", 2): 1, ("1997Q1", 3): 1,
                   ("1997Q2", 0): 1, ("1997Q2", 1): 1, ("1997Q2", 2): 0,
                   ("1997Q3", 0): 1, ("1997Q3", 1): 1}
    long = validate_survival(table)
    assert len(long) == 9


def test_recency_transitions_and_states():
    panel = period_panel(LOG, unit="Q")
    counts = recency_transitions(panel, states=2)
    # opportunities by state (period: customers in state 1 / state 2 at its start):
    # Q2: A1 B1 C1 | Q3: A1 D1, B2 C2 | Q4: A1 C1 D1 E1, B2   -> state 1: 9, state 2: 3
    # purchases: Q2: A | Q3: A D, C | Q4: A E  -> state 1: 5 (A, A, D, A, E), state 2: 1 (C)
    assert counts["opportunities"].tolist() == [9, 3]
    assert counts["purchases"].tolist() == [5, 1]
    np.testing.assert_allclose(counts["p"], [5 / 9, 1 / 3])
    three = recency_transitions(panel, states=3)
    assert three["opportunities"].tolist() == [9, 2, 1]  # B in Q4 has not bought for 3 quarters
    assert recency_state(panel, states=3).tolist() == [1, 3, 2, 2, 1]
    assert recency_state(panel, states=2).tolist() == [1, 2, 2, 2, 1]


def test_end_cuts_transactions_and_incomplete_periods():
    panel = period_panel(LOG, unit="Q", end="1997-09-30")
    assert len(panel.periods) == 3 and panel.provenance["after_end"] == 2
    # 1997-12-31 (A) is after the end; 1997-10-01 (E) sits in the cut-short Q4
    with pytest.warns(DataWarning, match="left out 1 of 12 transactions in the incomplete last period"):
        cut = period_panel(LOG, unit="Q", end="1997-12-30")
    assert len(cut.periods) == 3
    assert cut.provenance["after_end"] == 1 and cut.provenance["incomplete_period"] == 1
    with pytest.raises(DataError, match="no complete Y period"), pytest.warns(DataWarning):
        period_panel(LOG, unit="Y", end="1997-12-30")


def test_bad_logs_and_units():
    with pytest.raises(DataError, match="period unit must be one of"):
        period_panel(LOG, unit="W")
    with pytest.raises(DataError, match="empty"):
        period_panel(LOG.iloc[:0], unit="Q")
    bad = LOG.copy()
    bad.loc[3, "amount"] = -1.0
    with pytest.raises(DataError, match="amount"):
        period_panel(bad, unit="Q")
    with pytest.raises(DataError, match="states must be"):
        recency_transitions(period_panel(LOG, unit="Q"), states=0)
